"""Reference joins, route distance, lineage and the final ``flights_clean`` projection.

The dimensions are small (thousands of rows), so every join broadcasts them and the observation
side is never shuffled. Joins are left joins on the dimension's primary key: an unknown code
leaves the looked-up columns null and never drops or multiplies a row, as long as the
dimension keeps its key unique (``dim_airport.iata`` is its primary key).
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from lakehouse.silver.schema import FLIGHTS_CLEAN_SCHEMA

EARTH_MEAN_RADIUS_KM = 6371.0088  # IUGG mean radius R1, as the contract fixes it


def haversine_km(lat1: Column, lon1: Column, lat2: Column, lon2: Column) -> Column:
    """Great-circle distance in km between two points given in degrees; null if any is null."""
    phi1, phi2 = F.radians(lat1), F.radians(lat2)
    half_dphi = (phi2 - phi1) / 2
    half_dlambda = F.radians(lon2 - lon1) / 2
    a = F.pow(F.sin(half_dphi), 2) + F.cos(phi1) * F.cos(phi2) * F.pow(F.sin(half_dlambda), 2)
    # Rounding can push `a` a hair above 1 for antipodal points; asin would then return NaN.
    # (Not F.least: it skips nulls, and an unknown end must stay null.)
    capped = F.when(a > 1.0, F.lit(1.0)).otherwise(a)
    return F.lit(2 * EARTH_MEAN_RADIUS_KM) * F.asin(F.sqrt(capped))


def _airport_side(dim_airport: DataFrame, side: str, columns: dict[str, str]) -> DataFrame:
    """The dimension renamed for one end of the route: ``iata`` -> ``<side>_iata`` etc."""
    return F.broadcast(
        dim_airport.select(
            F.col("iata").alias(f"_{side}_key"),
            *[F.col(source).alias(target.format(side=side)) for source, target in columns.items()],
        )
    )


def _join_airport(
    df: DataFrame, dim_airport: DataFrame, side: str, columns: dict[str, str]
) -> DataFrame:
    lookup = _airport_side(dim_airport, side, columns)
    joined = df.join(lookup, F.col(f"{side}_iata") == F.col(f"_{side}_key"), "left")
    return joined.drop(f"_{side}_key")


def with_airport_names(df: DataFrame, dim_airport: DataFrame) -> DataFrame:
    """Add origin/destination airport name and country from ``dim_airport`` by IATA code."""
    columns = {"name": "{side}_airport_name", "country": "{side}_country"}
    return _join_airport(
        _join_airport(df, dim_airport, "origin", columns), dim_airport, "destination", columns
    )


def with_route_distance(df: DataFrame, dim_airport: DataFrame) -> DataFrame:
    """Add ``route_distance_km``: haversine origin -> destination, null when either is unknown.

    "Unknown" covers a null code, a code not in ``dim_airport`` and an airport without a
    position.
    """
    columns = {"latitude": "_{side}_lat", "longitude": "_{side}_lon"}
    ends = _join_airport(
        _join_airport(df, dim_airport, "origin", columns), dim_airport, "destination", columns
    )
    distance = haversine_km(
        F.col("_origin_lat"), F.col("_origin_lon"), F.col("_destination_lat"),
        F.col("_destination_lon"),
    )  # fmt: skip
    return ends.withColumn("route_distance_km", distance).drop(
        "_origin_lat", "_origin_lon", "_destination_lat", "_destination_lon"
    )


def with_lineage(df: DataFrame, batch_id: str) -> DataFrame:
    """Add ``silver_batch_id``: the other lineage columns already come from the parse step."""
    return df.withColumn("silver_batch_id", F.lit(batch_id))


def to_flights_clean(df: DataFrame) -> DataFrame:
    """Select the ``flights_clean`` columns in the contract's order, with the contract's types."""
    return df.select(*[F.col(f.name).cast(f.dataType).alias(f.name) for f in FLIGHTS_CLEAN_SCHEMA])
