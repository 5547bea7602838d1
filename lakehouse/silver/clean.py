"""Cleaning raw flight entries: unknowns to null, values typed, bad rows routed to quarantine.

The order of the chain (:func:`clean_observations`) is: unknowns to null, out-of-range values
nulled and flagged, fields typed, flight id checked, quarantine reason assigned. Every cast is a
``try_cast`` (Spark 4 runs with ANSI mode on, where a plain cast of ``"abc"`` fails the job), so
no value in a body can stop a batch. What each field accepts, and what happens otherwise:

=====================  ===========================================================================
field                  rule
=====================  ===========================================================================
every field            ``""``, ``"N/A"`` (ignoring surrounding blanks) and JSON null are unknown
flight id (body key)   1-64 ASCII letters/digits (FR24 ids are hex); anything else, including an
                       unknown or a value too long to be a key, is no flight id: quarantine
position time (10)     a number of unix seconds in (0, 253402300800), i.e. up to year 9999;
                       fractions kept to the microsecond; anything else (text, NaN, Infinity,
                       huge numbers) is no parsable position time: quarantine
latitude, longitude    a finite number within [-90, 90] / [-180, 180]; missing, text, NaN,
                       Infinity or outside: quarantine
heading, altitude,     a finite number within the bounds (inclusive, judged on the value as
ground speed           sent), rounded half-up to an int; a value that is present but is not
                       such a number (outside, NaN, Infinity, text) becomes null and sets its
                       ``*_out_of_range`` flag; the flag is false when the value was absent
vertical speed         a finite number, rounded half-up, that fits an int; otherwise null (no
                       flag: the contract has no bounds for it)
on_ground, glider      the numbers 0 or 1 (``0.0`` counts); anything else null
text fields            kept verbatim, whatever their length (Spark and Postgres ``text`` do not
                       care); only the unknown spellings above become null
=====================  ===========================================================================

A row that is not a JSON array, or not of exactly 19 elements, is quarantined before any field
rule is looked at. Quarantine reasons are checked in the order of ``QUARANTINE_REASONS``; a row
carries the first one that applies.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from lakehouse.silver.schema import (
    FEED_ARRAY_LENGTH,
    FEED_FIELDS,
    FLIGHTS_QUARANTINE_SCHEMA,
)

UNKNOWN_SPELLINGS: tuple[str, ...] = ("", "N/A")

#: Inclusive bounds of the values that are nulled and flagged rather than quarantined.
HEADING_BOUNDS = (0.0, 360.0)
ALTITUDE_FT_BOUNDS = (-2000.0, 60000.0)
GROUND_SPEED_KT_BOUNDS = (0.0, 1200.0)
LATITUDE_BOUNDS = (-90.0, 90.0)
LONGITUDE_BOUNDS = (-180.0, 180.0)

#: Position times accepted as parsable: after the epoch, before year 10000.
POSITION_TIME_BOUNDS = (0, 253402300800)

FLIGHT_ID_PATTERN = r"^[0-9A-Za-z]{1,64}$"

#: Flagged fields: column -> (flag column, bounds).
BOUNDED_FIELDS: dict[str, tuple[str, tuple[float, float]]] = {
    "heading": ("heading_out_of_range", HEADING_BOUNDS),
    "altitude_ft": ("altitude_out_of_range", ALTITUDE_FT_BOUNDS),
    "ground_speed_kt": ("ground_speed_out_of_range", GROUND_SPEED_KT_BOUNDS),
}

_INT_FIELDS = ("heading", "altitude_ft", "ground_speed_kt", "vertical_speed_fpm")
_FLAG_FIELDS = ("on_ground", "glider")
_INT_RANGE = (-(2**31), 2**31 - 1)


# --- column functions ---------------------------------------------------------------------------


def unknown_as_null(value: Column) -> Column:
    """Null when the value is one of the feed's spellings of "unknown", else the value."""
    return F.when(~F.trim(value).isin(*UNKNOWN_SPELLINGS), value)


def finite_double(value: Column) -> Column:
    """The text as a double, null unless it is a finite number (NaN and Infinity are not)."""
    number = value.try_cast(T.DoubleType())
    # NaN sorts above +Infinity in Spark, so one comparison rejects NaN and both infinities.
    return F.when(F.abs(number) < F.lit(float("inf")), number)


def within(number: Column, bounds: tuple[float, float]) -> Column:
    """True when the number lies within the inclusive bounds."""
    low, high = bounds
    return number.between(F.lit(low), F.lit(high))


def rounded_int(value: Column) -> Column:
    """The text as an int, rounded half-up; null unless a finite number that fits an int."""
    number = finite_double(value)
    return F.when(within(number, _INT_RANGE), F.round(number).cast(T.IntegerType()))


def zero_or_one(value: Column) -> Column:
    """0 or 1 for the feed's boolean-like fields; anything else null."""
    number = finite_double(value)
    return F.when(number == 0, F.lit(0)).when(number == 1, F.lit(1))


