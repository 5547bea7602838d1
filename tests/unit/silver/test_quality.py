"""lakehouse.silver.quality: the Great Expectations gate a silver batch must pass to be published.

Each test runs the real checkpoint of ``expectations/`` on a tiny explicit batch. Validation
results and Data Docs go to a temporary folder, so the demo's site is never touched, and the
versioned project must come out of every run byte for byte unchanged.
"""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from chispa import assert_df_equality
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import types as T

from lakehouse.settings import Settings
from lakehouse.silver import quality
from lakehouse.silver.quality import (
    BATCH_SUITE,
    REFERENCES_SUITE,
    QualityGateFailed,
    QualityResult,
    build_data_docs,
    validate_batch,
    with_reference_flags,
)
from lakehouse.silver.schema import FLIGHTS_CLEAN_SCHEMA

pytestmark = pytest.mark.slow

AIRPORTS = {"LHR", "JFK", "CDG", "AMS"}
AIRLINES = {"BAW", "AFR", "KLM"}
T0 = datetime(2025, 9, 20, 12, 0, 0)


@pytest.fixture(scope="module")
def gate_settings(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The test settings with GX's output (results, Data Docs) in a temporary folder."""
    root = tmp_path_factory.mktemp("quality")
    return dataclasses.replace(
        settings, local_dir=str(root / "local"), data_docs_dir=str(root / "data_docs")
    )


def row(**overrides: Any) -> dict[str, Any]:
    """A valid flights_clean row; tests override only what they are about."""
    base: dict[str, Any] = {
        "flight_id": "3a1b2c4d",
        "observed_at": T0,
        "observed_date": date(2025, 9, 20),
        "icao_24bit": "406A3B",
        "latitude": 51.4706,
        "longitude": -0.461941,
        "heading": 285,
        "altitude_ft": 3500,
        "ground_speed_kt": 160,
        "squawk": "2231",
        "radar": "T-EGLL1",
        "aircraft_type": "A388",
        "registration": "G-XLEA",
        "origin_iata": "LHR",
        "destination_iata": "JFK",
        "flight_number": "BA117",
        "on_ground": 0,
        "vertical_speed_fpm": 1856,
        "callsign": "BAW117",
        "glider": 0,
        "airline_icao": "BAW",
        "origin_airport_name": "London Heathrow Airport",
        "origin_country": "United Kingdom",
        "destination_airport_name": "John F Kennedy International Airport",
        "destination_country": "United States",
        "route_distance_km": 5554.0,
        "heading_out_of_range": False,
        "altitude_out_of_range": False,
        "ground_speed_out_of_range": False,
        "bronze_key": "bronze/2025/09/20/flights_20250920_1200.json",
        "snapshot_time": T0,
        "ingested_at": datetime(2025, 9, 20, 12, 0, 7),
        "silver_batch_id": "batch-test",
    }
    unknown = set(overrides) - set(base)
    assert not unknown, f"not flights_clean columns: {unknown}"
    return {**base, **overrides}


def good_rows() -> list[dict[str, Any]]:
    """Four valid rows: a typical one, the bounds on both sides, and every nullable field null."""
    return [
        row(),
        row(
            flight_id="3a1b2c4e",
            latitude=90.0,
            longitude=-180.0,
            altitude_ft=-2000,
            ground_speed_kt=0,
            heading=0,
            on_ground=1,
            glider=1,
        ),
        row(
            flight_id="3a1b2c4f",
            latitude=-90.0,
            longitude=180.0,
            altitude_ft=60000,
            ground_speed_kt=1200,
            heading=360,
        ),
        row(
            flight_id="3a1b2c50",
            heading=None,
            altitude_ft=None,
            ground_speed_kt=None,
            on_ground=None,
            glider=None,
            origin_iata=None,
            destination_iata=None,
            airline_icao=None,
            heading_out_of_range=True,
            altitude_out_of_range=True,
            ground_speed_out_of_range=True,
        ),
    ]


def frame(spark: SparkSession, rows: list[dict[str, Any]]) -> DataFrame:
    names = FLIGHTS_CLEAN_SCHEMA.fieldNames()
    return spark.createDataFrame([tuple(r[n] for n in names) for r in rows], FLIGHTS_CLEAN_SCHEMA)


def gate(
    spark: SparkSession,
    settings: Settings,
    rows: list[dict[str, Any]],
    *,
    expected_rows: int | None = None,
    airports: set[str] | None = AIRPORTS,
    airlines: set[str] | None = AIRLINES,
    batch_id: str = "batch-test",
) -> QualityResult:
    return validate_batch(
        frame(spark, rows),
        settings=settings,
        batch_id=batch_id,
        expected_rows=len(rows) if expected_rows is None else expected_rows,
        dim_airport_codes=airports,
        dim_airline_codes=airlines,
    )


def tree_digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


# --- the good batch --------------------------------------------------------------------------


def test_good_batch_passes_without_failures_or_warnings(spark, gate_settings):
    result = gate(spark, gate_settings, good_rows(), batch_id="batch-good")

    assert result.passed, result.critical_failures
    assert result.critical_failures == []
    assert result.warnings == []
    batch_stats = result.statistics[BATCH_SUITE]
    assert batch_stats["evaluated_expectations"] == 15
    assert batch_stats["successful_expectations"] == 15
    assert result.statistics[REFERENCES_SUITE]["evaluated_expectations"] == 3
    assert result.statistics["gate"]["rows"] == 4


def test_a_run_writes_nothing_into_the_versioned_project(spark, gate_settings):
    project = Path(gate_settings.expectations_dir)
    before = tree_digest(project)
    quality._context.cache_clear()  # opening the context is part of the run

    gate(spark, gate_settings, good_rows(), batch_id="batch-untouched")

    assert tree_digest(project) == before


def cached_frames(spark: SparkSession) -> int:
    """How many plans Spark holds in its cache (no public API lists them)."""
    return int(spark._jsparkSession.sharedState().cacheManager().cachedData().size())


def test_the_gate_leaves_spark_caches_as_it_found_them(spark, gate_settings):
    """The caller's cache stays; the gate's own copy (for an uncached batch) is released."""
    cached = frame(spark, good_rows()).cache()
    uncached = frame(spark, good_rows())
    before = cached_frames(spark)
    try:
        for df, batch_id in ((cached, "batch-cached"), (uncached, "batch-uncached")):
            result = validate_batch(
                df,
                settings=gate_settings,
                batch_id=batch_id,
                expected_rows=4,
                dim_airport_codes=AIRPORTS,
                dim_airline_codes=AIRLINES,
            )
            assert result.passed
        assert cached.storageLevel.useMemory
        assert cached_frames(spark) == before
    finally:
        cached.unpersist()


# --- critical failures -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rows", "expected_rows", "expectation"),
    [
        pytest.param(
            [*good_rows(), row(bronze_key="bronze/2025/09/20/flights_20250920_1215.json")],
            None,
            "expect_compound_columns_to_be_unique(flight_id, observed_at)",
            id="duplicate-key",
        ),
        pytest.param(
            [*good_rows(), row(flight_id=None)],
            None,
            "expect_column_values_to_not_be_null(flight_id)",
            id="null-flight-id",
        ),
        pytest.param(
            [*good_rows(), row(flight_id="3a1b2c51", latitude=90.000001)],
            None,
            "expect_column_values_to_be_between(latitude)",
            id="latitude-just-above-90",
        ),
        pytest.param(
            [*good_rows(), row(flight_id="3a1b2c51", glider=2)],
            None,
            "expect_column_values_to_be_in_set(glider)",
            id="glider-not-0-or-1",
        ),
        pytest.param(
            good_rows(),
            5,
            "expect_table_row_count_to_equal",
            id="row-count-differs-from-ledger",
        ),
    ],
)
def test_bad_batch_fails_naming_the_one_broken_expectation(
    spark, gate_settings, rows, expected_rows, expectation
):
    result = gate(spark, gate_settings, rows, expected_rows=expected_rows, batch_id="batch-bad")

    assert not result.passed
    assert len(result.critical_failures) == 1, result.critical_failures
    assert result.critical_failures[0].startswith(f"{BATCH_SUITE}: {expectation}:")
    assert result.statistics[BATCH_SUITE]["unsuccessful_expectations"] == 1


