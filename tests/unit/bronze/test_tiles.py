"""Bounds tiling: the base grid covers the globe, incomplete tiles split until all is seen."""

from __future__ import annotations

import json

import pytest

from lakehouse.bronze.tiles import (
    Tile,
    TilingError,
    base_tiles,
    cover,
    feed_counts,
    needs_split,
    parse_bounds,
)


def body(full_count: int, flights: dict[str, list[object]]) -> bytes:
    return json.dumps({"full_count": full_count, "version": 4, **flights, "stats": {}}).encode()


def test_base_grid_covers_the_globe_without_overlap() -> None:
    tiles = base_tiles()
    assert len(tiles) == 32
    area = sum((t.north - t.south) * (t.east - t.west) for t in tiles)
    assert area == 180 * 360
    assert tiles[0].bounds == "90,45,-180,-135"
    assert tiles[-1].bounds == "-45,-90,135,180"
    assert len({t.bounds for t in tiles}) == 32


def test_split_gives_four_quadrants_one_level_deeper() -> None:
    nw, ne, sw, se = Tile(90, 45, -180, -135).split()
    assert [q.bounds for q in (nw, ne, sw, se)] == [
        "90,67.5,-180,-157.5", "90,67.5,-157.5,-135", "67.5,45,-180,-157.5", "67.5,45,-157.5,-135",
    ]  # fmt: skip
    assert {q.depth for q in (nw, ne, sw, se)} == {1}


def test_bounds_text_is_exact_at_any_depth() -> None:
    tile = Tile(45, 0, 0, 45)
    for _ in range(8):
        tile = tile.split()[3]
    assert parse_bounds(tile.bounds) == (tile.north, tile.south, tile.west, tile.east)
    assert tile.bounds == "0.17578125,0,44.82421875,45"


def test_edges_are_inclusive() -> None:
    tile = Tile(10, 0, 0, 10)
    assert tile.contains(10, 10) and tile.contains(0, 0)
    assert not tile.contains(10.0001, 5)


def test_invalid_tiles_and_bounds_are_refused() -> None:
    with pytest.raises(ValueError, match="latitude"):
        Tile(0, 10, 0, 10)
    with pytest.raises(ValueError, match="north,south,west,east"):
        parse_bounds("1,2,3")


def test_feed_counts_reads_completeness_and_refuses_malformed_bodies() -> None:
    assert feed_counts(body(2, {"a": [], "b": []})).complete  # boundary: equal is complete
    assert needs_split(body(3, {"a": [], "b": []}))
    assert not needs_split(body(0, {}))
    with pytest.raises(ValueError):
        feed_counts(b'{"full_count":3,"vers')
    with pytest.raises(ValueError, match="full_count"):
        feed_counts(b'{"version":4}')
    with pytest.raises(ValueError, match="full_count"):
        feed_counts(b'{"full_count":null}')


def test_visible_stats_below_a_global_full_count_set_the_expectation() -> None:
    # FlightRadar24 has been seen sending a global full_count with per-bounds stats.visible.
    stats = {"total": {"ads-b": 22000}, "visible": {"ads-b": 2, "mlat": 1}}
    doc = {"full_count": 22000, "version": 4, "a": [], "b": [], "c": [], "stats": stats}
    counts = feed_counts(json.dumps(doc).encode())
    assert (counts.expected, counts.returned, counts.complete) == (3, 3, True)
    doc.pop("c")
    assert not feed_counts(json.dumps(doc).encode()).complete
    # Without usable visible counts, full_count is the expectation.
    doc["stats"] = {"visible": {"ads-b": "many"}}
    assert feed_counts(json.dumps(doc).encode()).expected == 22000


def test_a_body_that_reaches_the_cap_is_suspected_of_being_cut() -> None:
    full = body(3, {"a": [], "b": [], "c": []})
    assert feed_counts(full).complete
    assert not feed_counts(full, cap=3).complete
    assert feed_counts(full, cap=4).complete
    assert needs_split(full, cap=3) and not needs_split(full)


def test_cover_splits_until_every_point_is_returned() -> None:
    # 40 flights packed into one corner of one base tile, a feed capped at 5 per response.
    points = {f"{i:08x}": (80.0 - i * 0.2, -179.0 + i * 0.1) for i in range(40)}
    points["edge"] = (45.0, -135.0)  # on the corner of four base tiles
    cap = 5
    asked: list[str] = []

    def fetch(tile: Tile) -> bytes:
        asked.append(tile.bounds)
        inside = sorted(k for k, (la, lo) in points.items() if tile.contains(la, lo))
        return body(len(inside), {k: [] for k in inside[:cap]})

    leaves = cover(fetch, feed_counts)
    seen = [
        k for _, b in leaves for k in json.loads(b) if k not in ("full_count", "version", "stats")
    ]
    assert set(seen) == set(points)
    # Only the edge flight is seen twice or more (by every tile whose edge it sits on).
    assert len(seen) - len(set(seen)) == seen.count("edge") - 1
    assert all(feed_counts(b).complete for _, b in leaves)
    assert len(asked) > len(leaves)  # split parents were asked, then dropped
    assert max(t.depth for t, _ in leaves) >= 2


def test_cover_gives_up_at_max_depth_with_a_clear_error() -> None:
    def fetch(tile: Tile) -> bytes:
        return body(10, {})  # never holds its flights

    with pytest.raises(TilingError, match="after 2 splits"):
        cover(fetch, feed_counts, [Tile(10, 0, 0, 10)], max_depth=2)
