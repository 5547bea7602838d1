-- Serialise refreshes. Must be the transaction's first statement: LOCK takes no snapshot, so the
-- REPEATABLE READ snapshot is taken by the next statement, after any earlier refresh committed.
-- SHARE ROW EXCLUSIVE conflicts with itself but not with readers of the ledger.
LOCK TABLE meta.gold_refresh IN SHARE ROW EXCLUSIVE MODE;

-- A refresh probes small key sets (the changed flights, the affected days) in tables that grow
-- with history, and those tables are memory-resident. Priced with the default random_page_cost
-- (4.0, a spinning disk), index probes lost to hash joins over whole tables, so the cost of one
-- incremental refresh grew with history (docs/benchmarks.md, "gold growth"). For this transaction
-- only: no server setting is assumed or changed.
SET LOCAL random_page_cost = 1.1;
