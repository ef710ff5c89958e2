"""The SLA and conversion report (SPEC §12): the stays of the report's periods in, metric tables
and the HTML page out.

Pure functions. Every figure is counted from one frame, the stays `report_stays.sql` returns as
they stood at the report's as-of, with one definition per count (`outcome_counts`, stated on
the page as `DEFINITIONS`): "arrived" is the same number in the tiles, the funnel and every
table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import polars as pl

from schemas.enums import OPEN_STATUSES, EventKind, Status, Temperature
from schemas.instants import UTC_US
from schemas.rules import SLA_TERMS
from tasks.assign import UNDECIDED, waiting_sentence
from tasks.charts import TEMPERATURE_COLOURS, bars, funnel, heatmap, histogram, trend_lines
from tasks.explain import time_left, with_local_moments
from tasks.periods import Period
from tasks.templating import render_template

TEMPERATURES = tuple(t.value for t in Temperature)  # hottest first
DEFAULT_TREND_PERIODS = 8  # the trend and the heat map: the period and the seven before it
DUE_ROWS = 25  # the page shows the leads closest to breaching; the export has them all
AGE_BANDS = ("0-1d", "1-3d", "3-7d", "7-30d", "30d+")
AGE_EDGES = (1.0, 3.0, 7.0, 30.0)  # days since arrival at the SC
# Histogram edges of the time to take, as fractions of the temperature's SLA term.
TERM_FRACTIONS = (0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0)
TRANSFERRED = EventKind.TRANSFERRED.value  # the status of a stay its lead left by a transfer
CLOSED = (Status.COMPLETED.value, Status.REFUSED.value)  # conversion counts these only
OPEN = tuple(s.value for s in OPEN_STATUSES)
# Marks the files the report writes, so a later run knows it may replace them (and no other).
GENERATOR = "Potential Sales report"
GENERATOR_TAG = f'<meta name="generator" content="{GENERATOR}">'

DEFINITIONS = (
    (
        "Stay",
        "a lead's time at one SC, from its arrival there until it was taken, closed or moved "
        "away; a lead moved to another SC has one stay at each.",
    ),
    (
        "Arrived",
        "stays whose arrival at the SC falls in the period, on the SC's own calendar. "
        "Every tile, chart and table counts these same stays.",
    ),
    (
        "Taken in time",
        "taken into work by the deadline (3 working hours hot, 7 days warm, "
        "30 days cold), with no breach recorded.",
    ),
    ("Breached", "a missed deadline the SLA sweep recorded, or a take after the deadline."),
    (
        "Compliance",
        "taken in time ÷ (taken in time + breached); stays not yet decided (new "
        "before their deadline, closed or moved away without a breach) are left out.",
    ),
    ("Transferred", "stays whose lead was moved to another SC (it arrives there as a new stay)."),
    (
        "Time to take",
        "arrival to taken into work: working hours of the SC's calendar for hot "
        "leads, calendar days for warm and cold.",
    ),
    (
        "Backlog",
        "leads open (new or in work) at an SC at the end of the period, or at the "
        "report's as-of while the period runs; the change is against its start.",
    ),
    (
        "Conversion",
        "completed ÷ closed, where closed = completed + refused; open, blocked and "
        "moved-away stays never count.",
    ),
    (
        "About to breach",
        "new leads at an SC as the warehouse holds them, by the time left to their deadline at "
        "the report's as-of (working time for hot leads, calendar time otherwise), overdue first.",
    ),
    ("Waiting for an SC", "open leads no SC can take yet, by the reason the last placement or sweep found."),
    ("As of", "nothing that happened after the report's as-of is counted."),
)

COLUMN_LABELS = {
    "sc_id": "SC",
    "sc_name": "SC name",
    "manager_id": "Manager",
    "manager_name": "Manager name",
    "temperature": "Temperature",
    "period_start": "Period start",
    "arrived": "Arrived",
    "taken_in_time": "Taken in time",
    "breached": "Breached",
    "undecided": "Not yet decided",
    "compliance_pct": "Compliance %",
    "hot_compliance_pct": "Hot %",
    "warm_compliance_pct": "Warm %",
    "cold_compliance_pct": "Cold %",
    "transferred": "Transferred away",
    "taken": "Taken",
    "closed": "Closed",
    "completed": "Completed",
    "refused": "Refused",
    "blocked": "Blocked",
    "open": "Open",
    "conversion_pct": "Conversion %",
    "hot_median_working_hours": "Hot median (working h)",
    "warm_median_days": "Warm median (days)",
    "cold_median_days": "Cold median (days)",
    "unit": "Unit",
    "time_to_take_median": "Median",
    "time_to_take_p90": "90th percentile",
    "age_band": "Age",
    "leads": "Leads",
    "overdue": "Overdue",
    "dimension": "By",
    "value": "Value",
    "kind": "Message",
    "sent": "Sent",
    "leads_notified": "Leads listed",
    "pending": "Waiting",
    "failed": "Failed",
    "lead_id": "Lead",
    "product": "Product",
    "deadline": "Deadline (SC time)",
    "time_left": "Time left",
    "manager": "Manager",
    "minutes_left": "Minutes left",
    "waiting_reason": "Reason",
    "why": "Why",
}
DUE_SCHEMA = {
    "lead_id": pl.Int64,
    "sc_id": pl.String,
    "sc_name": pl.String,
    "temperature": pl.String,
    "product": pl.String,
    "deadline": pl.String,
    "time_left": pl.String,
    "manager": pl.String,
    "overdue": pl.Boolean,
    "minutes_left": pl.Int64,
}
WAITING_SCHEMA = {"waiting_reason": pl.String, "why": pl.String, "leads": pl.Int64}


def _term(temperature: str) -> float:
    """The SLA term in the unit the report reads it in: working hours hot, days otherwise."""
    term = SLA_TERMS[Temperature(temperature)]
    if term.working_minutes is not None:
        return term.working_minutes / 60
    assert term.calendar is not None
    return term.calendar.total_seconds() / 86400


def _unit(temperature: str) -> str:
    return "working_hours" if SLA_TERMS[Temperature(temperature)].working_minutes is not None else "days"


def time_to_take() -> pl.Expr:
    """Hot leads' clock is working time (SPEC §10): working hours; warm and cold: days."""
    working = [t for t in TEMPERATURES if _unit(t) == "working_hours"]
    return (
        pl.when(pl.col("temperature").is_in(working)).then("working_hours_to_take").otherwise("days_to_take")
    )


