"""The silver quality gate: Great Expectations suites run on a batch before it is published.

Write, audit, publish: the silver job builds a batch, hands it to :func:`validate_batch`, and
publishes only when ``QualityResult.passed``. Otherwise it raises :class:`QualityGateFailed`,
leaves silver untouched and marks the ledger. The gate itself never raises on a failed
expectation, because deciding what a failure costs is the job's business, not the validator's.

The GX project lives in ``expectations/`` (settings.expectations_dir) and is versioned whole:
suites, validation definitions and the one checkpoint. Nothing in it is written at run time.
The two volatile outputs are pointed elsewhere through the context's runtime environment:
validation results go to ``<local_dir>/gx/validations`` and the Data Docs site to
``settings.data_docs_dir``. Suites that depend on run-time values (the ledger's row count) use
GX suite parameters (``{"$PARAMETER": ...}``), so the suite files stay static.

Reference checks (airport and airline codes known to the dimensions) are evaluated as boolean
columns added here (:func:`with_reference_flags`) and validated with a static suite, rather than
by writing the thousands of dimension codes into an expectation: the suite file stays
versionable, the Data Docs stay readable, and Spark evaluates each lookup as one broadcast hash
join.

GX is used for suites, checkpoints and Data Docs only. On Spark it does not return failing row
indexes; the row-level rules that route rows to the quarantine are Spark columns in
``lakehouse.silver.clean``.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from lakehouse.settings import Settings

if TYPE_CHECKING:
    from great_expectations.core.expectation_validation_result import (
        ExpectationSuiteValidationResult,
        ExpectationValidationResult,
    )
    from great_expectations.data_context import FileDataContext

# GX 1.x reads this when a context is created; the project file says the same.
os.environ["GX_ANALYTICS_ENABLED"] = "false"

log = logging.getLogger(__name__)

CHECKPOINT = "flights_clean_gate"
BATCH_SUITE = "flights_clean_batch"
REFERENCES_SUITE = "flights_clean_references"
DATA_DOCS_SITE = "local_site"

#: Flag column -> (code column, dimension), the columns :func:`with_reference_flags` adds.
REFERENCE_FLAGS: dict[str, tuple[str, str]] = {
    "origin_iata_in_dim_airport": ("origin_iata", "dim_airport"),
    "destination_iata_in_dim_airport": ("destination_iata", "dim_airport"),
    "airline_icao_in_dim_airline": ("airline_icao", "dim_airline"),
}

_CRITICAL = "critical"


class QualityGateFailed(RuntimeError):
    """A batch failed a critical expectation: it must not be published."""

    def __init__(self, result: QualityResult) -> None:
        self.result = result
        lines = "\n".join(f"  - {failure}" for failure in result.critical_failures)
        super().__init__(
            f"silver batch {result.batch_id} failed {len(result.critical_failures)} critical "
            f"expectation(s); it was not published:\n{lines}\n"
            f"Open the Data Docs for details: {result.data_docs_index}"
        )


@dataclass(frozen=True)
class QualityResult:
    """What the gate found, in the terms the job logs and the ledger records."""

    batch_id: str
    passed: bool
    critical_failures: list[str]
    warnings: list[str]
    #: Per suite: evaluated, successful, unsuccessful expectations and success percent; plus
    #: ``gate``: rows validated and seconds spent.
    statistics: dict[str, dict[str, float]] = field(default_factory=dict)
    data_docs_index: Path = Path()

    def summary(self) -> str:
        """One log line: verdict, counts and where to look."""
        verdict = "passed" if self.passed else "FAILED"
        gate = self.statistics.get("gate", {})
        return (
            f"quality gate {verdict} for batch {self.batch_id}: "
            f"{int(gate.get('rows', 0))} rows, {len(self.critical_failures)} critical failure(s), "
            f"{len(self.warnings)} warning(s), {gate.get('seconds', 0.0):.1f}s; "
            f"Data Docs: {self.data_docs_index}"
        )


def validations_dir(settings: Settings) -> Path:
    """Where GX keeps validation results: local runtime state, never the repository."""
    return Path(settings.local_dir) / "gx" / "validations"


def data_docs_index(settings: Settings) -> Path:
    """The page a reviewer opens in a browser."""
    return Path(settings.data_docs_dir) / "index.html"


#: Serialises the first opening of a context (see :func:`open_context_in_background`).
_CONTEXT_LOCK = threading.Lock()


def get_context(settings: Settings) -> FileDataContext:
    """The file-mode GX context of ``expectations/``, with its output folders resolved.

    Cached per process and per set of folders: opening a context parses the project and its
    stores, which is worth doing once per job, not once per batch. Thread-safe: a caller waits
    for a context that :func:`open_context_in_background` is still opening.
    """
    with _CONTEXT_LOCK:
        return _context(
            str(Path(settings.expectations_dir).resolve()),
            str(Path(settings.data_docs_dir).resolve()),
            str(validations_dir(settings).resolve()),
        )


def open_context_in_background(settings: Settings) -> threading.Thread:
    """Start opening the GX context on a daemon thread; the gate later finds it cached.

    Importing Great Expectations and opening the project takes about 10 s of pure Python; the
    silver job meanwhile waits on the JVM (Delta set-up, reading bronze), so the two overlap.
    A failure here is not reported: the gate's own :func:`get_context` raises it again.
    """

    def open_quietly() -> None:
        try:
            get_context(settings)
        except Exception:  # re-raised by the gate's own call
            log.debug("opening the GX context in the background failed", exc_info=True)

    thread = threading.Thread(target=open_quietly, name="gx-context", daemon=True)
    thread.start()
    return thread


@lru_cache(maxsize=4)
def _context(expectations_dir: str, docs_dir: str, results_dir: str) -> FileDataContext:
    import great_expectations as gx

    if not (Path(expectations_dir) / "great_expectations.yml").is_file():
        # Without this check GX would scaffold a fresh, empty project there.
        raise FileNotFoundError(
            f"no great_expectations.yml in {expectations_dir}; point LAKEHOUSE_EXPECTATIONS_DIR "
            "at the project's expectations/ folder"
        )
    Path(docs_dir).mkdir(parents=True, exist_ok=True)
    Path(results_dir).mkdir(parents=True, exist_ok=True)
    context = gx.get_context(
        mode="file",
        context_root_dir=expectations_dir,
        runtime_environment={
            "LAKEHOUSE_DATA_DOCS_DIR": docs_dir,
            "gx_validations_dir": results_dir,
        },
    )
    # Analytics stay off through the project file and GX_ANALYTICS_ENABLED above; never call
    # context.enable_analytics() here: it rewrites great_expectations.yml.
    return context


def with_reference_flags(
    df: DataFrame,
    airport_codes: Iterable[str | None] | None,
    airline_codes: Iterable[str | None] | None,
) -> DataFrame:
    """Add the ``*_in_dim_*`` flags the references suite validates.

    A flag is null where the code is null (nothing to check), so "where known" falls out of GX
    ignoring nulls. Without a dimension the flags are all null and the check is skipped; the
    gate reports that as a warning instead of passing silently.

    Each lookup is a broadcast join against a one-column frame of the known codes, not
    ``Column.isin(codes)``: PySpark builds an ``isin`` literal by literal over Py4J (about 18,000
    calls, 17 s for the two dimensions), and every one of GX's metric queries then re-analysed
    a plan holding all of them. The join makes one hash table of the codes.
    """
    known = {
        "dim_airport": _code_frame(df.sparkSession, airport_codes),
        "dim_airline": _code_frame(df.sparkSession, airline_codes),
    }
    for flag, (column, dimension) in REFERENCE_FLAGS.items():
        df = _flag_known(df, column, flag, known[dimension])
    return df


def _code_frame(spark: SparkSession, codes: Iterable[str | None] | None) -> DataFrame | None:
    if codes is None:
        return None
    # A dimension read with collect() may carry a null code; it matches nothing anyway.
    distinct = sorted({c for c in codes if c is not None})
    return spark.createDataFrame([(c,) for c in distinct], "code string")


def _flag_known(df: DataFrame, column: str, flag: str, known: DataFrame | None) -> DataFrame:
    if known is None:
        return df.withColumn(flag, F.lit(None).cast("boolean"))
    hit = f"_{flag}_match"
    codes = F.broadcast(known.select(F.col("code").alias(hit)))
    code = F.col(column)
    return (
        df.join(codes, code == F.col(hit), "left")
        .withColumn(
            flag,
            F.when(code.isNull(), F.lit(None).cast("boolean")).otherwise(F.col(hit).isNotNull()),
        )
        .drop(hit)
    )


def validate_batch(
    df: DataFrame,
    *,
    settings: Settings,
    batch_id: str,
    expected_rows: int,
    dim_airport_codes: set[str] | None,
    dim_airline_codes: set[str] | None,
) -> QualityResult:
    """Run the gate's checkpoint on one batch of ``flights_clean`` rows and rebuild Data Docs.

    ``expected_rows`` is the clean count the batch accounting predicts (raw - quarantined -
    duplicates); the batch must hold exactly that many rows. Returns the verdict and never
    raises for a failed expectation; the caller raises :class:`QualityGateFailed` when
    ``passed`` is false.
    """
    started = time.monotonic()
    context = get_context(settings)
    checkpoint = context.checkpoints.get(CHECKPOINT)
    batch = with_reference_flags(df, dim_airport_codes, dim_airline_codes)

    from great_expectations.core.run_identifier import RunIdentifier

    # The run time only names the result in the Data Docs; the batch id is the run's name.
    run_id = RunIdentifier(run_name=batch_id, run_time=datetime.now(UTC))
    # GX runs ~20 Spark jobs over the batch. Its own persist is off (great_expectations.yml): it
    # would never release its copy. The flagged batch is cached here, for the run only, so the
    # reference joins run once rather than once per metric; the caller's cache is left alone.
    batch = batch.persist()
    try:
        outcome = checkpoint.run(
            batch_parameters={"dataframe": batch},
            expectation_parameters={"expected_rows": int(expected_rows)},
            run_id=run_id,
        )
    finally:
        batch.unpersist()

    critical: list[str] = []
    warnings: list[str] = []
    statistics: dict[str, dict[str, float]] = {}
    rows = 0
    for suite_result in outcome.run_results.values():
        statistics[suite_result.suite_name] = _suite_statistics(suite_result)
        for expectation_result in suite_result.results:
            rows = max(rows, _row_count(expectation_result))
            if expectation_result.success:
                continue
            message = f"{suite_result.suite_name}: {describe_failure(expectation_result)}"
            if _severity(expectation_result) == _CRITICAL:
                critical.append(message)
            else:
                warnings.append(message)
    warnings += _skipped_reference_checks(dim_airport_codes, dim_airline_codes)
    statistics["gate"] = {"rows": float(rows), "seconds": round(time.monotonic() - started, 3)}

    quality = QualityResult(
        batch_id=batch_id,
        passed=not critical,
        critical_failures=critical,
        warnings=warnings,
        statistics=statistics,
        data_docs_index=data_docs_index(settings),
    )
    (log.info if quality.passed else log.error)(quality.summary())
    for line in critical + warnings:
        log.warning("  %s", line)
    return quality


def _skipped_reference_checks(
    airport_codes: set[str] | None, airline_codes: set[str] | None
) -> list[str]:
    """Name the checks a missing dimension turned off, so that they do not pass unnoticed."""
    skipped = []
    for dimension, codes in (("dim_airport", airport_codes), ("dim_airline", airline_codes)):
        if codes is None:
            columns = sorted(c for c, d in REFERENCE_FLAGS.values() if d == dimension)
            skipped.append(
                f"{REFERENCES_SUITE}: {dimension} codes not provided; "
                f"{', '.join(columns)} not checked"
            )
    return skipped


def build_data_docs(settings: Settings) -> Path:
    """Rebuild the whole Data Docs site from the stored suites and results; return index.html.

    Every checkpoint run already updates the site; this is for a reviewer's fresh copy (or after
    the folder was deleted), and it needs no Spark.
    """
    context = get_context(settings)
    context.build_data_docs(site_names=[DATA_DOCS_SITE])
    return data_docs_index(settings)


def describe_failure(result: ExpectationValidationResult) -> str:
    """``expectation(arguments): what was observed`` - enough to act on without the docs."""
    config = result.expectation_config
    kwargs: Mapping[str, Any] = config.kwargs if config is not None else {}
    name = config.type if config is not None else "unknown_expectation"
    target = kwargs.get("column") or kwargs.get("column_list")
    if isinstance(target, list):
        target = ", ".join(target)
    label = f"{name}({target})" if target else name

    exception = result.exception_info or {}
    if exception.get("raised_exception"):
        return f"{label}: could not be evaluated: {exception.get('exception_message')}"

    observed = result.result or {}
    if "observed_value" in observed:
        expected = kwargs["value"] if "value" in kwargs else _bounds(kwargs)
        return f"{label}: observed {observed['observed_value']}, expected {expected}"
    if "unexpected_count" in observed:
        # Column map expectations skip nulls: their percentages are of the non-null values.
        total, unit = int(observed.get("element_count") or 0), "rows"
        if observed.get("missing_count") is not None:
            total -= int(observed["missing_count"])
            unit = "rows" if "column_list" in kwargs else "non-null values"
        sample = _sample(observed.get("partial_unexpected_list") or [])
        detail = (
            f"{observed['unexpected_count']} of {total} {unit} unexpected "
            f"({float(observed.get('unexpected_percent') or 0.0):.2f}%)"
        )
        if kwargs.get("mostly") is not None:
            detail += f", allowed {100 * (1 - float(kwargs['mostly'])):.0f}%"
        bounds = _bounds(kwargs)
        if bounds:
            detail += f", expected {bounds}"
        if sample:
            detail += f", e.g. {sample}"
        return f"{label}: {detail}"
    return f"{label}: failed"


def _sample(values: list[Any], limit: int = 5) -> list[Any]:
    """Distinct offending values, printable; nulls and booleans say nothing a count does not."""
    out: list[Any] = []
    for value in values:
        if value is None or isinstance(value, bool):
            continue
        plain = {k: str(v) for k, v in value.items()} if isinstance(value, dict) else value
        if plain not in out:
            out.append(plain)
    return out[:limit]


def _bounds(kwargs: Mapping[str, Any]) -> str:
    if "value_set" in kwargs:
        return f"in {kwargs['value_set']}"
    if "min_value" in kwargs or "max_value" in kwargs:
        return f"in [{_number(kwargs.get('min_value'))}, {_number(kwargs.get('max_value'))}]"
    return ""


def _number(value: Any) -> Any:
    # GX loads bounds as floats; -2000 reads better than -2000.0.
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _severity(result: ExpectationValidationResult) -> str:
    config = result.expectation_config
    severity = getattr(config, "severity", None) if config is not None else None
    # GX's default severity is critical; an unreadable one must not weaken the gate.
    return str(getattr(severity, "value", severity) or _CRITICAL)


def _row_count(result: ExpectationValidationResult) -> int:
    observed = result.result or {}
    config = result.expectation_config
    if config is not None and config.type == "expect_table_row_count_to_equal":
        return int(observed.get("observed_value") or 0)
    return int(observed.get("element_count") or 0)


def _suite_statistics(suite_result: ExpectationSuiteValidationResult) -> dict[str, float]:
    stats = suite_result.statistics or {}
    return {
        key: float(stats.get(key) or 0)
        for key in (
            "evaluated_expectations",
            "successful_expectations",
            "unsuccessful_expectations",
            "success_percent",
        )
    }