def position_time_as_timestamp(value: Column) -> Column:
    """Unix seconds as a UTC timestamp; null unless within ``POSITION_TIME_BOUNDS``.

    Goes through ``decimal(18,6)`` rather than double so fractional seconds map to exact
    microseconds and the same text always yields the same key.
    """
    seconds = value.try_cast(T.DecimalType(18, 6))
    low, high = POSITION_TIME_BOUNDS
    return F.when((seconds > F.lit(low)) & (seconds < F.lit(high)), F.timestamp_seconds(seconds))


def utc_date(timestamp: Column) -> Column:
    """The UTC calendar date of a timestamp, whatever the session time zone is."""
    return F.date_from_unix_date(F.floor(F.unix_seconds(timestamp) / 86400).cast(T.IntegerType()))


# --- transformations ----------------------------------------------------------------------------


def with_unknowns_as_null(df: DataFrame) -> DataFrame:
    """Turn ``""`` and ``"N/A"`` into null in every feed field, as the contract requires."""
    return df.withColumns({name: unknown_as_null(F.col(name)) for name in FEED_FIELDS})


def null_out_of_range_values(df: DataFrame) -> DataFrame:
    """Null heading, altitude and ground speed that are present but not within bounds, and flag.

    Runs on the text values, before typing, so a value is judged as sent: 60000.4 ft is out of
    range even though it would round to 60000.
    """
    columns: dict[str, Column] = {}
    for name, (flag, bounds) in BOUNDED_FIELDS.items():
        raw = F.col(name)
        in_range = F.coalesce(within(finite_double(raw), bounds), F.lit(False))
        rejected = raw.isNotNull() & ~in_range
        columns[flag] = rejected
        columns[name] = F.when(~rejected, raw)
    return df.withColumns(columns)


def with_typed_fields(df: DataFrame) -> DataFrame:
    """Give every feed field its contract type and derive ``observed_at`` / ``observed_date``.

    The text ``position_time`` is replaced by ``observed_at``; see the module table for what
    each field accepts.
    """
    observed_at = position_time_as_timestamp(F.col("position_time"))
    typed: dict[str, Column] = {
        "observed_at": observed_at,
        "observed_date": utc_date(observed_at),
        "latitude": finite_double(F.col("latitude")),
        "longitude": finite_double(F.col("longitude")),
    }
    typed.update({name: rounded_int(F.col(name)) for name in _INT_FIELDS})
    typed.update({name: zero_or_one(F.col(name)) for name in _FLAG_FIELDS})
    return df.withColumns(typed).drop("position_time")


def with_flight_id(df: DataFrame) -> DataFrame:
    """``flight_id``: the body key when it can be an FR24 flight id, else null (quarantined)."""
    key = F.col("entry_key")
    return df.withColumn("flight_id", F.when(key.rlike(FLIGHT_ID_PATTERN), key))


def with_quarantine_reason(df: DataFrame) -> DataFrame:
    """``quarantine_reason``: the first failing rule in ``QUARANTINE_REASONS`` order, else null.

    Needs the output of :func:`with_typed_fields` and :func:`with_flight_id`.
    """
    reason = (
        F.when(~F.col("value_is_array"), F.lit("not_an_array"))
        .when(F.col("value_length") != FEED_ARRAY_LENGTH, F.lit("wrong_length"))
        .when(F.col("flight_id").isNull(), F.lit("missing_flight_id"))
        .when(F.col("observed_at").isNull(), F.lit("missing_observed_at"))
        .when(
            ~F.coalesce(within(F.col("latitude"), LATITUDE_BOUNDS), F.lit(False)),
            F.lit("invalid_latitude"),
        )
        .when(
            ~F.coalesce(within(F.col("longitude"), LONGITUDE_BOUNDS), F.lit(False)),
            F.lit("invalid_longitude"),
        )
    )
    return df.withColumn("quarantine_reason", reason)


def clean_observations(observations: DataFrame) -> DataFrame:
    """The whole cleaning chain over :func:`~lakehouse.silver.parse.flatten_observations` rows."""
    return (
        observations.transform(with_unknowns_as_null)
        .transform(null_out_of_range_values)
        .transform(with_typed_fields)
        .transform(with_flight_id)
        .transform(with_quarantine_reason)
    )


def split_valid_and_quarantined(df: DataFrame) -> tuple[DataFrame, DataFrame]:
    """Rows without a quarantine reason (reason column dropped), and rows with one.

    The two filters are complementary on a non-null reason, so every row lands in exactly one
    side; cache the input first if it is expensive to recompute.
    """
    reason = F.col("quarantine_reason")
    return df.where(reason.isNull()).drop("quarantine_reason"), df.where(reason.isNotNull())


def to_flights_quarantine(rejected: DataFrame) -> DataFrame:
    """Project quarantined rows onto ``flights_quarantine``, in the contract's column order.

    Needs ``silver_batch_id`` (see :func:`lakehouse.silver.enrich.with_lineage`).
    ``bronze_date`` is the UTC date of the bronze object's snapshot time.
    """
    projected = rejected.withColumns(
        {"reason": F.col("quarantine_reason"), "bronze_date": utc_date(F.col("snapshot_time"))}
    )
    return projected.select(
        *[F.col(f.name).cast(f.dataType).alias(f.name) for f in FLIGHTS_QUARANTINE_SCHEMA]
    )
