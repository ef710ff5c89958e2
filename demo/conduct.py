"""How the demo's SCs work their leads, pure: from the open leads the warehouse holds, the
activity rows (SPEC §13, the `pp activity` file) and billing events of one window of simulated
time.

Every choice is a draw from a hash of the lead and its stay, so it is the same whichever window
reads the lead: a lead is taken at the instant its stay's draw says, and a lead moved to another
SC starts a new stay with new draws. Most SCs take most leads well within the deadline, a few
are slow, one is failing; within an SC some managers are faster than others."""

from __future__ import annotations

import zlib
from datetime import datetime, timedelta

import polars as pl

from schemas.enums import Temperature
from schemas.instants import UTC_US
from schemas.rules import SLA_TERMS

GOOD, SLOW, FAILING = "good", "slow", "failing"
# The share of leads an SC of each conduct takes after the deadline (its managers' pace scales it).
LATE_SHARE = {GOOD: 0.06, SLOW: 0.3, FAILING: 0.85}
CONDUCT = {"sc-tmn-1": FAILING, "sc-spb-2": SLOW, "sc-krd-1": SLOW, "sc-nsk-2": SLOW}
# An SC's fastest manager works at FASTEST_PACE times the SC's lateness, its slowest at SLOWEST_PACE.
FASTEST_PACE, SLOWEST_PACE = 0.5, 1.5
MANAGER_AFTER = timedelta(minutes=15)  # the SC gives a new lead a manager this soon after arrival
NEXT_ROW = timedelta(minutes=1)  # an action the window's start passed comes right after it
BILLED_TYPES = ("connection", "renewal", "upsell")  # they close by a paid invoice (SPEC §4)
REFUSALS = (
    "already uses another product",
    "too expensive for now",
    "the client closed the business",
    "no need: the client keeps paper reporting",
    "the decision moved to the head office",
)
CLOSING_COMMENT = "the client's question is solved"
_MICROS_PER_HOUR = 3_600_000_000


def draw(salt: str, *columns: str) -> pl.Expr:
    """A number in [0, 1) that depends only on `salt` and the row's `columns`."""
    hashed = pl.struct(*columns).hash(seed=zlib.crc32(salt.encode()))
    return (hashed % 1_000_003).cast(pl.Float64) / 1_000_003


def _micros(column: str) -> pl.Expr:
    return pl.col(column).dt.epoch("us")


def _instant(micros: pl.Expr) -> pl.Expr:
    return pl.from_epoch(micros.cast(pl.Int64), time_unit="us").dt.replace_time_zone("UTC")


def _hours(low: float, high: float, salt: str, *columns: str) -> pl.Expr:
    """A duration between `low` and `high` hours, in microseconds, drawn per row."""
    return (low + (high - low) * draw(salt, *columns)) * _MICROS_PER_HOUR


def manager_paces(managers: pl.DataFrame) -> pl.DataFrame:
    """Per manager (manager_id, sc_id): its place in its SC (`seat`), how many the SC has, and its
    pace, from FASTEST_PACE for the first to SLOWEST_PACE for the last."""
    seat = pl.int_range(pl.len()).over("sc_id")
    seats = pl.len().over("sc_id")
    spread = pl.when(seats > 1).then(seat / (seats - 1)).otherwise(0.5)
    return managers.sort("sc_id", "manager_id").with_columns(
        seat=seat.cast(pl.Int64),
        seats=seats.cast(pl.Int64),
        pace=FASTEST_PACE + (SLOWEST_PACE - FASTEST_PACE) * spread,
    )


def _span_micros() -> pl.Expr:
    """The part of the stay the SC's pace is drawn over: the whole stay for a calendar term, the
    last hours before the deadline for a working-time one (a lead that came in the evening is
    worked the next morning, not at night)."""
    stay = _micros("accept_deadline") - _micros("arrived_at")
    span = stay
    for temperature, term in SLA_TERMS.items():
        if term.working_minutes is not None:
            working = pl.lit(term.working_minutes * 60_000_000)
            span = (
                pl.when(pl.col("temperature") == temperature.value)
                .then(pl.min_horizontal(stay, working))
                .otherwise(span)
            )
    return span


def _one_of(values: tuple[str, ...], salt: str, *columns: str) -> pl.Expr:
    index = (draw(salt, *columns) * len(values)).cast(pl.Int64)
    return index.replace_strict(dict(enumerate(values)), return_dtype=pl.String)


