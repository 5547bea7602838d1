"""Broken and hostile bronze, one silver run: every bad row quarantined with its reason, every
unreadable object failed in the ledger with a reason, the good object of the same batch published,
and a failed object no longer picked once it used up ``silver_max_attempts``.

The expected outcome of every hand-made entry is written out below, by the contract's rules.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from datetime import UTC, datetime, timedelta

import pytest
from expected import expected_from_bronze
from hostile import VALID, body, flight, land_envelope, land_raw_object, ledger_rows

pytestmark = [pytest.mark.integration, pytest.mark.slow]

T0 = datetime(2025, 9, 21, 10, 0, tzinfo=UTC)
LONG = "X" * 200_000

#: entry key -> expected quarantine reason (None: the row is clean).
ROWS: dict[str, tuple[object, str | None]] = {
    "a0000001": (flight(p1="abc"), "invalid_latitude"),  # text where a number belongs
    "a0000002": (flight(p10=True), "missing_observed_at"),  # boolean position time
    "a0000003": (flight(p1={"x": 1}), "invalid_latitude"),  # object in an array position
    "a0000004": (VALID[:18], "wrong_length"),
    "a0000005": ([*VALID, 1], "wrong_length"),
    "a0000006": ([], "wrong_length"),
    "a0000007": (flight(p10=1e300), "missing_observed_at"),  # huge float time
    "a0000014": (flight(p10=10**30), "missing_observed_at"),  # huge integer time
    "a0000008": (flight(p4=10**30), None),  # huge altitude: nulled and flagged
    "a0000009": (flight(p16=LONG), None),  # 200 kB string, kept verbatim
    "not-hex!": (VALID, "missing_flight_id"),
    "": (VALID, "missing_flight_id"),
    "a" * 65: (VALID, "missing_flight_id"),
    "a000000e": (None, "not_an_array"),  # JSON null entry
    "a0000012": ("[1, 2]", "not_an_array"),  # a string that looks like an array
    "a000000f": ([None] * 19, "missing_observed_at"),  # the null row
    "a0000010": (flight(p1=90, p2=-180), None),  # boundary: on the edge, clean
    "a0000011": (flight(p1=90.0001), "invalid_latitude"),  # boundary: just outside
    "a0000013": (flight(p3=360, p4=60000, p5=1200), None),  # boundary of flagged fields
}


def _rows_body() -> bytes:
    """The rows above, then a key repeated: the last value wins (it has a bad latitude)."""
    text = body({k: v for k, (v, _) in ROWS.items()}).decode()
    repeated = f', "a000000d": {json.dumps(VALID)}, "a000000d": {json.dumps(flight(p1="bad"))}}}'
    return (text[:-1] + repeated).encode()


NAN_BODY = (
    '{"full_count": 4, "version": 4, "stats": {}, '
    f'"b0000001": {json.dumps(flight(p1=float("nan")))}, '
    f'"b0000002": {json.dumps(flight(p2=float("inf")))}, '
    f'"b0000003": {json.dumps(flight(p4=float("-inf")))}, '
    f'"b0000004": {json.dumps(flight(p1="NaN"))}}}'
).encode()
NAN_EXPECTED = {
    "b0000001": "invalid_latitude",
    "b0000002": "invalid_longitude",
    "b0000003": None,
    "b0000004": "invalid_latitude",
}

#: A body that is not valid UTF-8 (bronze stores it base64): the callsign bytes are broken.
NOT_UTF8_BODY = body({"c0000001": flight(p16="CALLSIGN")}).replace(b"CALLSIGN", b"\xff\xfeBAW")
HTML = b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"


def _args(**overrides) -> argparse.Namespace:
    base = dict(keys=None, full_refresh=False, date_from=None, date_to=None, batch_size=50,
                limit=None, sync=False)  # fmt: skip
    base.update(overrides)
    return argparse.Namespace(**base)


@pytest.fixture(scope="module")
def hostile_run(settings, services, spark, tmp_path_factory):
    """One good simulated object and every kind of hostile object, then one silver run."""
    import uuid

    import psycopg

    from lakehouse.bronze.ingest import ingest_snapshot
    from lakehouse.bronze.writer import read_object
    from lakehouse.s3 import s3_client
    from lakehouse.silver import job

    unique = f"t-{uuid.uuid4().hex[:10]}"
    s = dataclasses.replace(
        settings, bronze_prefix=f"{unique}/bronze", silver_prefix=f"{unique}/silver",
        simulator_peak_airborne=200, data_docs_dir=str(tmp_path_factory.mktemp("docs")),
    )  # fmt: skip
    with psycopg.connect(s.pg_conninfo("writer"), autocommit=True) as conn:
        conn.execute("DELETE FROM meta.bronze_objects")  # the job picks from the whole ledger
    slot = [T0 + timedelta(minutes=15 * i) for i in range(10)]
    good = ingest_snapshot(slot[0], settings=s).key
    keys = {
        "good": good,
        "rows": land_envelope(s, slot[1], _rows_body()),
        "nan": land_envelope(s, slot[2], NAN_BODY),
        "not_utf8_body": land_envelope(s, slot[3], NOT_UTF8_BODY),
        "html_body": land_envelope(s, slot[4], HTML),
        "zero_flights": land_envelope(s, slot[5], body({}, full_count=0)),
    }
    whole = read_object(s3_client(s), s.bucket, good)
    keys |= {
        "truncated": land_raw_object(s, slot[6], whole[: len(whole) // 2]),
        "empty_object": land_raw_object(s, slot[7], b"{}"),
        "not_utf8_object": land_raw_object(s, slot[8], b"\xff\xfe\x00\x81garbage\xc3"),
        "html_object": land_raw_object(s, slot[9], HTML),
    }
    results = job.run(spark, s, _args())
    return s, keys, results


def _quarantine(spark, settings, key):
    from pyspark.sql import functions as F

    from lakehouse.silver.merge import FLIGHTS_QUARANTINE, read_table

    rows = read_table(spark, settings, FLIGHTS_QUARANTINE).where(F.col("bronze_key") == key)
    return {r["entry_key"]: r["reason"] for r in rows.collect()}


def _clean(spark, settings, key):
    from pyspark.sql import functions as F

    from lakehouse.silver.merge import FLIGHTS_CLEAN, read_table

    rows = read_table(spark, settings, FLIGHTS_CLEAN).where(F.col("bronze_key") == key)
    return {r["flight_id"]: r for r in rows.collect()}


def test_unreadable_objects_fail_with_a_reason_and_the_rest_of_the_batch_is_published(
    hostile_run,
):
    s, keys, results = hostile_run
    ledger = ledger_rows(s)
    for name in ("truncated", "empty_object", "not_utf8_object", "html_object"):
        status, attempts, error, *_ = ledger[keys[name]]
        assert status == "failed", name
        assert attempts == 1
        assert error.startswith("unreadable_envelope"), (name, error)
    for name in ("good", "rows", "nan", "html_body", "zero_flights"):
        status, _, error, flight_count, raw, clean, quarantined, duplicates = ledger[keys[name]]
        assert status == "processed", (name, error)
        assert raw == flight_count, f"{name}: ledger says {flight_count} flights, silver saw {raw}"
        assert raw == clean + quarantined + duplicates
    assert len(results) == 1 and len(results[0].unreadable) == 4


def test_every_hostile_row_is_quarantined_with_its_reason_or_kept_clean(hostile_run, spark):
    s, keys, _ = hostile_run
    expected_quarantine = {k: r for k, (_, r) in ROWS.items() if r is not None}
    expected_quarantine["a000000d"] = "invalid_latitude"  # the repeated key: last value wins
    assert _quarantine(spark, s, keys["rows"]) == expected_quarantine
    clean = _clean(spark, s, keys["rows"])
    assert set(clean) == {k for k, (_, r) in ROWS.items() if r is None}
    huge = clean["a0000008"]
    assert huge["altitude_ft"] is None and huge["altitude_out_of_range"] is True
    assert clean["a0000009"]["callsign"] == LONG
    edge = clean["a0000010"]
    assert (edge["latitude"], edge["longitude"]) == (90.0, -180.0)
    top = clean["a0000013"]
    assert (top["heading"], top["altitude_ft"], top["ground_speed_kt"]) == (360, 60000, 1200)
    assert not (top["heading_out_of_range"] or top["altitude_out_of_range"])


def test_nan_and_infinity_are_rejected_or_nulled_never_fail_the_batch(hostile_run, spark):
    s, keys, _ = hostile_run
    quarantined = _quarantine(spark, s, keys["nan"])
    assert quarantined == {k: r for k, r in NAN_EXPECTED.items() if r is not None}
    clean = _clean(spark, s, keys["nan"])
    assert set(clean) == {"b0000003"}
    assert clean["b0000003"]["altitude_ft"] is None
    assert clean["b0000003"]["altitude_out_of_range"] is True


def test_invalid_utf8_body_is_kept_with_replacement_characters(hostile_run, spark):
    s, keys, _ = hostile_run
    clean = _clean(spark, s, keys["not_utf8_body"])
    assert clean["c0000001"]["callsign"] == "\ufffd\ufffdBAW"


def test_empty_and_html_bodies_are_processed_as_zero_rows(hostile_run):
    s, keys, _ = hostile_run
    ledger = ledger_rows(s)
    for name in ("html_body", "zero_flights"):
        assert ledger[keys[name]][0] == "processed"
        assert ledger[keys[name]][3:] == (0, 0, 0, 0, 0), name


def test_the_good_object_is_published_exactly(hostile_run, spark):
    from lakehouse.s3 import s3_client

    s, keys, _ = hostile_run
    clean, _, raw = expected_from_bronze(s3_client(s), s, [keys["good"]])
    got = {
        (fid, int(r["observed_at"].replace(tzinfo=UTC).timestamp()))
        for fid, r in _clean(spark, s, keys["good"]).items()
    }
    assert raw > 0 and got == clean


def test_a_failed_object_stops_being_picked_after_max_attempts(hostile_run, pg):
    from lakehouse.silver import job

    s, keys, _ = hostile_run
    failed = {keys[n] for n in ("truncated", "empty_object", "not_utf8_object", "html_object")}
    assert failed <= set(job.select_keys(s, _args()))  # one attempt used of three: retried
    pg.execute("UPDATE meta.bronze_objects SET attempts = %s WHERE key = ANY(%s)",
               (s.silver_max_attempts, sorted(failed)))  # fmt: skip
    assert not failed & set(job.select_keys(s, _args()))
    capped = dataclasses.replace(s, silver_max_attempts=s.silver_max_attempts + 1)
    assert failed <= set(job.select_keys(capped, _args()))


def test_a_body_that_is_not_utf8_is_counted_alike_by_bronze_and_silver(hostile_run):
    s, keys, _ = hostile_run
    status, _, _, flight_count, raw, *_ = ledger_rows(s)[keys["not_utf8_body"]]
    assert status == "processed"
    assert raw == flight_count == 1
