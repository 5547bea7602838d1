-- Recompute the affected days: per airport, distinct flights departing (known origin) and
-- arriving (known destination). gold.flights has one row per flight, so rows are distinct flights.
DELETE FROM gold.daily_flight_counts AS d
USING refresh_days AS affected
WHERE d.flight_date = affected.flight_date;

INSERT INTO gold.daily_flight_counts (airport_iata, flight_date, departures, arrivals, flights)
WITH flight_ends AS (
    SELECT
        f.origin_iata AS airport_iata,
        f.flight_date,
        1 AS departure,
        0 AS arrival
    FROM gold.flights AS f
    INNER JOIN refresh_days AS affected ON f.flight_date = affected.flight_date
    WHERE f.origin_iata IS NOT NULL
    UNION ALL
    SELECT
        f.destination_iata AS airport_iata,
        f.flight_date,
        0 AS departure,
        1 AS arrival
    FROM gold.flights AS f
    INNER JOIN refresh_days AS affected ON f.flight_date = affected.flight_date
    WHERE f.destination_iata IS NOT NULL
)

SELECT
    airport_iata,
    flight_date,
    sum(departure)::integer AS departures,
    sum(arrival)::integer AS arrivals,
    sum(departure + arrival)::integer AS flights
FROM flight_ends
GROUP BY airport_iata, flight_date;
