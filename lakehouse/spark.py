"""SparkSession and spark-submit settings, built from conf/spark-defaults.conf.

One source for every way Spark starts here: ``build_session`` (jobs and tests) applies the file's
properties to the builder, and ``render_properties_file`` writes the same properties, with the jar
folder made absolute, for ``spark-submit --properties-file`` and the SparkSubmitOperator.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from lakehouse.settings import Settings, get_settings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

JARS_TOKEN = "${LAKEHOUSE_JARS_DIR}"


def spark_properties(settings: Settings | None = None) -> dict[str, str]:
    """conf/spark-defaults.conf as a dict, with the jar folder token made absolute."""
    s = settings or get_settings()
    jars_dir = Path(s.jars_dir).resolve()
    props: dict[str, str] = {}
    for line in Path(s.spark_conf_file).read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, _, value = line.partition(" ")
        props[key] = value.strip().replace(JARS_TOKEN, str(jars_dir))
    jars = props.get("spark.jars", "")
    if "*" in jars:
        # spark-submit expands globs itself; a builder-made session wants the explicit list.
        matched = sorted(str(p) for p in jars_dir.glob("*.jar"))
        if not matched:
            raise FileNotFoundError(
                f"no jars in {jars_dir}; run `make jars` (scripts/fetch_jars.sh) first"
            )
        props["spark.jars"] = ",".join(matched)
    return props


def s3a_runtime_conf(settings: Settings | None = None) -> dict[str, str]:
    """Endpoint and credentials for S3A, taken from settings at run time (never from a file)."""
    s = settings or get_settings()
    return {
        "spark.hadoop.fs.s3a.endpoint": s.s3_endpoint_url,
        "spark.hadoop.fs.s3a.endpoint.region": s.s3_region,
        "spark.hadoop.fs.s3a.connection.ssl.enabled": str(
            s.s3_endpoint_url.startswith("https")
        ).lower(),
        "spark.hadoop.fs.s3a.access.key": s.require("s3_access_key"),
        "spark.hadoop.fs.s3a.secret.key": s.require("s3_secret_key"),
    }


def render_properties_file(settings: Settings | None = None) -> Path:
    """Write the rendered properties (no secrets) under .local/spark and return its path."""
    s = settings or get_settings()
    out = Path(s.local_dir) / "spark" / "spark-defaults.conf"
    out.parent.mkdir(parents=True, exist_ok=True)
    props = spark_properties(s)
    props.update(
        {
            "spark.hadoop.fs.s3a.endpoint": s.s3_endpoint_url,
            "spark.hadoop.fs.s3a.endpoint.region": s.s3_region,
            "spark.hadoop.fs.s3a.connection.ssl.enabled": str(
                s.s3_endpoint_url.startswith("https")
            ).lower(),
        }
    )
    text = "".join(f"{k} {v}\n" for k, v in sorted(props.items()))
    tmp = out.with_suffix(".tmp")
    tmp.write_text(text)
    tmp.replace(out)
    return out


def build_session(
    app_name: str,
    *,
    master: str | None = None,
    settings: Settings | None = None,
    extra_conf: dict[str, str] | None = None,
) -> SparkSession:
    """A SparkSession with Delta and S3A configured exactly as spark-submit would have it.

    Under spark-submit the master and jars are already set by the launcher; ``master`` is then
    left alone unless given explicitly.
    """
    from pyspark.sql import SparkSession

    s = settings or get_settings()
    builder = SparkSession.builder.appName(app_name)
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    for key, value in {**spark_properties(s), **s3a_runtime_conf(s), **(extra_conf or {})}.items():
        builder = builder.config(key, value)
    if master:
        builder = builder.master(master)
    elif not _launched_by_spark_submit():
        builder = builder.master(s.spark_master)
    return builder.getOrCreate()


def _launched_by_spark_submit() -> bool:
    import os

    return "PYSPARK_GATEWAY_PORT" in os.environ or "SPARK_SUBMIT_OPTS" in os.environ