def test_failure_messages_say_what_was_observed(spark, gate_settings):
    rows = [
        *good_rows(),
        row(flight_id=None),
        row(radar="T-EGLL2"),  # the first row's key again
        row(flight_id="3a1b2c51", longitude=-180.5, altitude_ft=60001),
    ]

    result = gate(spark, gate_settings, rows, expected_rows=9, batch_id="batch-messages")

    assert sorted(result.critical_failures) == [
        f"{BATCH_SUITE}: expect_column_values_to_be_between(altitude_ft): "
        "1 of 6 non-null values unexpected (16.67%), expected in [-2000, 60000], e.g. [60001]",
        f"{BATCH_SUITE}: expect_column_values_to_be_between(longitude): "
        "1 of 7 non-null values unexpected (14.29%), expected in [-180, 180], e.g. [-180.5]",
        f"{BATCH_SUITE}: expect_column_values_to_not_be_null(flight_id): "
        "1 of 7 rows unexpected (14.29%)",
        f"{BATCH_SUITE}: expect_compound_columns_to_be_unique(flight_id, observed_at): "
        "2 of 7 rows unexpected (28.57%), "
        "e.g. [{'flight_id': '3a1b2c4d', 'observed_at': '2025-09-20 12:00:00'}]",
        f"{BATCH_SUITE}: expect_table_row_count_to_equal: observed 7, expected 9",
    ]