def _pct(part: pl.Expr, whole: pl.Expr) -> pl.Expr:
    return pl.when(whole > 0).then((100 * part / whole).round(1)).otherwise(None)


def outcome_counts() -> list[pl.Expr]:
    """The counts every table shows, each defined once (see `DEFINITIONS`)."""
    status, in_time, breached = pl.col("status"), pl.col("taken_in_time"), pl.col("breached")
    completed = (status == Status.COMPLETED.value).sum()
    closed = status.is_in(CLOSED).sum()
    return [
        pl.len().alias("arrived"),
        in_time.sum().alias("taken_in_time"),
        breached.sum().alias("breached"),
        (~in_time & ~breached).sum().alias("undecided"),
        _pct(in_time.sum(), (in_time | breached).sum()).alias("compliance_pct"),
        (status == TRANSFERRED).sum().alias("transferred"),
        pl.col("taken_at").is_not_null().sum().alias("taken"),
        closed.alias("closed"),
        completed.alias("completed"),
        (status == Status.REFUSED.value).sum().alias("refused"),
        (status == Status.BLOCKED.value).sum().alias("blocked"),
        status.is_in(OPEN).sum().alias("open"),
        _pct(completed, closed).alias("conversion_pct"),
    ]


def _per_temperature() -> list[pl.Expr]:
    """Compliance and median time to take of each temperature, as columns of one row."""
    exprs = []
    for t in TEMPERATURES:
        mine = pl.col("temperature") == t
        in_time, decided = (
            pl.col("taken_in_time") & mine,
            (pl.col("taken_in_time") | pl.col("breached")) & mine,
        )
        exprs.append(_pct(in_time.sum(), decided.sum()).alias(f"{t}_compliance_pct"))
        unit = "working_hours" if _unit(t) == "working_hours" else "days"
        exprs.append(time_to_take().filter(mine).median().round(1).alias(f"{t}_median_{unit}"))
    return exprs


