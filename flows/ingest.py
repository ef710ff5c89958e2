"""The ingest flow: one feed file in, leads created or merged, quarantine filled, one commit."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import polars.selectors as cs
from prefect.cache_policies import NONE

from adapters.feeds import file_sha256, inspect_feed, read_batches, require_columns
from flows import progress
from flows.engine import pipeline_flow, pipeline_task
from flows.notify import send_immediate
from flows.outcomes import artifact_key, expected_rows, progress_artifact, publish_counts
from flows.runtime import run_as_of, run_name
from schemas.enums import EventKind, ReasonCode
from schemas.errors import PipelineError
from schemas.feed import FeedLayout
from schemas.instants import UTC_US
from schemas.rules import SourceRule, source_rules
from schemas.settings import Settings, load_settings
from schemas.text import printable
from tasks.classify import classify_rows
from tasks.codes import code_lookup, product_lookup, resolve_code
from tasks.dedup import KEY, collapse_batch, plan_merges
from tasks.placement import (
    Placement,
    assignment_detail,
    choose_centres,
    keep_with_creator,
    place,
    placed_with_bookings_and_notices,
    tighten_deadlines,
)
from tasks.quarantine import quarantine_rows, split_malformed
from tasks.validate import validate_feed_rows
from warehouse import repository as repo
from warehouse import store
from warehouse.locator import Warehouse


@dataclass(frozen=True)
class FeedRequest:
    """A feed that passed the file-level checks: safe to start loading."""

    layout: FeedLayout
    rule: SourceRule
    product: str | None
    sc_id: str | None
    sha256: str


# The counts of a feed (FeedSummary's): stored in `feeds`, shown in its artifact.
FEED_COUNTS = ("rows_read", "created", "merged", "quarantined", "assigned", "unassigned")


@dataclass
class FeedSummary:
    feed_id: int
    file_name: str
    source: str
    rows_read: int = 0
    created: int = 0
    merged: int = 0
    quarantined: int = 0
    assigned: int = 0
    unassigned: int = 0
    already_loaded: bool = False
    deadlines_in_unconfirmed_years: int = 0  # hot deadlines on a calendar no decree confirms yet
    quarantine_reasons: dict[str, int] = field(default_factory=dict)
    unassigned_reasons: dict[str, int] = field(default_factory=dict)  # why leads wait (SPEC §15)


def check_feed(
    path: Path, *, source: str, product: str | None, sc_id: str | None, warehouse: Warehouse
) -> FeedRequest:
    """File-level checks (docs/contract.md): every problem here fails the command before any write."""
    rules = source_rules()
    if source not in rules:
        raise PipelineError(f"unknown source {source!r}; expected one of {', '.join(rules)}")
    rule = rules[source]
    with store.reader(warehouse) as con:
        store.require_schema(con, warehouse)
        reference = repo.reference_frames(con)
    if product is not None:  # SPEC §16: the code in any case, or the product's name
        given, product = product, resolve_code(product, product_lookup(reference["products"]))
        if product is None:
            known = ", ".join(reference["products"]["product"])
            raise PipelineError(f"unknown product {given!r}; expected one of {known}")
    if rule.temperature is None and sc_id is None:
        raise PipelineError(f"source {source} needs --sc: the service centre creating the leads")
    if rule.temperature is not None and sc_id is not None:
        raise PipelineError(f"--sc is only for --source sc_created, not {source}")
    if sc_id is not None:
        given, sc_id = sc_id, resolve_code(sc_id, code_lookup(reference["service_centers"]["sc_id"]))
        if sc_id is None:
            raise PipelineError(f"unknown service centre {given!r}; see the service_centers table")
    layout = inspect_feed(path)
    needed = {
        "product (or pass --product)": product is None and "product" not in layout.present,
        "phone or email": not {"phone", "email"} & layout.present,
        "inn": rule.requires_inn and "inn" not in layout.present,
        "temperature": rule.temperature is None and "temperature" not in layout.present,
    }
    require_columns(layout, [name for name, absent in needed.items() if absent])
    return FeedRequest(layout, rule, product, sc_id, file_sha256(path))


@dataclass
class BatchContext:
    feed_id: int
    as_of: datetime
    request: FeedRequest
    products: pl.DataFrame  # how feeds may write each product: `tasks.codes.code_lookup`
    timezones: pl.DataFrame  # sc_id, timezone
    calendar: pl.DataFrame  # the production calendar around as_of, overrides applied
    naive_timezone: str
    next_lead_id: int
    digest_hour: int


@pipeline_task(name="ingest-batch", cache_policy=NONE)
def ingest_batch(con: store.Connection, batch: pl.DataFrame, ctx: BatchContext) -> Counter[str]:
    """One bounded batch through validate → classify → deduplicate → assign → deadlines → write.

    The batch is the unit of a Prefect task; it returns only counts, because Prefect keeps
    every task's result for the whole flow run and frames would pile up in memory."""
    request, as_of = ctx.request, ctx.as_of
    rows, malformed = split_malformed(batch)
    if request.product is not None:
        rows = rows.with_columns(pl.col("product").fill_null(request.product))
    valid, invalid = validate_feed_rows(
        rows,
        rule=request.rule,
        known_products=ctx.products,
        default_event_at=as_of,
        naive_timezone=ctx.naive_timezone,
    )
    usage = repo.client_usage(con, valid.select("inn", "product"), as_of)
    classified, refused = classify_rows(valid, usage, rule=request.rule, as_of=as_of)

    seen = repo.seen_external_ids(con, request.rule.source, classified.select("external_id").drop_nulls())[
        "external_id"
    ]
    repeated = classified.filter(pl.col("external_id").is_in(seen.implode()))
    fresh = classified.filter(~pl.col("external_id").is_in(seen.implode()) | pl.col("external_id").is_null())
    already = repeated.select(
        "row_number",
        reason_code=pl.lit(ReasonCode.ALREADY_INGESTED.value),
        detail=pl.lit("external_id already turned into a lead by an earlier feed of this source"),
    )

    candidates, contacts, members = collapse_batch(fresh)
    del rows, valid, classified, repeated, fresh  # a batch's frames are large: keep only what is read
    matched = repo.match_open_leads(con, candidates.select(*KEY, "inn", "kpp", "match_phone", "match_email"))
    merges = plan_merges(
        candidates.join(matched, on=KEY, how="inner").with_columns(arrived_at=pl.lit(as_of, UTC_US))
    )
    _apply_merges(con, merges, contacts, ctx)

    created = candidates.join(matched, on=KEY, how="anti").with_columns(
        lead_id=pl.int_range(pl.len(), dtype=pl.Int64) + ctx.next_lead_id
    )
    ctx.next_lead_id += created.height
    placement = _place(con, created, ctx)
    del candidates, matched, created
    placed = placement.leads
    _write_created(con, placement, contacts, ctx)

    lead_of = pl.concat(  # a created lead holds the external id of its first row itself
        [merges.select(*KEY, "lead_id"), placed.select(*KEY, "lead_id", own_row="first_row")],
        how="diagonal_relaxed",
    )
    repo.insert_source_rows(
        con,
        members.drop_nulls("external_id")
        .join(lead_of, on=KEY)
        .filter(pl.col("row_number").ne_missing(pl.col("own_row")))
        .select(
            "external_id",
            "lead_id",
            source=pl.lit(request.rule.source),
            feed_id=pl.lit(ctx.feed_id, pl.Int64),
        ),
    )
    quarantined = quarantine_rows(batch, request.layout, ctx.feed_id, [malformed, invalid, refused, already])
    repo.insert_quarantine(con, quarantined)

    counts: Counter[str] = Counter(
        rows_read=batch.height,
        created=placed.height,
        quarantined=quarantined.height,
        merged=batch.height - placed.height - quarantined.height,
        assigned=placed.filter(pl.col("sc_id").is_not_null()).height,
        unassigned=placed.filter(pl.col("sc_id").is_null()).height,
    )
    counts.update({f"reason:{code}": n for code, n in quarantined["reason_code"].value_counts().iter_rows()})
    waiting = placed.filter(pl.col("sc_id").is_null())["waiting_reason"]
    counts.update({f"waiting:{code}": n for code, n in waiting.value_counts().iter_rows()})
    return counts


