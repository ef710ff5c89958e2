"""Periodic sweeps over the warehouse: SLA breaches and transfers (SPEC §10, §6), stale leads
blocked (§7). Each is one transaction at an explicit `as_of`: re-running it changes nothing."""

from __future__ import annotations

import logging
from datetime import datetime

import polars as pl

from flows.engine import pipeline_flow
from flows.moves import move_leads
from flows.notify import send_immediate
from flows.outcomes import publish_table
from flows.runtime import run_as_of, run_name
from schemas.enums import EventKind, Temperature, TransferReason
from schemas.settings import load_settings
from tasks.assign import choose_transfer_targets
from tasks.calendar_status import confirmed_to, renewal_warning
from tasks.placement import assignment_detail, choose_centres, place
from warehouse import outbox, store
from warehouse import repository as repo

SLA_MEASURES = ("breaches", "transferred", "no_target", "assigned", "still_waiting")
NO_SC = "(none yet: {})"  # the rows of leads still waiting for an SC, one per reason (SPEC §15)
log = logging.getLogger(__name__)  # an extra logger of Prefect: it reaches the run's logs

PLACED = {"lead_id": pl.Int64, "sc_id": pl.String, "temperature": pl.String}


@pipeline_flow(name="sweep-sla", flow_run_name=run_name("sweep sla", "temperature"), timeout_seconds=1800)
def sweep_sla(
    temperature: Temperature | None = None,
    as_of: datetime | None = None,
    warehouse: str | None = None,
) -> dict[str, object]:
    """Record leads still `new` past their deadline, once per lead and deadline; move the
    breached ones the transfer policy allows to another SC; place leads that waited for one.
    Warns when the production calendar is about to run out (`tasks.calendar_status`)."""
    settings = load_settings(warehouse=warehouse)
    when = run_as_of(as_of)
    temperatures = (temperature,) if temperature else tuple(Temperature)
    movable = tuple(t for t in temperatures if t in settings.transfer_temperatures)
    for attempt in store.write_attempts(settings.warehouse, memory_limit=settings.duckdb_memory_limit):
        with attempt as con:
            store.require_schema(con, settings.warehouse)
            repo.mark_overdue(con, when, temperatures)
            breaches = repo.record_breaches(con, when)
            targets = transfer_breached(con, when, movable, digest_hour=settings.digest_hour)
            repo.forget_overdue(con)
            placed, waiting = assign_waiting(con, when, digest_hour=settings.digest_hour)
            unconfirmed = repo.unconfirmed_deadlines(con)
            calendar_warning = renewal_warning(when, confirmed_to(repo.calendar_years(con)))
    if calendar_warning:
        log.warning(calendar_warning)
    outcome = sla_outcome(breaches, targets, placed, waiting)
    totals = {measure: int(outcome[measure].sum()) for measure in SLA_MEASURES}
    publish_table(
        "sweep-sla",
        outcome,
        f"SLA sweep at {when.isoformat(timespec='minutes')}: "
        + ", ".join(f"{n} {measure.replace('_', ' ')}" for measure, n in totals.items()),
    )
    if totals["transferred"] or totals["assigned"]:  # committed: their hot leads are announced now (§8)
        send_immediate(settings, when)
    return {
        "breaches_recorded": totals["breaches"],
        "transferred": totals["transferred"],
        "transfer_no_target": totals["no_target"],
        "waiting_assigned": totals["assigned"],
        "still_waiting": totals["still_waiting"],
        "still_waiting_by_reason": waiting_by_reason(placed, waiting),
        "deadlines_in_unconfirmed_years": unconfirmed,
        "calendar_warning": calendar_warning,
    }


def sla_outcome(
    breaches: pl.DataFrame, targets: pl.DataFrame, placed: pl.DataFrame, waiting: pl.DataFrame
) -> pl.DataFrame:
    """What one SLA sweep did, by SC and temperature: breaches recorded, leads transferred
    away or left for want of another SC, waiting leads given an SC, leads still waiting."""
    key = ("sc_id", "temperature")
    events = pl.concat(
        [
            breaches.select(*key, measure=pl.lit("breaches")),
            targets.select(
                pl.col("from_sc").alias("sc_id"),
                "temperature",
                measure=pl.when(pl.col("to_sc").is_null())
                .then(pl.lit("no_target"))
                .otherwise(pl.lit("transferred")),
            ),
            placed.select(*key, measure=pl.lit("assigned")),
            still_waiting(placed, waiting).select(
                sc_id=pl.format(NO_SC, "waiting_reason"),
                temperature="temperature",
                measure=pl.lit("still_waiting"),
            ),
        ],
        how="vertical_relaxed",
    )
    return (
        events.group_by(key)
        .agg(*((pl.col("measure") == m).sum().cast(pl.Int64).alias(m) for m in SLA_MEASURES))
        .sort(key)
    )


