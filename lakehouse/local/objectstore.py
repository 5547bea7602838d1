"""versitygw, the S3-compatible gateway, serving .local/s3 on loopback (POSIX backend).

The binary is built from the Go module proxy by scripts/build_versitygw.sh (pinned version);
buckets are plain directories below the root and objects plain files, which makes the local
bronze layer easy to inspect with `ls`.
"""

from __future__ import annotations

import logging
import os
import subprocess
from pathlib import Path
from urllib.parse import urlparse

from lakehouse.local.process import pid_alive, port_open, spawn, wait_for
from lakehouse.local.process import stop as stop_pid
from lakehouse.s3 import ensure_bucket
from lakehouse.settings import PROJECT_ROOT, Settings

log = logging.getLogger(__name__)

BINARY = PROJECT_ROOT / ".cache" / "bin" / "versitygw"


def _root(settings: Settings) -> Path:
    return Path(settings.local_dir) / "objectstore"


def _address(settings: Settings) -> tuple[str, int]:
    url = urlparse(settings.s3_endpoint_url)
    return url.hostname or "127.0.0.1", url.port or 7070


def is_running(settings: Settings) -> bool:
    return port_open(*_address(settings))


def install() -> Path:
    subprocess.run(["bash", str(PROJECT_ROOT / "scripts" / "build_versitygw.sh")], check=True)
    return BINARY


def start(settings: Settings) -> None:
    root = _root(settings)
    if not is_running(settings):
        binary = install()
        data = root / "data"
        data.mkdir(parents=True, exist_ok=True)
        host, port = _address(settings)
        env = {
            **os.environ,
            "ROOT_ACCESS_KEY": settings.require("s3_access_key"),
            "ROOT_SECRET_KEY": settings.require("s3_secret_key"),
        }
        # Credentials go through the environment, never the command line (visible in `ps`).
        spawn(
            [
                str(binary),
                "--port",
                f"{host}:{port}",
                "--region",
                settings.s3_region,
                "--quiet",
                "posix",
                str(data),
            ],
            root / "versitygw.log",
            root / "versitygw.pid",
            env=env,
        )
        wait_for(lambda: is_running(settings), "versitygw", timeout=30)
    if ensure_bucket(settings):
        log.info("created bucket %s", settings.bucket)
    log.info("object store up at %s (bucket %s)", settings.s3_endpoint_url, settings.bucket)


def stop(settings: Settings) -> bool:
    return stop_pid(_root(settings) / "versitygw.pid")


def pid(settings: Settings) -> int | None:
    return pid_alive(_root(settings) / "versitygw.pid")