def first_actions(leads: pl.DataFrame, paces: pl.DataFrame) -> pl.DataFrame:
    """When and how each `new` lead's stay is first acted on: `manager_id` (a manager of its SC,
    null when it has one already) at `manager_at`, and `action` (take, postpone or refuse) at
    `act_at`: a share of the time to the deadline drawn from its SC's conduct and its manager's
    pace, beyond the deadline for a late one."""
    stay = ("lead_id", "arrived_at")
    new = leads.filter(pl.col("status") == "new", pl.col("accept_deadline").is_not_null())
    seats = paces.group_by("sc_id").agg(seats=pl.len())
    seated = new.join(seats, on="sc_id", how="left").with_columns(
        seat=(draw("manager", *stay) * pl.col("seats")).floor().cast(pl.Int64)
    )
    chosen = seated.join(
        paces.select("sc_id", "seat", "pace", chosen_manager="manager_id"), on=["sc_id", "seat"], how="left"
    ).with_columns(pl.col("pace").fill_null(1.0))
    lateness = (
        pl.col("sc_id")
        .replace_strict(CONDUCT, default=GOOD)
        .replace_strict(LATE_SHARE, return_dtype=pl.Float64)
    )
    late = draw("late", *stay) < (lateness * pl.col("pace")).clip(upper_bound=0.95)
    share = (
        pl.when(late)
        .then(1.2 + 3.0 * draw("lateness", *stay))
        .otherwise((0.1 + 0.8 * draw("speed", *stay) * pl.col("pace")).clip(upper_bound=0.95))
    )
    choice = draw("action", *stay)
    hot = pl.col("temperature") == Temperature.HOT.value
    action = (
        pl.when(choice < pl.when(hot).then(0.05).otherwise(0.08))
        .then(pl.lit("refuse"))
        .when(~hot & (choice < 0.2))
        .then(pl.lit("postpone"))
        .otherwise(pl.lit("take"))
    )
    has_manager = pl.col("manager_id").is_not_null() & (pl.col("manager_sc") == pl.col("sc_id"))
    act_at = _instant(_micros("accept_deadline") - (1 - share) * _span_micros())
    return chosen.with_columns(act_at=act_at).with_columns(
        action=action,
        contact=pl.when(draw("contact", *stay) < 0.8).then(pl.lit("call")).otherwise(pl.lit("meeting")),
        until=_instant(_micros("act_at") + _hours(72, 240, "until", *stay)),
        reason=_one_of(REFUSALS, "reason", *stay),
        manager_id=pl.when(~has_manager).then("chosen_manager"),
        manager_at=pl.min_horizontal(pl.col("arrived_at") + MANAGER_AFTER, "act_at"),
    )


def follow_ups(leads: pl.DataFrame) -> pl.DataFrame:
    """What becomes of each lead in work, drawn from its take: `outcome` invoiced (a connection,
    renewal or upsell lead with a client INN: an invoice at `issued_at`, paid at `paid_at` for
    most, which completes it), refused or closed (service and activation) at `done_at`, or still
    open. An invoiced lead gets no other action: its payment is its last event."""
    taken = ("lead_id", "taken_at")
    in_work = leads.filter(pl.col("status") == "in_work", pl.col("taken_at").is_not_null())
    billed = pl.col("lead_type").is_in(BILLED_TYPES)
    choice = draw("outcome", *taken)
    outcome = (
        pl.when(billed & pl.col("inn").is_not_null() & (choice < 0.5))
        .then(pl.lit("invoiced"))
        .when(billed & (choice < 0.75))
        .then(pl.lit("refused"))
        .when(~billed & (choice < 0.7))
        .then(pl.lit("closed"))
        .when(~billed & (choice < 0.85))
        .then(pl.lit("refused"))
        .otherwise(pl.lit("open"))
    )
    issued = _micros("taken_at") + _hours(12, 72, "issued", *taken)
    return in_work.with_columns(
        outcome=outcome,
        done_at=_instant(_micros("taken_at") + _hours(24, 288, "done", *taken)),
        issued_at=_instant(issued),
        paid_at=pl.when(draw("paid", *taken) < 0.85).then(_instant(issued + _hours(12, 72, "paid", *taken))),
        invoice_id=pl.format("DEMO-{}", "lead_id"),
        reason=_one_of(REFUSALS, "reason", *taken),
    )


