"""`lakehouse ingest`: one slot or a range, a line per snapshot, a summary, an honest exit code."""

from __future__ import annotations

import pytest
from bronze_helpers import ledger_rows, stored_objects

from lakehouse.cli import main
from lakehouse.settings import get_settings

pytestmark = pytest.mark.integration


@pytest.fixture
def cli_env(bronze_settings, monkeypatch):
    """The CLI reads settings from the environment, like in production."""
    monkeypatch.setenv("LAKEHOUSE_BRONZE_PREFIX", bronze_settings.bronze_prefix)
    monkeypatch.setenv(
        "LAKEHOUSE_SIMULATOR_PEAK_AIRBORNE", str(bronze_settings.simulator_peak_airborne)
    )
    get_settings.cache_clear()
    yield bronze_settings
    monkeypatch.undo()
    get_settings.cache_clear()


def test_ingest_at_lands_one_snapshot_and_prints_its_line(cli_env, s3, pg, capsys):
    assert main(["ingest", "--at", "2025-09-20T12:00Z", "--source", "simulator"]) == 0
    lines = capsys.readouterr().out.splitlines()
    key = f"{cli_env.bronze_prefix}/2025/09/20/flights_20250920_1200.json"
    assert len(lines) == 2
    assert lines[0].startswith(f"[1/1] {key}  landed") and " flights " in lines[0]
    assert lines[1].startswith("1 snapshot(s) 2025-09-20T12:00:00Z..2025-09-20T12:15:00Z")
    assert "1 landed, 0 already landed, 0 failed; 1 ledger row(s) added" in lines[1]
    assert list(ledger_rows(pg, cli_env.bronze_prefix)) == [key]


def test_ingest_range_prints_progress_per_slot_and_a_rerun_lands_nothing(cli_env, s3, capsys):
    argv = ["ingest", "--from", "2025-09-20T23:30Z", "--to", "2025-09-21"]
    assert main(argv) == 0
    first = capsys.readouterr().out.splitlines()
    assert [line[:6] for line in first[:2]] == ["[1/2] ", "[2/2] "]
    assert first[0].split()[1].endswith("flights_20250920_2330.json")
    assert first[1].split()[1].endswith("flights_20250920_2345.json")
    assert "2 landed" in first[2] and "s per snapshot)" in first[2]
    before = stored_objects(s3, cli_env.bucket, cli_env.bronze_prefix)

    assert main(argv) == 0
    second = capsys.readouterr().out.splitlines()
    assert all("already landed" in line for line in second[:2])
    assert "0 landed, 2 already landed, 0 failed; 0 ledger row(s) added" in second[2]
    assert stored_objects(s3, cli_env.bucket, cli_env.bronze_prefix) == before


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--at", "2025-09-20T12:05Z"], "not on the 0:15:00 snapshot grid"),
        (["--at", "2025-09-20T12:00"], "has no zone"),
        (["--from", "2025-09-20T12:00Z"], "give --at, or --from with --to"),
        (["--from", "2025-09-20T12:00Z", "--to", "2025-09-20T12:00Z"], "--to must be after"),
    ],
)
def test_ingest_refuses_times_off_the_grid_zoneless_or_empty(cli_env, s3, argv, message):
    with pytest.raises(SystemExit, match=message):
        main(["ingest", *argv])
    assert stored_objects(s3, cli_env.bucket, cli_env.bronze_prefix) == {}
