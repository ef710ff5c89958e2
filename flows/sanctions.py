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
from pathlib import Path
from typing import Any

import polars as pl

from flows.placement import move_leads
from schemas.enums import SanctionKind, TransferReason
from schemas.errors import PipelineError
from schemas.settings import load_settings
from tasks.lifecycle import check_history, local_moment
from tasks.periods import Period, bounds_by_centre, quarter_end
from tasks.reference import code_lookup, product_lookup, resolve_code
from tasks.validate import digits_only, inn_is_valid, inn_number
from warehouse import repository as repo
from warehouse import store


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


def _centre(con: store.Connection, given: str) -> tuple[str, str]:
    """The SC's code as the reference spells it (SPEC §16: any case) and its zone."""
    centres = store.frame(con, "SELECT sc_id, timezone FROM service_centers")
    sc_id = resolve_code(given, code_lookup(centres["sc_id"]))
    if sc_id is None:
        raise PipelineError(
            f"service centre {given!r} is not in the reference data; see `pp init --reference`"
        )
    return sc_id, str(centres.filter(pl.col("sc_id") == sc_id)["timezone"].item())


def _product(con: store.Connection, given: str) -> str:
    """The product's code as the reference spells it; the code in any case or the name will do."""
    product = resolve_code(given, product_lookup(store.frame(con, "SELECT product, name FROM products")))
    if product is None:
        raise PipelineError(f"product {given!r} is not in the reference data")
    return product


def _check_inn(inn: str) -> None:
    """SPEC §1: the client's INN, by the rule feed rows are checked with (`tasks.validate`)."""
    given = pl.lit(inn)
    digits, shaped, valid = pl.select(
        (digits_only(given) == given).alias("digits"),
        inn_number(given).is_not_null().alias("shaped"),
        inn_is_valid(given).alias("valid"),
    ).row(0)
    if not digits:
        raise PipelineError(f"--inn {inn!r} is not an INN: it has characters other than digits")
    if not shaped:
        raise PipelineError(
            f"--inn {inn!r} is not an INN: it has {len(inn)} digits; "
            "an INN is 10 digits (a company) or 12 (an entrepreneur)"
        )
    if not valid:
        raise PipelineError(f"--inn {inn!r}: its check digits do not match; check it for a typo")


def _check_record(con: store.Connection, measure: Measure, as_of: datetime) -> None:
    """Refuse a measure dated before the last start or lift of the same measure on its target."""
    later = store.frame(
        con,
        store.sql("later_measure"),
        {
            "as_of": as_of,
            "kind": measure.kind.value,
            "sc_id": measure.target_sc,
            "product": measure.product,
            "inn": measure.inn,
        },
    )
    if later.height:
        sanction_id, changed_at = later.row(0)
        raise PipelineError(
            f"sanction {sanction_id} ({measure.kind.value}) of the same target was last changed at "
            f"{local_moment(changed_at, _centre(con, measure.sc_id)[1])}; "
            "a measure cannot be dated before it"
        )


def _impose(con: store.Connection, measure: Measure, as_of: datetime) -> tuple[int, bool]:
    """Insert the measure unless the same one is already in force; returns (id, is_new)."""
    _check_record(con, measure, as_of)
    same = store.frame(
        con,
        store.sql("same_sanction"),
        {
            "as_of": as_of,
            "kind": measure.kind.value,
            "sc_id": measure.sc_id,
            "product": measure.product,
            "inn": measure.inn,
            "ends_at": measure.ends_at,
        },
    )
    if same.height:
        return int(same["sanction_id"][0]), False
    sanction_id = repo.next_id(con, "sanctions", "sanction_id")
    store.run(
        con,
        "INSERT INTO sanctions (sanction_id, kind, sc_id, product, inn, starts_at, ends_at, reason,"
        " created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            sanction_id,
            measure.kind.value,
            measure.sc_id,
            measure.product,
            measure.inn,
            as_of,
            measure.ends_at,
            measure.reason,
            measure.created_by,
        ],
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
    warehouse: Path, sc_id: str, *, forever: bool, reason: str | None, by: str, as_of: datetime
) -> dict[str, Any]:
    """§9.1.2-3: no new leads for the SC until the end of the calendar quarter in the SC's
    own zone, or for good. Its open leads stay with it."""
    with store.transaction(warehouse) as con:
        store.require_schema(con, warehouse)
        sc_id, zone = _centre(con, sc_id)
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
    warehouse: Path, sc_id: str, product: str, *, reason: str | None, by: str, as_of: datetime
) -> dict[str, Any]:
    """§9.1.5: the SC gets no new leads of the product, for good (until lifted)."""
    with store.transaction(warehouse) as con:
        store.require_schema(con, warehouse)
        sc_id, _ = _centre(con, sc_id)
        product = _product(con, product)
        measure = Measure(SanctionKind.CLOSE_PRODUCT, sc_id, product=product, reason=reason, created_by=by)
        sanction_id, is_new = _impose(con, measure, as_of)
    return _result(sanction_id, is_new, measure, product=product)


