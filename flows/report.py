"""`pp report` (SPEC §12): the metric views of one period as a self-contained HTML page, or as
Parquet/CSV tables, plus Prefect markdown and table artifacts. Reads only: the warehouse is
opened read-only for the queries and released before anything is written."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl
from prefect import flow
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from flows.ingest import resolve_as_of
from schemas.errors import PipelineError
from schemas.settings import load_settings
from tasks.calendar import production_calendar
from tasks.periods import Period, parse_period, period_of_day
from tasks.report import render_html, take_time_summary, take_times
from warehouse import store

FORMATS = ("html", "parquet", "csv")
TREND_PERIODS = 6  # the compliance chart shows the period and the five before it


def default_period(as_of: datetime) -> Period:
    """The ISO week holding `as_of` on its own calendar (the offset it was given with)."""
    return period_of_day(as_of.date(), "week")


def read_metrics(warehouse: Path, period: Period, as_of: datetime) -> dict[str, pl.DataFrame]:
    """The metric frames of the period, in one read-only visit to the warehouse."""
    since = period
    for _ in range(TREND_PERIODS - 1):
        since = since.previous()
    keys = {"kind": period.kind, "first_day": period.first_day}
    with store.reader(warehouse) as con:
        store.require_schema(con, warehouse)
        trend = store.frame(con, store.sql("report_sla"), {**keys, "since": since.first_day})
        frames = {
            name: store.frame(con, store.sql(f"report_{name}"), keys)
            for name in ("take_times", "funnel", "conversion", "notifications")
        }
        frames["backlog"] = store.frame(con, store.sql("report_backlog"), {"as_of": as_of})
        overrides = store.frame(con, "SELECT day AS date, kind FROM calendar_overrides")
    frames["trend"] = trend
    frames["sla"] = trend.filter(pl.col("period_start") == period.first_day).drop(
        "period_kind", "period_start"
    )
    stays = frames.pop("take_times")
    years = [*stays["arrived_at"].dt.year().to_list(), *stays["taken_at"].dt.year().to_list()]
    calendar = production_calendar(min(years, default=2000), max(years, default=2000), overrides)
    frames["take_times"] = take_times(stays, calendar)
    frames["time_to_take"] = take_time_summary(frames["take_times"])
    return frames


def publish(period: Period, frames: dict[str, pl.DataFrame], written: str) -> None:
    """A markdown summary and the compliance table as Prefect artifacts, for the UI."""
    sla = frames["sla"]
    in_time, breached = int(sla["taken_in_time"].sum()), int(sla["breached"].sum())
    share = f"{100 * in_time / (in_time + breached):.1f}%" if in_time + breached else "n/a"
    lines = [
        f"# Potential Sales report {period.name}",
        "",
        f"- leads arrived: {int(sla['arrived'].sum()):,}",
        f"- taken in time: {in_time:,}; breached: {breached:,}; compliance: {share}",
        f"- open backlog: {int(frames['backlog']['leads'].sum()):,}",
        f"- written to `{written}`",
    ]
    key = "report-" + period.name.lower()
    create_markdown_artifact(markdown="\n".join(lines), key=key, description="SPEC §12 summary")
    create_table_artifact(
        table=sla.with_columns(pl.col(pl.Float64).fill_nan(None)).to_dicts(),
        key=key + "-compliance",
        description="compliance by SC and temperature",
    )


def _replace(path: Path, write: Callable[[Path], object]) -> None:
    """Write beside `path`, then rename: a reader or a killed run never sees half a file."""
    partial = path.with_name(path.name + ".partial")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write(partial)
        os.replace(partial, path)
    except OSError as exc:
        raise PipelineError(f"cannot write {path}: {exc.strerror or exc}; choose another --out") from exc


@flow(name="report")
def report(
    period: str | None = None,
    out: str | None = None,
    format: str = "html",
    as_of: datetime | None = None,
    warehouse: str | None = None,
    last_complete: bool = False,
) -> dict[str, Any]:
    """Build the period's metrics; write the HTML page (or one file per metric table).
    Without a period: the ISO week holding `as_of`, or with `last_complete` the week before
    it (what a Monday-morning schedule wants)."""
    if format not in FORMATS:
        raise PipelineError(f"--format {format!r} is not one of {', '.join(FORMATS)}")
    settings = load_settings(warehouse=warehouse)
    when = resolve_as_of(as_of)
    chosen = parse_period(period) if period else default_period(when)
    if last_complete and not period:
        chosen = chosen.previous()
    frames = read_metrics(settings.warehouse, chosen, when)
    if format == "html":
        target = Path(out) if out else settings.warehouse.parent / f"report-{chosen.name}.html"
        page = render_html(
            period=chosen.name,
            as_of=when,
            sla=frames["sla"],
            trend=frames["trend"],
            times=frames["take_times"],
            time_summary=frames["time_to_take"],
            backlog=frames["backlog"],
            funnel_frame=frames["funnel"],
            conversion=frames["conversion"],
            notifications=frames["notifications"],
        )
        _replace(target, lambda partial: partial.write_text(page, encoding="utf-8"))
    else:
        target = Path(out) if out else settings.warehouse.parent / f"report-{chosen.name}"
        for name, data in frames.items():
            writer = data.write_parquet if format == "parquet" else data.write_csv
            _replace(target / f"{name}.{format}", writer)
    publish(chosen, frames, str(target))
    return {"period": chosen.name, "written": str(target), "tables": {k: v.height for k, v in frames.items()}}
