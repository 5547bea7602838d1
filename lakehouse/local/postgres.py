"""A private PostgreSQL cluster under .local/postgres, from Debian's packages.

The cluster listens on loopback only (port from settings) and on a private unix socket. Local
socket connections are trusted (only this machine's users can reach the socket directory); TCP
connections need a password (scram-sha-256). When run as root, the server runs as the
``postgres`` system user, since PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import glob
import logging
import os
import shutil
import subprocess
from pathlib import Path

from lakehouse.db.bootstrap import bootstrap
from lakehouse.db.migrate import migrate
from lakehouse.local.process import port_open, wait_for
from lakehouse.settings import Settings

log = logging.getLogger(__name__)


def _root(settings: Settings) -> Path:
    return Path(settings.local_dir) / "postgres"


def _bindir() -> Path | None:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=_version_key)
    if candidates:
        return Path(candidates[-1]).parent
    found = shutil.which("pg_ctl")
    return Path(found).resolve().parent if found else None


def _version_key(path: str) -> int:
    try:
        return int(Path(path).parts[4])
    except (IndexError, ValueError):
        return 0


def install() -> Path:
    """Make sure the server binaries exist, installing Debian's package when they don't."""
    bindir = _bindir()
    if bindir is not None:
        return bindir
    if os.geteuid() != 0:
        raise RuntimeError("PostgreSQL is not installed; run `sudo apt-get install postgresql`")
    log.info("installing PostgreSQL from Debian's packages")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "postgresql"],
        check=True,
        env=env,
    )
    bindir = _bindir()
    if bindir is None:
        raise RuntimeError("apt-get installed postgresql but pg_ctl is still missing")
    return bindir


def _as_server_user(cmd: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


def _chown_for_server(path: Path) -> None:
    if os.geteuid() == 0:
        subprocess.run(["chown", "-R", "postgres:postgres", str(path)], check=True)


def socket_dir(settings: Settings) -> Path:
    return _root(settings) / "run"


def admin_conninfo(settings: Settings) -> str:
    return (
        f"host={socket_dir(settings)} port={settings.pg_port} dbname=postgres user=postgres "
        "application_name=lakehouse-admin"
    )


def is_running(settings: Settings) -> bool:
    return port_open(settings.pg_host, settings.pg_port)


def start(settings: Settings) -> None:
    """Init (first time), start, bootstrap roles/schemas and migrate. Safe to call repeatedly."""
    bindir = install()
    root = _root(settings)
    data, run, logfile = root / "data", socket_dir(settings), root / "postgres.log"
    if not (data / "PG_VERSION").exists():
        root.mkdir(parents=True, exist_ok=True)
        data.mkdir(exist_ok=True)
        run.mkdir(exist_ok=True)
        _chown_for_server(root)
        log.info("initialising a new cluster in %s", data)
        subprocess.run(
            _as_server_user(
                [
                    str(bindir / "initdb"),
                    "-D",
                    str(data),
                    "-U",
                    "postgres",
                    "-E",
                    "UTF8",
                    "--locale=C.UTF-8",
                    "--auth-local=trust",
                    "--auth-host=scram-sha-256",
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
    if not is_running(settings):
        run.mkdir(parents=True, exist_ok=True)
        _chown_for_server(run)
        opts = (
            f"-p {settings.pg_port} -k {run} -c listen_addresses={settings.pg_host} "
            "-c max_connections=200 -c shared_buffers=256MB -c fsync=on"
        )
        subprocess.run(
            _as_server_user(
                [
                    str(bindir / "pg_ctl"),
                    "-D",
                    str(data),
                    "-l",
                    str(logfile),
                    "-o",
                    opts,
                    "-w",
                    "-t",
                    "60",
                    "start",
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        wait_for(lambda: is_running(settings), "PostgreSQL", timeout=60)
    bootstrap(admin_conninfo(settings), settings)
    applied = migrate(settings)
    log.info(
        "postgres up on %s:%s (%d migration(s) applied)",
        settings.pg_host,
        settings.pg_port,
        len(applied),
    )


def stop(settings: Settings) -> bool:
    bindir = _bindir()
    data = _root(settings) / "data"
    if bindir is None or not (data / "PG_VERSION").exists() or not is_running(settings):
        return False
    subprocess.run(
        _as_server_user([str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return True
