-- The gold contract's view of each changed flight, from all of its silver observations:
-- flight_date = UTC date of the earliest observation; origin, destination and airline = the value
-- of the latest observation in which each is known (observed_at is unique per flight, so "latest"
-- is never a tie). A changed flight with no observations left (deleted) gets no row.
CREATE TEMP TABLE refresh_flights ON COMMIT DROP AS
SELECT
    c.flight_id,
    (min(c.observed_at) AT TIME ZONE 'UTC')::date AS flight_date,
    (
        array_agg(c.origin_iata ORDER BY c.observed_at DESC)
        FILTER (WHERE c.origin_iata IS NOT NULL)
    )[1] AS origin_iata, -- noqa: LT02
    (
        array_agg(c.destination_iata ORDER BY c.observed_at DESC)
        FILTER (WHERE c.destination_iata IS NOT NULL)
    )[1] AS destination_iata, -- noqa: LT02
    (
        array_agg(c.airline_icao ORDER BY c.observed_at DESC)
        FILTER (WHERE c.airline_icao IS NOT NULL)
    )[1] AS airline_icao, -- noqa: LT02
    min(c.observed_at) AS first_observed_at,
    max(c.observed_at) AS last_observed_at,
    count(*)::integer AS observations
FROM silver.flights_clean AS c
INNER JOIN refresh_changed_flights AS changed ON c.flight_id = changed.flight_id
GROUP BY c.flight_id;

ANALYZE refresh_flights;
