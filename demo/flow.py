"""`pp demo`: the main job end to end on generated feeds and a fresh embedded warehouse.

It works through the product's own flows and actions; what it reads of the warehouse besides,
it asks `demo.queries`, so no SQL lives here."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
from rich.console import Console
from rich.table import Table

from demo import queries
from demo.marker import DEMO_GENERATOR, DEMO_MARKER, PREFECT_HOME_DIR, claim_folder
from demo.queries import SUMMARIES
from demo.synthetic import synthetic_feed, write_feed
from flows import progress
from flows.billing import ingest_billing
from flows.engine import pipeline_flow
from flows.ingest import ingest_feed
from flows.initialise import init_warehouse
from flows.lead_actions import postpone_lead, refuse_lead, take_lead
from flows.mass_actions import assign_managers, distribute
from flows.notify import notify
from flows.report import WAREHOUSE_COMPANIONS, report, write_atomically
from flows.sanctions import exclude_centre, propose_sanctions
from flows.sweeps import sweep_bookings, sweep_sla
from schemas.enums import Contact, Temperature
from schemas.errors import PipelineError
from schemas.instants import resolve_as_of
from schemas.rules import source_rules
from tasks.periods import period_of


@dataclass(frozen=True)
class DemoFeed:
    """How the demo writes one source's feed: the formats principals really send."""

    source: str
    file_name: str
    russian_headers: bool = False
    encoding: str = "utf-8"
    delimiter: str = ","
    from_clients: bool = False  # drawn from the clients of the earlier feeds


DEMO_FEEDS: tuple[DemoFeed, ...] = (
    DemoFeed("call_base", "call_base.csv", russian_headers=True, encoding="cp1251", delimiter=";"),
    DemoFeed("registration", "registrations.jsonl"),
    DemoFeed("connection_request", "connection_requests.csv"),
    DemoFeed("demo_order", "demo_orders.parquet"),
    DemoFeed("consultation_order", "consultations.csv", encoding="utf-8-sig"),
    DemoFeed("presentation_order", "presentations.csv", delimiter=";"),
    DemoFeed("callback_order", "callbacks.csv", from_clients=True),
    DemoFeed("test_drive_order", "test_drives.csv"),
    DemoFeed("event_contacts", "event_contacts.csv", russian_headers=True),
    DemoFeed("principal_created", "principal_created.csv"),
    DemoFeed("renewal_base", "renewal_base.xlsx", from_clients=True),
    DemoFeed("upsell_base", "upsell_base.csv", from_clients=True),
    DemoFeed("sc_created", "sc_created.csv"),
)
# generate + ingest each feed, re-ingest one, SC work, hot sweep, billing, mass actions,
# warm/cold sweep, notify, sanctions, a client moving to another SC, booking sweep, report
DEMO_STEPS = 2 * len(DEMO_FEEDS) + 11
DEMO_PRINCIPAL = "demo-principal"
WAREHOUSE_FILE = "pp.duckdb"
REPORT_FILE = "report.html"
BILLING_FILES = ("billing.csv", "billing-month-2.csv")
# The files every run writes, by path within its folder; the outbox's messages are added as written.
DEMO_FILES = frozenset(
    {
        WAREHOUSE_FILE,
        *(WAREHOUSE_FILE + suffix for suffix in WAREHOUSE_COMPANIONS),
        REPORT_FILE,
        *(f"feeds/{name}" for name in (*(spec.file_name for spec in DEMO_FEEDS), *BILLING_FILES)),
    }
)


def _generate(workdir: Path, rows: int, as_of: datetime, reference: dict[str, pl.DataFrame]) -> list[Path]:
    """Write every source's feed; later feeds reuse earlier clients, so merges happen."""
    products = reference["products"]["product"].to_list()
    regions = sorted(set(reference["service_centers"]["regions"].explode().to_list()))
    clients: pl.DataFrame | None = None
    paths = []
    for seed, spec in enumerate(DEMO_FEEDS, start=1):
        frame = synthetic_feed(
            spec.source,
            rows,
            as_of=as_of,
            products=products,
            regions=regions,
            seed=seed,
            clients=clients if spec.from_clients else None,
        )
        if spec.source == "call_base":
            clients = (
                frame.filter(pl.col("inn").is_not_null())
                .select("inn", "kpp", "company_name", "region")
                .unique("inn", keep="first", maintain_order=True)
            )
        paths.append(
            write_feed(
                frame,
                workdir / "feeds" / spec.file_name,
                russian_headers=spec.russian_headers,
                encoding=spec.encoding,
                delimiter=spec.delimiter,
            )
        )
        progress.advance(f"generated {spec.file_name}", 1)
    return paths


