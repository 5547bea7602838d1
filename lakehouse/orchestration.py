"""What DAG files need from the package at parse time: cheap, import-free lookups only.

Nothing here opens a connection or imports Spark; anything that does real work is referenced
by name and runs inside a task.
"""

from __future__ import annotations

import importlib.util
import os

OWNER = "data-platform"
DEFAULT_RETRIES = 2
#: The asset the silver DAG updates and the gold layer waits on.
SILVER_ASSET_URI = "s3://flights-data/silver/flights_clean"


def setting(name: str, default: str) -> str:
    """A plain setting read from the environment (``LAKEHOUSE_<NAME>``), cheap at parse time.

    DAG arguments such as a bucket name or a schedule must exist when the file is parsed; they
    come from the same variables as :mod:`lakehouse.settings`, without importing it.
    """
    return os.environ.get(f"LAKEHOUSE_{name.upper()}", default)


def spark_job_path(module: str) -> str:
    """Filesystem path of a job module, for spark-submit, found without importing it."""
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError(f"no Spark job module {module!r} in the installed package")
    return spec.origin


def spark_properties_file() -> str:
    """Render conf/spark-defaults.conf for this machine (a template macro: runs in the task)."""
    from lakehouse.spark import render_properties_file

    return str(render_properties_file())