def still_waiting(placed: pl.DataFrame, waiting: pl.DataFrame) -> pl.DataFrame:
    """The waiting leads a sweep found no SC for, with their reason."""
    return waiting.join(placed, on="lead_id", how="anti")


def waiting_by_reason(placed: pl.DataFrame, waiting: pl.DataFrame) -> dict[str, int]:
    """How many leads still wait after a sweep, by reason code (SPEC §15), most first."""
    counts = still_waiting(placed, waiting)["waiting_reason"].value_counts()
    ordered = counts.sort(["count", "waiting_reason"], descending=[True, False])
    return {str(code): int(n) for code, n in ordered.iter_rows()}


def transfer_breached(
    con: store.Connection, as_of: datetime, temperatures: tuple[Temperature, ...], *, digest_hour: int
) -> pl.DataFrame:
    """§6 "Transfer", §9.1.1: overdue leads (the `overdue` table) of the given temperatures go
    to another eligible SC, never back to one they were taken from for a breach. Returns
    each candidate's lead_id, from_sc, temperature and to_sc (null: left with no SC)."""
    none = pl.DataFrame(
        schema={"lead_id": pl.Int64, "from_sc": pl.String, "temperature": pl.String, "to_sc": pl.String}
    )
    if not temperatures:
        return none
    candidates = repo.transfer_candidates(con, as_of, temperatures)
    if candidates.is_empty():
        return none
    targets = choose_transfer_targets(candidates, repo.eligible_centres(con, as_of), repo.sc_loads(con))
    moved = targets.filter(pl.col("to_sc").is_not_null())
    move_leads(con, moved, as_of, digest_hour=digest_hour, reason=TransferReason.BREACH, actor="sweep:sla")
    return targets.select(none.columns)


def assign_waiting(
    con: store.Connection, as_of: datetime, *, digest_hour: int
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """§6 rule 4: leads that waited for an eligible SC get one when there is one now, with
    arrival, deadline, booking and history as at ingestion; those still without one get the
    reason as it is now (SPEC §15). Returns the leads placed (lead_id, sc_id, temperature)
    and all that waited, with their `waiting_reason` now (null: placed)."""
    waiting = repo.waiting_leads(con)
    none = pl.DataFrame(schema=PLACED)
    if waiting.is_empty():
        return none, waiting.with_columns(waiting_reason=pl.lit(None, pl.String))
    chosen = choose_centres(waiting, **repo.assignment_inputs(con, waiting, as_of))
    waiting = waiting.join(chosen.select("lead_id", "waiting_reason"), on="lead_id", how="left")
    repo.update_waiting_reasons(con, waiting.filter(pl.col("waiting_reason").is_not_null()), as_of)
    assigned = chosen.filter(pl.col("sc_id").is_not_null())
    if assigned.is_empty():
        return none, waiting
    placement = place(
        assigned,
        as_of,
        zones=repo.centre_zones(con),
        calendar=repo.working_calendar(con, as_of.year, as_of.year + 1),  # the one `pp init` stored
        digest_hour=digest_hour,
    )
    placed = placement.leads
    repo.apply_assignment(con, placed)
    repo.record_events(
        con,
        placed,
        EventKind.ASSIGNED,
        "sweep:sla",
        as_of,
        detail=assignment_detail(),
    )
    repo.insert_bookings(con, placement.bookings)
    outbox.insert_notices(con, placement.notices)
    return placed.select(list(PLACED)), waiting


@pipeline_flow(name="sweep-bookings", flow_run_name=run_name("sweep bookings"), timeout_seconds=1800)
def sweep_bookings(as_of: datetime | None = None, warehouse: str | None = None) -> dict[str, int]:
    """Block the open leads of an SC whose booking of the client x product has ended while
    another SC's is in force (§7, §3.6); the reason names both bookings. Safe to repeat."""
    settings = load_settings(warehouse=warehouse)
    when = run_as_of(as_of)
    for attempt in store.write_attempts(settings.warehouse):
        with attempt as con:
            store.require_schema(con, settings.warehouse)
            stale = repo.stale_leads(con, when)
            repo.block_leads(con, stale, when)
            repo.record_events(
                con,
                stale,
                EventKind.BLOCKED,
                "sweep:bookings",
                when,
                detail=pl.struct("ended_sc", pl.col("ended_at").cast(pl.String), "holder_sc", "holder_kind"),
            )
            in_force = repo.bookings_in_force(con, when)
    publish_table(
        "sweep-bookings",
        stale.group_by(pl.col("ended_sc").alias("sc_id")).len("blocked").sort("sc_id"),
        f"Booking sweep at {when.isoformat(timespec='minutes')}: {stale.height} leads blocked, "
        f"{in_force} bookings in force",
    )
    return {"leads_blocked": stale.height, "bookings_in_force": in_force}
