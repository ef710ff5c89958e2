"""Periodic sweeps over the warehouse: SLA breaches (SPEC §10)."""

from __future__ import annotations

from datetime import datetime

from prefect import flow

from flows.ingest import resolve_as_of
from schemas.enums import Temperature
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
