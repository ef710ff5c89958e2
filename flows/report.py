"""`pp report` (SPEC §12): the metric views of one period as a self-contained HTML page, or as
Parquet/CSV tables, plus Prefect markdown and table artifacts. Reads only: the warehouse is
opened read-only for the queries and released before anything is written."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl

from adapters.markers import read_marker
from flows.engine import pipeline_flow
from flows.outcomes import publish_markdown, publish_table
from flows.runtime import run_as_of, run_name
from schemas.errors import PipelineError
from schemas.instants import UTC_US, resolve_as_of
from schemas.settings import load_settings
from tasks.calendar_status import confirmed_to, renewal_warning
from tasks.periods import Period, parse_period, period_of_day
from tasks.report import DEFAULT_TREND_PERIODS, GENERATOR, GENERATOR_TAG, render_html, report_tables
from tasks.spreadsheets import neutralise_formulas
from warehouse import repository as repo
from warehouse import store
from warehouse.locator import FileWarehouse, Warehouse, locate

FORMATS = ("html", "parquet", "csv")
TABLES = (
    "sla",
    "trend",
    "centres",
    "managers",
    "take_times",
    "time_to_take",
    "backlog",
    "funnel",
    "conversion",
    "notifications",
    "due",
    "waiting",
)
MANIFEST = ".pp-report.json"  # in a table folder: the files the report wrote there, by digest
# the write lock, DuckDB's WAL and spill folder, the analysts' snapshot
WAREHOUSE_COMPANIONS = (".lock", ".wal", ".tmp", store.SNAPSHOT_SUFFIX)


def default_period(as_of: datetime) -> Period:
    """The ISO week holding `as_of` on its own calendar (the offset it was given with)."""
    return period_of_day(as_of.date(), "week")


def periods_of_trend(period: Period, count: int = DEFAULT_TREND_PERIODS) -> list[Period]:
    """The `count` periods ending with `period`, oldest first (at least it and the one before,
    which the headline compares with)."""
    if count < 2:
        raise PipelineError(f"trend_periods {count} is too few; the report needs at least 2 periods")
    periods = [period]
    for _ in range(count - 1):
        periods.insert(0, periods[0].previous())
    return periods


def read_metrics(
    warehouse: Warehouse,
    period: Period,
    as_of: datetime,
    periods: list[Period] | None = None,
    *,
    snapshot: int | None = None,
) -> dict[str, pl.DataFrame]:
    """The stays and metric frames of the period, in one read-only visit to the warehouse (to
    a lake's `snapshot`, when given); `periods` those of the trend (default: `periods_of_trend`)."""
    periods = periods or periods_of_trend(period)
    with store.analyst_reader(warehouse, snapshot=snapshot) as (con, snapshot_at):
        store.require_schema(con, warehouse)
        stays = repo.report_stays(con, period.kind, periods[0].first_day, period.first_day, as_of)
        notifications = repo.report_notifications(con, period.kind, period.first_day, as_of)
        due = repo.leads_due(con, as_of)
        waiting = repo.waiting_list(con)
    frames = report_tables(stays, notifications, period, periods, as_of, due=due, waiting=waiting)
    frames["stays"] = stays
    frames["freshness"] = pl.DataFrame({"data_as_of": [snapshot_at]}, schema={"data_as_of": UTC_US})
    return frames


def read_calendar_warning(warehouse: Warehouse, as_of: datetime) -> str | None:
    """What the report's banner says while the production calendar is about to run out."""
    with store.reader(warehouse) as con:
        return renewal_warning(as_of, confirmed_to(repo.calendar_years(con)))


def publish(
    period: Period, frames: dict[str, pl.DataFrame], written: str, calendar_warning: str | None = None
) -> None:
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
        f"- data as of {frames['freshness']['data_as_of'][0].isoformat(timespec='seconds')}",
        f"- written to `{written}`",
    ]
    if calendar_warning:
        lines[1:1] = ["", f"> **Production calendar:** {calendar_warning}"]
    key = "report-" + period.name.lower()
    publish_markdown(key, "\n".join(lines), "SPEC §12 summary")
    publish_table(
        key + "-compliance",
        sla.with_columns(pl.col(pl.Float64).fill_nan(None)),
        "compliance by SC and temperature",
    )


