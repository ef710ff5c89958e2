"""`pp demo`: the main job end to end on generated feeds and a fresh embedded warehouse.

It works through the product's own flows and actions; what it reads of the warehouse besides,
it asks `demo.queries`, so no SQL lives here."""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
from rich.console import Console
from rich.table import Table

from demo import conduct, queries
from demo.marker import (
    DEFAULT_WEEKS,
    DEMO_GENERATOR,
    DEMO_MARKER,
    MAX_WEEKS,
    MIN_WEEKS,
    PREFECT_HOME_DIR,
    claim_folder,
)
from demo.queries import SUMMARIES
from demo.synthetic import synthetic_feed, write_feed
from flows import progress
from flows.activity import apply_activity
from flows.billing import ingest_billing
from flows.engine import pipeline_flow
from flows.ingest import ingest_feed
from flows.initialise import init_warehouse
from flows.mass_actions import assign_managers, distribute
from flows.notify import notify
from flows.report import WAREHOUSE_COMPANIONS, report, write_atomically
from flows.sanctions import exclude_centre, propose_sanctions
from flows.sweeps import sweep_bookings, sweep_sla
from schemas.errors import PipelineError
from schemas.instants import resolve_as_of
from schemas.rules import source_rules
from tasks.periods import period_of
from warehouse.locator import FileWarehouse


@dataclass(frozen=True)
class DemoFeed:
    """How the demo writes one source's feed: the formats principals really send."""

    source: str
    file_name: str
    russian_headers: bool = False
    encoding: str = "utf-8"
    delimiter: str = ","
    from_clients: bool = False  # drawn from the clients of the first call base
    weekly: bool = False  # clients' requests come every week; the bases are loaded once


DEMO_FEEDS: tuple[DemoFeed, ...] = (
    DemoFeed("call_base", "call_base.csv", russian_headers=True, encoding="cp1251", delimiter=";"),
    DemoFeed("registration", "registrations.jsonl", weekly=True),
    DemoFeed("connection_request", "connection_requests.csv", weekly=True),
    DemoFeed("demo_order", "demo_orders.parquet"),
    DemoFeed("consultation_order", "consultations.csv", encoding="utf-8-sig", weekly=True),
    DemoFeed("presentation_order", "presentations.csv", delimiter=";"),
    DemoFeed("callback_order", "callbacks.csv", from_clients=True, weekly=True),
    DemoFeed("test_drive_order", "test_drives.csv"),
    DemoFeed("event_contacts", "event_contacts.csv", russian_headers=True),
    DemoFeed("principal_created", "principal_created.csv"),
    DemoFeed("renewal_base", "renewal_base.xlsx", from_clients=True),
    DemoFeed("upsell_base", "upsell_base.csv", from_clients=True),
    DemoFeed("sc_created", "sc_created.csv"),
)
FEEDS_BEFORE_END = timedelta(days=4)  # the last week's feeds arrive this long before the as-of
# After each week's feeds arrive: when the SC work is collected and the SLA swept (the first
# hours for hot leads, whose deadlines fall within a working day; then daily for the rest).
TICK_HOURS = (0, 4, 24, 48, 96)
MASS_ACTIONS_WEEK = 1  # the week (from 0) whose feeds' arrival the mass actions follow
DISTRIBUTION_WORKING_DAYS = 10
DEMO_PRINCIPAL = "demo-principal"
PRINCIPALS_ZONE = "Europe/Moscow"  # the clock of the summary and of the sanctions' week
WAREHOUSE_FILE = "pp.duckdb"
REPORT_FILE = "report.html"
MOVED_CLIENTS_FILE = "feeds/billing/clients-moving.csv"
ACTIONS = ("assign_manager", "take", "postpone", "refuse", "close")  # as the summary counts them


def week_file(week: int, name: str) -> str:
    return f"feeds/week-{week + 1}/{name}"


def tick_file(kind: str, tick: int) -> str:
    return f"feeds/{kind}/{kind}-{tick + 1:03}.csv"


def max_ticks(weeks: int) -> int:
    return weeks * len(TICK_HOURS) + 1


def demo_files(weeks: int) -> frozenset[str]:
    """The files a run of `weeks` may write, by path within its folder; the outbox's messages
    are added as written."""
    return frozenset(
        {
            WAREHOUSE_FILE,
            *(WAREHOUSE_FILE + suffix for suffix in WAREHOUSE_COMPANIONS),
            REPORT_FILE,
            MOVED_CLIENTS_FILE,
            *(week_file(0, spec.file_name) for spec in DEMO_FEEDS),
            *(week_file(w, spec.file_name) for w in range(1, weeks) for spec in DEMO_FEEDS if spec.weekly),
            *(tick_file(kind, n) for kind in ("activity", "billing") for n in range(max_ticks(weeks))),
        }
    )


