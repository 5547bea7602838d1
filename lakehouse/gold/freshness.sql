-- How current silver and gold are (one row; see the gold.freshness view).
SELECT
    silver_latest_observed_at,
    silver_last_synced_at,
    gold_latest_observed_at,
    gold_refreshed_at,
    gold_refresh_kind,
    pending_changed_flights
FROM gold.freshness;
