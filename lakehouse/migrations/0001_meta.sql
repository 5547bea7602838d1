-- Bookkeeping of the pipeline: the bronze ledger, silver batches and sync positions.

CREATE TABLE meta.bronze_objects (
    key               text PRIMARY KEY,
    snapshot_time     timestamptz NOT NULL,
    fetched_at        timestamptz,
    source            text,
    flight_count      integer NOT NULL CHECK (flight_count >= 0),
    byte_size         bigint NOT NULL CHECK (byte_size >= 0),
    sha256            text NOT NULL,
    status            text NOT NULL DEFAULT 'landed'
                      CHECK (status IN ('landed', 'processing', 'processed', 'failed')),
    attempts          integer NOT NULL DEFAULT 0,
    error             text,
    processed_at      timestamptz,
    silver_version    bigint,
    silver_batch_id   text,
    raw_rows          integer,
    clean_rows        integer,
    quarantined_rows  integer,
    duplicate_rows    integer,
    landed_at         timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT bronze_objects_accounted CHECK (
        raw_rows IS NULL OR raw_rows = clean_rows + quarantined_rows + duplicate_rows
    )
);

CREATE INDEX bronze_objects_pending_idx
    ON meta.bronze_objects (snapshot_time)
    WHERE status IN ('landed', 'failed');
CREATE INDEX bronze_objects_snapshot_idx ON meta.bronze_objects (snapshot_time);

CREATE TABLE meta.silver_batches (
    batch_id          text PRIMARY KEY,
    started_at        timestamptz NOT NULL,
    finished_at       timestamptz,
    status            text NOT NULL CHECK (status IN ('running', 'published', 'failed', 'rejected')),
    object_count      integer NOT NULL,
    raw_rows          integer,
    clean_rows        integer,
    quarantined_rows  integer,
    duplicate_rows    integer,
    delta_version     bigint,
    seconds           double precision,
    error             text
);

-- Last Delta version of each silver table copied into Postgres; written in the same transaction
-- as the rows it covers.
CREATE TABLE meta.sync_state (
    table_name        text PRIMARY KEY,
    delta_version     bigint NOT NULL,
    rows_upserted     bigint NOT NULL DEFAULT 0,
    synced_at         timestamptz NOT NULL DEFAULT now()
);
