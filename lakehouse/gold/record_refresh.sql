-- Record the refresh in the ledger, in the refresh's own transaction.
WITH metric_rows AS (
    SELECT count(*) AS n
    FROM gold.daily_flight_counts AS t
    INNER JOIN refresh_days AS d ON t.flight_date = d.flight_date
    UNION ALL
    SELECT count(*) AS n
    FROM gold.average_speed_by_airline AS t
    INNER JOIN refresh_days AS d ON t.flight_date = d.flight_date
    UNION ALL
    SELECT count(*) AS n
    FROM gold.busiest_routes AS t
    INNER JOIN refresh_days AS d ON t.flight_date = d.flight_date
),

silver_latest AS (
    -- observed_date is indexed; observed_at alone is not
    SELECT max(c.observed_at) AS observed_at
    FROM silver.flights_clean AS c
    WHERE c.observed_date = (SELECT max(l.observed_date) FROM silver.flights_clean AS l)
)

INSERT INTO meta.gold_refresh (
    kind, reason, started_at, finished_at, changed_flights, days, rows_written,
    silver_latest_observed_at, seconds
)
SELECT
    %(kind)s AS kind,
    %(reason)s AS reason,
    now() AS started_at,
    clock_timestamp() AS finished_at,
    (SELECT count(*) FROM refresh_changed_flights) AS changed_flights,
    (
        SELECT coalesce(array_agg(d.flight_date ORDER BY d.flight_date), '{}')
        FROM refresh_days AS d
    ) AS days, -- noqa: RF04
    (SELECT sum(m.n) FROM metric_rows AS m) AS rows_written,
    (SELECT s.observed_at FROM silver_latest AS s) AS silver_latest_observed_at,
    %(seconds)s AS seconds
RETURNING refresh_id, changed_flights, days, rows_written, silver_latest_observed_at;
