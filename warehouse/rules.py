"""The rules of `schemas/` as DuckDB macros, so that SQL files and views call `is_open(status)`
and the like instead of re-typing the values. DDL takes no bound parameters: the values are
rendered here, once, from the typed definitions (enum members and integers, never user input).
`store.migrate` (re)creates the macros on every `pp init`; `rules_digest()` tells a warehouse
whose macros an older pp wrote."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from enum import StrEnum

from schemas.enums import OPEN_STATUSES, SanctionKind, Status
from schemas.rules import HOTTEST_FIRST, PINNING_BOOKINGS, WORKDAY_MINUTES, WORKDAY_START_MINUTE


def _text(value: StrEnum) -> str:
    """A SQL string literal of an enum member's value."""
    return "'" + value.value.replace("'", "''") + "'"


def _texts(values: Iterable[StrEnum]) -> str:
    return ", ".join(_text(value) for value in values)


def _number(value: int) -> str:
    return str(int(value))


# signature -> body
MACROS: dict[str, str] = {
    # SPEC §3: a lead still to be worked on (`OPEN_STATUSES`)
    "is_open(status)": f"status IN ({_texts(OPEN_STATUSES)})",
    # SPEC §14: a lead a principal removed for a violation, out of every work and SLA count
    "is_removed(status)": f"status = {_text(Status.REMOVED)}",
    # SPEC §6 "Transfer": the kinds of booking at its SC that keep a lead from moving
    "pinning_booking(kind)": f"kind IN ({_texts(PINNING_BOOKINGS)})",
    # SPEC §5.3: a temperature's rank in `HOTTEST_FIRST`, 0 the hottest; sorts hot first
    "hotness(temperature)": "CASE temperature "
    + " ".join(f"WHEN {_text(t)} THEN {rank}" for rank, t in enumerate(HOTTEST_FIRST))
    + " END",
    # SPEC §7: a booking (or a paid period) reserves its client x product over [starts_at, ends_at)
    "booking_in_force(starts_at, ends_at, as_of)": "starts_at <= as_of AND as_of < ends_at",
    # SPEC §11: a measure applies from its start until its end (NULL: for good), unless lifted
    "sanction_in_force(starts_at, ends_at, lifted_at, as_of)": (
        "lifted_at IS NULL AND starts_at <= as_of AND (ends_at IS NULL OR as_of < ends_at)"
    ),
    # SPEC §6 rule 3, §11: a measure of this kind on an SC keeps it from new leads of `product`:
    # an exclusion (§9.1.2-3), or the closing of that product (§9.1.5)
    "sanction_bars(kind, barred_product, product)": (
        f"kind = {_text(SanctionKind.EXCLUDE)}"
        f" OR (kind = {_text(SanctionKind.CLOSE_PRODUCT)} AND barred_product = product)"
    ),
    # SPEC §1: the same client: its INN, and its KPP when given (a missing KPP equals only a
    # missing one). The stored KPP is NULL or 9 characters, never empty (validation).
    "same_client(inn_a, kpp_a, inn_b, kpp_b)": "inn_a = inn_b AND kpp_a IS NOT DISTINCT FROM kpp_b",
    # Every KPP of an INN: the rules that leave the KPP out on purpose (docs/warehouse.md)
    "same_inn(inn_a, inn_b)": "inn_a = inn_b",
    # SPEC §10: the working day, in seconds after local midnight and in length
    "workday_start_seconds()": _number(WORKDAY_START_MINUTE * 60),
    "workday_seconds()": _number(WORKDAY_MINUTES * 60),
}

DIGEST = hashlib.sha256(repr(sorted(MACROS.items())).encode()).hexdigest()[:16]


def macro_statements() -> list[str]:
    """The statements that (re)create every rule macro, and `rules_digest()` last."""
    return [
        *(f"CREATE OR REPLACE MACRO {signature} AS {body}" for signature, body in MACROS.items()),
        f"CREATE OR REPLACE MACRO rules_digest() AS '{DIGEST}'",
    ]
