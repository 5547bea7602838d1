"""Gold: the answers analysts query, built in Postgres from silver by the SQL files in this folder.

``refresh`` runs them (only the days that changed, in one transaction), ``freshness`` tells the
DAG whether silver and gold are current, ``report`` reads the top rows for the CLI. The metric
definitions are in docs/metrics.md.
"""