@dataclass(frozen=True)
class Timeline:
    """When each step of the demo happens. The steps run in this order, and each is dated at or
    after every event the earlier ones recorded: the product refuses an action dated before a
    lead's last event, and the history must read as it happened."""

    start: datetime  # the feeds arrive
    sc_morning: datetime  # the SCs take, postpone and refuse leads
    hot_sweep: datetime  # the hourly sweep of hot leads
    invoices_issued: datetime
    invoices_paid: datetime
    mass_actions: datetime  # billing loaded; managers assigned, the distribution planned
    daily_sweep: datetime  # the warm/cold sweep, notifications, sanctions
    month_later: datetime  # a client invoiced by another SC
    bookings_sweep: datetime

    @classmethod
    def from_start(cls, start: datetime) -> Timeline:
        month_later = start + timedelta(days=31)
        return cls(
            start=start,
            sc_morning=start + timedelta(minutes=45),
            hot_sweep=start + timedelta(hours=4),
            invoices_issued=start + timedelta(days=1),
            invoices_paid=start + timedelta(days=2),
            mass_actions=start + timedelta(days=3),
            daily_sweep=start + timedelta(days=8),
            month_later=month_later,
            bookings_sweep=month_later + timedelta(days=1),
        )


TAKEN_LATE_BY = timedelta(hours=2)
DISTRIBUTION_WORKING_DAYS = 10


def plan_sc_work(new: pl.DataFrame, when: Timeline) -> dict[str, pl.DataFrame]:
    """Which waiting leads (lead_id, temperature, accept_deadline) the SCs take within the SLA,
    take late, postpone and refuse, each a frame of lead_id (`late` with its taken_at).

    A late take comes TAKEN_LATE_BY past the deadline. Only a lead whose deadline the hourly
    sweep has not passed (or the sweep would have recorded the breach), and whose late take
    still comes before the mass actions, is taken late: before a long holiday the deadlines
    are days away, and then none is."""
    hot = new.filter(pl.col("temperature") == Temperature.HOT.value)
    others = hot.slice(20)
    late = (
        others.filter(
            (pl.col("accept_deadline") >= when.hot_sweep)
            & (pl.col("accept_deadline") + TAKEN_LATE_BY <= when.mass_actions)
        )
        .head(5)
        .select("lead_id", taken_at=pl.col("accept_deadline") + TAKEN_LATE_BY)
    )
    return {
        "on_time": hot.head(20).select("lead_id"),
        "late": late,
        "postponed": new.filter(pl.col("temperature") == Temperature.WARM.value).head(5).select("lead_id"),
        "refused": others.join(late, on="lead_id", how="anti").head(3).select("lead_id"),
    }


def _sc_work(warehouse: Path, when: Timeline) -> dict[str, int]:
    """A day of SC work: hot leads taken (most within the SLA, a few late), warm ones
    postponed, a few refused in the call."""
    plan = plan_sc_work(queries.new_leads(warehouse), when)
    for lead_id in plan["on_time"]["lead_id"]:
        take_lead(warehouse, lead_id, contact=Contact.CALL, note=None, as_of=when.sc_morning)
    for lead_id, taken_at in plan["late"].iter_rows():
        take_lead(warehouse, lead_id, contact=Contact.MEETING, note=None, as_of=taken_at)
    for lead_id in plan["postponed"]["lead_id"]:
        postpone_lead(warehouse, lead_id, until=when.start + timedelta(days=3), as_of=when.sc_morning)
    for lead_id in plan["refused"]["lead_id"]:
        refuse_lead(
            warehouse,
            lead_id,
            reason="already uses another product",
            contact=Contact.CALL,
            as_of=when.sc_morning,
        )
    return {
        "taken_on_time": plan["on_time"].height,
        "taken_late": plan["late"].height,
        "postponed": plan["postponed"].height,
        "refused": plan["refused"].height,
    }


