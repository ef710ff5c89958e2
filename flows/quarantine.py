"""`pp quarantine`: the rows a feed refused, given back to the person who owns the file, to fix
and load again. Both commands only read the warehouse, once and briefly: no flow is needed."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import polars as pl

from adapters.quarantine_files import EXPORT_FORMATS, check_target, write_export
from schemas.errors import PipelineError
from tasks.landing import ACTIVITY, BILLING
from tasks.quarantine_export import export_sheet, reasons_with_fixes
from tasks.spreadsheets import neutralise_formulas
from warehouse import repository as repo
from warehouse import store
from warehouse.locator import Warehouse


def _unknown(feed_id: int) -> PipelineError:
    return PipelineError(f"feed {feed_id} does not exist; `pp quarantine list` shows the feeds and their ids")


def export_target(feed_id: int, format: str | None, out: Path | None) -> tuple[Path, str]:
    """The file to write and its format: `--format`, else the one `--out` names by its
    extension, else xlsx; `quarantine-feed-N.<format>` in the working folder without `--out`."""
    named = out.suffix.lower().removeprefix(".") if out is not None else None
    chosen = format or (named if named in EXPORT_FORMATS else "xlsx")
    if chosen not in EXPORT_FORMATS:
        raise PipelineError(f"--format {chosen!r} is not one of {', '.join(EXPORT_FORMATS)}")
    return (out if out is not None else Path(f"quarantine-feed-{feed_id}.{chosen}")), chosen


def reload_command(feed: dict[str, Any], target: Path) -> str:
    """The command that loads the fixed file as the feed was loaded: same source, product, SC."""
    file = shlex.quote(str(target))
    if feed["source"] == BILLING:
        return f"pp billing {file}"
    if feed["source"] == ACTIVITY:
        return f"pp activity {file}"
    options = [("--source", feed["source"]), ("--product", feed["product"]), ("--sc", feed["sc_id"])]
    given = " ".join(f"{option} {shlex.quote(value)}" for option, value in options if value is not None)
    return f"pp ingest {file} {given}"


def export_quarantine(
    warehouse: Warehouse, feed_id: int, *, format: str | None = None, out: Path | None = None
) -> dict[str, Any]:
    """Write feed `feed_id`'s quarantined rows to a new file, as the file had them, each with
    its row there, its reason code and what to fix; a CSV has formula-like text defused."""
    target, chosen = export_target(feed_id, format, out)
    check_target(target, chosen)  # before the warehouse is read
    with store.reader(warehouse) as con:
        store.require_schema(con, warehouse)
        feed = repo.feed(con, feed_id)
        if feed is None:
            raise _unknown(feed_id)
        rows = repo.quarantine_rows(con, feed_id)
    if rows.is_empty():
        name = feed["file_name"]
        raise PipelineError(f"feed {feed_id} ({name}) has no quarantined rows; there is nothing to export")
    sheet = export_sheet(rows, feed["source"])
    write_export(neutralise_formulas(sheet) if chosen == "csv" else sheet, target, chosen)
    return {
        "feed_id": feed_id,
        "file_name": feed["file_name"],
        "rows": sheet.height,
        "format": chosen,
        "written": str(target),
        "reload": reload_command(feed, target),
    }


def quarantine_reasons(warehouse: Warehouse, feed_id: int | None = None) -> pl.DataFrame:
    """feed_id, file_name, reason_code, fix, rows: quarantined rows by reason, of one feed or all."""
    with store.reader(warehouse) as con:
        store.require_schema(con, warehouse)
        if feed_id is not None and repo.feed(con, feed_id) is None:
            raise _unknown(feed_id)
        return reasons_with_fixes(repo.quarantine_summary(con, feed_id))
