"""Sanctions (`pp sanction …`, SPEC §11, §9.1): measures principals apply by command.

Each is one short transaction and a row in `sanctions` with who, when, why and until;
assignment honours every active one (§6). Applying the same measure twice changes nothing;
a measure ends at its `ends_at` or when it is lifted, and is never deleted. A measure is
never dated before what is on record: the same measure's last start or lift, the history of
a lead it moves."""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import polars as pl

from flows.moves import move_leads
from schemas.enums import SanctionKind, TransferReason
from schemas.errors import PipelineError
from schemas.settings import load_settings
from tasks.codes import code_lookup, product_lookup, resolve_code
from tasks.lifecycle import check_history
from tasks.periods import Period, bounds_by_centre, quarter_end
from tasks.sanctions import (
    ProposalPolicy,
    check_inn,
    check_lift,
    check_not_before_record,
    check_sells,
    propose_exclusions,
)
from warehouse import repository as repo
from warehouse import store
from warehouse.locator import Warehouse


def default_actor() -> str:
    """Who applies a measure when `--by` is not given: the account running `pp`."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


@dataclass(frozen=True)
class Measure:
    """One sanction to apply: what, to whom, until when (None: for good), why, by whom."""

    kind: SanctionKind
    sc_id: str
    product: str | None = None
    inn: str | None = None
    ends_at: datetime | None = None
    reason: str | None = None
    created_by: str = "unknown"

    @property
    def target_sc(self) -> str | None:
        """The SC the measure is about; a client transfer is about the client, whatever the SC."""
        return None if self.kind is SanctionKind.TRANSFER_CLIENT else self.sc_id


def resolve_centre(con: store.Connection, given: str) -> tuple[str, str]:
    """The SC's code as the reference spells it (SPEC §16: any case) and its zone."""
    centres = repo.centre_zones(con)
    sc_id = resolve_code(given, code_lookup(centres["sc_id"]))
    if sc_id is None:
        raise PipelineError(
            f"service centre {given!r} is not in the reference data; see `pp init --reference`"
        )
    return sc_id, str(centres.filter(pl.col("sc_id") == sc_id)["timezone"].item())


def _product(con: store.Connection, given: str) -> str:
    """The product's code as the reference spells it; the code in any case or the name will do."""
    product = resolve_code(given, product_lookup(repo.product_names(con)))
    if product is None:
        raise PipelineError(f"product {given!r} is not in the reference data")
    return product


def _impose(con: store.Connection, measure: Measure, as_of: datetime) -> tuple[int, bool]:
    """Insert the measure unless the same one is already in force; returns (id, is_new). A
    measure dated before the last start or lift of the same measure on its target is refused."""
    later = repo.later_measure(
        con,
        as_of,
        kind=measure.kind.value,
        sc_id=measure.target_sc,
        product=measure.product,
        inn=measure.inn,
    )
    check_not_before_record(later, measure.kind.value, measure.sc_id, repo.centre_zones(con))
    same = repo.same_sanction(
        con,
        as_of,
        kind=measure.kind.value,
        sc_id=measure.sc_id,
        product=measure.product,
        inn=measure.inn,
        ends_at=measure.ends_at,
    )
    if same is not None:
        return same, False
    sanction_id = repo.next_id(con, "sanctions", "sanction_id")
    repo.insert_sanction(
        con,
        {
            "sanction_id": sanction_id,
            "kind": measure.kind.value,
            "sc_id": measure.sc_id,
            "product": measure.product,
            "inn": measure.inn,
            "starts_at": as_of,
            "ends_at": measure.ends_at,
            "reason": measure.reason,
            "created_by": measure.created_by,
        },
    )
    return sanction_id, True


def _result(sanction_id: int, is_new: bool, measure: Measure, **extra: Any) -> dict[str, Any]:
    return {
        "sanction_id": sanction_id,
        "already_in_force": not is_new,
        "kind": measure.kind.value,
        "sc_id": measure.sc_id,
        "ends_at": measure.ends_at,
        **extra,
    }


def exclude_centre(
    warehouse: Warehouse, sc_id: str, *, forever: bool, reason: str | None, by: str, as_of: datetime
) -> dict[str, Any]:
    """§9.1.2-3: no new leads for the SC until the end of the calendar quarter in the SC's
    own zone, or for good. Its open leads stay with it."""
    for attempt in store.write_attempts(warehouse):
        with attempt as con:
            store.require_schema(con, warehouse)
            sc_id, zone = resolve_centre(con, sc_id)
            measure = Measure(
                SanctionKind.EXCLUDE,
                sc_id,
                ends_at=None if forever else quarter_end(as_of, zone),
                reason=reason,
                created_by=by,
            )
            sanction_id, is_new = _impose(con, measure, as_of)
    return _result(sanction_id, is_new, measure)


