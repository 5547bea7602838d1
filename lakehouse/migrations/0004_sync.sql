-- What the silver -> Postgres sync (lakehouse/silver/sync.py) needs beyond 0002's tables.

-- 1. Staging tables are scratch space for one sync at a time ------------------------------------
-- Each change set is tagged with its sync's id, and the upsert reads only that id: rows left by a
-- crashed run can never be applied by a later one (they are deleted when the next run starts).
-- Unlogged: staging is rewritten by every sync and worth nothing after a crash, so skipping the
-- WAL roughly halves the cost of landing a change set over JDBC. Emptied first because a column
-- without a default cannot be added as NOT NULL to a table with rows.

TRUNCATE silver.flights_clean_staging, silver.dim_airport_staging, silver.dim_airline_staging;

ALTER TABLE silver.flights_clean_staging SET UNLOGGED;
ALTER TABLE silver.flights_clean_staging
    ADD COLUMN sync_id text NOT NULL,
    ADD CONSTRAINT flights_clean_staging_change_type_check
        CHECK (change_type IN ('upsert', 'delete'));

ALTER TABLE silver.dim_airport_staging SET UNLOGGED;
ALTER TABLE silver.dim_airport_staging
    ADD COLUMN sync_id text NOT NULL,
    ADD CONSTRAINT dim_airport_staging_change_type_check
        CHECK (change_type IN ('upsert', 'delete'));

ALTER TABLE silver.dim_airline_staging SET UNLOGGED;
ALTER TABLE silver.dim_airline_staging
    ADD COLUMN sync_id text NOT NULL,
    ADD CONSTRAINT dim_airline_staging_change_type_check
        CHECK (change_type IN ('upsert', 'delete'));

-- 2. Sync position: which Delta table the version belongs to, and what the last sync did ---------
-- A Delta version number means nothing without its table: when silver is rebuilt from bronze into
-- a new table, versions restart, and reading the change feed "since version N" of the new table
-- would skip or misapply changes. The sync compares the table's id (DESCRIBE DETAIL) with the one
-- stored here and reloads a full snapshot when they differ.

ALTER TABLE meta.sync_state
    ADD COLUMN delta_table_id text,
    ADD COLUMN rows_deleted bigint NOT NULL DEFAULT 0,
    ADD COLUMN seconds double precision;

COMMENT ON COLUMN meta.sync_state.delta_version IS
    'Last Delta version of the silver table whose changes are in Postgres.';
COMMENT ON COLUMN meta.sync_state.rows_upserted IS
    'Keys whose final change in the last sync was an insert or update.';
COMMENT ON COLUMN meta.sync_state.rows_deleted IS
    'Keys whose final change in the last sync was a delete.';
