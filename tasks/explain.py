"""Explaining leads, pure (SPEC §14 "Explain", §15): instants on an SC's clock, the time left
to a deadline, why a lead is at its SC, and the SCs it stayed at."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import polars as pl

from schemas.enums import EventKind, TransferReason
from schemas.errors import PipelineError
from schemas.instants import UTC_US

_DURATION = re.compile(r"(?:\s*([0-9]+)\s*([mhd]))+\s*", re.IGNORECASE)
_DURATION_PART = re.compile(r"([0-9]+)\s*([mhd])", re.IGNORECASE)
_UNIT_MINUTES = {"m": 1, "h": 60, "d": 24 * 60}
_DAY_MINUTES = 24 * 60
_EVENT_INSTANT = "%Y-%m-%dT%H:%M:%S%z"  # how event details write an instant


def parse_duration(text: str, *, option: str = "--within") -> int:
    """`90m`, `2h`, `1d` (or a sum such as `1h30m`) in minutes; anything else is refused."""
    if not _DURATION.fullmatch(text):
        raise PipelineError(f"{option} {text!r} is not a duration; use e.g. 90m, 2h or 1d")
    return sum(int(n) * _UNIT_MINUTES[unit.lower()] for n, unit in _DURATION_PART.findall(text))


def local_moments(column: str, zones: Iterable[str], *, zone: str = "timezone") -> pl.Expr:
    """The instant in `column` as the SC of the row's `zone` reads it, in the format of
    `tasks.lifecycle.local_moment`: `2026-03-06 14:05 +05:00 (Asia/Yekaterinburg)`, seconds
    only when there are some. `zones` are the zones the rows hold (one branch each)."""
    shown: pl.Expr = pl.lit(None, pl.String)
    for name in sorted(set(zones)):
        local = pl.col(column).dt.convert_time_zone(name)
        clock = (
            pl.when((local.dt.second() != 0) | (local.dt.microsecond() != 0))
            .then(local.dt.strftime("%Y-%m-%d %H:%M:%S %:z"))
            .otherwise(local.dt.strftime("%Y-%m-%d %H:%M %:z"))
        )
        shown = pl.when(pl.col(zone) == name).then(pl.format("{} ({})", clock, pl.lit(name))).otherwise(shown)
    return shown


def with_local_moments(
    frame: pl.DataFrame, columns: Iterable[str], *, zone: str = "timezone"
) -> pl.DataFrame:
    """`frame` with `<column>_local` beside each instant column (see `local_moments`)."""
    zones = frame[zone].drop_nulls().unique().to_list()
    return frame.with_columns(local_moments(c, zones, zone=zone).alias(f"{c}_local") for c in columns)


def time_left(
    minutes: str = "minutes_left", working: str = "working_time", overdue: str = "overdue"
) -> pl.Expr:
    """The time left as people read it: `2h 05m working` for working minutes, `6d 23h 10m`
    for calendar ones, `overdue by 1h 30m working` once the deadline has passed."""
    left = pl.col(minutes).abs()
    days = (
        pl.when(~pl.col(working) & (left >= _DAY_MINUTES))
        .then(pl.format("{}d ", left // _DAY_MINUTES))
        .otherwise(pl.lit(""))
    )
    hours = pl.when(pl.col(working)).then(left // 60).otherwise(left % _DAY_MINUTES // 60)
    return pl.format(
        "{}{}{}h {}m{}",
        pl.when(pl.col(overdue)).then(pl.lit("overdue by ")).otherwise(pl.lit("")),
        days,
        hours,
        (left % 60).cast(pl.String).str.zfill(2),
        pl.when(pl.col(working)).then(pl.lit(" working")).otherwise(pl.lit("")),
    )


# How each assignment rule (`assigned_by`, the `rule` of an `assigned` event) chose the SC.
RULE_WORDING = {
    "sc": "the SC created the lead itself (SPEC §8.1.3)",
    "sanction": "a principal gave the client x product to this SC (§9.1.4)",
    "booking": "the client x product is booked at this SC (§6 rule 1)",
    "paid_period": "this SC serves the client's paid period for the product (§6 rule 2)",
    "load": "the lowest open-lead load against capacity of the eligible SCs (§6 rule 3)",
}
TRANSFER_WORDING: dict[str, str] = {
    TransferReason.BREACH: "moved from {from_sc} after it missed its deadline: the transfer policy "
    "chose {to_sc} by load among the SCs the lead had not left (§9.1.1)",
    TransferReason.TRANSFER_CLIENT: "moved from {from_sc}: a principal transferred the client "
    "to {to_sc} (§9.1.4)",
}


def _load(open_leads: Any, capacity: Any) -> str:
    return f"{open_leads} open leads for capacity {capacity:g} ({open_leads / capacity:.2f})"


def placement_reason(kind: str, detail: Mapping[str, Any]) -> str:
    """Why the lead is at the SC an `assigned` or `transferred` event put it at, from what
    the event stored when it was decided."""
    if kind == EventKind.TRANSFERRED.value:
        template = TRANSFER_WORDING.get(str(detail.get("reason")), "moved from {from_sc} to {to_sc}")
        return template.format(from_sc=detail.get("from_sc"), to_sc=detail.get("to_sc"))
    rule = str(detail.get("rule"))
    said = RULE_WORDING.get(rule, f"rule {rule}")
    if rule != "load" or detail.get("sc_open_leads") is None:
        return said
    chosen = f"{detail['sc_id']} had {_load(detail['sc_open_leads'], detail['sc_capacity'])}"
    if detail.get("runner_up_sc") is None:
        return f"{said}: {chosen}, the only eligible SC"
    runner_up = _load(detail["runner_up_open_leads"], detail["runner_up_capacity"])
    return f"{said}: {chosen}; the runner-up {detail['runner_up_sc']} had {runner_up}"


_STAY_DETAIL = pl.Struct(
    {"sc_id": pl.String, "to_sc": pl.String, "from_sc": pl.String, "accept_deadline": pl.String}
)


def stays(events: pl.DataFrame, centres: pl.DataFrame, current_deadline: Any) -> pl.DataFrame:
    """The SCs a lead was put at, in order, from its `assigned` and `transferred` events:
    sc_id, sc_name, timezone, arrived_at, accept_deadline (the one set there; the lead's
    current one for its last stay, which a hotter merge may have tightened), how (the event's
    kind)."""
    placed = events.filter(pl.col("kind").is_in([EventKind.ASSIGNED.value, EventKind.TRANSFERRED.value]))
    decoded = placed.with_columns(detail=pl.col("detail").str.json_decode(_STAY_DETAIL)).unnest("detail")
    recorded = (
        pl.col("accept_deadline").str.to_datetime(_EVENT_INSTANT, strict=False).dt.convert_time_zone("UTC")
    )
    last = pl.int_range(pl.len()) == pl.len() - 1
    return (
        decoded.select(
            sc_id=pl.coalesce("to_sc", "sc_id"),
            arrived_at="occurred_at",
            accept_deadline=pl.when(last).then(pl.lit(current_deadline, UTC_US)).otherwise(recorded),
            how="kind",
        )
        .join(centres.select("sc_id", sc_name="name", timezone="timezone"), on="sc_id", how="left")
        .select("sc_id", "sc_name", "timezone", "arrived_at", "accept_deadline", "how")
    )
