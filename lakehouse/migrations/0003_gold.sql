-- Gold: the answers analysts query (see docs/metrics.md), the per-flight attribution they are
-- built from, the change log that lets a refresh recompute only the days that changed, and the
-- refresh ledger. The refresh itself is the SQL in lakehouse/gold/*.sql.

-- 1. Change capture on silver.flights_clean ---------------------------------------------------
-- Every statement that writes silver.flights_clean (the sync's upsert, a repair, a delete) logs
-- the flight ids it touched, in its own transaction: the log rows become visible exactly when the
-- silver rows do. A refresh reads the log and silver in one REPEATABLE READ snapshot and then
-- deletes the log rows it saw, so a sync committing during a refresh is left for the next one.
-- (A sequence high-water mark would lose rows: a transaction can draw a lower number and commit
-- after a refresh has already moved the mark past it.) Nothing is added to the table's columns,
-- so the sync's staging table and column lists are unaffected.

CREATE TABLE meta.flights_clean_changes (
    flight_id  text,  -- null: the whole table was truncated; the next refresh rebuilds everything
    logged_at  timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE meta.flights_clean_changes IS
    'Flight ids written in silver.flights_clean since the last gold refresh (filled by triggers).';

CREATE FUNCTION meta.log_flights_clean_changes() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO meta.flights_clean_changes (flight_id)
        SELECT DISTINCT flight_id FROM new_rows;
    ELSIF TG_OP = 'UPDATE' THEN
        -- Old ids too: an update may move an observation to another flight.
        INSERT INTO meta.flights_clean_changes (flight_id)
        SELECT flight_id FROM old_rows
        UNION
        SELECT flight_id FROM new_rows;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO meta.flights_clean_changes (flight_id)
        SELECT DISTINCT flight_id FROM old_rows;
    ELSE  -- TRUNCATE
        INSERT INTO meta.flights_clean_changes (flight_id) VALUES (NULL);
    END IF;
    RETURN NULL;
END
$$;

-- Postgres allows transition tables only on single-event triggers, hence one trigger per event.
-- INSERT ... ON CONFLICT DO UPDATE fires both the insert and the update trigger.
CREATE TRIGGER flights_clean_log_insert
    AFTER INSERT ON silver.flights_clean
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION meta.log_flights_clean_changes();

CREATE TRIGGER flights_clean_log_update
    AFTER UPDATE ON silver.flights_clean
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION meta.log_flights_clean_changes();

CREATE TRIGGER flights_clean_log_delete
    AFTER DELETE ON silver.flights_clean
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION meta.log_flights_clean_changes();

CREATE TRIGGER flights_clean_log_truncate
    AFTER TRUNCATE ON silver.flights_clean
    FOR EACH STATEMENT EXECUTE FUNCTION meta.log_flights_clean_changes();

-- 2. Refresh ledger ------------------------------------------------------------------------------

CREATE TABLE meta.gold_refresh (
    refresh_id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind                       text NOT NULL CHECK (kind IN ('full', 'incremental')),
    reason                     text NOT NULL,
    started_at                 timestamptz NOT NULL,
    finished_at                timestamptz NOT NULL,
    changed_flights            integer NOT NULL CHECK (changed_flights >= 0),
    days                       date[] NOT NULL,
    rows_written               integer NOT NULL CHECK (rows_written >= 0),
    silver_latest_observed_at  timestamptz,
    seconds                    double precision NOT NULL
);

COMMENT ON TABLE meta.gold_refresh IS
    'One row per committed gold refresh, written in the refresh''s own transaction.';

-- 3. Gold tables -----------------------------------------------------------------------------------

-- One row per flight: what the gold contract attributes to it. The metric tables are aggregates
-- of this table (and of the flight's silver observations), so a day is recomputed from it alone.
CREATE TABLE gold.flights (
    flight_id          text PRIMARY KEY,
    flight_date        date NOT NULL,         -- UTC date of the earliest observation
    origin_iata        text,                  -- latest known value, null if never known
    destination_iata   text,
    airline_icao       text,
    first_observed_at  timestamptz NOT NULL,
    last_observed_at   timestamptz NOT NULL,
    observations       integer NOT NULL CHECK (observations > 0)
);

CREATE INDEX flights_flight_date_idx ON gold.flights (flight_date);

CREATE TABLE gold.daily_flight_counts (
    airport_iata  text NOT NULL,
    flight_date   date NOT NULL,
    departures    integer NOT NULL CHECK (departures >= 0),
    arrivals      integer NOT NULL CHECK (arrivals >= 0),
    flights       integer NOT NULL CHECK (flights = departures + arrivals AND flights > 0),
    PRIMARY KEY (flight_date, airport_iata)
);

-- numeric(6,2): ground speeds are whole knots in [0, 1200]; a mean rounded to hundredths is
-- exact and identical however the rows were summed, so incremental and full runs agree bit for bit.
CREATE TABLE gold.average_speed_by_airline (
    airline_icao         text NOT NULL,
    flight_date          date NOT NULL,
    avg_ground_speed_kt  numeric(6, 2) NOT NULL,
    observations         integer NOT NULL CHECK (observations > 0),
    flights              integer NOT NULL CHECK (flights > 0 AND flights <= observations),
    PRIMARY KEY (flight_date, airline_icao)
);

CREATE TABLE gold.busiest_routes (
    origin_iata       text NOT NULL,
    destination_iata  text NOT NULL,
    flight_date       date NOT NULL,
    flights           integer NOT NULL CHECK (flights > 0),
    rank              integer NOT NULL CHECK (rank > 0),
    PRIMARY KEY (flight_date, origin_iata, destination_iata),
    UNIQUE (flight_date, rank)
);

COMMENT ON TABLE gold.flights IS
    'One row per flight: its flight_date and the latest known origin, destination and airline.';
COMMENT ON TABLE gold.daily_flight_counts IS
    'Distinct flights departing from / arriving at each airport per flight_date.';
COMMENT ON TABLE gold.average_speed_by_airline IS
    'Mean ground speed (kt, 2 decimals) of airborne observations per airline and flight_date.';
COMMENT ON TABLE gold.busiest_routes IS
    'Distinct flights per route and flight_date; rank 1 = most flights, ties by origin, destination.';

-- 4. Views for BI tools ------------------------------------------------------------------------
-- Views run with their owner's (the writer's) privileges, so the read-only role, which sees gold
-- only, gets the dimension names without any access to silver. The default privileges set up by
-- lakehouse/db/bootstrap.py grant it SELECT on every table and view the writer creates in gold.

CREATE VIEW gold.daily_flight_counts_named AS
SELECT
    d.airport_iata,
    a.name AS airport_name,
    a.city AS airport_city,
    a.country AS airport_country,
    d.flight_date,
    d.departures,
    d.arrivals,
    d.flights
FROM gold.daily_flight_counts AS d
LEFT JOIN silver.dim_airport AS a ON a.iata = d.airport_iata;

CREATE VIEW gold.average_speed_by_airline_named AS
SELECT
    s.airline_icao,
    l.iata AS airline_iata,
    l.name AS airline_name,
    l.country AS airline_country,
    s.flight_date,
    s.avg_ground_speed_kt,
    s.observations,
    s.flights
FROM gold.average_speed_by_airline AS s
LEFT JOIN silver.dim_airline AS l ON l.icao = s.airline_icao;

CREATE VIEW gold.busiest_routes_named AS
SELECT
    r.flight_date,
    r.rank,
    r.origin_iata,
    o.name AS origin_airport_name,
    o.country AS origin_country,
    r.destination_iata,
    d.name AS destination_airport_name,
    d.country AS destination_country,
    r.flights
FROM gold.busiest_routes AS r
LEFT JOIN silver.dim_airport AS o ON o.iata = r.origin_iata
LEFT JOIN silver.dim_airport AS d ON d.iata = r.destination_iata;

-- One row: how current silver is, and how current gold is relative to it.
CREATE VIEW gold.freshness AS
SELECT
    (
        SELECT max(c.observed_at)
        FROM silver.flights_clean AS c
        WHERE c.observed_date = (SELECT max(observed_date) FROM silver.flights_clean)
    ) AS silver_latest_observed_at,
    (SELECT max(synced_at) FROM meta.sync_state) AS silver_last_synced_at,
    r.silver_latest_observed_at AS gold_latest_observed_at,
    r.finished_at AS gold_refreshed_at,
    r.kind AS gold_refresh_kind,
    (SELECT count(DISTINCT flight_id) FROM meta.flights_clean_changes) AS pending_changed_flights
FROM (SELECT 1) AS one
LEFT JOIN LATERAL (
    SELECT g.silver_latest_observed_at, g.finished_at, g.kind
    FROM meta.gold_refresh AS g
    ORDER BY g.refresh_id DESC
    LIMIT 1
) AS r ON true;

COMMENT ON VIEW gold.freshness IS
    'Latest silver observation and sync, and what the latest gold refresh saw and when it ran.';