def _in_window(at: str, since: datetime, until: datetime, *, catch_up: bool) -> tuple[pl.Expr, pl.Expr]:
    """Whether the row's `at` falls in (since, until], and the instant it is dated: with
    `catch_up`, an action whose instant the window's start passed comes right after it."""
    start = pl.lit(since, UTC_US)
    if catch_up:
        return pl.col(at) <= until, pl.max_horizontal(pl.col(at), start + NEXT_ROW)
    return (pl.col(at) > start) & (pl.col(at) <= until), pl.col(at)


def activity_rows(leads: pl.DataFrame, paces: pl.DataFrame, since: datetime, until: datetime) -> pl.DataFrame:
    """The activity file of the window (since, until]: the open leads' managers and first
    actions that fall in it, and the follow-ups (refusals, closes) of leads in work, as the
    contract's columns (instants in UTC with their offset), one lead's rows in time order."""
    first = first_actions(leads, paces)
    manager_due, manager_at = _in_window("manager_at", since, until, catch_up=True)
    act_due, act_at = _in_window("act_at", since, until, catch_up=True)
    later = follow_ups(leads).filter(pl.col("outcome").is_in(["refused", "closed"]))
    done_due, done_at = _in_window("done_at", since, until, catch_up=True)
    text = pl.String
    parts = [
        first.filter(manager_due & pl.col("manager_id").is_not_null()).select(
            "lead_id", at=manager_at, action=pl.lit("assign_manager"), manager_id="manager_id"
        ),
        first.filter(act_due).select(
            "lead_id",
            at=act_at,
            action="action",
            contact=pl.when(pl.col("action") != "postpone").then("contact"),
            until=pl.when(pl.col("action") == "postpone").then(pl.max_horizontal("until", act_at + NEXT_ROW)),
            reason=pl.when(pl.col("action") == "refuse").then("reason"),
        ),
        later.filter(done_due).select(
            "lead_id",
            at=done_at,
            action=pl.when(pl.col("outcome") == "refused").then(pl.lit("refuse")).otherwise(pl.lit("close")),
            reason=pl.when(pl.col("outcome") == "refused").then("reason"),
            comment=pl.when(pl.col("outcome") == "closed").then(pl.lit(CLOSING_COMMENT)),
        ),
    ]
    rows = pl.concat(parts, how="diagonal_relaxed")
    order = {"assign_manager": 0, "take": 1, "postpone": 1, "refuse": 1, "close": 1}
    iso = "%Y-%m-%dT%H:%M:%S%:z"
    return (
        rows.with_columns(rank=pl.col("action").replace_strict(order, return_dtype=pl.Int64))
        .sort("lead_id", "at", "rank")
        .select(
            activity_id=pl.format("demo-{}-{}-{}", "lead_id", pl.col("at").dt.epoch("s"), "action"),
            lead_id="lead_id",
            action="action",
            at=pl.col("at").dt.strftime(iso),
            contact="contact",
            until=pl.col("until").dt.strftime(iso),
            stage=pl.lit(None, text),
            invoice_id=pl.lit(None, text),
            comment="comment",
            reason="reason",
            manager_id="manager_id",
        )
    )


def billing_rows(leads: pl.DataFrame, since: datetime, until: datetime) -> pl.DataFrame:
    """The billing events (`pp billing` columns) of the window (since, until]: invoices issued
    for the invoiced leads in work, and their payments."""
    invoiced = follow_ups(leads).filter(pl.col("outcome") == "invoiced")
    issued_due, _ = _in_window("issued_at", since, until, catch_up=False)
    paid_due, _ = _in_window("paid_at", since, until, catch_up=False)
    iso = "%Y-%m-%dT%H:%M:%S%:z"
    client = ("invoice_id", "inn", "kpp", "product", "sc_id")
    return pl.concat(
        [
            invoiced.filter(issued_due).select(
                *client,
                event=pl.lit("invoice_issued"),
                event_at=pl.col("issued_at").dt.strftime(iso),
                valid_until=(pl.col("issued_at") + timedelta(days=14)).dt.strftime(iso),
            ),
            invoiced.filter(paid_due).select(
                *client, event=pl.lit("invoice_paid"), event_at=pl.col("paid_at").dt.strftime(iso)
            ),
        ],
        how="diagonal_relaxed",
    )