def summarise(stays: pl.DataFrame, by: list[str], *, per_temperature: bool = False) -> pl.DataFrame:
    """`outcome_counts` per group of `by`; with no `by`, the one totals row."""
    exprs = outcome_counts() + (_per_temperature() if per_temperature else [])
    if not by:
        return stays.select(exprs)
    return stays.group_by(by).agg(exprs).sort(by)


def worst_first(frame: pl.DataFrame) -> pl.DataFrame:
    """Lowest compliance first (nothing decided last), then the most breaches."""
    return frame.sort(
        ["compliance_pct", "breached", "arrived"], descending=[False, True, True], nulls_last=True
    )


def in_period(stays: pl.DataFrame, period: Period) -> pl.DataFrame:
    """The stays that arrived in the period (its SC-local calendar)."""
    return stays.filter(pl.col("period_start") == period.first_day)


def period_instants(stays: pl.DataFrame, period: Period, as_of: datetime) -> pl.DataFrame:
    """Each stay's SC's start and end of the period, as UTC instants; the end no later than as-of."""
    zones = stays["timezone"].unique().drop_nulls().to_list()
    bounds = pl.DataFrame(
        [(zone, *period.bounds(zone)) for zone in zones],
        schema={"timezone": pl.String, "period_from": UTC_US, "period_to": UTC_US},
        orient="row",
    )
    return stays.join(bounds, on="timezone", how="left").with_columns(
        period_to=pl.min_horizontal("period_to", pl.lit(as_of.astimezone(UTC), UTC_US))
    )


def backlog_at(stays: pl.DataFrame, instant: str) -> pl.DataFrame:
    """The stays open at the SC at each row's `instant`, with their age and whether overdue."""
    at = pl.col(instant)
    still_there = (pl.col("left_at").is_null() | (pl.col("left_at") > at)) & (
        pl.col("closed_at").is_null() | (pl.col("closed_at") > at)
    )
    open_then = stays.filter((pl.col("arrived_at") <= at) & still_there)
    age_days = (at - pl.col("arrived_at")).dt.total_seconds() / 86400
    untaken = pl.col("taken_at").is_null() | (pl.col("taken_at") > at)
    return open_then.with_columns(
        age_band=age_days.cut(list(AGE_EDGES), labels=list(AGE_BANDS), left_closed=True).cast(pl.String),
        overdue=untaken & (pl.col("accept_deadline") < at),
    )


def backlog_table(open_stays: pl.DataFrame) -> pl.DataFrame:
    order = {band: i for i, band in enumerate(AGE_BANDS)}
    return (
        open_stays.group_by("sc_id", "temperature", "age_band")
        .agg(leads=pl.len(), overdue=pl.col("overdue").sum())
        .sort(pl.col("sc_id"), pl.col("temperature"), pl.col("age_band").replace_strict(order))
    )


def take_times(stays: pl.DataFrame) -> pl.DataFrame:
    """Per stay taken into work, its time to take in its temperature's unit."""
    working = [t for t in TEMPERATURES if _unit(t) == "working_hours"]
    return (
        stays.filter(pl.col("taken_at").is_not_null())
        .select(
            "lead_id",
            "sc_id",
            "timezone",
            "temperature",
            "arrived_at",
            "taken_at",
            time_to_take=time_to_take().round(2),
            unit=pl.when(pl.col("temperature").is_in(working))
            .then(pl.lit("working_hours"))
            .otherwise(pl.lit("days")),
        )
        .sort("sc_id", "lead_id")
    )


