"""The demo's queries, one per file in `demo/sql/`, each binding its parameters.

Only `warehouse/` and this module talk to the database: the demo's flow asks here, and the
connections come from `warehouse.store`."""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from importlib.resources import files
from typing import Any

import polars as pl

from warehouse import store
from warehouse.locator import Warehouse

SQL = files("demo") / "sql"
SUMMARIES = ("feeds", "by_source", "by_sc", "merges", "quarantine", "breaches", "transfers", "blocked")


@cache
def sql(name: str) -> str:
    """The text of `demo/sql/<name>.sql`."""
    return (SQL / f"{name}.sql").read_text(encoding="utf-8")


def _frame(warehouse: Warehouse, name: str, params: dict[str, Any] | None = None) -> pl.DataFrame:
    with store.reader(warehouse) as con:
        return store.frame(con, sql(name), params or {})


def reference(warehouse: Warehouse) -> dict[str, pl.DataFrame]:
    """The products and the SCs (by id, with their regions) the feeds are generated for."""
    return {
        "products": _frame(warehouse, "products"),
        "service_centers": _frame(warehouse, "service_centres"),
    }


def open_leads(warehouse: Warehouse) -> pl.DataFrame:
    """The open leads at an SC (`demo/sql/open_leads.sql`): the simulated SC work acts on these."""
    return _frame(warehouse, "open_leads")


def all_managers(warehouse: Warehouse) -> pl.DataFrame:
    """Every SC's managers (manager_id, sc_id), in order."""
    return _frame(warehouse, "all_managers")


def subscribers(warehouse: Warehouse) -> pl.DataFrame:
    """Call-base clients still waiting whom the vendor's billing reports a paid period for
    (inn, kpp, product, sc_id)."""
    return _frame(warehouse, "subscribers")


def clients_moving(warehouse: Warehouse, as_of: datetime) -> pl.DataFrame:
    """Clients with a connection lead in work, its booking ended by `as_of`, that another SC
    invoices (inn, kpp, product, sc_id)."""
    return _frame(warehouse, "clients_moving", {"as_of": as_of})


def managers(warehouse: Warehouse, sc_id: str) -> list[str]:
    return _frame(warehouse, "managers", {"sc": sc_id})["manager_id"].to_list()


def working_days_end(warehouse: Warehouse, first: date, days: int) -> date:
    """The last of the `days` working days from `first` on, by the stored production calendar."""
    with store.reader(warehouse) as con:
        return store.scalar(con, sql("working_days_end"), {"first": first, "days": days})


def summaries(warehouse: Warehouse) -> dict[str, list[dict[str, Any]]]:
    """The summary tables the demo prints, by name (`demo/sql/summary_<name>.sql`)."""
    with store.reader(warehouse) as con:
        return {name: store.frame(con, sql(f"summary_{name}")).to_dicts() for name in SUMMARIES}


def sent_messages(warehouse: Warehouse) -> dict[str, int]:
    """How many messages were sent, by kind."""
    return {kind: int(n) for kind, n in _frame(warehouse, "sent_messages").iter_rows()}
