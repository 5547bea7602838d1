"""A Spark standalone cluster (one master, one worker) from the installed pyspark, on loopback.

The docker-compose stack runs the jobs on a standalone master and worker; this module starts the
same two daemons from the venv's pyspark so the local path (and the tests) can prove the same
``spark-submit`` works against a ``spark://`` URL, without Docker. Both daemons and their web UIs
bind to 127.0.0.1 only; their pid files, logs and scratch space live under
``.local/spark-cluster/``.

    python -m lakehouse.local.spark_cluster start   # prints the master URL
    python -m lakehouse.local.spark_cluster stop
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import importlib.util
import json
import logging
import os
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lakehouse.local.process import pid_alive, port_open, spawn
from lakehouse.local.process import stop as stop_pid
from lakehouse.settings import Settings, get_settings

log = logging.getLogger(__name__)

LOOPBACK = "127.0.0.1"
MASTER_CLASS = "org.apache.spark.deploy.master.Master"
WORKER_CLASS = "org.apache.spark.deploy.worker.Worker"


@dataclass(frozen=True)
class ClusterConfig:
    """Ports and size of the local cluster.

    The defaults stay clear of Spark's own (7077/8080: Airflow's UI is on 8080 here); tests pick
    free ports so they never meet a cluster someone else started.
    """

    master_port: int = 17077
    master_webui_port: int = 18080
    worker_port: int = 17078
    worker_webui_port: int = 18081
    worker_cores: int = 1
    worker_memory: str = "1g"
    daemon_memory: str = "512m"  # heap of the master and worker JVMs themselves

    @property
    def master_url(self) -> str:
        return f"spark://{LOOPBACK}:{self.master_port}"

    @property
    def master_webui_url(self) -> str:
        return f"http://{LOOPBACK}:{self.master_webui_port}"


def cluster_dir(settings: Settings) -> Path:
    return Path(settings.local_dir) / "spark-cluster"


def spark_home() -> Path:
    """The pyspark package folder: it carries ``bin/spark-class`` and the Spark jars."""
    spec = importlib.util.find_spec("pyspark")
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError("pyspark is not installed in this environment")
    return Path(spec.origin).parent


def master_state(config: ClusterConfig, timeout: float = 2.0) -> dict[str, Any] | None:
    """The master's status JSON (workers, active and completed apps), or None if unreachable."""
    try:
        with urllib.request.urlopen(f"{config.master_webui_url}/json/", timeout=timeout) as resp:
            state: dict[str, Any] = json.loads(resp.read())
            return state
    except (urllib.error.URLError, OSError, ValueError):
        return None


def alive_workers(config: ClusterConfig) -> list[dict[str, Any]]:
    state = master_state(config) or {}
    return [w for w in state.get("workers", []) if w.get("state") == "ALIVE"]


def _daemon_env(config: ClusterConfig, root: Path) -> dict[str, str]:
    python = sys.executable
    return {
        **os.environ,
        "SPARK_HOME": str(spark_home()),
        # binds the daemons' RPC endpoints *and* web UIs (which otherwise listen on 0.0.0.0)
        "SPARK_LOCAL_IP": LOOPBACK,
        "SPARK_PUBLIC_DNS": LOOPBACK,
        "SPARK_LOCAL_DIRS": str(root / "tmp"),
        "SPARK_DAEMON_MEMORY": config.daemon_memory,
        "SPARK_CONF_DIR": str(root / "conf"),  # empty: nothing of the host's Spark leaks in
        # executors run the venv's python, where the lakehouse package is installed
        "PYSPARK_PYTHON": os.environ.get("PYSPARK_PYTHON", python),
    }


def _reap_when_done(pid: int) -> None:
    """Collect the daemon's exit status when it ends, so a stopped daemon is not a zombie.

    Only possible in the process that spawned it; ``stop`` then sees it gone at once instead of
    waiting out its timeout on a pid that still answers signals.
    """

    def wait() -> None:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)

    threading.Thread(target=wait, name=f"reap-{pid}", daemon=True).start()