def take_time_summary(times: pl.DataFrame) -> pl.DataFrame:
    """Median and p90 of the time to take per SC and temperature (linear interpolation)."""
    return (
        times.group_by("sc_id", "temperature", "unit")
        .agg(
            taken=pl.len(),
            time_to_take_median=pl.col("time_to_take").quantile(0.5, "linear").round(1),
            time_to_take_p90=pl.col("time_to_take").quantile(0.9, "linear").round(1),
        )
        .sort("sc_id", "temperature")
    )


def conversion_table(stays: pl.DataFrame) -> pl.DataFrame:
    """Outcome counts by lead type, source and product."""
    parts = [
        summarise(stays.with_columns(dimension=pl.lit(d), value=pl.col(d)), ["dimension", "value"])
        for d in ("lead_type", "source", "product")
    ]
    return pl.concat(parts).sort(["dimension", "arrived", "value"], descending=[False, True, False])


@dataclass(frozen=True)
class Tile:
    """One headline figure of the period and its change from the period before."""

    label: str
    value: str
    change: str
    better: bool | None  # True: the change is good news; None: no change to judge
    note: str = ""


def _change(
    now: float | None, before: float | None, *, unit: str, lower_is_better: bool
) -> tuple[str, bool | None]:
    if now is None or before is None:
        return "no earlier figure", None
    diff = now - before
    if abs(diff) < 1e-9:
        return f"no change{unit and ' '}", None
    arrow = "▲" if diff > 0 else "▼"
    text = f"{arrow} {abs(diff):,.1f}{unit}" if unit else f"{arrow} {abs(diff):,.0f}"
    return text, (diff < 0) == lower_is_better


def _fmt(value: float | None, unit: str = "") -> str:
    if value is None:
        return "—"
    return f"{value:,.1f}{unit}" if unit else f"{value:,.0f}"


def tiles(
    stays: pl.DataFrame, period: Period, previous: Period, as_of: datetime, goal_pct: float
) -> list[Tile]:
    """The headline: compliance per temperature against the goal, breaches, transfers, median
    time to take, backlog; each against the period just before (backlog: against its start)."""
    now, before = in_period(stays, period), in_period(stays, previous)
    since = f"vs {previous.name}"
    found: list[Tile] = []
    for t in TEMPERATURES:
        n, b = (
            summarise(f.filter(pl.col("temperature") == t), [])["compliance_pct"][0] for f in (now, before)
        )
        change, better = _change(n, b, unit=" pt", lower_is_better=False)
        verdict = "" if n is None else ("meets the goal" if n >= goal_pct else "below the goal")
        found.append(
            Tile(
                f"{t.capitalize()} compliance",
                _fmt(n, "%"),
                f"{change} {since}",
                better,
                f"goal {goal_pct:g}%" + (f", {verdict}" if verdict else ""),
            )
        )
    for column, label in (("breached", "Breaches"), ("transferred", "Transfers")):
        n, b = (float(summarise(f, [])[column][0]) for f in (now, before))
        change, better = _change(n, b, unit="", lower_is_better=True)
        found.append(Tile(label, _fmt(n), f"{change} {since}", better))
    for t in TEMPERATURES:
        n, b = (
            f.filter(pl.col("temperature") == t).select(time_to_take().median())[0, 0] for f in (now, before)
        )
        unit = " working h" if _unit(t) == "working_hours" else " days"
        change, better = _change(n, b, unit=unit, lower_is_better=True)
        found.append(
            Tile(
                f"{t.capitalize()} median time to take",
                _fmt(n, unit),
                f"{change} {since}",
                better,
                f"SLA {SLA_TERMS[Temperature(t)].wording}",
            )
        )
    timed = period_instants(stays, period, as_of)
    end, start = (backlog_at(timed, instant).height for instant in ("period_to", "period_from"))
    change, better = _change(float(end), float(start), unit="", lower_is_better=True)
    found.append(Tile("Backlog", _fmt(float(end)), f"{change} since the period began", better))
    return found


