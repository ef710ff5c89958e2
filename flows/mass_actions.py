"""Mass actions (SPEC §6): managers dealt leads (§6.1), leads distributed over the working
days of a period (§6.2). Each is one Prefect flow and one transaction; neither is dated
before the recorded history of a lead it touches."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import polars as pl

from flows.engine import pipeline_flow
from flows.outcomes import artifact_key, publish_table
from flows.runtime import run_as_of, run_name
from schemas.enums import EventKind, LeadType, Temperature
from schemas.errors import PipelineError
from schemas.settings import load_settings
from tasks.codes import code_lookup, product_lookup, resolve_code
from tasks.lifecycle import check_history
from tasks.mass import deal_to_managers, plan_distribution
from warehouse import repository as repo
from warehouse import store


def _centre_code(con: store.Connection, given: str) -> str:
    """The SC's code as the reference spells it, given in any case (SPEC §16)."""
    centres = repo.centre_zones(con)["sc_id"]
    sc_id = resolve_code(given, code_lookup(centres))
    if sc_id is None:
        raise PipelineError(f"unknown service centre {given!r}; see the service_centers table")
    return sc_id


def _product_code(con: store.Connection, given: str) -> str:
    """The product's code as the reference spells it; the code in any case or the name will do."""
    product = resolve_code(given, product_lookup(repo.product_names(con)))
    if product is None:
        raise PipelineError(f"product {given!r} is not in the reference data; see the products table")
    return product


def _record(
    con: store.Connection, leads: pl.DataFrame, kind: EventKind, sc_id: str, when: datetime, detail: pl.Expr
) -> None:
    """The SC's mass action in the history of every lead it touched, the SC as its actor."""
    repo.record_events(con, leads, kind, f"sc:{sc_id}", when, detail=detail)


@pipeline_flow(name="assign-managers", flow_run_name=run_name("assign managers", "sc_id"))
def assign_managers(
    sc_id: str,
    counts: dict[str, int],
    temperature: Temperature | None = None,
    product: str | None = None,
    lead_type: LeadType | None = None,
    as_of: datetime | None = None,
    warehouse: str | None = None,
) -> dict[str, Any]:
    """§6.1: deal the SC's new and in-work leads, most urgent first, to its managers."""
    settings = load_settings(warehouse=warehouse)
    when = run_as_of(as_of)
    if not counts or any(n <= 0 for n in counts.values()):
        raise PipelineError("--counts needs positive numbers, e.g. m1=10,m2=5")
    for attempt in store.write_attempts(settings.warehouse):
        with attempt as con:
            store.require_schema(con, settings.warehouse)
            sc_id = _centre_code(con, sc_id)
            chosen_product = None if product is None else _product_code(con, product)
            owners = repo.manager_centres(con, list(counts))
            for manager in counts:
                if manager not in owners:
                    raise PipelineError(f"unknown manager {manager!r}; see the managers table")
                if owners[manager] != sc_id:
                    raise PipelineError(f"manager {manager!r} works at {owners[manager]}, not at {sc_id}")
            selection = repo.manager_selection(
                con,
                sc_id,
                temperature=temperature.value if temperature else None,
                product=chosen_product,
                lead_type=lead_type.value if lead_type else None,
            )
            dealt = deal_to_managers(selection, counts).join(
                selection.select("lead_id", "previous_manager"), on="lead_id"
            )
            check_history(repo.history_after(con, dealt, when))
            repo.apply_managers(con, dealt)
            dealt_by = pl.struct("manager_id", "previous_manager")
            _record(con, dealt, EventKind.MANAGER_ASSIGNED, sc_id, when, dealt_by)
    got = dict(dealt.group_by("manager_id").len().iter_rows())
    publish_table(
        artifact_key("assign-managers", sc_id),
        [
            {"manager_id": manager, "asked": asked, "dealt": got.get(manager, 0)}
            for manager, asked in counts.items()
        ],
        f"Managers of {sc_id}: {dealt.height} of {selection.height} selected leads dealt",
    )
    return {
        "selected": selection.height,
        "dealt": {manager: got.get(manager, 0) for manager in counts},
        "asked": dict(counts),
    }


def _working_days(con: store.Connection, start: date, end: date) -> pl.DataFrame:
    """Every day of [start, end] from the production calendar `pp init` stored (SPEC §16),
    refusing a period it does not cover or one without a working day."""
    days = repo.calendar_days(con, start, end)
    if days.height < (end - start).days + 1:
        first, last = repo.calendar_span(con)
        raise PipelineError(
            f"{start} to {end} runs outside the production calendar the warehouse holds "
            f"({first} to {last}); choose days inside it"
        )
    if not days["is_working"].any():
        raise PipelineError(
            f"{start} to {end} has no working day in the production calendar; "
            "choose a period with at least one"
        )
    return days


@pipeline_flow(name="distribute", flow_run_name=run_name("distribute", "sc_id", "start", "end"))
def distribute(
    sc_id: str, start: date, end: date, as_of: datetime | None = None, warehouse: str | None = None
) -> dict[str, Any]:
    """§6.2: plan the SC's warm and cold `new` leads over the working days of [start, end];
    hot ones are refused."""
    if end < start:
        raise PipelineError(f"--end {end} is before --start {start}")
    settings = load_settings(warehouse=warehouse)
    when = run_as_of(as_of)
    for attempt in store.write_attempts(settings.warehouse):
        with attempt as con:
            store.require_schema(con, settings.warehouse)
            sc_id = _centre_code(con, sc_id)
            days = _working_days(con, start, end)
            selection = repo.distribution_selection(con, sc_id)
            hot = selection.filter(pl.col("temperature") == Temperature.HOT.value)
            plan = plan_distribution(selection.filter(pl.col("temperature") != Temperature.HOT.value), days)
            check_history(repo.history_after(con, plan, when))
            repo.apply_plan(con, plan)
            _record(
                con, plan, EventKind.PLANNED, sc_id, when, pl.struct(pl.col("planned_on").cast(pl.String))
            )
    per_day = plan.group_by("planned_on").len().sort("planned_on")
    publish_table(
        artifact_key("distribute", sc_id),
        per_day.select(pl.col("planned_on").cast(pl.String), leads="len"),
        f"{sc_id} {start} to {end}: {plan.height} leads planned, {hot.height} hot refused",
    )
    return {
        "planned": plan.height,
        "hot_refused": hot.height,
        "per_day": [(str(day), n) for day, n in per_day.iter_rows()],
    }
