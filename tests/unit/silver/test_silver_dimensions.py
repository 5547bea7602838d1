"""lakehouse.silver.dimensions: dim_airport and dim_airline from OpenFlights rows."""

from __future__ import annotations

from chispa import assert_df_equality
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from lakehouse.reference.openflights import Airline, Airport
from lakehouse.silver.dimensions import (
    airline_dimension,
    airport_dimension,
    openflights_airlines,
    openflights_airports,
    to_dim_airline,
    to_dim_airport,
)
from lakehouse.silver.schema import DIM_AIRLINE_SCHEMA, DIM_AIRPORT_SCHEMA


def airport(id_: int, iata: str | None, icao: str | None = None, **kw: object) -> Airport:
    base = dict(
        id=id_, name=f"Airport {id_}", city="City", country="Country", iata=iata, icao=icao,
        latitude=1.5, longitude=-2.5, altitude_ft=None, utc_offset_h=None, dst=None,
        tz="Etc/UTC", type="airport", source="OurAirports",
    )  # fmt: skip
    return Airport(**{**base, **kw})  # type: ignore[arg-type]


def airline(id_: int, icao: str | None, active: bool, **kw: object) -> Airline:
    base = dict(
        id=id_, name=f"Airline {id_}", alias=None, iata=None, icao=icao, callsign=None,
        country="Country", active=active,
    )  # fmt: skip
    return Airline(**{**base, **kw})  # type: ignore[arg-type]


def test_dim_airport_keeps_valid_iata_codes_lowest_id_first(spark: SparkSession) -> None:
    raw = openflights_airports(
        spark,
        [
            airport(9, "AAA", "ZZZZ", name="Later duplicate"),
            airport(3, "AAA", "KAAA", city="Port O\\'Connor"),
            airport(4, None),
            airport(5, "ab1"),
            airport(6, "ABCD"),
            airport(7, "9X9", "Q51", tz=None, country=None),
        ],
    )
    expected = spark.createDataFrame(
        [
            ("9X9", None, "Airport 7", "City", None, 1.5, -2.5, None),
            ("AAA", "KAAA", "Airport 3", "Port O'Connor", "Country", 1.5, -2.5, "Etc/UTC"),
        ],
        DIM_AIRPORT_SCHEMA,
    )
    assert_df_equality(to_dim_airport(raw), expected, ignore_row_order=True, ignore_nullable=True)


def test_dim_airline_prefers_active_then_lowest_id(spark: SparkSession) -> None:
    raw = openflights_airlines(
        spark,
        [
            airline(1, "SWR", False, name="Swissair old"),
            airline(4560, "SWR", True, name="Swissair", iata="SR"),
            airline(4559, "SWR", True, name="Swiss International Air Lines", iata="LX"),
            airline(-1, "N/A", True),
            airline(2, None, True),
            airline(3, "KW1", True),
            airline(8, "DLH", False, iata="-", country=None),
        ],
    )
    expected = spark.createDataFrame(
        [
            ("SWR", "LX", "Swiss International Air Lines", "Country"),
            ("DLH", None, "Airline 8", None),
        ],
        DIM_AIRLINE_SCHEMA,
    )
    assert_df_equality(to_dim_airline(raw), expected, ignore_row_order=True, ignore_nullable=True)


def test_airport_dimension_from_shipped_files_has_unique_iata(spark: SparkSession) -> None:
    dim = airport_dimension(spark).cache()
    assert dim.count() == dim.select("iata").distinct().count() > 5000
    lhr = dim.where(F.col("iata") == "LHR")
    expected = spark.createDataFrame(
        [
            (
                "LHR",
                "EGLL",
                "London Heathrow Airport",
                "London",
                "United Kingdom",
                51.4706,
                -0.461941,
                "Europe/London",
            ),
        ],
        DIM_AIRPORT_SCHEMA,
    )
    assert_df_equality(lhr, expected, ignore_nullable=True)
    dim.unpersist()


def test_airline_dimension_from_shipped_files_resolves_shared_codes(spark: SparkSession) -> None:
    dim = airline_dimension(spark).cache()
    assert dim.count() == dim.select("icao").distinct().count() > 5000
    shared = dim.where(F.col("icao").isin("SWR", "JAL", "TYR"))
    expected = spark.createDataFrame(
        [
            ("JAL", "JL", "Japan Airlines", "Japan"),
            ("SWR", "LX", "Swiss International Air Lines", "Switzerland"),
            ("TYR", "VO", "Tyrolean Airways", "Austria"),
        ],
        DIM_AIRLINE_SCHEMA,
    )
    assert_df_equality(shared, expected, ignore_row_order=True, ignore_nullable=True)
    dim.unpersist()
