"""bench/results/latest.json and docs/benchmarks.md from one run's results."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "latest.json"
DOC = ROOT / "docs" / "benchmarks.md"


def write_json(results: dict[str, Any], path: Path = RESULTS) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, sort_keys=False) + "\n")
    return path


def _verdict(ok: bool) -> str:
    return "meets" if ok else "**misses**"


def summary_rows(r: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(measure, figure, kind, target) for the doc's table and the console."""
    b = r["bronze"]
    g = r["growth"]
    ratio = g["large_over_small"]
    f = r["freshness"]
    s = r["sync_vs_copy"]
    m = r["memory_during_largest_backfill"]
    rows = [
        (
            "Bronze, simulator: s per snapshot",
            f"{b['simulator']['seconds_per_snapshot']:.3f} s",
            "absolute",
            "-",
        ),
        (
            "Bronze, FR24 client -> local server: s per snapshot",
            f"{b['fr24_local_server']['seconds_per_snapshot']:.3f} s",
            "absolute",
            "-",
        ),
        (
            "Bronze: bytes per snapshot",
            f"{b['simulator']['bytes_per_snapshot'] / 1e3:,.0f} kB "
            f"({b['simulator']['flights_per_snapshot']:,} raw rows)",
            "absolute (deterministic)",
            "-",
        ),
    ]
    for stage, label in (
        ("silver_s", "silver batch"),
        ("sync_s", "Postgres sync"),
        ("gold_s", "gold refresh"),
        ("total_s", "all three"),
    ):
        small = g["small_history"]["one_snapshot"][stage]
        large = g["large_history"]["one_snapshot"][stage]
        rows.append(
            (
                f"Growth, one new snapshot, {label}: H2/H1",
                f"{ratio[stage]:.2f} ({large:.2f} s / {small:.2f} s)",
                "ratio",
                f"<= 1.3: {_verdict(ratio[stage] <= 1.3)}",
            )
        )
    rows += [
        (
            "Sync rows/s over COPY rows/s",
            f"{s['sync_over_copy']:.2f} ({s['sync']['rows_per_s']:,.0f} / "
            f"{s['copy']['rows_per_s']:,.0f} rows/s, {s['sync']['rows']:,} rows)",
            "ratio",
            f">= 0.5: {_verdict(s['sync_over_copy'] >= 0.5)}",
        ),
        (
            "Freshness, land -> gold, measured (pipeline run back to back)",
            f"{f['measured_land_to_gold_s']:.1f} s",
            "absolute",
            f"< 120 s: {_verdict(f['measured_land_to_gold_s'] < 120)}",
        ),
        (
            "Freshness, + silver sensor poke (worst)",
            f"{f['with_silver_sensor_worst_s']:.1f} s",
            "absolute + documented",
            f"< 120 s: {_verdict(f['with_silver_sensor_worst_s'] < 120)}",
        ),
        (
            "Freshness as shipped, + hourly gold schedule (worst)",
            f"{f['as_shipped_worst_s']:.0f} s",
            "absolute + documented",
            f"< 120 s: {_verdict(f['as_shipped_worst_s'] < 120)}",
        ),
    ]
    for p in r["peer"]:
        rows.append(
            (
                f"Peer, Spark/DuckDB time, {p['label']} ({p['raw']:,} raw rows)",
                f"{p['spark_over_duckdb']:.1f}x ({p['spark_s']:.1f} s / {p['duckdb_s']:.2f} s)",
                "ratio",
                "-",
            )
        )
    rows += [
        (
            "Peak RSS, Spark driver JVM (largest backfill)",
            f"{m['spark_driver_jvm_peak_rss_mb']:,.0f} MB",
            "absolute",
            "-",
        ),
        (
            "Peak PSS, Postgres, all processes (largest backfill)",
            f"{m['postgres_peak_pss_mb']:,.0f} MB",
            "absolute",
            "-",
        ),
    ]
    if "optimisation" in r:
        o = r["optimisation"]
        for size, speedup in o["speedup_over_shipped"].items():
            rows.append(
                (
                    f"JDBC batch {int(size):,} vs shipped {o['shipped']['jdbc_batch_size']:,}: "
                    "sync rows/s",
                    f"{speedup:.2f}x",
                    "ratio",
                    "-",
                )
            )
    return rows  # fmt: skip


def summary_lines(r: dict[str, Any]) -> list[str]:
    rows = summary_rows(r)
    width = max(len(row[0]) for row in rows)
    return [f"{a:<{width}}  {b}  [{c}; {d}]" for a, b, c, d in rows]


def write_markdown(r: dict[str, Any], path: Path = DOC) -> Path:
    path.write_text(render_markdown(r))
    return path