def close_product(
    warehouse: Warehouse, sc_id: str, product: str, *, reason: str | None, by: str, as_of: datetime
) -> dict[str, Any]:
    """§9.1.5: the SC gets no new leads of the product, for good (until lifted)."""
    for attempt in store.write_attempts(warehouse):
        with attempt as con:
            store.require_schema(con, warehouse)
            sc_id, _ = resolve_centre(con, sc_id)
            product = _product(con, product)
            measure = Measure(
                SanctionKind.CLOSE_PRODUCT, sc_id, product=product, reason=reason, created_by=by
            )
            sanction_id, is_new = _impose(con, measure, as_of)
    return _result(sanction_id, is_new, measure, product=product)


def transfer_client(
    warehouse: Warehouse, inn: str, product: str, to_sc: str, *, reason: str | None, by: str, as_of: datetime
) -> dict[str, Any]:
    """§9.1.4: the client x product belongs to `to_sc` from now on: its open leads move there
    and start afresh (`new`, a new deadline), and its future leads are assigned there (§6).
    The client is its INN, every KPP of it: the legal entity with its branches."""
    check_inn(inn)
    digest_hour = load_settings(warehouse=warehouse).digest_hour
    for attempt in store.write_attempts(warehouse):
        with attempt as con:
            store.require_schema(con, warehouse)
            to_sc, _ = resolve_centre(con, to_sc)
            product = _product(con, product)
            check_sells(repo.centre_sells(con, to_sc, product), to_sc, product)
            measure = Measure(
                SanctionKind.TRANSFER_CLIENT, to_sc, product=product, inn=inn, reason=reason, created_by=by
            )
            sanction_id, is_new = _impose(con, measure, as_of)
            leads = repo.client_open_leads(con, inn, product, to_sc)
            check_history(repo.history_after(con, leads, as_of))
            move_leads(
                con,
                leads,
                as_of,
                digest_hour=digest_hour,
                reason=TransferReason.TRANSFER_CLIENT,
                actor=f"principal:{by}",
                sanction_id=sanction_id,
            )
    return _result(sanction_id, is_new, measure, product=product, leads_moved=leads.height)


def lift_sanction(warehouse: Warehouse, sanction_id: int, *, by: str, as_of: datetime) -> dict[str, Any]:
    """End a measure now; it stays in `sanctions` with who lifted it and when."""
    for attempt in store.write_attempts(warehouse):
        with attempt as con:
            store.require_schema(con, warehouse)
            row = repo.sanction(con, sanction_id)
            if row is None:
                raise PipelineError(f"sanction {sanction_id} does not exist; `pp sanction list` shows them")
            check_lift(sanction_id, row, as_of, repo.centre_zones(con))
            repo.lift_sanction(con, sanction_id, as_of, by)
            lifted = {
                "sanction_id": sanction_id,
                "kind": row["kind"],
                "sc_id": row["sc_id"],
                "lifted_at": as_of,
            }
    return lifted


def list_sanctions(warehouse: Warehouse, *, as_of: datetime, include_ended: bool) -> pl.DataFrame:
    """The measures in force at `as_of` (or all of them), newest first."""
    with store.reader(warehouse) as con:
        store.require_schema(con, warehouse)
        return repo.sanctions_list(con, as_of, include_ended=include_ended)


def propose_sanctions(warehouse: Warehouse, period: Period, *, as_of: datetime) -> pl.DataFrame:
    """§11 decision: the SCs whose breaches in the period exceed the policy's thresholds, with
    the evidence: leads due, breaches by temperature, the share, the worst delay. A lead is
    due in the period when its deadline at that SC fell in it (local calendar) before as_of."""
    settings = load_settings(warehouse=warehouse)
    with store.reader(warehouse) as con:
        store.require_schema(con, warehouse)
        evidence = repo.sanction_evidence(con, bounds_by_centre(period, repo.centre_zones(con)), as_of)
    policy = ProposalPolicy(
        min_due=settings.propose_min_due,
        breach_rate=settings.propose_breach_rate,
        breach_count=settings.propose_breach_count,
    )
    return propose_exclusions(evidence, policy)
