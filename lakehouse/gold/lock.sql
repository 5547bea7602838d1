-- Serialise refreshes. Must be the transaction's first statement: LOCK takes no snapshot, so the
-- REPEATABLE READ snapshot is taken by the next statement, after any earlier refresh committed.
-- SHARE ROW EXCLUSIVE conflicts with itself but not with readers of the ledger.
LOCK TABLE meta.gold_refresh IN SHARE ROW EXCLUSIVE MODE;