def _billing_file(root: Path, warehouse: Path, when: Timeline) -> Path:
    """Invoices issued and paid for connection leads taken by then, and a paid period for
    a few call-base clients: what the vendor's billing would send the next days."""
    issued_at, paid_at = when.invoices_issued, when.invoices_paid
    taken, subscribers = queries.billed_clients(warehouse, taken_by=issued_at)
    invoices = (
        taken.with_row_index("n").with_columns(invoice_id=pl.format("DEMO-{}", pl.col("n") + 1)).drop("n")
    )
    rows = pl.concat(
        [
            invoices.with_columns(
                event=pl.lit("invoice_issued"),
                event_at=pl.lit(issued_at.isoformat()),
                valid_until=pl.lit((issued_at + timedelta(days=10)).isoformat()),
            ),
            invoices.head(8).with_columns(event=pl.lit("invoice_paid"), event_at=pl.lit(paid_at.isoformat())),
            subscribers.with_columns(
                event=pl.lit("period"),
                period_start=pl.lit((when.start - timedelta(days=30)).isoformat()),
                period_end=pl.lit((when.start + timedelta(days=335)).isoformat()),
            ),
        ],
        how="diagonal_relaxed",
    )
    path = root / "feeds" / BILLING_FILES[0]
    rows.write_csv(path)
    return path


def _moved_client_file(root: Path, warehouse: Path, as_of: datetime) -> Path:
    """Two clients whose connection lead is in work at one SC get an invoice from another SC
    after the lead's 30-day booking ended: the booking sweep blocks the stale leads (§7)."""
    moved = queries.clients_moving(warehouse)
    path = root / "feeds" / BILLING_FILES[1]
    moved.with_row_index("n").select(
        "inn",
        "kpp",
        "product",
        "sc_id",
        event=pl.lit("invoice_issued"),
        invoice_id=pl.format("DEMO-M2-{}", pl.col("n") + 1),
        event_at=pl.lit(as_of.isoformat()),
        valid_until=pl.lit((as_of + timedelta(days=10)).isoformat()),
    ).write_csv(path)
    return path


def _sanctions(warehouse: Path, as_of: datetime) -> dict[str, Any]:
    """§11: the week's breach evidence, and the proposed exclusion applied to the worst SC."""
    week = period_of(as_of - timedelta(days=1), "Europe/Moscow", "week")
    proposals = propose_sanctions(warehouse, week, as_of=as_of)
    if proposals.is_empty():
        return {"period": week.name, "proposed": 0, "excluded": None}
    worst = proposals.row(0, named=True)
    exclude_centre(
        warehouse,
        worst["sc_id"],
        forever=False,
        reason=f"{week.name}: {worst['why']}",
        by=DEMO_PRINCIPAL,
        as_of=as_of,
    )
    return {
        "period": week.name,
        "proposed": proposals.height,
        "excluded": worst["sc_id"],
        "why": worst["why"],
    }


@contextmanager
def _mail_to_folder(folder: Path) -> Iterator[None]:
    """The demo's SCs are made up: its messages go to `.eml` files, never to an SMTP server."""
    saved = {name: os.environ.get(name) for name in ("PP_SMTP_HOST", "PP_OUTBOX_DIR")}
    os.environ.update(PP_SMTP_HOST="", PP_OUTBOX_DIR=str(folder))
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _record(root: Path, files: set[str] | frozenset[str]) -> None:
    text = json.dumps({"generator": DEMO_GENERATOR, "files": sorted(files)}, indent=1)
    write_atomically(root / DEMO_MARKER, lambda staged: staged.write_text(text, encoding="utf-8"))


def _files_under(root: Path) -> set[str]:
    """The files in `root` but the marker and the demo's Prefect home, which runs keep."""
    return {
        path.relative_to(root).as_posix()
        for path in root.rglob("*")
        if (path.is_file() or path.is_symlink()) and path.relative_to(root).parts[0] != PREFECT_HOME_DIR
    } - {DEMO_MARKER}


def check_demo_folder(root: Path) -> set[str]:
    """The files earlier runs wrote into `root`, once it is sure the demo may run there: a new
    or empty folder, or one an earlier run marked, where nothing else sits where the demo writes."""
    recorded = claim_folder(root)
    in_the_way = sorted(name for name in DEMO_FILES - recorded if os.path.lexists(root / name))
    if in_the_way:
        raise PipelineError(
            f"{root / in_the_way[0]} was not written by the demo; move it away or name another --dir"
        )
    return recorded


