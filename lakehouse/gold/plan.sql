-- What this refresh must do. The first query of the transaction: it fixes the snapshot that
-- every later step (change log, silver, gold) reads.
SELECT
    EXISTS(SELECT 1 FROM meta.gold_refresh) AS refreshed_before,
    EXISTS(
        SELECT 1
        FROM meta.flights_clean_changes
        WHERE flight_id IS NULL
    ) AS silver_truncated;