def demo_steps(weeks: int) -> int:
    """init, the first week's feeds (generated and ingested) and the re-ingest, the later weeks'
    feeds, every tick, sanctions, clients moving, the booking sweep and the report."""
    weekly = sum(s.weekly for s in DEMO_FEEDS)
    return 2 + 2 * len(DEMO_FEEDS) + 2 * (weeks - 1) * weekly + max_ticks(weeks) + 4


@dataclass(frozen=True)
class Tick:
    """An instant of the simulated weeks: the SC work since the previous tick is collected, then
    what is due then runs, in this order: billing, the week's feeds, the mass actions, the SLA
    sweep, the digests."""

    at: datetime
    week: int
    feeds: bool  # the week's feeds arrive
    billing: bool  # the vendor's billing of the days since the last billing
    mass_actions: bool
    sweep: bool
    digests: bool  # the daily digests are sent (hot leads' messages go when they are assigned)


def schedule(end: datetime, weeks: int = DEFAULT_WEEKS) -> list[Tick]:
    """The ticks of the simulated weeks, in time order, the last one at `end`: the feeds arrive
    weekly, FEEDS_BEFORE_END before `end` the last time; billing comes with each week's feeds and
    at the end, so that a payment is always a lead's last event before the billing loads it."""
    arrivals = [end - FEEDS_BEFORE_END - timedelta(weeks=weeks - 1 - week) for week in range(weeks)]
    ticks = [
        Tick(
            at=arrival + timedelta(hours=hours),
            week=week,
            feeds=hours == 0,
            billing=hours == 0 and week > 0,
            mass_actions=hours == 0 and week == MASS_ACTIONS_WEEK,
            sweep=hours > 0,
            digests=hours % 24 == 0 and hours > 0,
        )
        for week, arrival in enumerate(arrivals)
        for hours in TICK_HOURS
        if arrival + timedelta(hours=hours) < end
    ]
    last = Tick(
        at=end, week=weeks - 1, feeds=False, billing=True, mass_actions=False, sweep=True, digests=True
    )
    return [*ticks, last]


def _feeds_of_week(
    root: Path,
    week: int,
    rows: int,
    arrival: datetime,
    reference: dict[str, pl.DataFrame],
    clients: pl.DataFrame | None,
) -> tuple[list[tuple[DemoFeed, Path]], pl.DataFrame | None]:
    """Write the week's feeds (every source the first week, the clients' requests later);
    requests reuse the first call base's clients, so merges happen. Returns them and the clients."""
    products = reference["products"]["product"].to_list()
    regions = sorted(set(reference["service_centers"]["regions"].explode().to_list()))
    written = []
    for seed, spec in enumerate(DEMO_FEEDS, start=1):
        if week and not spec.weekly:
            continue
        frame = synthetic_feed(
            spec.source,
            rows,
            as_of=arrival,
            products=products,
            regions=regions,
            seed=100 * week + seed,
            clients=clients if spec.from_clients else None,
        )
        if spec.source == "call_base" and clients is None:
            clients = (
                frame.filter(pl.col("inn").is_not_null())
                .select("inn", "kpp", "company_name", "region")
                .unique("inn", keep="first", maintain_order=True)
            )
        path = write_feed(
            frame,
            root / week_file(week, spec.file_name),
            russian_headers=spec.russian_headers,
            encoding=spec.encoding,
            delimiter=spec.delimiter,
        )
        written.append((spec, path))
        progress.advance(f"generated {path.name} (week {week + 1})", 1)
    return written, clients