def prepare_demo_folder(root: Path) -> set[str]:
    """Remove what earlier runs wrote into `root` and nothing else, mark the folder as the
    demo's, and return the files still there: someone else's, which the run leaves alone."""
    earlier = check_demo_folder(root)
    try:
        root.mkdir(parents=True, exist_ok=True)
        for name in earlier:
            path = root / name
            if path.is_file() and not path.is_symlink():
                path.unlink()
        _record(root, DEMO_FILES)  # a run stopped half-way still leaves a folder it owns
    except OSError as exc:
        raise PipelineError(f"cannot prepare --dir {root}: {exc.strerror or exc}") from exc
    return _files_under(root)


@pipeline_flow(name="demo")
def run_demo(workdir: str = "data/demo", rows: int = 400, as_of: datetime | None = None) -> dict[str, Any]:
    """Fresh warehouse → every Appendix 1 source ingested → SC work → SLA sweep → notifications
    → summary. Only what earlier runs wrote in `workdir` is removed; the folder's marker lists
    what this one wrote."""
    root = Path(workdir)
    kept = prepare_demo_folder(root)
    try:
        with _mail_to_folder(root / "outbox"):
            return _run_demo(root, rows, resolve_as_of(as_of), kept)
    finally:
        _record(root, DEMO_FILES | (_files_under(root) - kept))


def _run_demo(root: Path, rows: int, start: datetime, kept: set[str]) -> dict[str, Any]:
    warehouse = root / WAREHOUSE_FILE
    when = Timeline.from_start(start)
    init_warehouse(warehouse)
    reference = queries.reference(warehouse)
    paths = _generate(root, rows, start, reference)
    first_sc = reference["service_centers"]["sc_id"][0]
    for spec, path in zip(DEMO_FEEDS, paths, strict=True):
        ingest_feed(
            path=str(path),
            source=spec.source,
            as_of=start,
            warehouse=str(warehouse),
            sc_id=first_sc if source_rules()[spec.source].temperature is None else None,
        )
        progress.advance(f"ingested {spec.file_name}", 1)
    again = ingest_feed(
        path=str(paths[0]), source=DEMO_FEEDS[0].source, as_of=start, warehouse=str(warehouse)
    )
    progress.advance("re-ingested the call base", 1)
    work = _sc_work(warehouse, when)
    progress.advance("SC work", 1)
    hot_sweep = sweep_sla(temperature=Temperature.HOT, as_of=when.hot_sweep, warehouse=str(warehouse))
    progress.advance("hourly SLA sweep of hot leads", 1)
    billed = ingest_billing(
        path=str(_billing_file(root, warehouse, when)), as_of=when.mass_actions, warehouse=str(warehouse)
    )
    progress.advance("billing", 1)
    dealt = assign_managers(
        sc_id=first_sc,
        counts={manager: 40 for manager in queries.managers(warehouse, first_sc)},
        as_of=when.mass_actions,
        warehouse=str(warehouse),
    )
    first_day = when.mass_actions.date()
    planned = distribute(
        sc_id=first_sc,
        start=first_day,
        end=queries.working_days_end(warehouse, first_day, DISTRIBUTION_WORKING_DAYS),
        as_of=when.mass_actions,
        warehouse=str(warehouse),
    )
    progress.advance("mass actions", 1)
    swept = sweep_sla(as_of=when.daily_sweep, warehouse=str(warehouse))
    progress.advance("SLA sweep", 1)
    # the digests; the hot leads' messages went at ingest
    notified = notify(as_of=when.daily_sweep, warehouse=str(warehouse))
    progress.advance("notifications", 1)
    sanctions = _sanctions(warehouse, when.daily_sweep)
    progress.advance("sanctions", 1)
    moved = ingest_billing(
        path=str(_moved_client_file(root, warehouse, when.month_later)),
        as_of=when.month_later,
        warehouse=str(warehouse),
    )
    progress.advance("clients invoiced by another SC", 1)
    blocked = sweep_bookings(as_of=when.bookings_sweep, warehouse=str(warehouse))
    progress.advance("booking sweep", 1)
    week = period_of(start, "Europe/Moscow", "week").name
    page = report(period=week, out=str(root / REPORT_FILE), as_of=when.daily_sweep, warehouse=str(warehouse))
    progress.advance("report", 1)
    messages = queries.sent_messages(warehouse)
    return {
        "warehouse": str(warehouse),
        "feeds_dir": str(root / "feeds"),
        "as_of": start.isoformat(),
        "sweep_as_of": when.daily_sweep.isoformat(),
        "reingest_changed_nothing": bool(again["already_loaded"]),
        **work,
        "hot_sweep": hot_sweep,
        **swept,
        "sanctions": sanctions,
        "invoiced_elsewhere": moved["applied"],
        "leads_blocked": blocked["leads_blocked"],
        "report": page["written"],
        "billing": {
            k: billed[k] for k in ("rows_read", "applied", "leads_completed", "payments_without_lead")
        },
        "first_sc": first_sc,
        "managers_dealt": dealt["dealt"],
        "planned": planned["planned"],
        "hot_left_out": planned["hot_refused"],
        "notifications": {
            "immediate": int(messages.get("immediate", 0)),
            "digest": int(messages.get("digest", 0)),
            "outbox": str(root / "outbox"),
            "eml_files": sum(
                path.relative_to(root).as_posix() not in kept for path in (root / "outbox").glob("*.eml")
            ),
            "not_sent": notified["retry_later"] + notified["failed"],
        },
        "tables": queries.summaries(warehouse),
    }


