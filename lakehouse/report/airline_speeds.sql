-- Mean ground speed of the airlines with the most flights on the latest day of
-- gold.average_speed_by_airline; ties by observations, then ICAO code (bytewise).
SELECT
    v.flight_date,
    v.airline_icao,
    v.airline_iata,
    v.airline_name,
    v.avg_ground_speed_kt,
    v.observations,
    v.flights
FROM gold.average_speed_by_airline_named AS v
WHERE v.flight_date = (SELECT max(t.flight_date) FROM gold.average_speed_by_airline AS t)
ORDER BY v.flights DESC, v.observations DESC, v.airline_icao COLLATE "C"  -- noqa: RF03
LIMIT %(limit)s;
