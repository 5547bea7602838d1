-- The airports with the most flights on one day (default: the latest day in gold).
SELECT
    v.flight_date,
    v.airport_iata,
    v.airport_name,
    v.departures,
    v.arrivals,
    v.flights
FROM gold.daily_flight_counts_named AS v
WHERE
    v.flight_date = coalesce(
        %(flight_date)s::date, (SELECT max(t.flight_date) FROM gold.daily_flight_counts AS t)
    )
ORDER BY v.flights DESC, v.airport_iata COLLATE "C" -- noqa: RF03
LIMIT %(limit)s;
