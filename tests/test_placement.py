"""The pure decisions of placing leads (tasks/placement.py) and of sanctions (tasks/sanctions.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest

from schemas.enums import Channel, NoticeCause, TransferReason
from schemas.errors import PipelineError
from schemas.instants import UTC_US
from tasks.placement import keep_with_creator, place, transfer
from tasks.sanctions import ProposalPolicy, check_lift, propose_exclusions

T0 = datetime(2026, 3, 5, 7, 0, tzinfo=UTC)
ZONES = pl.DataFrame({"sc_id": ["sc-a", "sc-b"], "timezone": ["Europe/Moscow", "Asia/Yekaterinburg"]})
NO_CALENDAR = pl.DataFrame(schema={"day": pl.Date, "is_working": pl.Boolean, "cum_start": pl.Int64})


def _leads(**columns: list[object]) -> pl.DataFrame:
    base: dict[str, list[object]] = {
        "lead_id": [1, 2, 3],
        "inn": ["6663003127", None, "7707083893"],
        "kpp": [None, None, None],
        "product": ["extern", "extern", "extern"],
        "lead_type": ["connection", "connection", "upsell"],
        "temperature": ["warm", "cold", "warm"],
    }
    return pl.DataFrame({**base, **columns})


def test_a_placement_books_connection_leads_with_an_inn_and_tells_their_sc():
    placed = place(_leads(sc_id=["sc-a", "sc-b", None]), T0, zones=ZONES, calendar=NO_CALENDAR, digest_hour=9)
    assert placed.leads.filter(pl.col("sc_id").is_null())["arrived_at"].to_list() == [None]
    assert placed.leads["accept_deadline"].is_null().to_list() == [False, False, True]
    assert placed.bookings.select("lead_id", "sc_id").rows() == [(1, "sc-a")]
    assert placed.notices.select("lead_id", "sc_id", "channel").rows() == [
        (1, "sc-a", Channel.DIGEST.value),
        (2, "sc-b", Channel.DIGEST.value),
    ]


def test_an_sc_is_not_told_of_the_leads_it_created():
    own = keep_with_creator(_leads(), "sc-b")
    placed = place(own, T0, zones=ZONES, calendar=NO_CALENDAR, digest_hour=9, notify=False)
    assert set(placed.leads["sc_id"]) == {"sc-b"}
    assert set(placed.leads["assigned_by"]) == {"sc"}
    assert placed.notices.is_empty()
    assert placed.bookings["lead_id"].to_list() == [1]


@pytest.mark.parametrize("reason", list(TransferReason))
def test_a_transfer_keeps_the_missed_deadline_for_a_breach_or_a_principal(reason):
    missed = datetime(2026, 3, 4, 7, 0, tzinfo=UTC)
    moved = _leads(from_sc=["sc-a"] * 3, to_sc=["sc-b"] * 3).with_columns(
        accept_deadline=pl.lit(missed, UTC_US)
    )
    placement, transfers = transfer(
        moved, T0, zones=ZONES, calendar=NO_CALENDAR, digest_hour=9, reason=reason, sanction_id=7
    )
    assert (placement.leads["accept_deadline"] > T0).all()
    assert set(placement.notices["cause"]) == {NoticeCause.TRANSFERRED.value}
    assert set(placement.notices["sc_id"]) == set(placement.bookings["sc_id"]) == {"sc-b"}
    expected = missed if reason in (TransferReason.BREACH, TransferReason.PRINCIPAL) else None
    assert set(transfers["missed_deadline"]) == {expected}
    assert set(transfers["sanction_id"]) == {7}


def test_the_policy_proposes_the_scs_over_its_thresholds_worst_first():
    evidence = pl.DataFrame(
        {
            "sc_id": ["sc-a", "sc-b", "sc-c", "sc-d"],
            "due": [10, 2, 40, 10],
            "breached": [5, 2, 12, 1],
            "breach_rate": [0.5, 1.0, 0.3, 0.1],
            "excluded_until": [None, None, T0, None],
            "excluded_for_good": [False, False, False, False],
            "removed": [0, 0, 0, 2],
            "violations": [None, None, None, "§8.2.1: 1, §8.2.4: 1"],
        }
    )
    proposed = propose_exclusions(evidence, ProposalPolicy(min_due=5, breach_rate=0.2, breach_count=10))
    assert proposed.select("sc_id", "why", "proposal").rows() == [
        ("sc-a", "breach share 50.0% > 20.0%", "pp sanction exclude --sc sc-a --until-quarter-end"),
        ("sc-c", "breach share 30.0% > 20.0%; 12 breaches >= 10", "already excluded"),
        (
            "sc-d",
            "leads removed for violations: 2 (§8.2.1: 1, §8.2.4: 1)",
            "pp sanction exclude --sc sc-d --until-quarter-end",
        ),
    ]


def test_a_measure_is_not_lifted_before_it_starts():
    measure = {"kind": "exclude", "sc_id": "sc-b", "starts_at": T0, "ends_at": None, "lifted_at": None}
    with pytest.raises(PipelineError, match=r"starts at 2026-03-05 12:00 \+05:00 \(Asia/Yekaterinburg\)"):
        check_lift(3, measure, datetime(2026, 3, 5, 6, 0, tzinfo=UTC), ZONES)
    check_lift(3, measure, T0, ZONES)
