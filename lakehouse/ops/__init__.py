"""Operator tooling behind the `lakehouse` CLI: status, spark-submit runs, the demo."""