def report_target(warehouse: Warehouse, period: Period, format: str, out: str | None) -> Path:
    """`--out`, or `report-<period>.html` (the folder `report-<period>/` for tables) beside a
    file warehouse; for a lake, in `data/`, where the default file warehouse would be."""
    if out:
        return Path(out)
    stem = f"report-{period.name}"
    warehouse = locate(warehouse)
    folder = warehouse.path.parent if isinstance(warehouse, FileWarehouse) else Path("data")
    return folder / (f"{stem}.html" if format == "html" else stem)


def warehouse_files(warehouse: Warehouse, candidates: tuple[Path, ...]) -> list[Path]:
    """Those of `candidates` that are the warehouse's own, which no command replaces whatever
    it is told: a file warehouse and what lives beside it while it is used; anything under a
    lake's data folder (`PP_LAKE_DATA_PATH`)."""
    warehouse = locate(warehouse)
    if isinstance(warehouse, FileWarehouse):
        resolved = warehouse.path.resolve()
        own = {resolved, *(resolved.with_name(resolved.name + suffix) for suffix in WAREHOUSE_COMPANIONS)}
        return [path for path in candidates if path.resolve() in own]
    data = load_settings().lake_data_path
    if data is None:
        return []
    return [path for path in candidates if path.resolve().is_relative_to(data.resolve())]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _manifest(folder: Path) -> dict[str, list[str]] | None:
    """What an earlier report wrote into a table folder (file name → SHA-256 digests it may
    have), or None when the folder holds no manifest of the report's."""
    recorded = read_marker(folder / MANIFEST, GENERATOR)
    if recorded is None:
        return None
    files = recorded.get("files")
    if not isinstance(files, dict):
        return {}
    return {name: digests for name, digests in files.items() if isinstance(digests, list)}


def _has_generator_tag(page: Path) -> bool:
    with page.open("rb") as fh:
        return GENERATOR_TAG.encode() in fh.read(1024)


def check_output(target: Path, format: str, *, warehouse: Warehouse, force: bool) -> tuple[Path, ...]:
    """The files the report will write, once it is sure it may: a file the report wrote
    earlier (a page with its generator tag, a table whose digest the folder's manifest holds)
    is replaced; any other existing file only with `force`; the warehouse's own files never."""
    if format == "html":
        if target.is_dir():
            raise PipelineError(f"--out {target} is a folder; name the .html file to write")
        files: tuple[Path, ...] = (target,)
    else:
        if target.exists() and not target.is_dir():
            raise PipelineError(
                f"--out {target} is a file; --format {format} writes its tables into a folder"
            )
        files = (*(target / f"{name}.{format}" for name in TABLES), target / MANIFEST)
    folder = files[0].parent
    nearest = next((p for p in (folder, *folder.parents) if p.exists()), None)
    if nearest is not None and not nearest.is_dir():
        raise PipelineError(f"cannot write {target}: {nearest} is not a folder; choose another --out")
    hit = next(iter(warehouse_files(warehouse, (target, *files))), None)
    if hit is not None:
        raise PipelineError(
            f"--out {target} would replace the warehouse's own file {hit}; choose another --out"
        )
    if force:
        return files
    manifest = None if format == "html" else _manifest(target)

    def written_by_report(path: Path) -> bool:
        if path.is_symlink() or not path.is_file():
            return False
        if format == "html":
            return _has_generator_tag(path)
        if path.name == MANIFEST:
            return manifest is not None
        return manifest is not None and _sha256(path) in manifest.get(path.name, [])

    foreign = [path for path in files if os.path.lexists(path) and not written_by_report(path)]
    if foreign:
        more = f" (and {len(foreign) - 1} more)" if len(foreign) > 1 else ""
        raise PipelineError(
            f"{foreign[0]}{more} exists and was not written by pp report; "
            "choose another --out, or pass --force to replace it"
        )
    return files


@dataclass(frozen=True)
class ReportPlan:
    period: Period
    as_of: datetime
    target: Path


def plan_report(
    *,
    period: str | None,
    out: str | None,
    format: str,
    as_of: datetime | None,
    warehouse: Warehouse,
    last_complete: bool = False,
    force: bool = False,
) -> ReportPlan:
    """Every check on the arguments and the output, before the warehouse is read or anything
    written. Without a period: the ISO week holding `as_of`, or with `last_complete` the week
    before it (what a Monday-morning schedule wants)."""
    if format not in FORMATS:
        raise PipelineError(f"--format {format!r} is not one of {', '.join(FORMATS)}")
    when = resolve_as_of(as_of)
    chosen = parse_period(period) if period else default_period(when)
    if last_complete and not period:
        chosen = chosen.previous()
    target = report_target(warehouse, chosen, format, out)
    check_output(target, format, warehouse=warehouse, force=force)
    return ReportPlan(chosen, when, target)


