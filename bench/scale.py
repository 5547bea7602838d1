"""How big a run is, and the simulated calendar it writes bronze objects on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

#: Day 0 of the simulated history; any fixed date works, a fixed one keeps runs comparable.
EPOCH = datetime(2025, 9, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Scale:
    """A bench run's size.

    The issue's scale (12,000 airborne at peak, 96 snapshots a day, 30 days of history) means
    2,880 snapshots of up to 12,000 rows to backfill: far more than a shared 2-core machine can
    process in the half hour `make bench` may take. The history is therefore built at a smaller
    peak and fewer snapshots a day, with the issue's three history sizes (1, 7 and 30 days)
    kept; bronze, which costs one snapshot at a time, is measured at the realistic peak.
    The doc states both; nothing is extrapolated.
    """

    peak_airborne: int = 1000  # simulator peak for the history (growth, peer, memory, sync)
    snapshots_per_day: int = 8
    #: History sizes (simulated days) at which one new snapshot is timed; the first is the
    #: baseline every growth ratio divides by.
    history_days: tuple[int, ...] = (1, 7, 30)
    #: The backfill whose peak memory is reported: the one that ends at this history size.
    memory_days: int = 7
    #: Histories (days) the DuckDB peer runs on, on the same bronze files as Spark.
    peer_days: tuple[int, ...] = (1, 7)
    bronze_peak_airborne: int = 12_000  # bronze is measured one snapshot at a time: realistic
    bronze_samples: int = 4  # snapshots timed per bronze source
    growth_repeats: int = 2  # new snapshots timed at each history size (the median is used)

    def __post_init__(self) -> None:
        if (24 * 60) % self.snapshots_per_day or (24 * 60 // self.snapshots_per_day) % 15:
            raise ValueError("snapshots_per_day must give whole 15-minute slots (1, 2, 4, ... 96)")
        days = self.history_days
        if len(days) < 2 or list(days) != sorted(set(days)) or days[0] < 1:
            raise ValueError("history_days must be at least two increasing sizes, from 1 day up")
        if self.memory_days not in days[1:]:
            raise ValueError("memory_days must be one of the history sizes after the first")
        if not self.peer_days or max(self.peer_days) > days[-1]:
            raise ValueError("peer_days must lie within the largest history")

    @property
    def baseline_days(self) -> int:
        return self.history_days[0]

    @property
    def step(self) -> timedelta:
        return timedelta(days=1) / self.snapshots_per_day

    def slot(self, index: int) -> datetime:
        """The ``index``-th snapshot time of the simulated calendar."""
        return EPOCH + index * self.step

    def slots(self, start: int, stop: int) -> list[datetime]:
        return [self.slot(i) for i in range(start, stop)]


QUICK = Scale(
    peak_airborne=300,
    snapshots_per_day=4,
    history_days=(1, 2, 4),
    memory_days=2,
    peer_days=(1, 2),
    bronze_peak_airborne=1000,
    bronze_samples=2,
    growth_repeats=1,
)


def parse_days(text: str) -> tuple[int, ...]:
    """``"1,7,30"`` -> ``(1, 7, 30)`` (the command line's form of a list of history sizes)."""
    return tuple(int(part) for part in text.split(",") if part.strip())
