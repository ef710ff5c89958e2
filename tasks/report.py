"""The SLA and conversion report (SPEC §12): metric frames in, summary frames and HTML out.

Pure functions: the flow reads the metric views and hands their frames here."""

from __future__ import annotations

import itertools
from datetime import datetime

import polars as pl

from schemas.enums import Temperature
from tasks.calendar import working_minutes_between
from tasks.charts import TEMPERATURE_COLOURS, bars, funnel, heatmap
from tasks.templating import render_template

TEMPERATURES = tuple(t.value for t in Temperature)  # hottest first
AGE_BANDS = ("0-1d", "1-3d", "3-7d", "7-30d", "30d+")
# Histogram bins of the time to take: working minutes for hot, calendar hours otherwise.
HOT_BINS = (30.0, 60.0, 120.0, 180.0, 360.0)
HOURS_BINS = (1.0, 4.0, 24.0, 72.0, 168.0)
# Marks the files the report writes, so a later run knows it may replace them (and no other).
GENERATOR = "Potential Sales report"
GENERATOR_TAG = f'<meta name="generator" content="{GENERATOR}">'


def take_times(stays: pl.DataFrame, calendar: pl.DataFrame) -> pl.DataFrame:
    """Per taken stay, `time_to_take` in the unit SPEC §12 reads it in: SC-local working minutes
    for hot leads (their clock is working time, §10), calendar hours for warm and cold."""
    timed = working_minutes_between(stays, calendar, alias="time_to_take_working_minutes")
    hot = pl.col("temperature") == "hot"
    return timed.with_columns(
        time_to_take=pl.when(hot).then("time_to_take_working_minutes").otherwise("hours_to_take"),
        unit=pl.when(hot).then(pl.lit("working_minutes")).otherwise(pl.lit("hours")),
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


def histogram(times: pl.DataFrame, temperature: str) -> tuple[list[str], list[float]]:
    """Bin labels and counts of one temperature's times to take."""
    edges = HOT_BINS if temperature == "hot" else HOURS_BINS
    unit = "min" if temperature == "hot" else "h"
    labels = [f"<{edges[0]:g}{unit}"]
    labels += [f"{a:g}-{b:g}{unit}" for a, b in itertools.pairwise(edges)]
    labels.append(f"{edges[-1]:g}{unit}+")
    values = times.filter(pl.col("temperature") == temperature)["time_to_take"].drop_nulls()
    counts = values.cut(list(edges), labels=labels, left_closed=True).value_counts()
    found = dict(zip(counts[counts.columns[0]].cast(pl.String), counts["count"], strict=True))
    return labels, [float(found.get(label, 0)) for label in labels]


def _table(title: str, frame: pl.DataFrame, *, limit: int = 500) -> dict[str, object]:
    """What the page shows of one table: its first `limit` rows and how many the export adds."""
    return {
        "title": title,
        "columns": frame.columns,
        "rows": frame.head(limit).rows(),
        "hidden": max(frame.height - limit, 0),
    }


def funnel_stages(funnel_frame: pl.DataFrame) -> list[tuple[str, int]]:
    totals = funnel_frame.select(pl.col("arrived", "taken", "completed").sum()).row(0)
    return [
        (name, int(n or 0))
        for name, n in zip(("arrived", "taken into work", "completed"), totals, strict=True)
    ]


def render_html(
    *,
    period: str,
    as_of: datetime,
    sla: pl.DataFrame,
    trend: pl.DataFrame,
    times: pl.DataFrame,
    time_summary: pl.DataFrame,
    backlog: pl.DataFrame,
    funnel_frame: pl.DataFrame,
    conversion: pl.DataFrame,
    notifications: pl.DataFrame,
    calendar_warning: str | None = None,
    data_as_of: datetime | None = None,
) -> str:
    """One self-contained page: charts first (inline SVG), the tables behind them after; a
    banner on top while the production calendar is about to run out (`tasks.calendar_status`)."""
    by_sc = (
        trend.group_by("sc_id", "period_start")
        .agg(pl.col("taken_in_time", "breached").sum())
        .filter((pl.col("taken_in_time") + pl.col("breached")) > 0)
        .with_columns(
            pct=(100 * pl.col("taken_in_time") / (pl.col("taken_in_time") + pl.col("breached"))).round(1)
        )
    )
    columns = sorted({str(d) for d in trend["period_start"].to_list()})
    cells = {
        (sc, str(start)): pct for sc, start, pct in by_sc.select("sc_id", "period_start", "pct").iter_rows()
    }
    rows = sorted({sc for sc, _ in cells})
    charts = [heatmap("Compliance % by SC (period starts, SC-local)", rows, columns, cells)]
    for temperature in TEMPERATURES:
        labels, counts = histogram(times, temperature)
        unit = "working minutes" if temperature == "hot" else "hours"
        charts.append(
            bars(
                f"Time to take, {temperature} ({unit})",
                labels,
                {temperature: counts},
                colours=TEMPERATURE_COLOURS,
            )
        )
    band_totals = backlog.group_by("age_band", "temperature").agg(pl.col("leads").sum())
    found = {(b, t): float(n) for b, t, n in band_totals.iter_rows()}
    charts.append(
        bars(
            "Open backlog by age",
            list(AGE_BANDS),
            {t: [found.get((b, t), 0.0) for b in AGE_BANDS] for t in TEMPERATURES},
            colours=TEMPERATURE_COLOURS,
        )
    )
    charts.append(funnel("Funnel: leads that arrived in the period", funnel_stages(funnel_frame)))
    sections = [
        ("Compliance by SC and temperature", sla),
        ("Compliance trend", trend),
        ("Time to take (median, p90)", time_summary),
        ("Open backlog by age", backlog),
        ("Funnel by temperature", funnel_frame),
        ("Conversion by type, source and product", conversion),
        ("Notifications", notifications),
    ]
    return render_template(
        "report.html.j2",
        generator_tag=GENERATOR_TAG,
        period=period,
        as_of=as_of.isoformat(),
        data_as_of=None if data_as_of is None else data_as_of.isoformat(timespec="seconds"),
        calendar_warning=calendar_warning,
        charts=charts,
        tables=[_table(title, frame) for title, frame in sections],
    )