def _apply_merges(
    con: store.Connection, merges: pl.DataFrame, contacts: pl.DataFrame, ctx: BatchContext
) -> None:
    """SPEC §5.3: hotter temperature wins, a still-new lead's deadline tightens, contacts and
    history are appended."""
    if merges.is_empty():
        return
    repo.apply_merges(con, tighten_deadlines(merges, ctx.calendar))
    repo.add_contacts(
        con, contacts.join(merges.select(*KEY, "lead_id"), on=KEY).select("lead_id", "kind", "value")
    )
    repo.record_events(
        con,
        merges,
        EventKind.MERGED,
        f"feed:{ctx.feed_id}",
        ctx.as_of,
        detail=pl.struct(
            pl.lit(ctx.request.rule.source).alias("source"),
            pl.lit(ctx.feed_id).alias("feed_id"),
            pl.col("rows"),
            pl.col("lead_temperature").alias("temperature_before"),
            pl.col("merged_temperature").alias("temperature_after"),
        ),
    )


def _place(con: store.Connection, created: pl.DataFrame, ctx: BatchContext) -> Placement:
    """The batch's new leads at their SCs (SPEC §6), with arrival and deadline (SPEC §10);
    an SC's own leads stay with it, unannounced (§8.1.3, §8)."""
    creator = ctx.request.sc_id
    assigned = (
        keep_with_creator(created, creator)
        if creator is not None
        else choose_centres(created, **repo.assignment_inputs(con, created, ctx.as_of))
    )
    return place(
        assigned,
        ctx.as_of,
        zones=ctx.timezones,
        calendar=ctx.calendar,
        digest_hour=ctx.digest_hour,
        notify=creator is None,
    )


