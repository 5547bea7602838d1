-- Recompute the affected days: distinct flights per route (both ends known), ranked within the
-- day by flights descending, then origin, then destination. Codes compare bytewise (COLLATE "C")
-- so the rank does not depend on the database's locale.
DELETE FROM gold.busiest_routes AS r
USING refresh_days AS affected
WHERE r.flight_date = affected.flight_date;

INSERT INTO gold.busiest_routes (origin_iata, destination_iata, flight_date, flights, rank)
SELECT
    f.origin_iata,
    f.destination_iata,
    f.flight_date,
    count(*)::integer AS flights,
    row_number() OVER (
        PARTITION BY f.flight_date
        ORDER BY
            count(*) DESC,
            f.origin_iata COLLATE "C", -- noqa: RF02
            f.destination_iata COLLATE "C" -- noqa: RF02
    )::integer AS rank
FROM gold.flights AS f
INNER JOIN refresh_days AS affected ON f.flight_date = affected.flight_date
WHERE f.origin_iata IS NOT NULL AND f.destination_iata IS NOT NULL
GROUP BY f.origin_iata, f.destination_iata, f.flight_date;