def test_gate_failure_exception_lists_failures_and_the_data_docs(spark, gate_settings):
    result = gate(spark, gate_settings, good_rows(), expected_rows=3, batch_id="batch-raise")

    error = QualityGateFailed(result)

    assert "batch-raise" in str(error)
    assert "expect_table_row_count_to_equal: observed 4, expected 3" in str(error)
    assert str(Path(gate_settings.data_docs_dir) / "index.html") in str(error)


# --- references: warnings, never blocking ----------------------------------------------------


def test_unknown_airport_codes_above_five_percent_warn_but_pass(spark, gate_settings):
    rows = [*good_rows(), row(flight_id="3a1b2c51", origin_iata="XXX")]

    result = gate(spark, gate_settings, rows, batch_id="batch-unknown-airport")

    assert result.passed
    assert len(result.warnings) == 1, result.warnings
    assert result.warnings == [
        f"{REFERENCES_SUITE}: expect_column_values_to_be_in_set(origin_iata_in_dim_airport): "
        "1 of 4 non-null values unexpected (25.00%), allowed 5%, expected in [True]"
    ]


def test_missing_codes_are_not_counted_as_unknown(spark, gate_settings):
    rows = [row(flight_id=f"f{i}", origin_iata=None, airline_icao=None) for i in range(3)]

    result = gate(spark, gate_settings, rows, batch_id="batch-null-codes")

    assert result.passed
    assert result.warnings == []


def test_without_dimensions_the_reference_check_is_reported_as_skipped(spark, gate_settings):
    rows = [*good_rows(), row(flight_id="3a1b2c51", origin_iata="XXX", airline_icao="ZZZ")]

    result = gate(spark, gate_settings, rows, airports=None, airlines=None, batch_id="batch-nodim")

    assert result.passed
    assert result.warnings == [
        f"{REFERENCES_SUITE}: dim_airport codes not provided; "
        "destination_iata, origin_iata not checked",
        f"{REFERENCES_SUITE}: dim_airline codes not provided; airline_icao not checked",
    ]


def test_reference_flags_are_null_where_the_code_is_null(spark):
    df = spark.createDataFrame(
        [("LHR", "XXX", "BAW"), (None, "JFK", None)],
        "origin_iata string, destination_iata string, airline_icao string",
    )

    # a dimension collected with a null code must not break the lookup
    flagged = with_reference_flags(df, {*AIRPORTS, None}, None)

    expected = spark.createDataFrame(
        [("LHR", "XXX", "BAW", True, False, None), (None, "JFK", None, None, True, None)],
        T.StructType(
            [
                *df.schema.fields,
                T.StructField("origin_iata_in_dim_airport", T.BooleanType()),
                T.StructField("destination_iata_in_dim_airport", T.BooleanType()),
                T.StructField("airline_icao_in_dim_airline", T.BooleanType()),
            ]
        ),
    )
    assert_df_equality(flagged, expected, ignore_nullable=True, ignore_row_order=True)


# --- Data Docs -------------------------------------------------------------------------------


def test_data_docs_index_exists_after_a_run_and_shows_the_suites(spark, gate_settings):
    result = gate(spark, gate_settings, good_rows(), batch_id="batch-docs")

    index = result.data_docs_index
    assert index == Path(gate_settings.data_docs_dir) / "index.html"
    html = index.read_text()
    assert BATCH_SUITE in html
    assert REFERENCES_SUITE in html
    assert "batch-docs" in html  # the run is listed under the batch id
    pages = list((index.parent / "validations" / BATCH_SUITE).rglob("*.html"))
    assert any("batch-docs" in str(p) for p in pages)


def test_build_data_docs_recreates_a_deleted_site(spark, gate_settings):
    gate(spark, gate_settings, good_rows(), batch_id="batch-rebuild")
    index = Path(gate_settings.data_docs_dir) / "index.html"
    index.unlink()

    assert build_data_docs(gate_settings) == index
    assert "batch-rebuild" in index.read_text()