# The columns of a new lead's row that the batch decides (`insert_created_leads.sql` adds the
# ones every lead of the feed shares).
CREATED_LEAD_COLUMNS = (
    "lead_id",
    "inn",
    "kpp",
    "company_name",
    "region",
    "product",
    "lead_type",
    "temperature",
    "source",
    "sc_id",
    "arrived_at",
    "accept_deadline",
    "contact_name",
    "source_event_at",
    "waiting_reason",
    "external_id",
)


def _write_created(
    con: store.Connection, placement: Placement, contacts: pl.DataFrame, ctx: BatchContext
) -> None:
    placed = placement.leads
    if placed.is_empty():
        return
    repo.insert_created_leads(
        con,
        placed_with_bookings_and_notices(placement).select(  # only what is written: staging costs
            *CREATED_LEAD_COLUMNS,
            cs.starts_with("booking_", "notice_"),
            created_detail=pl.struct(
                pl.col("source"), pl.lit(ctx.feed_id).alias("feed_id"), pl.col("first_row"), pl.col("rows")
            ).struct.json_encode(),
            assigned_detail=pl.when(pl.col("sc_id").is_not_null()).then(
                assignment_detail().struct.json_encode()
            ),
        ),
        feed_id=ctx.feed_id,
        as_of=ctx.as_of,
        actor=f"feed:{ctx.feed_id}",
    )
    repo.insert_contacts(
        con, contacts.join(placed.select(*KEY, "lead_id"), on=KEY).select("lead_id", "kind", "value")
    )


@pipeline_flow(name="ingest-feed", flow_run_name=run_name("ingest", "source", "path", instant=False))
def ingest_feed(
    path: str,
    source: str,
    product: str | None = None,
    sc_id: str | None = None,
    as_of: datetime | None = None,
    warehouse: str | None = None,
) -> dict[str, object]:
    """Ingest one feed file: every row becomes or updates exactly one lead, or is quarantined."""
    settings: Settings = load_settings(warehouse=warehouse)
    when = run_as_of(as_of)
    request = check_feed(
        Path(path), source=source, product=product, sc_id=sc_id, warehouse=settings.warehouse
    )
    for attempt in store.write_attempts(settings.warehouse, memory_limit=settings.duckdb_memory_limit):
        with attempt as con:
            summary = _load(con, request, when, settings)
    if not summary.already_loaded:
        publish_summary(summary)
    if summary.assigned:  # committed: hot leads are announced now (SPEC §8), never failing the feed
        send_immediate(settings, when)
    return asdict(summary)


