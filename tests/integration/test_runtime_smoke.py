"""The runtime is real: object store semantics, Spark + Delta on S3A, Postgres roles."""

from __future__ import annotations

import psycopg
import pytest
from botocore.exceptions import ClientError

pytestmark = pytest.mark.integration


def test_conditional_create_never_replaces_an_object(settings, services, unique_prefix):
    from lakehouse.s3 import s3_client

    client = s3_client(settings)
    key = f"{unique_prefix}/once.json"
    client.put_object(Bucket=settings.bucket, Key=key, Body=b"first", IfNoneMatch="*")
    with pytest.raises(ClientError) as excinfo:
        client.put_object(Bucket=settings.bucket, Key=key, Body=b"second", IfNoneMatch="*")
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412
    body = client.get_object(Bucket=settings.bucket, Key=key)["Body"].read()
    assert body == b"first"


@pytest.mark.slow
def test_delta_on_s3a_writes_merges_and_serves_change_feed(spark, settings, unique_prefix):
    from delta.tables import DeltaTable

    path = f"s3a://flights-data/_smoke/{unique_prefix}/t"
    spark.createDataFrame([(1, "a"), (2, "b")], "id INT, v STRING").write.format("delta").save(path)
    table = DeltaTable.forPath(spark, path)
    updates = spark.createDataFrame([(2, "B"), (3, "c")], "id INT, v STRING")
    (
        table.alias("t")
        .merge(updates.alias("s"), "t.id = s.id")
        .whenMatchedUpdateAll()
        .whenNotMatchedInsertAll()
        .execute()
    )
    rows = sorted(tuple(r) for r in spark.read.format("delta").load(path).collect())
    assert rows == [(1, "a"), (2, "B"), (3, "c")]
    changes = (
        spark.read.format("delta")
        .option("readChangeFeed", "true")
        .option("startingVersion", 1)
        .load(path)
        .select("id", "v", "_change_type")
        .collect()
    )
    assert sorted(tuple(r) for r in changes) == [
        (2, "B", "update_postimage"),
        (2, "b", "update_preimage"),
        (3, "c", "insert"),
    ]


def test_writer_role_writes_pipeline_schemas(settings, services):
    with psycopg.connect(settings.pg_conninfo("writer")) as conn:
        conn.execute("CREATE TEMP TABLE probe (x int)")
        assert conn.execute("SELECT count(*) FROM meta.bronze_objects").fetchone() is not None
        conn.rollback()


def test_writer_role_cannot_drop_a_schema(settings, services):
    with (
        psycopg.connect(settings.pg_conninfo("writer")) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute("DROP SCHEMA gold CASCADE")


@pytest.mark.parametrize(
    "statement",
    [
        "SELECT * FROM meta.bronze_objects",
        "SELECT * FROM silver.flights_clean",
        "CREATE TABLE gold.intruder (x int)",
    ],
)
def test_reader_role_sees_gold_only(settings, services, statement):
    with (
        psycopg.connect(settings.pg_conninfo("reader")) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute(statement)


def test_reader_role_can_connect_and_use_gold(settings, services):
    with psycopg.connect(settings.pg_conninfo("reader")) as conn:
        assert conn.execute("SELECT has_schema_privilege('gold', 'USAGE')").fetchone() == (True,)
