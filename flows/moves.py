"""Moving leads to another SC inside a writer's transaction: the one sequence the SLA sweep's
breach transfers and the transfer-client sanction share (read the SCs' zones and calendar,
decide with `tasks.placement.transfer`, write the move, its bookings and its notices)."""

from __future__ import annotations

from datetime import datetime

import polars as pl

from schemas.enums import TransferReason
from tasks.placement import transfer
from warehouse import outbox, store
from warehouse import repository as repo


def move_leads(
    con: store.Connection,
    leads: pl.DataFrame,
    as_of: datetime,
    *,
    digest_hour: int,
    reason: TransferReason,
    actor: str,
    sanction_id: int | None = None,
    note: str | None = None,
) -> None:
    """`leads` (with `to_sc`) start afresh at their new SC, in the caller's transaction;
    `note` is the reason a principal gave, kept in the history of the move."""
    if leads.is_empty():
        return
    placement, transfers = transfer(
        leads,
        as_of,
        zones=repo.centre_zones(con),
        calendar=repo.working_calendar(con, as_of.year, as_of.year + 1),
        digest_hour=digest_hour,
        reason=reason,
        sanction_id=sanction_id,
    )
    repo.apply_transfers(
        con, placement.leads, transfers, reason=reason.value, actor=actor, as_of=as_of, note=note
    )
    repo.insert_bookings(con, placement.bookings)
    outbox.insert_notices(con, placement.notices)
