-- Replace the changed flights' attribution.
DELETE FROM gold.flights AS f
USING refresh_changed_flights AS changed
WHERE f.flight_id = changed.flight_id;

INSERT INTO gold.flights (
    flight_id, flight_date, origin_iata, destination_iata, airline_icao,
    first_observed_at, last_observed_at, observations
)
SELECT
    flight_id,
    flight_date,
    origin_iata,
    destination_iata,
    airline_icao,
    first_observed_at,
    last_observed_at,
    observations
FROM refresh_flights;
