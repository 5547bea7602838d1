"""The SQL files shipped in the package (gold's and the report's), read as trusted text."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import LiteralString


@cache
def load(name: str, package: str = "lakehouse.gold") -> LiteralString:
    """The text of ``<package>/<name>.sql`` (gold's files by default; the report keeps its own).

    The files ship inside the package and are never built from input, so they are as trusted as
    literals in code (the type annotation says so).
    """
    path = resources.files(package) / f"{name}.sql"
    text: LiteralString = path.read_text(encoding="utf-8")
    return text