def about_to_breach(due: pl.DataFrame | None, as_of: datetime) -> pl.DataFrame:
    """SPEC §15 at the report's as-of, from `leads_due.sql`'s rows (overdue first, then by
    time left) of the leads that had arrived by then: each lead's SC, temperature, deadline on
    the SC's clock, time left in words and manager."""
    if due is None or due.is_empty():
        return pl.DataFrame(schema=DUE_SCHEMA)
    arrived = due.filter(pl.col("arrived_at") <= pl.lit(as_of).dt.convert_time_zone("UTC"))
    return with_local_moments(arrived, ["accept_deadline"]).select(
        "lead_id",
        "sc_id",
        "sc_name",
        "temperature",
        "product",
        deadline="accept_deadline_local",
        time_left=time_left(),
        manager=pl.concat_str("manager_id", "manager_name", separator=" ", ignore_nulls=True),
        overdue="overdue",
        minutes_left="minutes_left",
    )


def waiting_by_reason(waiting: pl.DataFrame | None, as_of: datetime) -> pl.DataFrame:
    """The open leads no SC can take yet (`waiting_list.sql`) that had come in by the as-of,
    counted by reason and by the sentence that says it (naming the region and product), most
    first."""
    if waiting is None or waiting.is_empty():
        return pl.DataFrame(schema=WAITING_SCHEMA)
    return (
        waiting.filter(pl.col("created_at") <= pl.lit(as_of).dt.convert_time_zone("UTC"))
        .with_columns(waiting_sentence())
        .group_by(pl.col("waiting_reason").fill_null("undecided"), why=pl.col("reason").fill_null(UNDECIDED))
        .agg(leads=pl.len().cast(pl.Int64))
        .sort(["leads", "waiting_reason", "why"], descending=[True, False, False])
    )


def report_tables(
    stays: pl.DataFrame,
    notifications: pl.DataFrame,
    period: Period,
    trend: list[Period],
    as_of: datetime,
    *,
    due: pl.DataFrame | None = None,
    waiting: pl.DataFrame | None = None,
) -> dict[str, pl.DataFrame]:
    """The metric tables of the period (what the page shows and `--format csv|parquet` writes);
    `trend` is the periods of the trend, oldest first, ending with `period`; `due` and
    `waiting` the leads about to breach and waiting for an SC at `as_of`, as the warehouse
    gives them."""
    now = in_period(stays, period)
    times = take_times(now)
    funnel_columns = [
        "temperature",
        "arrived",
        "taken",
        "closed",
        "completed",
        "refused",
        "blocked",
        "transferred",
        "open",
    ]
    return {
        "sla": summarise(now, ["sc_id", "sc_name", "temperature"]),
        "trend": summarise(in_trend(stays, trend), ["period_start", "sc_id", "sc_name", "temperature"]),
        "centres": worst_first(summarise(now, ["sc_id", "sc_name"], per_temperature=True)),
        "managers": worst_first(
            summarise(now, ["sc_id", "sc_name", "manager_id", "manager_name"], per_temperature=True)
        ),
        "take_times": times,
        "time_to_take": take_time_summary(times),
        "backlog": backlog_table(backlog_at(period_instants(stays, period, as_of), "period_to")),
        "funnel": summarise(now, ["temperature"]).select(funnel_columns),
        "conversion": conversion_table(now),
        "notifications": notifications,
        "due": about_to_breach(due, as_of),
        "waiting": waiting_by_reason(waiting, as_of),
    }


