"""The demo lives apart from the product: its SQL ships in its own package."""

from __future__ import annotations

from importlib.resources import files

from demo import queries


def test_the_demo_reads_its_queries_from_its_own_package():
    demo_sql = {entry.name for entry in (files("demo") / "sql").iterdir() if entry.name.endswith(".sql")}
    assert {f"summary_{name}.sql" for name in queries.SUMMARIES} <= demo_sql
    assert all(queries.sql(name.removesuffix(".sql")).startswith("--") for name in demo_sql)
    product_sql = {entry.name for entry in (files("warehouse") / "sql").iterdir()}
    assert not {name for name in product_sql if name.startswith(("summary_", "demo_"))}