def render_markdown(r: dict[str, Any]) -> str:
    sc = r["scale"]
    mach = r["machine"]
    f = r["freshness"]
    g = r["growth"]
    table = ["| Measure | Figure | Kind | Target |", "| --- | --- | --- | --- |"]
    table += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in summary_rows(r)]
    hist = (
        f"H1 = {sc['small_days']} simulated day(s) "
        f"({g['small_history']['one_snapshot']['history_rows']:,} silver rows), "
        f"H2 = {sc['large_days']} days "
        f"({g['large_history']['one_snapshot']['history_rows']:,} silver rows)"
    )
    return f"""# Benchmarks

Generated by `make bench` (`python -m bench`) on {r["finished_at"]}; run `{r["run_id"]}`, the
raw figures are in `bench/results/latest.json` (git-ignored). Re-run it to refresh this page.

## The command

```
make bench                      # = .venv/bin/python -m bench  (services started first)
python -m bench --quick         # a tiny run, a few minutes
python -m bench --scale 2000 --days 6 --snapshots-per-day 8
```

## The machine

{mach["cpus"]} cores ({mach["cpu_model"]}), {mach["memory_gb"]} GB, {mach["platform"]}, Python
{mach["python"]}. **Shared**: other engineers ran test suites on it at the same time; the load
average was {mach["load_average_at_start"]} at the start and {mach["load_average_at_end"]} at
the end (1/5/15 min). Absolute seconds are therefore noisy and labelled *absolute*; the figures
to trust are the *ratios*, each against a baseline measured in the same run, minutes apart.

## Scale: what was measured, and what was not

The issue's target scale (12,000 airborne flights, 96 snapshots a day, 30 days of history) does
not fit a shared 2-core machine in the twenty minutes `make bench` may take. This run used
**peak {sc["peak_airborne"]:,} airborne flights** (the simulator's daily peak; a snapshot holds
fewer at night), **{sc["snapshots_per_day"]} snapshots per simulated day**, and histories of
{hist}. Nothing here is extrapolated to the target scale: the growth ratio says how the cost of
one snapshot moves when history grows {sc["large_days"] // sc["small_days"]}x at this size, no more.

## Results

{chr(10).join(table)}

## How each figure is measured

- **Bronze**: `ingest_snapshot` (fetch, conditional-create write to versitygw, ledger insert),
  median of {r["bronze"]["simulator"]["snapshots"]} snapshots per source: the in-process
  simulator, and the real FlightRadarAPI client with our retry and tiling policy talking HTTP to
  `lakehouse.bronze.fr24_server` on loopback ({r["bronze"]["fr24_local_server"]["http_requests"]}
  feed requests in all). Real FR24 adds internet latency that cannot be measured here.
- **Growth**: silver is filled to H1 in one large batch, then {sc["growth_repeats"]} new
  snapshot(s) are processed one at a time (silver job batch with `job.run`, `sync_all`,
  `refresh_gold`, each timed, median kept); then history is extended to H2 and the same is
  repeated. Ratio = H2 cost / H1 cost per stage, target at most 1.3.
- **Sync vs limit**: `flights_clean` in Postgres is emptied and `sync_table` reloads the whole
  Delta table (Spark read, JDBC into staging, upsert in one transaction). The limit: psycopg
  binary `COPY` of the same rows into a scratch table with the same columns and primary key
  (COPY FROM timed alone, rows read out beforehand).
- **Freshness**: a snapshot lands, then the silver job is `spark-submit`ted as the DAG does
  (a new JVM, `local[2]`, the rendered `conf/spark-defaults.conf`) through
  `bench/freshness_job.py`, which runs `job.run` and `sync_all` and prints time marks; then
  `refresh_gold` runs. Components: JVM start to session ready {f["jvm_start_to_session_s"]:.1f}
  s, Spark work {f["spark_work_s"]:.1f} s, sync {f["sync_s"]:.1f} s, gold {f["gold_s"]:.1f} s
  (JVM shutdown after the sync, {f["jvm_shutdown_s"]:.1f} s, is off the critical path). The
  scheduler is not run; its latencies are added from the DAGs as shipped: the silver S3 sensor
  pokes every {f["silver_sensor_poke_worst_s"]} s (`dags/flights_silver_process.py`), and the
  gold DAG runs `@hourly` (`LAKEHOUSE_GOLD_SCHEDULE`), so gold can lag silver by up to
  {f["gold_schedule_worst_s"]} s before its refresh starts. Meeting the 120 s target needs
  gold triggered by silver's asset (or a schedule of a minute or two), not a faster engine.
- **Peer**: the bronze files of H1 and of H2 are copied to a temp folder; Spark (the project's
  parse, clean and dedupe transforms, same session) and DuckDB (the contract's rules in SQL,
  `bench/peer.py`) each compute raw / clean / quarantined / duplicate counts and
  `daily_flight_counts`; the run fails unless both give identical answers. DuckDB is a single
  process with no JVM, no Delta log and no S3A, which is most of the gap at these volumes.
- **Memory**: psutil samples every 0.5 s during the H2 backfill: RSS of the Spark driver JVM
  (child of the bench process), and PSS summed over the Postgres processes (RSS summed would
  count the shared buffer pool once per backend:
  {r["memory_during_largest_backfill"]["postgres_peak_rss_sum_mb"]:,.0f} MB).
- **Optimisation**: the same full reload run with other `JDBC_BATCH_SIZE` values (the module
  constant, set for the run and restored), against the shipped value measured just before.
"""