def _cell(value: object) -> tuple[str, bool]:
    """A cell's text and whether it is a number (numbers are right-aligned)."""
    if value is None:
        return "—", False
    if isinstance(value, bool):
        return ("yes" if value else "no"), False
    if isinstance(value, int):
        return f"{value:,}", True
    if isinstance(value, float):
        return f"{value:,.1f}", True
    return str(value), False


def _table(
    title: str, frame: pl.DataFrame, *, totals: pl.DataFrame | None = None, limit: int = 200
) -> dict[str, object]:
    """What the page shows of one table: human headers, its first `limit` rows, a totals row
    (counted from the stays themselves, so its rates are rates of the sums)."""
    total_row = None
    if totals is not None:
        labels = [c for c in frame.columns if c not in totals.columns]
        filled = totals.with_columns(pl.lit("Total" if i == 0 else "").alias(c) for i, c in enumerate(labels))
        total_row = [_cell(v) for v in filled.select(frame.columns).row(0)]
    return {
        "title": title,
        "columns": [(COLUMN_LABELS.get(c, c), frame.schema[c].is_numeric()) for c in frame.columns],
        "rows": [[_cell(v) for v in row] for row in frame.head(limit).rows()],
        "totals": total_row,
        "hidden": max(frame.height - limit, 0),
    }


def in_trend(stays: pl.DataFrame, trend: list[Period]) -> pl.DataFrame:
    return stays.filter(pl.col("period_start").is_in([p.first_day for p in trend]))


def _trend_chart(window: pl.DataFrame, trend: list[Period], goal_pct: float) -> str:
    by_period = summarise(window, ["period_start", "temperature"])
    found = {
        (d, t): pct for d, t, pct in by_period.select("period_start", "temperature", "compliance_pct").rows()
    }
    return trend_lines(
        f"Compliance trend, last {len(trend)} periods (%)",
        [p.name for p in trend],
        {t: [found.get((p.first_day, t)) for p in trend] for t in TEMPERATURES},
        goal=goal_pct,
        colours=TEMPERATURE_COLOURS,
    )


def _heatmap_chart(window: pl.DataFrame, period: Period, trend: list[Period], goal_pct: float) -> str:
    """SCs × periods, the SCs worst first in the report's period."""
    by_sc = summarise(window, ["sc_id", "sc_name", "period_start"]).filter(
        pl.col("compliance_pct").is_not_null()
    )
    names = {p.first_day: p.name for p in trend}
    label = pl.concat_str("sc_id", pl.lit(" "), "sc_name")
    cells = {
        (row, names[start]): pct
        for row, start, pct in by_sc.select(label, "period_start", "compliance_pct").rows()
    }
    latest = worst_first(summarise(in_period(window, period), ["sc_id", "sc_name"]))
    ordered = latest.select(label)[:, 0].to_list()
    rows = [*ordered, *sorted({row for row, _ in cells} - set(ordered))]
    return heatmap(
        "Compliance % by SC and period, all temperatures", rows, [p.name for p in trend], cells, goal=goal_pct
    )


def _histograms(now: pl.DataFrame) -> list[str]:
    """One histogram per temperature, its bins fractions of the SLA term, the term drawn."""
    charts = []
    for t in TEMPERATURES:
        term = _term(t)
        edges = [term * f for f in TERM_FRACTIONS]
        values = now.filter(pl.col("temperature") == t).select(time_to_take().drop_nulls())[:, 0]
        bins = values.cut(edges, left_closed=True).to_physical().value_counts()
        found = dict(zip(bins[bins.columns[0]], bins["count"], strict=True))
        unit = "working hours" if _unit(t) == "working_hours" else "days"
        charts.append(
            histogram(
                f"Time to take, {t}",
                [0.0, *edges],
                [int(found.get(i, 0)) for i in range(len(edges) + 1)],
                x_title=f"{unit} from arrival to taken into work",
                y_title="leads",
                line_at=term,
                line_label=f"SLA {SLA_TERMS[Temperature(t)].wording}",
                colour=TEMPERATURE_COLOURS[t],
            )
        )
    return charts


