"""What this round of optimisation replaced, kept so `make bench` measures both sides in one run.

Each entry is the previous shipped version of one function (the commit that replaced it says
why), restored for the length of a ``with reverted(...)`` block by swapping the module attribute
the pipeline calls. Nothing in ``lakehouse/`` imports this module; it exists so that a before /
after figure in docs/benchmarks.md is measured on the same machine minutes apart, not quoted
from an older run.

- ``flags``: the quality gate's reference flags were ``Column.isin(<every dimension code>)``,
  built literal by literal over Py4J; now a broadcast join.
- ``property``: the dimension seed check read table properties with ``DeltaTable.detail()``,
  which reconstructs the table's state; now ``SHOW TBLPROPERTIES``.
- ``gold_planner``: the gold refresh ran with the server's ``random_page_cost`` (4.0); now
  ``SET LOCAL random_page_cost = 1.1`` in ``lakehouse/gold/lock.sql``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from lakehouse.settings import Settings
from lakehouse.silver.merge import TableSpec


def isin_reference_flags(
    df: DataFrame,
    airport_codes: Iterable[str | None] | None,
    airline_codes: Iterable[str | None] | None,
) -> DataFrame:
    from lakehouse.silver.quality import REFERENCE_FLAGS

    codes = {"dim_airport": airport_codes, "dim_airline": airline_codes}
    return df.withColumns(
        {
            flag: _is_known(F.col(column), codes[dimension])
            for flag, (column, dimension) in REFERENCE_FLAGS.items()
        }
    )


def _is_known(code: Column, known: Iterable[str | None] | None) -> Column:
    if known is None:
        return F.lit(None).cast("boolean")
    codes = sorted({c for c in known if c is not None})
    return F.when(code.isNull(), F.lit(None).cast("boolean")).otherwise(code.isin(codes))


def detail_table_property(
    spark: SparkSession, settings: Settings, spec: TableSpec, name: str
) -> str | None:
    from lakehouse.silver.merge import table

    detail = table(spark, settings, spec).detail().select("properties").first()
    return None if detail is None else detail["properties"].get(name)


def _load_without_planner_setting(load: Callable[..., str]) -> Callable[..., str]:
    def loader(name: str, *args: Any, **kwargs: Any) -> str:
        text = load(name, *args, **kwargs)
        if name != "lock":
            return text
        return "\n".join(line for line in text.splitlines() if "random_page_cost" not in line)

    return loader


#: name -> (module, attribute, the previous version given the current attribute)
REVERSIBLE: dict[str, tuple[str, str, Callable[[Any], Any]]] = {
    "flags": ("lakehouse.silver.quality", "with_reference_flags", lambda _: isin_reference_flags),
    "property": ("lakehouse.silver.merge", "table_property", lambda _: detail_table_property),
    "gold_planner": ("lakehouse.gold.refresh", "load", _load_without_planner_setting),
}


@contextmanager
def reverted(*names: str) -> Iterator[None]:
    """Run the block with the named changes undone (see the module docstring for the names)."""
    unknown = set(names) - set(REVERSIBLE)
    if unknown:
        raise ValueError(f"unknown change(s) {sorted(unknown)}; known: {sorted(REVERSIBLE)}")
    saved = []
    try:
        for name in names:
            module_name, attribute, previous = REVERSIBLE[name]
            module = importlib.import_module(module_name)
            current = getattr(module, attribute)
            saved.append((module, attribute, current))
            setattr(module, attribute, previous(current))
        yield
    finally:
        for module, attribute, current in reversed(saved):
            setattr(module, attribute, current)
