-- The busiest routes of one day (default: the latest day in gold), best first.
SELECT
    v.flight_date,
    v.rank,
    v.origin_iata,
    v.origin_airport_name,
    v.destination_iata,
    v.destination_airport_name,
    v.flights
FROM gold.busiest_routes_named AS v
WHERE
    v.flight_date = coalesce(
        %(flight_date)s::date, (SELECT max(t.flight_date) FROM gold.busiest_routes AS t)
    )
ORDER BY v.rank
LIMIT %(limit)s;