def _stage(path: Path, write: Callable[[Path], object]) -> Path:
    """Write into a new file beside `path` (a name no other file has) and return it."""
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    os.close(fd)
    staged = Path(name)
    try:
        write(staged)
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
    return staged


def write_atomically(path: Path, write: Callable[[Path], object]) -> None:
    """Write beside `path`, then rename: a reader or a killed run never sees half a file."""
    staged = _stage(path, write)
    try:
        os.replace(staged, path)
    finally:
        staged.unlink(missing_ok=True)


def _write_manifest(folder: Path, files: dict[str, list[str]]) -> None:
    text = json.dumps({"generator": GENERATOR, "files": files}, indent=1, sort_keys=True)
    write_atomically(folder / MANIFEST, lambda staged: staged.write_text(text, encoding="utf-8"))


def _write_tables(folder: Path, frames: dict[str, pl.DataFrame], format: str) -> None:
    """Every table written aside first, then swapped in. While they are swapped the manifest
    accepts both the old and the new digests, so a run stopped half-way leaves every file one
    the next run recognises as its own."""
    earlier = _manifest(folder) or {}
    staged: dict[Path, Path] = {}
    try:
        for name in TABLES:
            final = folder / f"{name}.{format}"
            if format == "csv":  # opened in spreadsheets: no cell may run as a formula there
                staged[final] = _stage(final, neutralise_formulas(frames[name]).write_csv)
            else:
                staged[final] = _stage(final, frames[name].write_parquet)
        digests = {final.name: _sha256(temp) for final, temp in staged.items()}
        _write_manifest(folder, {n: sorted({*earlier.get(n, []), d}) for n, d in digests.items()})
        for final, temp in staged.items():
            os.replace(temp, final)
        _write_manifest(folder, {n: [d] for n, d in digests.items()})
    finally:
        for temp in staged.values():
            temp.unlink(missing_ok=True)


@pipeline_flow(name="report", flow_run_name=run_name("report", "period"), timeout_seconds=3600)
def report(
    period: str | None = None,
    out: str | None = None,
    format: str = "html",
    as_of: datetime | None = None,
    warehouse: str | None = None,
    last_complete: bool = False,
    force: bool = False,
    trend_periods: int = DEFAULT_TREND_PERIODS,
    as_of_snapshot: int | None = None,
) -> dict[str, Any]:
    """Build the period's metrics; write the HTML page (or one file per metric table), never
    over a file the report did not write itself unless `force` (see `check_output`). The
    trend and heat map show `trend_periods` periods, ending with the report's. With
    `as_of_snapshot`, a lake's data as that snapshot of it held them (time travel)."""
    settings = load_settings(warehouse=warehouse)
    plan = plan_report(
        period=period,
        out=out,
        format=format,
        as_of=run_as_of(as_of),
        warehouse=settings.warehouse,
        last_complete=last_complete,
        force=force,
    )
    periods = periods_of_trend(plan.period, trend_periods)
    frames = read_metrics(settings.warehouse, plan.period, plan.as_of, periods, snapshot=as_of_snapshot)
    calendar_warning = read_calendar_warning(settings.warehouse, plan.as_of)
    target = plan.target
    try:
        if format == "html":
            page = render_html(
                period=plan.period,
                trend=periods,
                as_of=plan.as_of,
                stays=frames["stays"],
                tables=frames,
                goal=settings.sla_goal,
                calendar_warning=calendar_warning,
                data_as_of=frames["freshness"]["data_as_of"][0],
            )
            target.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(target, lambda staged: staged.write_text(page, encoding="utf-8"))
        else:
            target.mkdir(parents=True, exist_ok=True)
            _write_tables(target, frames, format)
    except OSError as exc:
        raise PipelineError(f"cannot write {target}: {exc.strerror or exc}; choose another --out") from exc
    publish(plan.period, frames, str(target), calendar_warning)
    tables = {name: frames[name].height for name in TABLES}
    return {
        "period": plan.period.name,
        "written": str(target),
        "tables": tables,
        "calendar_warning": calendar_warning,
        "data_as_of": frames["freshness"]["data_as_of"][0],
    }
