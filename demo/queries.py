"""The demo's queries, one per file in `demo/sql/`, each binding its parameters.

Only `warehouse/` and this module talk to the database: the demo's flow asks here, and the
connections come from `warehouse.store`."""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import polars as pl

from warehouse import store

SQL = files("demo") / "sql"
SUMMARIES = ("feeds", "by_source", "by_sc", "merges", "quarantine", "breaches", "transfers", "blocked")


@cache
def sql(name: str) -> str:
    """The text of `demo/sql/<name>.sql`."""
    return (SQL / f"{name}.sql").read_text(encoding="utf-8")


def _frame(warehouse: Path, name: str, params: dict[str, Any] | None = None) -> pl.DataFrame:
    with store.reader(warehouse) as con:
        return store.frame(con, sql(name), params or {})


def reference(warehouse: Path) -> dict[str, pl.DataFrame]:
    """The products and the SCs (by id, with their regions) the feeds are generated for."""
    return {
        "products": _frame(warehouse, "products"),
        "service_centers": _frame(warehouse, "service_centres"),
    }


def new_leads(warehouse: Path) -> pl.DataFrame:
    """The leads waiting at an SC, by id: lead_id, temperature, lead_type, accept_deadline."""
    return _frame(warehouse, "new_leads")


def billed_clients(warehouse: Path, taken_by: datetime) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Whom the vendor's billing reports on: connection leads in work that were taken by
    `taken_by`, which it invoices, and call-base clients with a paid period (inn, kpp, product,
    sc_id each)."""
    return (
        _frame(warehouse, "invoiced_connections", {"taken_by": taken_by}),
        _frame(warehouse, "subscribers"),
    )


def clients_moving(warehouse: Path) -> pl.DataFrame:
    """Clients with a connection lead in work that another SC invoices (inn, kpp, product, sc_id)."""
    return _frame(warehouse, "clients_moving")


def managers(warehouse: Path, sc_id: str) -> list[str]:
    return _frame(warehouse, "managers", {"sc": sc_id})["manager_id"].to_list()


def working_days_end(warehouse: Path, first: date, days: int) -> date:
    """The last of the `days` working days from `first` on, by the stored production calendar."""
    with store.reader(warehouse) as con:
        return store.scalar(con, sql("working_days_end"), {"first": first, "days": days})


def summaries(warehouse: Path) -> dict[str, list[dict[str, Any]]]:
    """The summary tables the demo prints, by name (`demo/sql/summary_<name>.sql`)."""
    with store.reader(warehouse) as con:
        return {name: store.frame(con, sql(f"summary_{name}")).to_dicts() for name in SUMMARIES}


def sent_messages(warehouse: Path) -> dict[str, int]:
    """How many messages were sent, by kind."""
    return {kind: int(n) for kind, n in _frame(warehouse, "sent_messages").iter_rows()}
