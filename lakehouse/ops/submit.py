"""Run a package job through spark-submit, exactly as the SparkSubmitOperator would."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from lakehouse.orchestration import spark_job_path
from lakehouse.settings import Settings
from lakehouse.spark import render_properties_file


def spark_submit_command(
    module: str, args: Sequence[str], settings: Settings, *, master: str | None = None
) -> list[str]:
    binary = shutil.which("spark-submit") or str(Path(sys.executable).with_name("spark-submit"))
    return [
        binary,
        "--master", master or settings.spark_master,
        "--properties-file", str(render_properties_file(settings)),
        "--name", module.rsplit(".", 1)[-1],
        spark_job_path(module),
        *args,
    ]  # fmt: skip


def run_job(
    module: str,
    args: Sequence[str],
    settings: Settings,
    *,
    master: str | None = None,
    env: dict[str, str] | None = None,
) -> int:
    """spark-submit ``module`` with ``args``; its output streams to ours. Returns the exit code."""
    environment = {**os.environ, **(env or {})}
    environment.setdefault("PYSPARK_PYTHON", sys.executable)
    environment["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{environment.get('PATH', '')}"
    cmd = spark_submit_command(module, args, settings, master=master)
    return subprocess.run(cmd, env=environment, check=False).returncode
