-- Mark the changes as handled. Under REPEATABLE READ this deletes only the log rows this
-- refresh's snapshot saw; rows from a sync that committed meanwhile stay for the next refresh.
DELETE FROM meta.flights_clean_changes;
