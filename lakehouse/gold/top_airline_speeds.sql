-- The airlines with the most airborne observations on one day (default: the latest day in gold)
-- and their mean ground speed.
SELECT
    v.flight_date,
    v.airline_icao,
    v.airline_name,
    v.avg_ground_speed_kt,
    v.observations,
    v.flights
FROM gold.average_speed_by_airline_named AS v
WHERE
    v.flight_date = coalesce(
        %(flight_date)s::date, (SELECT max(t.flight_date) FROM gold.average_speed_by_airline AS t)
    )
ORDER BY v.observations DESC, v.airline_icao COLLATE "C" -- noqa: RF03
LIMIT %(limit)s;