def _write_csv(frame: pl.DataFrame, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.write_csv(path)
    return path


@dataclass
class Simulation:
    """What the simulated weeks did, summed over the ticks."""

    activity: Counter[str] = field(default_factory=Counter)  # rows by action, and the apply's counts
    billing: Counter[str] = field(default_factory=Counter)
    sweeps: Counter[str] = field(default_factory=Counter)
    sweep_instants: list[str] = field(default_factory=list)
    ingested: int = 0
    not_sent: int = 0


def _sc_work(
    root: Path,
    warehouse: FileWarehouse,
    n: int,
    since: datetime,
    tick: Tick,
    paces: pl.DataFrame,
    done: Simulation,
) -> None:
    """The SCs' actions of (since, tick] through the bulk activity path, one file."""
    rows = conduct.activity_rows(queries.open_leads(warehouse), paces, since, tick.at)
    if rows.is_empty():
        return
    applied = apply_activity(
        path=str(_write_csv(rows, root / tick_file("activity", n))), as_of=tick.at, warehouse=str(warehouse)
    )
    done.activity.update(dict(rows["action"].value_counts().iter_rows()))
    done.activity.update({k: applied[k] for k in ("applied", "quarantined", "late_takes")})


def _billing(
    root: Path, warehouse: FileWarehouse, n: int, *, since: datetime, tick: Tick, done: Simulation
) -> None:
    """The vendor's billing of (since, tick]: invoices and payments of the leads the SCs invoiced;
    with the first, paid periods of a few call-base clients."""
    rows = conduct.billing_rows(queries.open_leads(warehouse), since, tick.at)
    if not done.billing:
        periods = queries.subscribers(warehouse).with_columns(
            event=pl.lit("period"),
            period_start=pl.lit((since - timedelta(days=30)).isoformat()),
            period_end=pl.lit((since + timedelta(days=335)).isoformat()),
        )
        rows = pl.concat([rows, periods], how="diagonal_relaxed")
    if rows.is_empty():
        return
    billed = ingest_billing(
        path=str(_write_csv(rows, root / tick_file("billing", n))), as_of=tick.at, warehouse=str(warehouse)
    )
    done.billing.update(
        {k: billed[k] for k in ("rows_read", "applied", "leads_completed", "payments_without_lead")}
    )


def _mass_actions(warehouse: FileWarehouse, sc_id: str, as_of: datetime) -> dict[str, Any]:
    """§6.1 and §6.2 at one SC: its leads dealt to its managers, its warm and cold leads planned."""
    dealt = assign_managers(
        sc_id=sc_id,
        counts={manager: 40 for manager in queries.managers(warehouse, sc_id)},
        as_of=as_of,
        warehouse=str(warehouse),
    )
    first_day = as_of.date()
    planned = distribute(
        sc_id=sc_id,
        start=first_day,
        end=queries.working_days_end(warehouse, first_day, DISTRIBUTION_WORKING_DAYS),
        as_of=as_of,
        warehouse=str(warehouse),
    )
    return {
        "managers_dealt": dealt["dealt"],
        "planned": planned["planned"],
        "hot_left_out": planned["hot_refused"],
    }


def _clients_moving(root: Path, warehouse: FileWarehouse, as_of: datetime) -> int:
    """Two clients whose connection lead is in work at one SC get an invoice from another SC
    after the lead's 30-day booking ended: the booking sweep blocks the stale leads (§7). A
    run too short for a booking to end has no such client. Returns the invoices applied."""
    moved = queries.clients_moving(warehouse, as_of)
    if moved.is_empty():
        return 0
    rows = moved.with_row_index("n").select(
        "inn",
        "kpp",
        "product",
        "sc_id",
        event=pl.lit("invoice_issued"),
        invoice_id=pl.format("DEMO-M-{}", pl.col("n") + 1),
        event_at=pl.lit(as_of.isoformat()),
        valid_until=pl.lit((as_of + timedelta(days=10)).isoformat()),
    )
    path = _write_csv(rows, root / MOVED_CLIENTS_FILE)
    return int(ingest_billing(path=str(path), as_of=as_of, warehouse=str(warehouse))["applied"])


def _sanctions(warehouse: FileWarehouse, as_of: datetime) -> dict[str, Any]:
    """§11: the week's breach evidence, and the proposed exclusion applied to the worst SC."""
    week = period_of(as_of - timedelta(days=1), PRINCIPALS_ZONE, "week")
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


def check_demo_folder(root: Path, weeks: int) -> set[str]:
    """The files earlier runs wrote into `root`, once it is sure the demo may run there: a new
    or empty folder, or one an earlier run marked, where nothing else sits where the demo writes."""
    if not MIN_WEEKS <= weeks <= MAX_WEEKS:
        raise PipelineError(f"--weeks must be from {MIN_WEEKS} to {MAX_WEEKS}, not {weeks}")
    recorded = claim_folder(root)
    in_the_way = sorted(name for name in demo_files(weeks) - recorded if os.path.lexists(root / name))
    if in_the_way:
        raise PipelineError(
            f"{root / in_the_way[0]} was not written by the demo; move it away or name another --dir"
        )
    return recorded


def prepare_demo_folder(root: Path, weeks: int) -> set[str]:
    """Remove what earlier runs wrote into `root` and nothing else, mark the folder as the
    demo's, and return the files still there: someone else's, which the run leaves alone."""
    earlier = check_demo_folder(root, weeks)
    try:
        root.mkdir(parents=True, exist_ok=True)
        for name in earlier:
            path = root / name
            if path.is_file() and not path.is_symlink():
                path.unlink()
        _record(root, demo_files(weeks))  # a run stopped half-way still leaves a folder it owns
    except OSError as exc:
        raise PipelineError(f"cannot prepare --dir {root}: {exc.strerror or exc}") from exc
    return _files_under(root)


@pipeline_flow(name="demo")
def run_demo(
    workdir: str = "data/demo", rows: int = 400, as_of: datetime | None = None, weeks: int = DEFAULT_WEEKS
) -> dict[str, Any]:
    """Fresh warehouse → every Appendix 1 source ingested → SC work → SLA sweep → notifications
    → summary. Only what earlier runs wrote in `workdir` is removed; the folder's marker lists
    what this one wrote."""
    root = Path(workdir)
    kept = prepare_demo_folder(root, weeks)
    try:
        with _mail_to_folder(root / "outbox"):
            end = resolve_as_of(as_of).replace(second=0, microsecond=0)
            return _run_demo(root, rows, end, weeks, kept)
    finally:
        _record(root, demo_files(weeks) | (_files_under(root) - kept))


def _run_demo(root: Path, rows: int, end: datetime, weeks: int, kept: set[str]) -> dict[str, Any]:
    warehouse = FileWarehouse(root / WAREHOUSE_FILE)  # the demo's warehouse is always a file
    init_warehouse(warehouse)
    progress.advance("warehouse", 1)
    reference = queries.reference(warehouse)
    first_sc = reference["service_centers"]["sc_id"][0]
    paces = conduct.manager_paces(queries.all_managers(warehouse))
    done = Simulation()
    clients: pl.DataFrame | None = None
    mass: dict[str, Any] = {}
    again: dict[str, Any] = {}
    ticks = schedule(end, weeks)
    since = ticks[0].at
    for n, tick in enumerate(ticks):
        _sc_work(root, warehouse, n, since, tick, paces, done)
        if tick.billing:
            _billing(root, warehouse, n, since=ticks_billed_since(ticks, n), tick=tick, done=done)
        if tick.feeds:
            feeds, clients = _feeds_of_week(root, tick.week, rows, tick.at, reference, clients)
            for spec, path in feeds:
                ingest_feed(
                    path=str(path),
                    source=spec.source,
                    as_of=tick.at,
                    warehouse=str(warehouse),
                    sc_id=first_sc if source_rules()[spec.source].temperature is None else None,
                )
                done.ingested += 1
                progress.advance(f"ingested {path.name} (week {tick.week + 1})", 1)
            if tick.week == 0:
                spec, path = feeds[0]
                again = ingest_feed(
                    path=str(path), source=spec.source, as_of=tick.at, warehouse=str(warehouse)
                )
                progress.advance("re-ingested the call base", 1)
        if tick.mass_actions:
            mass = _mass_actions(warehouse, first_sc, tick.at)
        if tick.sweep:
            swept = sweep_sla(as_of=tick.at, warehouse=str(warehouse))
            done.sweeps.update(
                {k: swept[k] for k in ("breaches_recorded", "transferred", "transfer_no_target")}
            )
            done.sweep_instants.append(tick.at.isoformat())
        if tick.digests:
            notified = notify(as_of=tick.at, warehouse=str(warehouse))
            done.not_sent += notified["retry_later"] + notified["failed"]
        progress.advance(f"week {tick.week + 1}: {readable(tick.at)}", 1)
        since = tick.at
    sanctions = _sanctions(warehouse, end)
    progress.advance("sanctions", 1)
    invoiced_elsewhere = _clients_moving(root, warehouse, end)
    progress.advance("clients invoiced by another SC", 1)
    blocked = sweep_bookings(as_of=end, warehouse=str(warehouse))
    progress.advance("booking sweep", 1)
    week = period_of(end, PRINCIPALS_ZONE, "week").name
    page = report(period=week, out=str(root / REPORT_FILE), as_of=end, warehouse=str(warehouse))
    progress.advance("report", 1)
    messages = queries.sent_messages(warehouse)
    return {
        "warehouse": str(warehouse),
        "feeds_dir": str(root / "feeds"),
        "as_of": end.isoformat(),
        "first_feeds_at": ticks[0].at.isoformat(),
        "sweeps": done.sweep_instants,
        "feeds_ingested": done.ingested,
        "reingest_changed_nothing": bool(again.get("already_loaded")),
        "activity": dict(done.activity),
        "breaches_recorded": done.sweeps["breaches_recorded"],
        "transferred": done.sweeps["transferred"],
        "transfer_no_target": done.sweeps["transfer_no_target"],
        "sanctions": sanctions,
        "invoiced_elsewhere": invoiced_elsewhere,
        "leads_blocked": blocked["leads_blocked"],
        "report": page["written"],
        "report_period": page["period"],
        "billing": {
            k: done.billing[k] for k in ("rows_read", "applied", "leads_completed", "payments_without_lead")
        },
        "first_sc": first_sc,
        "managers_dealt": mass.get("managers_dealt", {}),
        "planned": mass.get("planned", 0),
        "hot_left_out": mass.get("hot_left_out", 0),
        "notifications": {
            "immediate": int(messages.get("immediate", 0)),
            "digest": int(messages.get("digest", 0)),
            "outbox": str(root / "outbox"),
            "eml_files": sum(
                path.relative_to(root).as_posix() not in kept for path in (root / "outbox").glob("*.eml")
            ),
            "not_sent": done.not_sent,
        },
        "tables": queries.summaries(warehouse),
    }


def ticks_billed_since(ticks: list[Tick], n: int) -> datetime:
    """Where the billing of tick `n` starts: the billing before it, or the first tick."""
    return next((t.at for t in reversed(ticks[:n]) if t.billing), ticks[0].at)


def readable(instant: datetime | str) -> str:
    """An instant as the principals read it, on their clock: `2026-03-06 16:30 +03:00`."""
    moment = (datetime.fromisoformat(instant) if isinstance(instant, str) else instant).astimezone(
        ZoneInfo(PRINCIPALS_ZONE)
    )
    return f"{moment:%Y-%m-%d %H:%M} {moment.isoformat()[-6:]}"


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
    billing, sanctions, work = result["billing"], result["sanctions"], result["activity"]
    notes = result["notifications"]
    sanction_line = (
        f"Sanctions ({sanctions['period']}): {sanctions['proposed']} SCs over the policy; "
        f"{sanctions['excluded']} excluded until its quarter ends ({sanctions['why']})."
        if sanctions["excluded"]
        else f"Sanctions ({sanctions['period']}): no SC over the policy."
    )
    dealt = ", ".join(f"{manager} {n}" for manager, n in result["managers_dealt"].items()) or "none"
    actions = ", ".join(f"{work.get(action, 0):,} {action}" for action in ACTIONS)
    console.print(
        f"{len(result['sweeps'])} SLA sweeps from {readable(result['first_feeds_at'])} to "
        f"{readable(result['as_of'])}, feeds arriving weekly ({result['feeds_ingested']} ingested).\n"
        f"SC work, in bulk activity files: {actions}; {work.get('applied', 0):,} applied, "
        f"{work.get('late_takes', 0):,} taken after the deadline, "
        f"{work.get('quarantined', 0):,} quarantined.\n"
        f"Billing: {billing['rows_read']:,} events, {billing['applied']:,} applied, "
        f"{billing['leads_completed']:,} leads completed by paid invoices, "
        f"{billing['payments_without_lead']:,} payments without an open lead (kept).\n"
        f"{result['first_sc']}: leads dealt to managers: {dealt}; "
        f"{result['planned']:,} warm/cold leads planned over {DISTRIBUTION_WORKING_DAYS} working days, "
        f"{result['hot_left_out']:,} hot left out.\n"
        f"The sweeps recorded {result['breaches_recorded']:,} breaches and transferred "
        f"{result['transferred']:,} leads ({result['transfer_no_target']:,} had no other SC to go to).\n"
        f"{sanction_line}\n"
        f"{result['invoiced_elsewhere']} clients were invoiced by another SC after their lead's booking "
        f"ended; the booking sweep blocked {result['leads_blocked']} stale leads.\n"
        + (
            "Re-ingesting the call base changed nothing.\n"
            if result["reingest_changed_nothing"]
            else "Re-ingesting the call base CHANGED the warehouse: a defect, please report it.\n"
        )
        + f"Notifications (SPEC §8): {notes['immediate']:,} immediate messages for hot leads and "
        f"{notes['digest']:,} daily digests, written as {notes['eml_files']:,} .eml files to "
        f"{notes['outbox']} "
        "(no SMTP server in the demo: open them with a mail client).\n"
        f"Warehouse: {result['warehouse']} (query it with duckdb); feeds: {result['feeds_dir']}\n"
        f"SLA report of {result['report_period']}: {result['report']} (open it in a browser)"
    )
