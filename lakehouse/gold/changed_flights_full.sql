-- Full rebuild: every flight in silver counts as changed.
CREATE TEMP TABLE refresh_changed_flights ON COMMIT DROP AS
SELECT DISTINCT flight_id
FROM silver.flights_clean;

ALTER TABLE refresh_changed_flights ADD PRIMARY KEY (flight_id);
ANALYZE refresh_changed_flights;
