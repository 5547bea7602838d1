"""The gold SQL files, read from the installed package."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import LiteralString


@cache
def load(name: str) -> LiteralString:
    """The text of ``lakehouse/gold/<name>.sql``.

    The files ship inside the package and are never built from input, so they are as trusted as
    literals in code (the type annotation says so).
    """
    path = resources.files("lakehouse.gold") / f"{name}.sql"
    text: LiteralString = path.read_text(encoding="utf-8")
    return text
