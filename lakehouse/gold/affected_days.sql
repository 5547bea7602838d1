-- The flight_dates to recompute: the dates the changed flights had before this refresh (late data
-- can move a flight to an earlier date, which must then lose it) and the dates they have now.
CREATE TEMP TABLE refresh_days ON COMMIT DROP AS
SELECT f.flight_date
FROM gold.flights AS f
INNER JOIN refresh_changed_flights AS changed ON f.flight_id = changed.flight_id
UNION
SELECT flight_date
FROM refresh_flights;

ALTER TABLE refresh_days ADD PRIMARY KEY (flight_date);
ANALYZE refresh_days;
