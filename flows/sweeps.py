"""Periodic sweeps over the warehouse: SLA breaches (SPEC §10), stale leads blocked (§7)."""

from __future__ import annotations

from datetime import datetime

import polars as pl
from prefect import flow

from flows.ingest import resolve_as_of
from schemas.enums import EventKind, Temperature
from schemas.settings import load_settings
from warehouse import repository as repo
from warehouse import store


@flow(name="sweep-sla")
def sweep_sla(
    temperature: Temperature | None = None,
    as_of: datetime | None = None,
    warehouse: str | None = None,
) -> dict[str, int]:
    """Record leads still `new` past their deadline, once per lead and deadline."""
    settings = load_settings(warehouse=warehouse)
    when = resolve_as_of(as_of)
    temperatures = (temperature,) if temperature else tuple(Temperature)
    with store.transaction(settings.warehouse) as con:
        store.require_schema(con, settings.warehouse)
        recorded = repo.record_breaches(con, when, temperatures)
    return {"breaches_recorded": recorded}


@flow(name="sweep-bookings")
def sweep_bookings(as_of: datetime | None = None, warehouse: str | None = None) -> dict[str, int]:
    """Block the open leads of an SC whose booking of the client x product has ended while
    another SC's is in force (§7, §3.6); the reason names both bookings. Safe to repeat."""
    settings = load_settings(warehouse=warehouse)
    when = resolve_as_of(as_of)
    with store.transaction(settings.warehouse) as con:
        store.require_schema(con, settings.warehouse)
        stale = store.frame(con, store.sql("stale_leads"), {"as_of": when})
        with store.staged(stale=stale.select("lead_id")) as files:
            store.run(con, store.sql("block_leads"), {"as_of": when, **files})
        store.insert(
            con,
            "lead_events",
            stale.select(
                "lead_id",
                occurred_at=pl.lit(when, pl.Datetime("us", "UTC")),
                kind=pl.lit(EventKind.BLOCKED.value),
                actor=pl.lit("sweep:bookings"),
                detail=pl.struct(
                    "ended_sc", pl.col("ended_at").cast(pl.String), "holder_sc", "holder_kind"
                ).struct.json_encode(),
            ),
        )
        in_force = store.scalar(
            con, "SELECT count(*) FROM bookings WHERE starts_at <= ? AND ? < ends_at", [when, when]
        )
    return {"leads_blocked": stale.height, "bookings_in_force": int(in_force)}
