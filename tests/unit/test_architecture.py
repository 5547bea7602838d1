"""The package's rooms and who may import whom, checked by reading the source, never running it.

Every module under ``lakehouse/`` is parsed with ``ast``; every ``import`` it contains counts,
also those inside functions and ``TYPE_CHECKING`` blocks (a lazy import is still a dependency).
The rules follow imports through the package, so ``silver -> lakehouse.x -> airflow`` breaks the
silver rule as surely as a direct import. The rules and why: docs/architecture.md.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "lakehouse"
DAG_MODULES = frozenset(p.stem for p in (ROOT / "dags").glob("*.py")) | {"dags"}
SPARK = ("pyspark", "delta", "lakehouse.spark", "lakehouse.silver")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(source: str, module: str, is_package: bool = False) -> set[str]:
    """Absolute names of everything ``source`` imports (relative imports resolved)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = module.split(".")
                anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
                base = ".".join([*anchor, node.module] if node.module else anchor)
            else:
                base = node.module or ""
            found.add(base)
            # `from lakehouse.bronze import ledger` imports the module lakehouse.bronze.ledger.
            found.update(f"{base}.{alias.name}" for alias in node.names if alias.name != "*")
    return found


@cache
def package_modules() -> dict[str, set[str]]:
    """Module name -> the names it imports directly, for every module of the package."""
    graph = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = module_name(path)
        graph[name] = imports_of(path.read_text(), name, path.name == "__init__.py")
    return graph


def reachable(module: str, graph: dict[str, set[str]]) -> set[str]:
    """Every name ``module`` imports, directly or through other package modules."""
    seen: set[str] = set()
    todo = [module]
    while todo:
        for name in graph.get(todo.pop(), ()):
            if name not in seen:
                seen.add(name)
                todo.append(name)
    return seen


def within(name: str, prefixes: tuple[str, ...] | frozenset[str]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def offenders(
    room: str,
    forbidden: tuple[str, ...] | frozenset[str],
    graph: dict[str, set[str]] | None = None,
) -> dict[str, list[str]]:
    """Modules of ``room`` that reach a ``forbidden`` name, with the names they reach."""
    graph = package_modules() if graph is None else graph
    found = {}
    for module in graph:
        if within(module, (room,)):
            bad = sorted(n for n in reachable(module, graph) if within(n, forbidden))
            if bad:
                found[module] = bad
    return found


def test_the_package_has_the_rooms_the_rules_speak_of():
    names = set(package_modules())
    for room in ("lakehouse.bronze", "lakehouse.silver", "lakehouse.gold"):
        assert any(within(n, (room,)) for n in names - {room}), f"{room} has no modules"
    # The graph holds real imports: the Spark room does reach Spark, gold does reach Postgres.
    assert offenders("lakehouse.silver", ("pyspark",))
    assert offenders("lakehouse.gold", ("psycopg",))


def test_the_spark_job_never_imports_airflow():
    assert offenders("lakehouse.silver", ("airflow",)) == {}


def test_package_code_never_imports_dag_files():
    assert offenders("lakehouse", DAG_MODULES) == {}


def test_bronze_knows_nothing_of_silver_or_gold():
    assert offenders("lakehouse.bronze", ("lakehouse.silver", "lakehouse.gold")) == {}


def test_gold_knows_nothing_of_spark():
    assert offenders("lakehouse.gold", SPARK) == {}


@pytest.mark.parametrize(
    ("source", "module", "is_package", "expected"),
    [
        ("import airflow.sdk", "lakehouse.silver.x", False, {"airflow.sdk"}),
        (
            "def f():\n    from lakehouse.bronze import ledger",
            "lakehouse.silver.x",
            False,
            {"lakehouse.bronze", "lakehouse.bronze.ledger"},
        ),
        (
            "from ..gold import sql",
            "lakehouse.bronze.x",
            False,
            {"lakehouse.gold", "lakehouse.gold.sql"},
        ),
        (
            "from . import clean",
            "lakehouse.silver",
            True,
            {"lakehouse.silver", "lakehouse.silver.clean"},
        ),
        ("from .clean import *", "lakehouse.silver.job", False, {"lakehouse.silver.clean"}),
    ],
)
def test_imports_are_found_inside_functions_and_relative_ones_resolved(
    source, module, is_package, expected
):
    assert imports_of(source, module, is_package) == expected


def test_a_forbidden_import_two_modules_away_is_caught():
    graph = {
        "lakehouse.gold.refresh": {"lakehouse.helper"},
        "lakehouse.helper": {"pyspark.sql"},
        "lakehouse.gold.sql": {"typing"},
        "lakehouse.goldfish": {"pyspark"},  # a prefix of the name is not the room
    }
    assert offenders("lakehouse.gold", SPARK, graph) == {"lakehouse.gold.refresh": ["pyspark.sql"]}