CENTRE_COLUMNS = (
    "sc_id",
    "sc_name",
    "arrived",
    "taken_in_time",
    "breached",
    "undecided",
    "compliance_pct",
    "hot_compliance_pct",
    "warm_compliance_pct",
    "cold_compliance_pct",
    "transferred",
    "hot_median_working_hours",
    "warm_median_days",
    "cold_median_days",
    "completed",
    "refused",
    "conversion_pct",
    "open",
)
MANAGER_COLUMNS = ("manager_id", "manager_name", *CENTRE_COLUMNS)


def render_html(
    *,
    period: Period,
    trend: list[Period],
    as_of: datetime,
    stays: pl.DataFrame,
    tables: dict[str, pl.DataFrame],
    goal: float,
    calendar_warning: str | None = None,
    data_as_of: datetime | None = None,
) -> str:
    """One self-contained page: the headline tiles, the charts (inline SVG), the tables behind
    them and the definitions; a banner on top while the production calendar is about to run
    out (`tasks.calendar_status`)."""
    goal_pct = round(100 * goal, 1)
    now, window = in_period(stays, period), in_trend(stays, trend)
    backlog = tables["backlog"].group_by("age_band", "temperature").agg(pl.col("leads").sum())
    found = {(b, t): float(n) for b, t, n in backlog.iter_rows()}
    totals = summarise(now, [], per_temperature=True)
    stages = [
        (label, int(totals[column][0]))
        for label, column in (
            ("Arrived", "arrived"),
            ("Taken into work", "taken"),
            ("Closed", "closed"),
            ("Completed", "completed"),
        )
    ]
    charts = [
        _trend_chart(window, trend, goal_pct),
        _heatmap_chart(window, period, trend, goal_pct),
        *_histograms(now),
        bars(
            "Open backlog by age",
            list(AGE_BANDS),
            {t: [found.get((b, t), 0.0) for b in AGE_BANDS] for t in TEMPERATURES},
            colours=TEMPERATURE_COLOURS,
            x_title="days since arrival at the SC",
            y_title="open leads",
        ),
        funnel("Funnel: stays that arrived in the period", stages),
    ]
    managers = tables["managers"].with_columns(
        manager_id=pl.col("manager_id").fill_null("no manager"),
        manager_name=pl.col("manager_name").fill_null(""),
    )
    conversion = tables["conversion"].select(
        "dimension",
        "value",
        "arrived",
        "open",
        "transferred",
        "completed",
        "refused",
        "blocked",
        "conversion_pct",
    )
    sections = [
        _table(
            f"About to breach at the report's as-of: overdue first, then the least time left "
            f"({tables['due'].height:,} new leads)",
            tables["due"].drop("overdue", "minutes_left"),
            limit=DUE_ROWS,
        ),
        _table("Waiting for an SC, by reason", tables["waiting"]),
        _table("Service centres, worst first", tables["centres"].select(CENTRE_COLUMNS), totals=totals),
        _table("Managers, worst first", managers.select(MANAGER_COLUMNS), totals=totals),
        _table("Time to take by SC (median, 90th percentile)", tables["time_to_take"]),
        _table("Conversion by type, source and product", conversion),
        _table("Messages to SCs", tables["notifications"]),
    ]
    return render_template(
        "report.html.j2",
        generator_tag=GENERATOR_TAG,
        period=period.name,
        previous=period.previous().name,
        goal_pct=goal_pct,
        as_of=as_of.isoformat(timespec="seconds"),
        data_as_of=None if data_as_of is None else data_as_of.isoformat(timespec="seconds"),
        calendar_warning=calendar_warning,
        tiles=tiles(stays, period, period.previous(), as_of, goal_pct),
        charts=charts,
        tables=sections,
        definitions=DEFINITIONS,
    )
