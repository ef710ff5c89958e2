"""The billing flow (`pp billing FILE`): invoices and paid periods in, leads completed and
clients booked, all in one transaction; the same file twice changes nothing."""

from __future__ import annotations

from collections import Counter
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
from schemas.enums import EventKind
from schemas.errors import PipelineError
from schemas.feed import BILLING_FEED, FeedLayout
from schemas.settings import load_settings
from schemas.text import printable
from tasks.billing import validate_billing_rows
from tasks.codes import code_lookup, product_lookup
from tasks.quarantine import quarantine_rows, split_malformed
from warehouse import repository as repo
from warehouse import store
from warehouse.locator import Warehouse

REQUIRED = ("event", "inn", "product", "sc_id")
COUNTS = ("rows_read", "applied", "already_known", "quarantined", "leads_completed", "payments_without_lead")


def check_billing_file(path: Path, *, warehouse: Warehouse) -> FeedLayout:
    """File-level checks: every problem here fails the command before any write."""
    with store.reader(warehouse) as con:
        store.require_schema(con, warehouse)
    layout = inspect_feed(path, BILLING_FEED)
    require_columns(layout, [c for c in REQUIRED if c not in layout.present])
    return layout


@pipeline_task(name="billing-batch", cache_policy=NONE)
def billing_batch(
    con: store.Connection,
    batch: pl.DataFrame,
    layout: FeedLayout,
    feed_id: int,
    as_of: datetime,
    lookups: dict[str, pl.DataFrame],
    naive_timezone: str,
) -> Counter[str]:
    """One batch: invoices issued, payments (completing leads), paid periods; counts back."""
    rows, malformed = split_malformed(batch)
    valid, refused = validate_billing_rows(
        rows,
        products=lookups["products"],
        centres=lookups["centres"],
        naive_timezone=naive_timezone,
        as_of=as_of,
    )
    before = repo.billing_counts(con)
    completions = repo.apply_billing_events(con, valid)
    repo.complete_leads(con, completions)
    repo.record_events(
        con,
        completions,
        EventKind.CLOSED,
        f"billing:{feed_id}",
        pl.col("paid_at"),
        detail=pl.struct("invoice_id"),
    )
    quarantined = quarantine_rows(batch, layout, feed_id, [malformed, refused])
    repo.insert_quarantine(con, quarantined)
    after = repo.billing_counts(con)
    applied = sum(after[k] - before[k] for k in ("invoices", "paid", "periods"))
    paid_now = after["paid"] - before["paid"]
    counts: Counter[str] = Counter(
        rows_read=batch.height,
        quarantined=quarantined.height,
        applied=min(applied, valid.height),
        leads_completed=completions.height,
        payments_without_lead=max(paid_now - completions.height, 0),
    )
    counts["already_known"] = valid.height - counts["applied"]
    counts.update({f"reason:{code}": n for code, n in quarantined["reason_code"].value_counts().iter_rows()})
    return counts


@pipeline_flow(name="billing", flow_run_name=run_name("billing", "path", instant=False))
def ingest_billing(path: str, as_of: datetime | None = None, warehouse: str | None = None) -> dict[str, Any]:
    """Load a billing file; rows_read = applied + already_known + quarantined."""
    settings = load_settings(warehouse=warehouse)
    when = run_as_of(as_of)
    file = Path(path)
    layout = check_billing_file(file, warehouse=settings.warehouse)
    sha = file_sha256(file)
    for attempt in store.write_attempts(settings.warehouse, memory_limit=settings.duckdb_memory_limit):
        with attempt as con:
            earlier = repo.feed_by_sha(con, sha)
            if earlier is not None:
                return {"feed_id": earlier["feed_id"], "file_name": file.name, "already_loaded": True}
            feed_id = repo.next_id(con, "feeds", "feed_id")
            reference = repo.reference_frames(con)
            lookups = {  # SPEC §16: codes in any case, a product by its name too
                "products": product_lookup(reference["products"]),
                "centres": code_lookup(reference["service_centers"]["sc_id"]),
            }
            totals: Counter[str] = Counter()
            with progress_artifact(
                "billing-progress", f"billing {printable(file.name)}", expected_rows(file)
            ):
                for batch in read_batches(layout, batch_rows=settings.batch_rows):
                    totals.update(
                        billing_batch(con, batch, layout, feed_id, when, lookups, settings.feed_timezone)
                    )
                    progress.advance("rows", batch.height)
            if totals["rows_read"] == 0:
                raise PipelineError(f"{file.name} has a header but no data rows")
            repo.insert_feed(
                con,
                {
                    "feed_id": feed_id,
                    "file_name": file.name,
                    "sha256": sha,
                    "source": "billing",
                    "as_of": when,
                    "loaded_at": datetime.now(UTC),
                    "rows_read": totals["rows_read"],
                    "created": totals["applied"],
                    "merged": totals["already_known"],
                    "quarantined": totals["quarantined"],
                    "assigned": 0,
                    "unassigned": 0,
                },
            )
    reasons = {k.split(":", 1)[1]: v for k, v in sorted(totals.items()) if k.startswith("reason:")}
    publish_counts(
        artifact_key("feed", feed_id),
        {**{k: totals[k] for k in COUNTS}, **{f"quarantine: {k}": n for k, n in reasons.items()}},
        f"Feed {feed_id}: {printable(file.name)} (billing)",
    )
    return {
        "feed_id": feed_id,
        "file_name": file.name,
        "already_loaded": False,
        **{k: totals[k] for k in COUNTS},
        "quarantine_reasons": reasons,
    }