def _wait(predicate: Any, what: str, log_file: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    tail = log_file.read_text(errors="replace")[-2000:] if log_file.exists() else "(no log)"
    raise TimeoutError(f"{what} did not come up within {timeout:.0f}s; {log_file} ends:\n{tail}")


def start(
    settings: Settings | None = None,
    config: ClusterConfig | None = None,
    *,
    timeout: float = 120.0,
) -> ClusterConfig:
    """Start the master and one worker (idempotent) and return once the worker has registered.

    A cluster already running from ``.local/spark-cluster`` is reused with the ports it was
    started with, whatever ``config`` says; stop it first to change them.
    """
    s = settings or get_settings()
    root = cluster_dir(s)
    running = _recorded_config(root)
    if running is not None and pid_alive(root / "master.pid"):
        config = running
    else:
        config = config or ClusterConfig()
    for sub in ("tmp", "conf", "work"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    (root / "cluster.json").write_text(json.dumps(dataclasses.asdict(config), indent=2))
    spark_class = str(spark_home() / "bin" / "spark-class")
    env = _daemon_env(config, root)
    started = time.monotonic()

    if not pid_alive(root / "master.pid"):
        pid = spawn(
            [spark_class, MASTER_CLASS, "--host", LOOPBACK, "--port", str(config.master_port),
             "--webui-port", str(config.master_webui_port)],
            root / "master.log", root / "master.pid", env=env,
        )  # fmt: skip
        _reap_when_done(pid)
    _wait(
        lambda: port_open(LOOPBACK, config.master_port) and master_state(config) is not None,
        f"Spark master at {config.master_url}",
        root / "master.log",
        timeout,
    )
    if not pid_alive(root / "worker.pid"):
        pid = spawn(
            [spark_class, WORKER_CLASS, config.master_url, "--host", LOOPBACK,
             "--port", str(config.worker_port), "--webui-port", str(config.worker_webui_port),
             "--cores", str(config.worker_cores), "--memory", config.worker_memory,
             "--work-dir", str(root / "work")],
            root / "worker.log", root / "worker.pid", env=env,
        )  # fmt: skip
        _reap_when_done(pid)
    _wait(
        lambda: bool(alive_workers(config)),
        f"a Spark worker registered with {config.master_url}",
        root / "worker.log",
        timeout,
    )
    log.info(
        "Spark standalone cluster up at %s (UI %s), 1 worker, %d core(s), %s, in %.1fs",
        config.master_url,
        config.master_webui_url,
        config.worker_cores,
        config.worker_memory,
        time.monotonic() - started,
    )
    return config


def stop(settings: Settings | None = None) -> list[str]:
    """Stop the worker (and its executors), then the master; return what was running."""
    root = cluster_dir(settings or get_settings())
    stopped = [name for name in ("worker", "master") if stop_pid(root / f"{name}.pid")]
    if stopped:
        log.info("stopped Spark %s", " and ".join(stopped))
    return stopped


def running_config(settings: Settings | None = None) -> ClusterConfig | None:
    """The config of the cluster running from ``.local/spark-cluster``, if its master is up."""
    root = cluster_dir(settings or get_settings())
    if not pid_alive(root / "master.pid"):
        return None
    return _recorded_config(root)


def _recorded_config(root: Path) -> ClusterConfig | None:
    try:
        return ClusterConfig(**json.loads((root / "cluster.json").read_text()))
    except (OSError, ValueError, TypeError):
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m lakehouse.local.spark_cluster",
        description="Start or stop a local Spark standalone master and worker (loopback only).",
    )
    parser.add_argument("action", choices=("start", "stop", "status"))
    defaults = ClusterConfig()
    parser.add_argument("--master-port", type=int, default=defaults.master_port)
    parser.add_argument("--master-webui-port", type=int, default=defaults.master_webui_port)
    parser.add_argument("--worker-port", type=int, default=defaults.worker_port)
    parser.add_argument("--worker-webui-port", type=int, default=defaults.worker_webui_port)
    parser.add_argument("--worker-cores", type=int, default=defaults.worker_cores)
    parser.add_argument("--worker-memory", default=defaults.worker_memory)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if args.action == "start":
        config = start(
            config=ClusterConfig(
                master_port=args.master_port,
                master_webui_port=args.master_webui_port,
                worker_port=args.worker_port,
                worker_webui_port=args.worker_webui_port,
                worker_cores=args.worker_cores,
                worker_memory=args.worker_memory,
            )
        )
        print(config.master_url)
    elif args.action == "stop":
        print("stopped: " + (", ".join(stop()) or "nothing was running"))
    else:
        running = running_config()
        if running is None:
            print("not running")
            return 1
        print(f"{running.master_url} (UI {running.master_webui_url}), "
              f"{len(alive_workers(running))} alive worker(s)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
