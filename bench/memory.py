"""Peak memory of the Spark driver JVM and of Postgres, sampled while a stage runs.

RSS of the JVM is its own. Postgres is many processes sharing one buffer pool, so their RSS
summed counts shared pages once per process; PSS (proportional set size) splits each shared
page between the processes mapping it, and its sum is the honest total.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil

from lakehouse.settings import Settings

MB = 1024 * 1024


def spark_jvms() -> list[psutil.Process]:
    """Java processes started under this one (the in-process session's driver JVM)."""
    me = psutil.Process()
    return [p for p in me.children(recursive=True) if "java" in (p.name() or "")]


def postgres_processes(settings: Settings) -> list[psutil.Process]:
    """The postmaster of the local cluster and its children."""
    pid_file = Path(settings.local_dir) / "postgres" / "data" / "postmaster.pid"
    try:
        postmaster = psutil.Process(int(pid_file.read_text().split()[0]))
    except (OSError, ValueError, psutil.NoSuchProcess):
        return []
    return [postmaster, *postmaster.children(recursive=True)]


def _pss(process: psutil.Process) -> int:
    try:
        return int(process.memory_full_info().pss)
    except (psutil.NoSuchProcess, psutil.AccessDenied, AttributeError):
        return 0


def _rss(process: psutil.Process) -> int:
    try:
        return int(process.memory_info().rss)
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return 0


class PeakSampler:
    """Samples both figures on a thread every ``interval_s`` and keeps the peaks (in MB)."""

    def __init__(self, settings: Settings, interval_s: float = 0.5) -> None:
        self.settings = settings
        self.interval_s = interval_s
        self.jvm_rss_mb = 0.0
        self.postgres_pss_mb = 0.0
        self.postgres_rss_sum_mb = 0.0
        self.samples = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def sample(self) -> None:
        jvm = sum(_rss(p) for p in spark_jvms()) / MB
        pg = postgres_processes(self.settings)
        self.jvm_rss_mb = max(self.jvm_rss_mb, jvm)
        self.postgres_pss_mb = max(self.postgres_pss_mb, sum(_pss(p) for p in pg) / MB)
        self.postgres_rss_sum_mb = max(self.postgres_rss_sum_mb, sum(_rss(p) for p in pg) / MB)
        self.samples += 1

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.sample()

    def result(self) -> dict[str, float]:
        return {
            "spark_driver_jvm_peak_rss_mb": round(self.jvm_rss_mb, 1),
            "postgres_peak_pss_mb": round(self.postgres_pss_mb, 1),
            "postgres_peak_rss_sum_mb": round(self.postgres_rss_sum_mb, 1),
            "samples": self.samples,
        }


@contextmanager
def peak_memory(settings: Settings, interval_s: float = 0.5) -> Iterator[PeakSampler]:
    """Sample while the block runs; the sampler holds the peaks afterwards."""
    sampler = PeakSampler(settings, interval_s)
    sampler.sample()
    thread = threading.Thread(target=sampler._loop, name="bench-memory", daemon=True)
    thread.start()
    try:
        yield sampler
    finally:
        sampler._stop.set()
        thread.join()
        sampler.sample()
