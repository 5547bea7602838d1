-- The flights written in silver since the last refresh, as logged by the triggers on
-- silver.flights_clean (only log rows committed before this transaction's snapshot are visible).
CREATE TEMP TABLE refresh_changed_flights ON COMMIT DROP AS
SELECT DISTINCT flight_id
FROM meta.flights_clean_changes
WHERE flight_id IS NOT NULL;

ALTER TABLE refresh_changed_flights ADD PRIMARY KEY (flight_id);
ANALYZE refresh_changed_flights;
