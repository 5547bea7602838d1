-- Recompute the affected days: per airline, the mean ground speed over the airborne observations
-- (on_ground = 0 and a ground speed) of its flights of that date, wherever the observations fall
-- in time. Exact numeric mean, rounded half away from zero to hundredths.
DELETE FROM gold.average_speed_by_airline AS s
USING refresh_days AS affected
WHERE s.flight_date = affected.flight_date;

INSERT INTO gold.average_speed_by_airline (
    airline_icao, flight_date, avg_ground_speed_kt, observations, flights
)
SELECT
    f.airline_icao,
    f.flight_date,
    round(avg(c.ground_speed_kt::numeric), 2) AS avg_ground_speed_kt,
    count(*)::integer AS observations,
    count(DISTINCT f.flight_id)::integer AS flights
FROM gold.flights AS f
INNER JOIN refresh_days AS affected ON f.flight_date = affected.flight_date
INNER JOIN silver.flights_clean AS c ON f.flight_id = c.flight_id
WHERE
    f.airline_icao IS NOT NULL
    AND c.on_ground = 0
    AND c.ground_speed_kt IS NOT NULL
GROUP BY f.airline_icao, f.flight_date;