def _load(con: store.Connection, request: FeedRequest, as_of: datetime, settings: Settings) -> FeedSummary:
    name = request.layout.path.name
    earlier = repo.feed_by_sha(con, request.sha256)
    if earlier is not None:  # the same file again changes nothing
        return FeedSummary(
            feed_id=int(earlier["feed_id"]),
            file_name=name,
            source=str(earlier["source"]),
            already_loaded=True,
        )
    reference = repo.reference_frames(con)
    ctx = BatchContext(
        feed_id=repo.next_id(con, "feeds", "feed_id"),
        as_of=as_of,
        request=request,
        products=product_lookup(reference["products"]),
        timezones=reference["service_centers"].select("sc_id", "timezone"),
        calendar=repo.working_calendar(con, as_of.year, as_of.year + 1),
        naive_timezone=settings.feed_timezone,
        next_lead_id=repo.next_id(con, "leads", "lead_id"),
        digest_hour=settings.digest_hour,
    )
    totals: Counter[str] = Counter()
    expected = expected_rows(request.layout.path)
    # A feed read in one batch runs it inside the flow run, whose name, logs and artifact say
    # what ran: a task run of its own would cost a command its API calls and show nothing more.
    load_batch = ingest_batch.fn if expected is not None and expected <= settings.batch_rows else ingest_batch
    with progress_artifact("ingest-progress", f"ingest {printable(name)}", expected):
        for batch in read_batches(request.layout, batch_rows=settings.batch_rows):
            totals.update(load_batch(con, batch, ctx))
            progress.advance("rows", batch.height)
    if totals["rows_read"] == 0:
        raise PipelineError(f"{name} has a header but no data rows")
    summary = FeedSummary(
        feed_id=ctx.feed_id,
        file_name=name,
        source=request.rule.source,
        rows_read=totals["rows_read"],
        created=totals["created"],
        merged=totals["merged"],
        quarantined=totals["quarantined"],
        assigned=totals["assigned"],
        unassigned=totals["unassigned"],
        quarantine_reasons=_by_code(totals, "reason"),
        unassigned_reasons=_by_code(totals, "waiting"),
        deadlines_in_unconfirmed_years=repo.unconfirmed_deadlines(con, feed_id=ctx.feed_id),
    )
    repo.insert_feed(
        con,
        {
            "feed_id": summary.feed_id,
            "file_name": name,
            "sha256": request.sha256,
            "source": summary.source,
            "product": request.product,
            "sc_id": request.sc_id,
            "as_of": as_of,
            "loaded_at": datetime.now(UTC),
            **{k: getattr(summary, k) for k in FEED_COUNTS},
        },
    )
    return summary


def _by_code(totals: Counter[str], kind: str) -> dict[str, int]:
    """The counts kept as `KIND:CODE`, by code."""
    return {k.split(":", 1)[1]: v for k, v in sorted(totals.items()) if k.startswith(f"{kind}:")}


def publish_summary(summary: FeedSummary) -> None:
    """The feed's counts as a Prefect table artifact, for the UI."""
    counts: dict[str, object] = {k: getattr(summary, k) for k in FEED_COUNTS}
    counts.update({f"quarantine: {k}": v for k, v in summary.quarantine_reasons.items()})
    counts.update({f"unassigned: {k}": v for k, v in summary.unassigned_reasons.items()})
    if summary.deadlines_in_unconfirmed_years:  # computed on a calendar no decree confirms yet
        counts["deadlines_in_unconfirmed_years"] = summary.deadlines_in_unconfirmed_years
    publish_counts(
        artifact_key("feed", summary.feed_id),
        counts,
        f"Feed {summary.feed_id}: {printable(summary.file_name)} ({summary.source})",
    )
