"""``dim_airport`` and ``dim_airline`` seeded from the shipped OpenFlights files.

The files are read on the driver by :mod:`lakehouse.reference.openflights` and handed to Spark
with an explicit schema: they are small (under 8k rows each), and a driver-side read works the
same in local mode and on a cluster whose executors cannot see the package's data directory.

OpenFlights is user-maintained, so codes are validated rather than trusted: an airport needs a
three-character IATA code (``[A-Z0-9]{3}``), an airline a three-letter ICAO designator
(``[A-Z]{3}``; this drops ``N/A``, ``\\N``, punctuation and Cyrillic placeholders). When several
rows share a code the winner is deterministic: for airlines the active one, then the lowest
OpenFlights id; for airports the lowest id. The ``\\'`` escapes left in some names by the
OpenFlights MySQL export become plain apostrophes.
"""

from __future__ import annotations

from collections.abc import Iterable

from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from lakehouse.reference.openflights import Airline, Airport, load_airlines, load_airports
from lakehouse.silver.schema import DIM_AIRLINE_SCHEMA, DIM_AIRPORT_SCHEMA

AIRPORT_IATA_PATTERN = r"^[A-Z0-9]{3}$"
AIRPORT_ICAO_PATTERN = r"^[A-Z0-9]{4}$"
AIRLINE_ICAO_PATTERN = r"^[A-Z]{3}$"
AIRLINE_IATA_PATTERN = r"^[A-Z0-9]{2}$"

#: The OpenFlights columns the dimensions use, as handed to Spark.
OPENFLIGHTS_AIRPORT_SCHEMA = T.StructType(
    [
        T.StructField("id", T.IntegerType()),
        T.StructField("name", T.StringType()),
        T.StructField("city", T.StringType()),
        T.StructField("country", T.StringType()),
        T.StructField("iata", T.StringType()),
        T.StructField("icao", T.StringType()),
        T.StructField("latitude", T.DoubleType()),
        T.StructField("longitude", T.DoubleType()),
        T.StructField("tz", T.StringType()),
    ]
)

OPENFLIGHTS_AIRLINE_SCHEMA = T.StructType(
    [
        T.StructField("id", T.IntegerType()),
        T.StructField("name", T.StringType()),
        T.StructField("iata", T.StringType()),
        T.StructField("icao", T.StringType()),
        T.StructField("country", T.StringType()),
        T.StructField("active", T.BooleanType()),
    ]
)


def openflights_airports(
    spark: SparkSession, airports: Iterable[Airport] | None = None
) -> DataFrame:
    """The shipped airports (or the given ones) as a DataFrame of ``OPENFLIGHTS_AIRPORT_SCHEMA``."""
    rows = [
        (a.id, a.name, a.city, a.country, a.iata, a.icao, a.latitude, a.longitude, a.tz)
        for a in (load_airports() if airports is None else airports)
    ]
    return spark.createDataFrame(rows, OPENFLIGHTS_AIRPORT_SCHEMA)


def openflights_airlines(
    spark: SparkSession, airlines: Iterable[Airline] | None = None
) -> DataFrame:
    """The shipped airlines (or the given ones) as a DataFrame of ``OPENFLIGHTS_AIRLINE_SCHEMA``."""
    rows = [
        (a.id, a.name, a.iata, a.icao, a.country, a.active)
        for a in (load_airlines() if airlines is None else airlines)
    ]
    return spark.createDataFrame(rows, OPENFLIGHTS_AIRLINE_SCHEMA)


def unescaped_text(value: Column) -> Column:
    """The text with OpenFlights' ``\\'`` turned into ``'``; blank text becomes null."""
    text = F.regexp_replace(value, r"\\'", "'")
    return F.when(F.trim(text) != "", text)


def code_or_null(value: Column, pattern: str) -> Column:
    """The code when it matches the pattern, else null."""
    return F.when(value.rlike(pattern), value)


def _first_per(df: DataFrame, key: str, *order: Column) -> DataFrame:
    window = Window.partitionBy(key).orderBy(*order)
    return df.withColumn("_rank", F.row_number().over(window)).where("_rank = 1").drop("_rank")


def to_dim_airport(airports: DataFrame) -> DataFrame:
    """``dim_airport`` from OpenFlights airport rows: one row per valid IATA code."""
    with_codes = airports.where(F.col("iata").rlike(AIRPORT_IATA_PATTERN))
    unique = _first_per(with_codes, "iata", F.col("id").asc_nulls_last())
    return unique.select(
        F.col("iata"),
        code_or_null(F.col("icao"), AIRPORT_ICAO_PATTERN).alias("icao"),
        unescaped_text(F.col("name")).alias("name"),
        unescaped_text(F.col("city")).alias("city"),
        unescaped_text(F.col("country")).alias("country"),
        F.col("latitude").cast(T.DoubleType()),
        F.col("longitude").cast(T.DoubleType()),
        F.when(F.trim(F.col("tz")) != "", F.col("tz")).alias("tz"),
    ).select(*[F.col(f.name).cast(f.dataType) for f in DIM_AIRPORT_SCHEMA])


def to_dim_airline(airlines: DataFrame) -> DataFrame:
    """``dim_airline`` from OpenFlights airline rows: one row per valid ICAO designator."""
    with_codes = airlines.where(F.col("icao").rlike(AIRLINE_ICAO_PATTERN))
    unique = _first_per(
        with_codes,
        "icao",
        F.coalesce(F.col("active"), F.lit(False)).desc(),
        F.col("id").asc_nulls_last(),
    )
    return unique.select(
        F.col("icao"),
        code_or_null(F.col("iata"), AIRLINE_IATA_PATTERN).alias("iata"),
        unescaped_text(F.col("name")).alias("name"),
        unescaped_text(F.col("country")).alias("country"),
    ).select(*[F.col(f.name).cast(f.dataType) for f in DIM_AIRLINE_SCHEMA])


def airport_dimension(spark: SparkSession) -> DataFrame:
    """``dim_airport`` seeded from the shipped OpenFlights airports."""
    return to_dim_airport(openflights_airports(spark))


def airline_dimension(spark: SparkSession) -> DataFrame:
    """``dim_airline`` seeded from the shipped OpenFlights airlines."""
    return to_dim_airline(openflights_airlines(spark))


def seed_fingerprint() -> str:
    """sha256 over the shipped airport and airline files: changes exactly when the seed does."""
    import hashlib

    from lakehouse.reference.openflights import AIRLINES_FILE, AIRPORTS_FILE

    digest = hashlib.sha256()
    for path in (AIRPORTS_FILE, AIRLINES_FILE):
        digest.update(path.read_bytes())
    return digest.hexdigest()