def transfer_client(
    warehouse: Path, inn: str, product: str, to_sc: str, *, reason: str | None, by: str, as_of: datetime
) -> dict[str, Any]:
    """§9.1.4: the client x product belongs to `to_sc` from now on: its open leads move there
    and start afresh (`new`, a new deadline), and its future leads are assigned there (§6).
    The client is its INN, every KPP of it: the legal entity with its branches."""
    _check_inn(inn)
    with store.transaction(warehouse) as con:
        store.require_schema(con, warehouse)
        to_sc, _ = _centre(con, to_sc)
        product = _product(con, product)
        sells = store.scalar(
            con, "SELECT list_contains(products, ?) FROM service_centers WHERE sc_id = ?", [product, to_sc]
        )
        if not sells:
            raise PipelineError(f"service centre {to_sc!r} does not sell {product!r}; choose one that does")
        measure = Measure(
            SanctionKind.TRANSFER_CLIENT, to_sc, product=product, inn=inn, reason=reason, created_by=by
        )
        sanction_id, is_new = _impose(con, measure, as_of)
        leads = store.frame(
            con, store.sql("client_open_leads"), {"inn": inn, "product": product, "to_sc": to_sc}
        )
        check_history(repo.history_after(con, leads, as_of))
        moved = move_leads(
            con,
            leads,
            as_of,
            reason=TransferReason.TRANSFER_CLIENT,
            actor=f"principal:{by}",
            sanction_id=sanction_id,
        )
    return _result(sanction_id, is_new, measure, product=product, leads_moved=moved.height)


def lift_sanction(warehouse: Path, sanction_id: int, *, by: str, as_of: datetime) -> dict[str, Any]:
    """End a measure now; it stays in `sanctions` with who lifted it and when."""
    with store.transaction(warehouse) as con:
        store.require_schema(con, warehouse)
        found = store.frame(
            con,
            "SELECT kind, sc_id, starts_at, ends_at, lifted_at FROM sanctions WHERE sanction_id = ?",
            [sanction_id],
        )
        if found.is_empty():
            raise PipelineError(f"sanction {sanction_id} does not exist; `pp sanction list` shows them")
        row = found.row(0, named=True)
        if row["lifted_at"] is not None:
            raise PipelineError(
                f"sanction {sanction_id} was already lifted at {row['lifted_at'].isoformat()}"
            )
        if row["ends_at"] is not None and row["ends_at"] <= as_of:
            raise PipelineError(f"sanction {sanction_id} already ended at {row['ends_at'].isoformat()}")
        if as_of < row["starts_at"]:
            raise PipelineError(
                f"sanction {sanction_id} starts at "
                f"{local_moment(row['starts_at'], _centre(con, row['sc_id'])[1])}; "
                "it cannot be lifted before it"
            )
        store.run(
            con,
            "UPDATE sanctions SET lifted_at = ?, lifted_by = ? WHERE sanction_id = ?",
            [as_of, by, sanction_id],
        )
    return {"sanction_id": sanction_id, "kind": row["kind"], "sc_id": row["sc_id"], "lifted_at": as_of}


def list_sanctions(warehouse: Path, *, as_of: datetime, include_ended: bool) -> pl.DataFrame:
    """The measures in force at `as_of` (or all of them), newest first."""
    with store.reader(warehouse) as con:
        store.require_schema(con, warehouse)
        return store.frame(con, store.sql("sanctions_list"), {"as_of": as_of, "all": include_ended})


def propose_sanctions(warehouse: Path, period: Period, *, as_of: datetime) -> pl.DataFrame:
    """§11 decision: the SCs whose breaches in the period exceed the policy's thresholds, with
    the evidence: leads due, breaches by temperature, the share, the worst delay. A lead is
    due in the period when its deadline at that SC fell in it (local calendar) before as_of."""
    settings = load_settings(warehouse=warehouse)
    with store.reader(warehouse) as con:
        store.require_schema(con, warehouse)
        bounds = bounds_by_centre(period, store.frame(con, "SELECT sc_id, timezone FROM service_centers"))
        with store.staged(bounds=bounds) as files:
            evidence = store.frame(
                con,
                store.sql("sanction_evidence"),
                {"as_of": as_of, **files},
            )
    over_rate = (pl.col("due") >= settings.propose_min_due) & (
        pl.col("breach_rate") > settings.propose_breach_rate
    )
    over_count = pl.col("breached") >= settings.propose_breach_count
    return (
        evidence.with_columns(
            why=pl.concat_str(
                pl.when(over_rate).then(
                    pl.format(
                        "breach share {}% > {}%",
                        (pl.col("breach_rate") * 100).round(1),
                        pl.lit(round(settings.propose_breach_rate * 100, 1)),
                    )
                ),
                pl.when(over_count).then(
                    pl.format("{} breaches >= {}", pl.col("breached"), pl.lit(settings.propose_breach_count))
                ),
                separator="; ",
                ignore_nulls=True,
            ),
        )
        .filter(over_rate | over_count)
        .with_columns(
            proposal=pl.when(pl.col("excluded_until").is_not_null() | pl.col("excluded_for_good"))
            .then(pl.lit("already excluded"))
            .otherwise(pl.format("pp sanction exclude --sc {} --until-quarter-end", pl.col("sc_id")))
        )
        .sort(["breach_rate", "breached", "sc_id"], descending=[True, True, False])
    )
