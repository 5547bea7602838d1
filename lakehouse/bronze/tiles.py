"""Cover the globe with FR24 ``bounds`` tiles, splitting any tile the feed could not answer whole.

The live feed returns at most a capped number of flights per request (about 1,500) and says
how many it knows. A snapshot is complete only when every tile's body holds all its flights,
so an incomplete tile is replaced by its four quadrants, recursively, to a bounded depth.

A body is incomplete when it holds fewer flights than it says exist in its bounds, or when it
holds as many as the cap (it may have been cut exactly there). "Exist in its bounds" is
``full_count``, unless ``stats.visible`` sums to less: FlightRadar24 itself has been reported
to send a global ``full_count`` (about 20k) with per-bounds counts in ``stats.visible``, and
taking ``full_count`` at its word there would split every tile to the depth limit. The local
server and the simulator send ``full_count`` = flights in bounds = the sum of ``visible``.

Bounds are inclusive on every edge (``south <= lat <= north``, ``west <= lon <= east``), as the
local FR24 server implements them: a flight exactly on a shared edge is seen by both tiles (a
duplicate raw row that silver removes) rather than by none. Tile edges are dyadic fractions of
the base grid, so their decimal text is exact and the server reads back the very same numbers.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

BASE_LAT_STEP = 45.0
BASE_LON_STEP = 45.0
DEFAULT_MAX_DEPTH = 8  # 45 deg / 2**8 ~ 0.18 deg ~ 20 km: past that the feed is broken, not busy


T = TypeVar("T")


class TilingError(RuntimeError):
    """The tiles could not be refined until every flight was covered."""


def _fmt(value: float) -> str:
    """Shortest exact text for a coordinate: ``45``, ``-22.5``, ``0.17578125``."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


@dataclass(frozen=True)
class Tile:
    """A bounds rectangle in degrees; ``depth`` counts the splits from its base tile."""

    north: float
    south: float
    west: float
    east: float
    depth: int = 0

    def __post_init__(self) -> None:
        if not (-90.0 <= self.south < self.north <= 90.0):
            raise ValueError(f"bad latitude range: south={self.south} north={self.north}")
        if not (-180.0 <= self.west < self.east <= 180.0):
            raise ValueError(f"bad longitude range: west={self.west} east={self.east}")

    @property
    def bounds(self) -> str:
        """FR24's ``bounds`` parameter: ``north,south,west,east``."""
        return ",".join(_fmt(v) for v in (self.north, self.south, self.west, self.east))

    def contains(self, latitude: float, longitude: float) -> bool:
        return self.south <= latitude <= self.north and self.west <= longitude <= self.east

    def split(self) -> tuple[Tile, Tile, Tile, Tile]:
        """The four quadrants, north-west, north-east, south-west, south-east."""
        mid_lat = (self.north + self.south) / 2
        mid_lon = (self.west + self.east) / 2
        d = self.depth + 1
        return (
            Tile(self.north, mid_lat, self.west, mid_lon, d),
            Tile(self.north, mid_lat, mid_lon, self.east, d),
            Tile(mid_lat, self.south, self.west, mid_lon, d),
            Tile(mid_lat, self.south, mid_lon, self.east, d),
        )


def parse_bounds(bounds: str) -> tuple[float, float, float, float]:
    """``"north,south,west,east"`` -> floats, as the server reads the parameter."""
    parts = bounds.split(",")
    if len(parts) != 4:
        raise ValueError(f"bounds={bounds!r}: expected north,south,west,east")
    north, south, west, east = (float(p) for p in parts)
    return north, south, west, east


def base_tiles(lat_step: float = BASE_LAT_STEP, lon_step: float = BASE_LON_STEP) -> list[Tile]:
    """A regular grid over the whole globe, north to south, west to east (32 tiles by default).

    Coarse on purpose: empty oceans cost one request each, and busy regions split themselves.
    """
    if 180.0 % lat_step or 360.0 % lon_step:
        raise ValueError("lat_step must divide 180 and lon_step must divide 360")
    tiles = []
    n_lat, n_lon = int(180.0 / lat_step), int(360.0 / lon_step)
    for i in range(n_lat):
        north = 90.0 - i * lat_step
        for j in range(n_lon):
            west = -180.0 + j * lon_step
            tiles.append(Tile(north, north - lat_step, west, west + lon_step))
    return tiles


@dataclass(frozen=True)
class FeedCounts:
    """What a live-feed body says about its own completeness.

    ``expected`` is the number of flights in the bounds; ``cap`` the most one response can
    hold, when the caller knows it (``None``: do not suspect a body of being cut at the cap).
    """

    expected: int
    returned: int
    cap: int | None = None

    @property
    def complete(self) -> bool:
        if self.cap is not None and self.cap > 0 and self.returned >= self.cap:
            return False
        return self.returned >= self.expected


def _visible_total(stats: object) -> int | None:
    visible = stats.get("visible") if isinstance(stats, dict) else None
    if not isinstance(visible, dict) or not visible:
        return None
    values = list(visible.values())
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in values):
        return None
    return sum(values)


def feed_counts(body: bytes, cap: int | None = None) -> FeedCounts:
    """Read what a body holds and what it says exists; raise ValueError if it is malformed."""
    document = json.loads(body)
    if not isinstance(document, dict):
        raise ValueError("feed body is not a JSON object")
    full_count = document.get("full_count")
    if isinstance(full_count, bool) or not isinstance(full_count, int) or full_count < 0:
        raise ValueError(f"feed body has no usable full_count (got {full_count!r})")
    returned = sum(1 for key in document if key not in ("full_count", "version", "stats"))
    visible = _visible_total(document.get("stats"))
    expected = full_count if visible is None else min(full_count, visible)
    return FeedCounts(expected, returned, cap)


def needs_split(body: bytes, cap: int | None = None) -> bool:
    """True when the body holds fewer flights than exist in its bounds, or hit the cap."""
    return not feed_counts(body, cap).complete


def cover(
    fetch: Callable[[Tile], T],
    counts_of: Callable[[T], FeedCounts],
    tiles: Iterable[Tile] | None = None,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> list[tuple[Tile, T]]:
    """Fetch every tile, splitting incomplete ones, and return the complete leaves in order.

    ``counts_of`` says what a fetched result holds (``feed_counts`` of its body, or counts the
    caller already knows). Depth first in base-tile order, so the order of the result depends
    only on the data. A split tile's own response is dropped: its four children together hold
    all of its flights. Raises ``TilingError`` when a tile at ``max_depth`` is still incomplete.
    """
    leaves: list[tuple[Tile, T]] = []
    stack = list(reversed(list(base_tiles() if tiles is None else tiles)))
    while stack:
        tile = stack.pop()
        result = fetch(tile)
        counts = counts_of(result)
        if counts.complete:
            leaves.append((tile, result))
            continue
        if tile.depth >= max_depth:
            raise TilingError(
                f"tile {tile.bounds} still holds {counts.returned} of {counts.expected} "
                f"flights after {tile.depth} splits; the feed is not honouring bounds or its "
                "cap is tiny: check the endpoint, or raise max_depth"
            )
        stack.extend(reversed(tile.split()))
    return leaves
