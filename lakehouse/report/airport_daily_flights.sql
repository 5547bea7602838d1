-- Flights per day of the busiest airports over the last `days` days of gold, ending at the
-- latest flight_date in gold (data time, never the wall clock). "Busiest" = most flights summed
-- over that window; ties by IATA code, compared bytewise. One row per airport and day with
-- flights; first_day / last_day bound the window's days that have any gold row at all.
WITH recent AS (
    SELECT
        v.airport_iata,
        v.airport_name,
        v.flight_date,
        v.departures,
        v.arrivals,
        v.flights
    FROM gold.daily_flight_counts_named AS v
    WHERE
        v.flight_date
        > (SELECT max(t.flight_date) FROM gold.daily_flight_counts AS t) - %(days)s::integer
),

top_airports AS (
    SELECT
        r.airport_iata,
        max(r.airport_name) AS airport_name,
        sum(r.flights) AS total_flights,
        row_number() OVER (
            ORDER BY sum(r.flights) DESC, r.airport_iata COLLATE "C"  -- noqa: RF03
        ) AS airport_rank
    FROM recent AS r
    GROUP BY r.airport_iata
    ORDER BY airport_rank
    LIMIT %(limit)s
)

SELECT
    t.airport_rank,
    t.airport_iata,
    t.airport_name,
    t.total_flights,
    r.flight_date,
    r.departures,
    r.arrivals,
    r.flights,
    (SELECT min(x.flight_date) FROM recent AS x) AS first_day,
    (SELECT max(x.flight_date) FROM recent AS x) AS last_day
FROM top_airports AS t
INNER JOIN recent AS r ON t.airport_iata = r.airport_iata
ORDER BY t.airport_rank, r.flight_date;
