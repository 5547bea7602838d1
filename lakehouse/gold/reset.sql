-- Full rebuild only: forget every gold row. DELETE, not TRUNCATE, so BI readers keep seeing the
-- previous rows until the rebuild commits instead of waiting on an exclusive lock.
DELETE FROM gold.busiest_routes;
DELETE FROM gold.average_speed_by_airline;
DELETE FROM gold.daily_flight_counts;
DELETE FROM gold.flights;
