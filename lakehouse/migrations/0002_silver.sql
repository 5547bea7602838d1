-- Postgres copies of the silver Delta tables (see docs/data-contracts.md), and their staging
-- tables: the sync lands a change set in staging over JDBC, then upserts it in one transaction.

CREATE TABLE silver.flights_clean (
    flight_id                  text NOT NULL,
    observed_at                timestamptz NOT NULL,
    observed_date              date NOT NULL,
    icao_24bit                 text,
    latitude                   double precision NOT NULL,
    longitude                  double precision NOT NULL,
    heading                    integer,
    altitude_ft                integer,
    ground_speed_kt            integer,
    squawk                     text,
    radar                      text,
    aircraft_type              text,
    registration               text,
    origin_iata                text,
    destination_iata           text,
    flight_number              text,
    on_ground                  smallint,
    vertical_speed_fpm         integer,
    callsign                   text,
    glider                     smallint,
    airline_icao               text,
    origin_airport_name        text,
    origin_country             text,
    destination_airport_name   text,
    destination_country        text,
    route_distance_km          double precision,
    heading_out_of_range       boolean NOT NULL DEFAULT false,
    altitude_out_of_range      boolean NOT NULL DEFAULT false,
    ground_speed_out_of_range  boolean NOT NULL DEFAULT false,
    bronze_key                 text NOT NULL,
    snapshot_time              timestamptz NOT NULL,
    ingested_at                timestamptz,
    silver_batch_id            text NOT NULL,
    PRIMARY KEY (flight_id, observed_at)
);

CREATE INDEX flights_clean_observed_date_idx ON silver.flights_clean (observed_date);
CREATE INDEX flights_clean_origin_idx ON silver.flights_clean (origin_iata) WHERE origin_iata IS NOT NULL;
CREATE INDEX flights_clean_destination_idx
    ON silver.flights_clean (destination_iata) WHERE destination_iata IS NOT NULL;
CREATE INDEX flights_clean_airline_idx ON silver.flights_clean (airline_icao) WHERE airline_icao IS NOT NULL;

CREATE TABLE silver.dim_airport (
    iata       text PRIMARY KEY,
    icao       text,
    name       text,
    city       text,
    country    text,
    latitude   double precision,
    longitude  double precision,
    tz         text
);

CREATE TABLE silver.dim_airline (
    icao     text PRIMARY KEY,
    iata     text,
    name     text,
    country  text
);

-- Staging tables: same columns plus the change type from the Delta change data feed.
CREATE TABLE silver.flights_clean_staging (LIKE silver.flights_clean);
ALTER TABLE silver.flights_clean_staging ADD COLUMN change_type text NOT NULL DEFAULT 'upsert';
CREATE TABLE silver.dim_airport_staging (LIKE silver.dim_airport);
ALTER TABLE silver.dim_airport_staging ADD COLUMN change_type text NOT NULL DEFAULT 'upsert';
CREATE TABLE silver.dim_airline_staging (LIKE silver.dim_airline);
ALTER TABLE silver.dim_airline_staging ADD COLUMN change_type text NOT NULL DEFAULT 'upsert';
