"""The activity flow (`pp activity FILE`): SC actions from the vendor's front-end (SPEC §13)
applied in one transaction through the rules of every `pp lead …` command; a refused row is
quarantined with its reason and the rest still applies; the same file twice changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
from prefect.cache_policies import NONE

from adapters.feeds import file_sha256, inspect_feed, read_batches, require_columns
from flows import progress
from flows.engine import pipeline_flow, pipeline_task
from flows.outcomes import artifact_key, expected_rows, progress_artifact, publish_counts
from flows.runtime import run_as_of, run_name
from schemas.errors import PipelineError
from schemas.feed import FeedLayout
from schemas.settings import load_settings
from schemas.text import printable
from tasks.activity import ACTIVITY_FEED, REQUIRED, activity_rows
from tasks.landing import ACTIVITY
from tasks.lifecycle import rule_columns
from warehouse import activity, store
from warehouse import repository as repo
from warehouse.locator import Warehouse

COUNTS = ("rows_read", "applied", "already_seen", "quarantined", "late_takes")
# How a quarantined row's detail names the fields: as the file's columns.
COLUMN_NAMES = {
    "until_field": "until",
    "contact_field": "contact",
    "invoice_field": "invoice_id",
    "comment_field": "comment",
    "reason_field": "reason",
}


def check_activity_file(path: Path, *, warehouse: Warehouse) -> FeedLayout:
    """File-level checks: every problem here fails the command before any write."""
    with store.reader(warehouse) as con:
        store.require_schema(con, warehouse)
    layout = inspect_feed(path, ACTIVITY_FEED)
    require_columns(layout, [c for c in REQUIRED if c not in layout.present])
    return layout


@pipeline_task(name="activity-stage", cache_policy=NONE)
def stage_batch(con: store.Connection, batch: pl.DataFrame, layout: FeedLayout) -> int:
    """One batch of the file's rows into the apply's work table; the rows staged."""
    activity.stage_rows(con, activity_rows(batch, layout))
    return batch.height


@pipeline_task(name="activity-apply", cache_policy=NONE)
def apply_staged(
    con: store.Connection, feed_id: int, as_of: datetime, rules: dict[str, Any]
) -> dict[str, int]:
    """Decide and apply every staged row, per lead in `at` order; keep the applied ids and
    quarantine the refused rows; the counts back."""
    rounds = activity.decide(con, as_of=as_of, rules=rules, fields=COLUMN_NAMES)
    activity.remember(con, feed_id)
    return {**activity.tally(con), "rounds": rounds}


@pipeline_flow(name="activity", flow_run_name=run_name("activity", "path", instant=False))
def apply_activity(path: str, as_of: datetime | None = None, warehouse: str | None = None) -> dict[str, Any]:
    """Apply an activity file; rows_read = applied + already_seen + quarantined."""
    settings = load_settings(warehouse=warehouse)
    when = run_as_of(as_of)
    file = Path(path)
    layout = check_activity_file(file, warehouse=settings.warehouse)
    sha = file_sha256(file)
    rules = rule_columns()
    for attempt in store.write_attempts(settings.warehouse, memory_limit=settings.duckdb_memory_limit):
        with attempt as con:
            earlier = repo.feed_by_sha(con, sha)
            if earlier is not None:
                return {"feed_id": earlier["feed_id"], "file_name": file.name, "already_loaded": True}
            feed_id = repo.next_id(con, "feeds", "feed_id")
            activity.begin(con, rules)
            rows_read = 0
            with progress_artifact(
                "activity-progress", f"activity {printable(file.name)}", expected_rows(file)
            ):
                for batch in read_batches(layout, batch_rows=settings.batch_rows):
                    rows_read += stage_batch(con, batch, layout)
                    progress.advance("rows", batch.height)
            if rows_read == 0:
                raise PipelineError(f"{file.name} has a header but no data rows")
            tally = apply_staged(con, feed_id, when, rules)
            counts = {
                "rows_read": rows_read,
                "applied": tally.get("applied", 0),
                "already_seen": tally.get("seen", 0),
                "quarantined": tally.get("refused", 0),
                "late_takes": tally.get("late", 0),
            }
            repo.insert_feed(
                con,
                {
                    "feed_id": feed_id,
                    "file_name": file.name,
                    "sha256": sha,
                    "source": ACTIVITY,
                    "as_of": when,
                    "loaded_at": datetime.now(UTC),
                    "rows_read": rows_read,
                    "created": counts["applied"],
                    "merged": counts["already_seen"],
                    "quarantined": counts["quarantined"],
                    "assigned": 0,
                    "unassigned": 0,
                },
            )
    reasons = {k.split(":", 1)[1]: v for k, v in sorted(tally.items()) if k.startswith("reason:")}
    publish_counts(
        artifact_key("feed", feed_id),
        {**counts, **{f"quarantine: {k}": n for k, n in reasons.items()}},
        f"Feed {feed_id}: {printable(file.name)} (activity)",
    )
    return {
        "feed_id": feed_id,
        "file_name": file.name,
        "already_loaded": False,
        **counts,
        "quarantine_reasons": reasons,
    }
