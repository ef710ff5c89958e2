"""Sanction decisions, pure (SPEC §11, §9.1): whether a measure may be applied or lifted at
an instant, and which SCs the policy proposes to exclude."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import polars as pl

from schemas.errors import PipelineError
from tasks.fields import digits_only, inn_is_valid, inn_number
from tasks.lifecycle import local_moment


@dataclass(frozen=True)
class ProposalPolicy:
    """When an SC's breaches in a period call for its exclusion (settings `PP_PROPOSE_*`)."""

    min_due: int
    breach_rate: float
    breach_count: int
    removed_count: int = 1  # SPEC §14: leads removed for a violation (§9.2) in the period


def check_inn(inn: str) -> None:
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


def zone_of(zones: pl.DataFrame, sc_id: str) -> str:
    """The SC's IANA zone from `zones` (sc_id, timezone); UTC for an SC no longer listed."""
    found = zones.filter(pl.col("sc_id") == sc_id)["timezone"]
    return str(found.item()) if found.len() else "UTC"


def check_not_before_record(later: pl.DataFrame, kind: str, sc_id: str, zones: pl.DataFrame) -> None:
    """Refuse a measure dated before the last start or lift of the same measure on its
    target (`later`: sanction_id, changed_at of such a change, if any)."""
    if later.height:
        sanction_id, changed_at = later.row(0)
        raise PipelineError(
            f"sanction {sanction_id} ({kind}) of the same target was last changed at "
            f"{local_moment(changed_at, zone_of(zones, sc_id))}; a measure cannot be dated before it"
        )


def check_sells(sells: bool | None, sc_id: str, product: str) -> None:
    """SPEC §9.1.4: a client goes only to an SC that sells the product."""
    if not sells:
        raise PipelineError(f"service centre {sc_id!r} does not sell {product!r}; choose one that does")


def check_lift(sanction_id: int, sanction: dict[str, Any], as_of: datetime, zones: pl.DataFrame) -> None:
    """A measure (kind, sc_id, starts_at, ends_at, lifted_at) is lifted once, while in force,
    and not before it started."""
    if sanction["lifted_at"] is not None:
        raise PipelineError(
            f"sanction {sanction_id} was already lifted at {sanction['lifted_at'].isoformat()}"
        )
    if sanction["ends_at"] is not None and sanction["ends_at"] <= as_of:
        raise PipelineError(f"sanction {sanction_id} already ended at {sanction['ends_at'].isoformat()}")
    if as_of < sanction["starts_at"]:
        starts = local_moment(sanction["starts_at"], zone_of(zones, sanction["sc_id"]))
        raise PipelineError(f"sanction {sanction_id} starts at {starts}; it cannot be lifted before it")


def propose_exclusions(evidence: pl.DataFrame, policy: ProposalPolicy) -> pl.DataFrame:
    """§11 decision: the SCs whose evidence (due, breached, breach_rate, removed, violations,
    excluded_until, excluded_for_good, …) exceeds the policy, each with why and the command
    that would exclude it; the worst first."""
    over_rate = (pl.col("due") >= policy.min_due) & (pl.col("breach_rate") > policy.breach_rate)
    over_count = pl.col("breached") >= policy.breach_count
    over_removed = pl.col("removed") >= policy.removed_count
    return (
        evidence.with_columns(
            why=pl.concat_str(
                pl.when(over_rate).then(
                    pl.format(
                        "breach share {}% > {}%",
                        (pl.col("breach_rate") * 100).round(1),
                        pl.lit(round(policy.breach_rate * 100, 1)),
                    )
                ),
                pl.when(over_count).then(
                    pl.format("{} breaches >= {}", pl.col("breached"), pl.lit(policy.breach_count))
                ),
                pl.when(over_removed).then(
                    pl.format(
                        "leads removed for violations: {} ({})", pl.col("removed"), pl.col("violations")
                    )
                ),
                separator="; ",
                ignore_nulls=True,
            ),
        )
        .filter(over_rate | over_count | over_removed)
        .with_columns(
            proposal=pl.when(pl.col("excluded_until").is_not_null() | pl.col("excluded_for_good"))
            .then(pl.lit("already excluded"))
            .otherwise(pl.format("pp sanction exclude --sc {} --until-quarter-end", pl.col("sc_id")))
        )
        .sort(["breach_rate", "breached", "sc_id"], descending=[True, True, False])
    )
