"""From bronze envelopes to one row per raw flight entry, all values still text.

Nothing is judged here: every flight entry of every response body becomes exactly one row (the
contract's *raw row*), whatever its value looks like, so the cleaning step can quarantine what is
wrong and the batch can prove ``raw = clean + quarantined + duplicates``.

Why the body is parsed into ``map<string, variant>`` rather than ``map<string, string>``: with a
string map Spark hands a JSON string value over as its bare text, so an entry whose value is the
*string* ``"[1, 2]"`` would be indistinguishable from the array ``[1, 2]``. A variant keeps the
JSON type, and ``to_json`` gives the entry's JSON text back (strings quoted, numbers as numbers).
The array's elements are then read with ``from_json(..., array<string>)``, which returns strings
verbatim and every other JSON value (numbers, booleans, nested arrays or objects) as its JSON
text; JSON ``null`` stays null. A body that repeats a key keeps the last value (as Python's
``json`` and bronze's flight count read it; Spark's ``from_json`` map would keep every copy), which
also keeps the quarantine key ``(bronze_key, response_index, entry_key)`` unique.

Hostile bodies never fail the batch: ``base64`` bodies that are not valid base64 decode to null,
invalid UTF-8 becomes U+FFFD, and a body that is not a JSON object yields no entries (see
:func:`filter_unreadable_responses` to count or log those responses).
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from lakehouse.silver.schema import FEED_FIELDS, NON_FLIGHT_KEYS

_ENTRIES_SCHEMA = "map<string,variant>"  # DDL: from_json's type hints omit MapType
_ELEMENTS_SCHEMA = T.ArrayType(T.StringType())


def bronze_key_from_path(path: Column, bronze_prefix: str = "bronze") -> Column:
    """The object key within the bucket (``bronze/YYYY/MM/DD/flights_YYYYMMDD_HHMM.json``).

    Meant for ``F.col("_metadata.file_path")``; anchoring on the prefix and the date folders makes
    the same function work for ``s3a://bucket/...`` and for a local copy such as
    ``file:///tmp/x/bronze/...`` used in tests and backfills. Empty string when the path does not
    look like a bronze key, so a misplaced file is visible rather than silently renamed.
    """
    prefix = bronze_prefix.strip("/")
    pattern = rf"(\Q{prefix}\E/\d{{4}}/\d{{2}}/\d{{2}}/[^/]+)$"
    return F.regexp_extract(path, pattern, 1)


def decoded_body(body: Column, body_encoding: Column) -> Column:
    """The response body as text: ``base64`` bodies are decoded, anything else is taken as text.

    ``try_to_binary`` instead of ``unbase64`` because the latter fails the whole job on a
    malformed value; ``make_valid_utf8`` because such a body was stored as base64 precisely
    since it is not valid UTF-8, and ``decode`` would fail on it too.
    """
    raw_bytes = F.try_to_binary(body, F.lit("base64"))
    return F.when(
        F.lower(body_encoding) == F.lit("base64"), F.make_valid_utf8(raw_bytes.cast("string"))
    ).otherwise(body)


def explode_responses(envelopes: DataFrame) -> DataFrame:
    """One row per API response of each envelope, with the envelope's lineage typed.

    Expects the columns of ``ENVELOPE_SCHEMA`` plus ``bronze_key``. ``response_index`` is the
    response's own ``index`` field (the contract's), falling back to its position in the array.
    Output: bronze_key, snapshot_time, ingested_at, response_index, status, body_text.
    """
    responses = envelopes.select(
        "bronze_key",
        F.col("snapshot_time").try_cast(T.TimestampType()).alias("snapshot_time"),
        F.col("fetched_at").try_cast(T.TimestampType()).alias("ingested_at"),
        F.posexplode("responses").alias("position", "response"),
    )
    return responses.select(
        "bronze_key",
        "snapshot_time",
        "ingested_at",
        F.coalesce(F.col("response.index"), F.col("position")).alias("response_index"),
        F.col("response.status").alias("status"),
        decoded_body(F.col("response.body"), F.col("response.body_encoding")).alias("body_text"),
    )


def filter_unreadable_responses(responses: DataFrame) -> DataFrame:
    """Responses whose body is not a JSON object, so they contribute no raw rows.

    Such a body has no flight entries by the contract's definition, but the job should still
    say how many there were instead of letting them disappear from the counts.
    """
    return responses.where(F.from_json("body_text", _ENTRIES_SCHEMA).isNull())


def last_value_per_key(entries: Column) -> Column:
    """The map's (key, value) entries with a repeated key reduced to its last occurrence.

    ``from_json`` into a map keeps every copy of a repeated key, which would count one flight
    twice. Bodies without repeats (all real ones) take the cheap branch; only a body with a
    repeat pays for the pairwise look-ahead.
    """
    pairs = F.map_entries(entries)
    keys = F.map_keys(entries)

    def repeated_later(entry: Column, i: Column) -> Column:
        later = F.slice(pairs, i + 2, F.size(pairs) - i - 1)
        return F.exists(later, lambda other: other["key"] == entry["key"])

    return F.when(F.size(F.array_distinct(keys)) == F.size(keys), pairs).otherwise(
        F.filter(pairs, lambda entry, i: ~repeated_later(entry, i))
    )


def flatten_observations(responses: DataFrame) -> DataFrame:
    """One row per raw flight entry, each of the 19 positions as text (null when absent).

    Output columns: bronze_key, snapshot_time, ingested_at, response_index, entry_key,
    raw_value (the entry's JSON text), value_is_array, value_length (null unless an array),
    then one string column per name in ``FEED_FIELDS``. Entries that are not arrays, or have
    the wrong length, are kept with those flags set; a short array leaves its missing
    positions null, a long one has its extra elements ignored (the row is quarantined anyway).
    """
    entries = (
        responses.select(
            "bronze_key",
            "snapshot_time",
            "ingested_at",
            "response_index",
            F.explode(last_value_per_key(F.from_json("body_text", _ENTRIES_SCHEMA))).alias("pair"),
        )
        .select(
            "bronze_key",
            "snapshot_time",
            "ingested_at",
            "response_index",
            F.col("pair.key").alias("entry_key"),
            F.col("pair.value").alias("entry"),
        )
        .where(~F.col("entry_key").isin(*NON_FLIGHT_KEYS))
    )

    typed = entries.select(
        "bronze_key",
        "snapshot_time",
        "ingested_at",
        "response_index",
        "entry_key",
        F.to_json("entry").alias("raw_value"),
        F.coalesce(F.schema_of_variant("entry").startswith("ARRAY"), F.lit(False)).alias(
            "value_is_array"
        ),
    )
    with_elements = typed.withColumn(
        "elements",
        F.when(F.col("value_is_array"), F.from_json("raw_value", _ELEMENTS_SCHEMA)),
    )
    return with_elements.select(
        "bronze_key",
        "snapshot_time",
        "ingested_at",
        "response_index",
        "entry_key",
        "raw_value",
        "value_is_array",
        F.when(F.col("value_is_array"), F.size("elements")).alias("value_length"),
        *[
            F.try_element_at("elements", F.lit(position + 1)).alias(name)
            for position, name in enumerate(FEED_FIELDS)
        ],
    )