TITLES = {
    "feeds": "Feeds ingested (rows = created + merged + quarantined; waiting: no eligible SC)",
    "by_source": "Leads by source and temperature",
    "by_sc": "Leads by service centre (—: waiting for an eligible SC)",
    "merges": "Duplicates merged into open leads (SPEC §5.3)",
    "quarantine": "Quarantined rows by reason",
    "breaches": "SLA breaches (SPEC §10), all sweeps",
    "transfers": "Leads transferred to another SC (SPEC §6 Transfer, §9.1.1)",
    "blocked": "Leads blocked: their client's booking moved to another SC (SPEC §7)",
}


def print_demo_summary(console: Console, result: dict[str, Any]) -> None:
    for name in SUMMARIES:
        rows = result["tables"][name]
        table = Table(title=TITLES[name], title_justify="left")
        for column in rows[0] if rows else ["(none)"]:
            table.add_column(
                column,
                justify="left"
                if column in {"source", "file_name", "sc_id", "timezone", "reason_code", "temperature"}
                else "right",
            )
        for row in rows:
            table.add_row(
                *("—" if v is None else f"{v:,}" if isinstance(v, int) else str(v) for v in row.values())
            )
        console.print(table)
    billing, hot, sanctions = result["billing"], result["hot_sweep"], result["sanctions"]
    notes = result["notifications"]
    sanction_line = (
        f"Sanctions ({sanctions['period']}): {sanctions['proposed']} SCs over the policy; "
        f"{sanctions['excluded']} excluded until its quarter ends ({sanctions['why']})."
        if sanctions["excluded"]
        else f"Sanctions ({sanctions['period']}): no SC over the policy."
    )
    console.print(
        f"SC work: {result['taken_on_time']} hot leads taken within the SLA, {result['taken_late']} late, "
        f"{result['postponed']} postponed, {result['refused']} refused in the call.\n"
        f"Billing: {billing['rows_read']} events, {billing['applied']} applied, "
        f"{billing['leads_completed']} leads completed by paid invoices, "
        f"{billing['payments_without_lead']} payments without an open lead (kept).\n"
        f"{result['first_sc']}: leads dealt to managers {result['managers_dealt']}; "
        f"{result['planned']} warm/cold leads planned over {DISTRIBUTION_WORKING_DAYS} working days, "
        f"{result['hot_left_out']} hot left out.\n"
        f"The hourly hot sweep 4 hours in recorded {hot['breaches_recorded']} breaches and transferred "
        f"{hot['transferred']} leads; the sweep at {result['sweep_as_of']} recorded "
        f"{result['breaches_recorded']} more and transferred {result['transferred']} "
        f"({result['transfer_no_target']} had no other SC to go to).\n"
        f"{sanction_line}\n"
        f"A month later {result['invoiced_elsewhere']} clients were invoiced by another SC; "
        f"the booking sweep blocked {result['leads_blocked']} stale leads.\n"
        f"Re-ingesting the call base changed nothing: {result['reingest_changed_nothing']}.\n"
        f"Notifications (SPEC §8): {notes['immediate']} immediate messages for hot leads and "
        f"{notes['digest']} daily digests, written as {notes['eml_files']} .eml files to {notes['outbox']} "
        "(no SMTP server in the demo: open them with a mail client).\n"
        f"Warehouse: {result['warehouse']} (query it with duckdb); feeds: {result['feeds_dir']}\n"
        f"SLA report of the week: {result['report']} (open it in a browser)"
    )
