"""`pp`: the command line. A thin shell over the flows and the single-lead actions.

User errors (bad files, arguments, states, usage) print one line on stderr and exit with
status 2; flows and Prefect are imported only by the commands that need them, so help is
instant. Help and the single-lead commands load neither polars nor Prefect, and help not
pydantic or rich either. Commands that print tables or counts take `--json` for scripts."""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, NoReturn

import typer

from demo.marker import DEFAULT_WEEKS, MAX_WEEKS, MIN_WEEKS
from schemas.enums import Contact, LeadType, Stage, Temperature, Violation
from schemas.errors import PipelineError
from schemas.rules import SLA_TERMS, source_rules
from schemas.text import printable
from warehouse.locator import LakeWarehouse, Warehouse

app = typer.Typer(
    name="pp",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help, where a flag reads as a flag (the rich panels show `<bool>`)
    help="Potential Sales pipeline: feeds to leads, service centres, SLA watch.",
)
lead_app = typer.Typer(no_args_is_help=True, help="Act on one lead, at once.")
sweep_app = typer.Typer(no_args_is_help=True, help="Periodic sweeps over the warehouse.")
app.add_typer(lead_app, name="lead")
app.add_typer(sweep_app, name="sweep")
managers_app = typer.Typer(no_args_is_help=True, help="Mass actions on an SC's managers (§6.1).")
app.add_typer(managers_app, name="managers")
sanction_app = typer.Typer(
    no_args_is_help=True, help="Measures of the Sales Support Service (SPEC §11), applied at once."
)
app.add_typer(sanction_app, name="sanction")


class _Terminal:
    """rich's console on stdout or stderr, made when first printed to: help never loads rich.
    Text in pp's output comes from users' files and the warehouse: never read as rich markup."""

    def __init__(self, *, stderr: bool = False) -> None:
        self._stderr = stderr

    @cached_property
    def console(self) -> Console:
        from rich.console import Console

        return Console(stderr=self._stderr, markup=False, highlight=False)

    def print(self, *objects: Any, **options: Any) -> None:
        self.console.print(*objects, **options)


out = _Terminal()
err = _Terminal(stderr=True)

AsOf = Annotated[
    str | None,
    typer.Option("--as-of", help="ISO 8601 instant with offset, e.g. 2026-03-06T16:30:00+05:00; default now"),
]


Json = Annotated[
    bool, typer.Option("--json", help="print one JSON document on stdout instead of the table, for scripts")
]

if TYPE_CHECKING:
    import polars as pl
    from rich.console import Console
    from rich.table import Table

    SourceCode = str
else:  # Appendix 1's codes, read from schemas/data/sources.csv: help lists them, parsing checks them
    SourceCode = Literal[tuple(source_rules())]

# flows/report.py holds the formats the report writes; importing it loads Prefect, which help
# must not wait for. tests/test_cli_output.py checks that the two lists stay the same.
ReportFormat = Literal["html", "parquet", "csv"]


def print_json(document: Mapping[str, Any]) -> None:
    """The `--json` output: one document on stdout, numbers as numbers, instants in ISO 8601
    with their offset, frames as lists of records."""
    sys.stdout.write(json.dumps(document, default=_json_value, ensure_ascii=False) + "\n")


def _json_value(value: Any) -> Any:
    import polars as pl  # loaded by any command that has a frame to print; help does without it

    if isinstance(value, datetime):  # the warehouse stores UTC: an instant without a zone is one
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    if isinstance(value, pl.DataFrame):
        return value.to_dicts()
    raise TypeError(f"{type(value).__name__} has no JSON form")


class _State:
    warehouse: str | None = None


def _warehouse() -> Warehouse:
    from schemas.settings import load_settings  # pydantic: not for help

    return load_settings(warehouse=_State.warehouse).warehouse


def parse_as_of(value: str | None, *, option: str = "--as-of") -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise PipelineError(
            f"{option} {value!r} is not an ISO 8601 instant; use e.g. 2026-03-06T16:30:00+05:00"
        ) from None
    if parsed.tzinfo is None:
        raise PipelineError(f"{option} {value!r} has no UTC offset; add one, e.g. +03:00")
    try:
        parsed.astimezone(UTC)
    except OverflowError:
        raise PipelineError(f"{option} {value!r} is out of range; give a real instant") from None
    from schemas.instants import check_in_calendar  # polars comes with it; help does without

    return check_in_calendar(parsed, option=option)


@contextmanager
def _progress(description: str) -> Iterator[Callable[[str, int], None]]:
    """A live line counting what the flow reports, on stderr so stdout stays parseable."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn  # batch commands only

    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn("{task.completed:,.0f}"),
        TimeElapsedColumn(),
        console=err.console,
        transient=True,
    ) as bar:
        task_id = bar.add_task(description, total=None)
        yield lambda _step, amount: bar.advance(task_id, amount)


def _print_version(requested: bool) -> None:
    """`pp --version` answers before any setting is read: it must work in a broken environment."""
    if requested:
        from importlib import metadata

        out.print(f"pp {metadata.version('potential-sales')}", markup=False, highlight=False)
        raise typer.Exit()


# Commands that never talk to a Prefect server: they are not flows (and the demo keeps to
# itself), so a configured server is neither checked nor needed for them.
WITHOUT_SERVER = frozenset({"init", "lead", "leads", "sanction", "quarantine", "calendar", "demo"})


@app.callback()
def _options(
    ctx: typer.Context,
    warehouse: Annotated[
        str | None,
        typer.Option(
            "--warehouse",
            envvar="PP_WAREHOUSE",
            help="warehouse file, or a lake: ducklake:postgres:<conninfo> [default: data/pp.duckdb]",
        ),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="show Prefect's run logs")] = False,
    version: Annotated[
        bool, typer.Option("--version", is_eager=True, callback=_print_version, help="show pp's version")
    ] = False,
) -> None:
    _State.warehouse = warehouse
    if ctx.resilient_parsing or "--help" in sys.argv:
        return
    from schemas.settings import load_settings  # pydantic: not for help

    load_settings(warehouse=warehouse)  # every PP_* setting is checked before any work starts
    if ctx.invoked_subcommand not in WITHOUT_SERVER:
        _check_prefect_server()
    if not verbose:
        # Run logs go to the Prefect server (the UI, the API); the terminal gets warnings and
        # pp's own one-line messages, not a run's traceback for a user error pp reports anyway.
        terminal = Path(__file__).with_name("terminal-logging.yml")
        os.environ.setdefault("PREFECT_LOGGING_SETTINGS_PATH", str(terminal))


@app.command()
def init(
    reference: Annotated[
        Path | None, typer.Option("--reference", help="reference data directory (docs/contract.md)")
    ] = None,
) -> None:
    """Create or migrate the warehouse and load reference data (bundled demo reference by default)."""
    from flows.initialise import init_warehouse

    result = init_warehouse(_warehouse(), reference)
    loaded = ", ".join(f"{table} {n}" for table, n in result["loaded"].items())  # type: ignore[attr-defined]
    out.print(f"warehouse {_warehouse()} at schema version {result['schema_version']}; loaded {loaded}")


def _counts_table(title: str, rows: list[tuple[str, Any]]) -> Table:
    from rich.table import Table

    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column(justify="right")
    for name, value in rows:
        table.add_row(name, f"{value:,}" if isinstance(value, int) else str(value))
    return table


def print_feed_summary(summary: dict[str, Any]) -> None:
    if summary["already_loaded"]:
        name = printable(summary["file_name"])
        out.print(f"{name}: already ingested as feed {summary['feed_id']}; nothing changed")
        return
    rows = [
        (k.replace("_", " "), summary[k])
        for k in ("rows_read", "created", "merged", "quarantined", "assigned", "unassigned")
    ]
    rows += [(f"  quarantined: {code}", n) for code, n in summary["quarantine_reasons"].items()]
    rows += [(f"  unassigned: {code}", n) for code, n in summary["unassigned_reasons"].items()]
    name = printable(summary["file_name"])
    out.print(_counts_table(f"feed {summary['feed_id']}: {name} ({summary['source']})", rows))
    if summary["quarantined"]:
        out.print(f"quarantined rows to fix and load again: pp quarantine export --feed {summary['feed_id']}")


@app.command()
def ingest(
    file: Annotated[Path, typer.Argument(help=".csv, .xlsx, .parquet or .jsonl feed")],
    source: Annotated[SourceCode, typer.Option("--source", help="source code of Appendix 1")],
    product: Annotated[str | None, typer.Option("--product", help="product for rows without one")] = None,
    sc: Annotated[str | None, typer.Option("--sc", help="the SC creating the leads (sc_created)")] = None,
    as_of: AsOf = None,
    as_json: Json = False,
) -> None:
    """Ingest one feed file: validate, classify, deduplicate, assign, set deadlines."""
    from flows.ingest import check_feed, ingest_feed

    when = parse_as_of(as_of)
    check_feed(file, source=source, product=product, sc_id=sc, warehouse=_warehouse())
    with _progress(f"ingesting {printable(file.name)}: rows") as report:
        from flows import progress

        with progress.listening(report):
            summary = ingest_feed(
                path=str(file),
                source=source,
                product=product,
                sc_id=sc,
                as_of=when,
                warehouse=str(_warehouse()),
            )
    if as_json:
        print_json(summary)
    else:
        print_feed_summary(summary)


@app.command()
def billing(
    file: Annotated[Path, typer.Argument(help="billing events: invoice_issued, invoice_paid, period")],
    as_of: AsOf = None,
    as_json: Json = False,
) -> None:
    """Load billing events: invoices book clients, payments complete leads, periods record usage."""
    from flows import progress
    from flows.billing import COUNTS, check_billing_file, ingest_billing

    when = parse_as_of(as_of)
    check_billing_file(file, warehouse=_warehouse())
    with _progress(f"loading {printable(file.name)}: rows") as report, progress.listening(report):
        summary = ingest_billing(path=str(file), as_of=when, warehouse=str(_warehouse()))
    if as_json:
        print_json(summary)
        return
    if summary["already_loaded"]:
        out.print(f"{printable(file.name)}: already loaded as feed {summary['feed_id']}; nothing changed")
        return
    rows = [(k.replace("_", " "), summary[k]) for k in COUNTS]
    rows += [(f"  quarantined: {code}", n) for code, n in summary["quarantine_reasons"].items()]
    out.print(_counts_table(f"billing feed {summary['feed_id']}: {printable(file.name)}", rows))


_COUNT = re.compile(r"[0-9]+")


def parse_counts(text: str) -> dict[str, int]:
    """`m1=10,m2=5` → {"m1": 10, "m2": 5}, in the order given. Refused before any flow starts:
    a manager named twice (which count would be meant?), a count below 1, anything else."""
    counts: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, number = (piece.strip() for piece in part.partition("="))
        if not name or not _COUNT.fullmatch(number):
            raise PipelineError(f"--counts {text!r}: expected MANAGER=N pairs, e.g. m1=10,m2=5")
        if name in counts:
            raise PipelineError(f"--counts {text!r} names manager {name!r} twice; give each manager once")
        if int(number) < 1:
            raise PipelineError(f"--counts {text!r}: manager {name!r} needs a count of at least 1")
        counts[name] = int(number)
    if not counts:
        raise PipelineError(f"--counts {text!r}: expected MANAGER=N pairs, e.g. m1=10,m2=5")
    return counts


@managers_app.command("assign")
def managers_assign(
    sc: Annotated[str, typer.Option("--sc", help="the service centre")],
    counts: Annotated[str, typer.Option("--counts", help="MANAGER=N pairs, e.g. m1=10,m2=5")],
    temperature: Annotated[Temperature | None, typer.Option("--temperature")] = None,
    product: Annotated[str | None, typer.Option("--product")] = None,
    lead_type: Annotated[LeadType | None, typer.Option("--type")] = None,
    as_of: AsOf = None,
    as_json: Json = False,
) -> None:
    """Deal the SC's new and in-work leads to its managers, most urgent first (§6.1)."""
    from flows.mass_actions import assign_managers

    wanted = parse_counts(counts)
    result = assign_managers(
        sc_id=sc,
        counts=wanted,
        temperature=temperature,
        product=product,
        lead_type=lead_type,
        as_of=parse_as_of(as_of),
        warehouse=str(_warehouse()),
    )
    short = max(sum(wanted.values()) - sum(result["dealt"].values()), 0)
    if as_json:
        print_json({"sc": sc, **result, "short": short})
        return
    rows = [(manager, f"{got:,} of {wanted[manager]:,}") for manager, got in result["dealt"].items()]
    out.print(_counts_table(f"{sc}: {result['selected']:,} leads selected", rows))
    if short > 0:
        out.print(f"the selection was {short:,} leads short of the counts; all it had was dealt")


@app.command()
def distribute(
    sc: Annotated[str, typer.Option("--sc", help="the service centre")],
    start: Annotated[datetime, typer.Option("--start", formats=["%Y-%m-%d"], help="first day, YYYY-MM-DD")],
    end: Annotated[datetime, typer.Option("--end", formats=["%Y-%m-%d"], help="last day, YYYY-MM-DD")],
    as_of: AsOf = None,
    as_json: Json = False,
) -> None:
    """Plan the SC's warm and cold new leads over a period's working days (§6.2); hot ones are refused."""
    from flows.mass_actions import distribute as distribute_flow

    result = distribute_flow(
        sc_id=sc, start=start.date(), end=end.date(), as_of=parse_as_of(as_of), warehouse=str(_warehouse())
    )
    if as_json:
        print_json({"sc": sc, **result, "per_day": dict(result["per_day"])})
        return
    out.print(_counts_table(f"{sc}: {result['planned']:,} leads planned", result["per_day"]))
    if result["hot_refused"]:
        out.print(
            f"{result['hot_refused']:,} hot leads were left out: they must be taken within "
            f"{SLA_TERMS[Temperature.HOT].wording}"
        )


LeadId = Annotated[int, typer.Argument()]
Note = Annotated[str | None, typer.Option("--note")]


def _act_on_lead(
    action: Callable[..., dict[str, object]], lead_id: int, as_of: str | None, **details: Any
) -> None:
    """Apply one `pp lead` action at `--as-of` (now when not given) and say where it left the lead."""
    from schemas.instants import resolve_as_of

    result = action(_warehouse(), lead_id, as_of=resolve_as_of(parse_as_of(as_of)), **details)
    late = " (after its deadline: breach recorded)" if result["late"] else ""
    typer.echo(f"lead {result['lead_id']} is {result['status']}{late}")  # a short line: rich not needed


@lead_app.command("take")
def lead_take(
    lead_id: LeadId,
    contact: Annotated[Contact, typer.Option("--contact", help="how the client was reached")],
    note: Note = None,
    as_of: AsOf = None,
) -> None:
    """Record a contact with the client: new → in_work."""
    from flows.lead_actions import take_lead

    _act_on_lead(take_lead, lead_id, as_of, contact=contact, note=note)


@lead_app.command("postpone")
def lead_postpone(
    lead_id: LeadId,
    until: Annotated[str, typer.Option("--until", help="ISO 8601 instant with offset, in the future")],
    as_of: AsOf = None,
) -> None:
    """Postpone to a future instant (§6.3): new → in_work."""
    from flows.lead_actions import postpone_lead

    _act_on_lead(postpone_lead, lead_id, as_of, until=parse_as_of(until, option="--until"))


@lead_app.command("stage")
def lead_stage(
    lead_id: LeadId,
    stage: Annotated[Stage, typer.Option("--stage", help="the step of the sale reached")],
    note: Note = None,
    as_of: AsOf = None,
) -> None:
    """Record a step of the sale on a lead in work."""
    from flows.lead_actions import stage_lead

    _act_on_lead(stage_lead, lead_id, as_of, stage=stage, note=note)


@lead_app.command("close")
def lead_close(
    lead_id: LeadId,
    invoice: Annotated[
        str | None, typer.Option("--invoice", help="paid invoice (connection, renewal, upsell)")
    ] = None,
    comment: Annotated[
        str | None, typer.Option("--comment", help="required for service and activation")
    ] = None,
    as_of: AsOf = None,
) -> None:
    """Close as completed under the rule of the lead's type (§4)."""
    from flows.lead_actions import close_lead

    _act_on_lead(close_lead, lead_id, as_of, invoice_id=invoice, comment=comment)


@lead_app.command("refuse")
def lead_refuse(
    lead_id: LeadId,
    reason: Annotated[str, typer.Option("--reason", help="why the client refused")],
    contact: Annotated[
        Contact | None, typer.Option("--contact", help="for a new lead: the contact of the refusal")
    ] = None,
    as_of: AsOf = None,
) -> None:
    """The client refused: → refused."""
    from flows.lead_actions import refuse_lead

    _act_on_lead(refuse_lead, lead_id, as_of, reason=reason, contact=contact)


@sweep_app.command("sla")
def sweep_sla_command(
    temperature: Annotated[Temperature | None, typer.Option("--temperature")] = None,
    as_of: AsOf = None,
    as_json: Json = False,
) -> None:
    """Record SLA breaches (SPEC §10), transfer breached leads by the policy (§6), assign waiting leads."""
    from flows.sweeps import sweep_sla

    when = parse_as_of(as_of)
    result = sweep_sla(temperature=temperature, as_of=when, warehouse=str(_warehouse()))
    if as_json:
        print_json(result)
        return
    out.print(
        f"breaches recorded: {result['breaches_recorded']:,}; "
        f"transferred: {result['transferred']:,}; "
        f"no SC to transfer to: {result['transfer_no_target']:,}; "
        f"waiting leads assigned: {result['waiting_assigned']:,}"
    )
    if result["still_waiting"]:  # why, so that the reference or the sanctions can be fixed (SPEC §15)
        reasons = ", ".join(f"{code} {n:,}" for code, n in result["still_waiting_by_reason"].items())
        out.print(f"still waiting for an SC: {result['still_waiting']:,} ({reasons}); see `pp leads waiting`")
    if result.get("calendar_warning"):
        err.print(f"pp: warning: {result['calendar_warning']}", soft_wrap=True)


@sweep_app.command("bookings")
def sweep_bookings_command(as_of: AsOf = None, as_json: Json = False) -> None:
    """Block stale leads: their SC's booking ended while another SC's is in force (SPEC §7)."""
    from flows.sweeps import sweep_bookings

    result = sweep_bookings(as_of=parse_as_of(as_of), warehouse=str(_warehouse()))
    if as_json:
        print_json(result)
        return
    out.print(
        f"leads blocked: {result['leads_blocked']:,}; bookings in force: {result['bookings_in_force']:,}"
    )


By = Annotated[str | None, typer.Option("--by", help="who applies the measure [default: your login]")]
Reason = Annotated[str | None, typer.Option("--reason", help="why, for the record")]


def _acting(as_of: str | None, by: str | None) -> tuple[datetime, str]:
    from flows.sanctions import default_actor
    from schemas.instants import resolve_as_of

    return resolve_as_of(parse_as_of(as_of)), by or default_actor()


def _applied(result: dict[str, Any], what: str) -> None:
    until = f"until {result['ends_at'].isoformat()}" if result["ends_at"] else "for good"
    if result["already_in_force"]:
        out.print(f"sanction {result['sanction_id']} already does this: {what}, {until}; nothing changed")
    else:
        out.print(f"sanction {result['sanction_id']}: {what}, {until}")


@sanction_app.command("exclude")
def sanction_exclude(
    sc: Annotated[str, typer.Option("--sc", help="the service centre")],
    until_quarter_end: Annotated[
        bool, typer.Option("--until-quarter-end", help="until the quarter ends in the SC's zone (§9.1.2)")
    ] = False,
    forever: Annotated[bool, typer.Option("--forever", help="for good (§9.1.3)")] = False,
    reason: Reason = None,
    by: By = None,
    as_of: AsOf = None,
) -> None:
    """Exclude an SC from the distribution of new leads."""
    from flows.sanctions import exclude_centre

    if until_quarter_end == forever:
        raise PipelineError("say how long: --until-quarter-end or --forever (one of them)")
    when, actor = _acting(as_of, by)
    result = exclude_centre(_warehouse(), sc, forever=forever, reason=reason, by=actor, as_of=when)
    _applied(result, f"{sc} gets no new leads")


@sanction_app.command("close-product")
def sanction_close_product(
    sc: Annotated[str, typer.Option("--sc", help="the service centre")],
    product: Annotated[str, typer.Option("--product", help="the product it may no longer sell")],
    reason: Reason = None,
    by: By = None,
    as_of: AsOf = None,
) -> None:
    """Close an SC's selling of a product (§9.1.5): no new leads of it."""
    from flows.sanctions import close_product

    when, actor = _acting(as_of, by)
    result = close_product(_warehouse(), sc, product, reason=reason, by=actor, as_of=when)
    _applied(result, f"{sc} gets no new {product} leads")


@sanction_app.command("transfer-client")
def sanction_transfer_client(
    inn: Annotated[str, typer.Option("--inn", help="the client's INN")],
    product: Annotated[str, typer.Option("--product", help="the product")],
    to: Annotated[str, typer.Option("--to", help="the service centre the client goes to")],
    reason: Reason = None,
    by: By = None,
    as_of: AsOf = None,
) -> None:
    """Transfer a client x product to another SC (§9.1.4): open leads move, future ones follow."""
    from flows.sanctions import transfer_client

    when, actor = _acting(as_of, by)
    result = transfer_client(_warehouse(), inn, product, to, reason=reason, by=actor, as_of=when)
    _applied(result, f"client {inn} x {product} belongs to {to}")
    out.print(f"open leads moved to {to}: {result['leads_moved']:,}")


@sanction_app.command("lift")
def sanction_lift(
    sanction_id: Annotated[int, typer.Argument(help="the sanction's id (see `pp sanction list`)")],
    by: By = None,
    as_of: AsOf = None,
) -> None:
    """End a measure now; it stays on record."""
    from flows.sanctions import lift_sanction

    when, actor = _acting(as_of, by)
    result = lift_sanction(_warehouse(), sanction_id, by=actor, as_of=when)
    out.print(f"sanction {sanction_id} ({result['kind']}, {result['sc_id']}) lifted")


def _frame_table(title: str, data: Any) -> Table:
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for name in data.columns:
        table.add_column(name)
    for row in data.iter_rows():
        table.add_row(
            *("" if v is None else v.isoformat() if isinstance(v, datetime) else printable(v) for v in row)
        )
    return table


@sanction_app.command("list")
def sanction_list(
    include_ended: Annotated[bool, typer.Option("--all", help="lifted and ended ones too")] = False,
    as_of: AsOf = None,
    as_json: Json = False,
) -> None:
    """The measures in force (or all of them)."""
    from flows.sanctions import list_sanctions
    from schemas.instants import resolve_as_of

    found = list_sanctions(_warehouse(), as_of=resolve_as_of(parse_as_of(as_of)), include_ended=include_ended)
    shown = found if include_ended else found.drop("in_force")
    if as_json:
        print_json({"sanctions": shown})
    else:
        out.print(_frame_table(f"{found.height} sanctions", shown))


@sanction_app.command("propose")
def sanction_propose(
    period: Annotated[str, typer.Option("--period", help="2026-Q1, 2026-03 or 2026-W10 (SC-local)")],
    as_of: AsOf = None,
    as_json: Json = False,
) -> None:
    """SCs whose breaches in the period exceed the policy (PP_PROPOSE_*), with the evidence."""
    from flows.sanctions import propose_sanctions
    from schemas.instants import resolve_as_of
    from tasks.periods import parse_period

    chosen = parse_period(period)
    found = propose_sanctions(_warehouse(), chosen, as_of=resolve_as_of(parse_as_of(as_of)))
    shown = found.with_columns((found["breach_rate"] * 100).round(1).alias("breach_%")).select(
        "sc_id", "due", "breached", "hot", "warm", "cold", "breach_%", "worst_late_minutes", "why", "proposal"
    )
    if as_json:
        print_json({"period": chosen.name, "service_centres": shown})
        return
    if found.is_empty():
        out.print(f"{chosen.name}: no service centre exceeds the policy's thresholds")
        return
    out.print(_frame_table(f"{chosen.name}: {found.height} service centres to act on", shown))


@app.command()
def notify(as_of: AsOf = None, as_json: Json = False) -> None:
    """Send the notifications due (SPEC §8): hot leads at once, daily digests, retries. Safe to repeat."""
    from flows.notify import notify as notify_flow

    result = notify_flow(as_of=parse_as_of(as_of), warehouse=str(_warehouse()))
    if as_json:
        print_json(result)
        return
    out.print(
        f"notifications due {result['due']:,}, sent {result['sent']:,}, "
        f"to retry later {result['retry_later']:,}, failed {result['failed']:,} "
        f"(delivery: {result['target']})",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
    for failure in result["failures"]:
        out.print(
            printable(
                f"  failed for good: notification {failure['notification_id']} ({failure['kind']}) to "
                f"{failure['sc_id']} after {failure['attempts']} attempt(s): {failure['last_error']}"
            ),
            markup=False,
            highlight=False,
            soft_wrap=True,
        )


@app.command()
def report(
    period: Annotated[
        str | None,
        typer.Option("--period", help="2026-Q1, 2026-03 or 2026-W10 (SC-local) [default: week of --as-of]"),
    ] = None,
    target: Annotated[
        Path | None,
        typer.Option("--out", help="HTML file, or the folder for --format parquet|csv [default: data/]"),
    ] = None,
    format: Annotated[ReportFormat, typer.Option("--format", help="a page or the metric tables")] = "html",
    as_of: AsOf = None,
    force: Annotated[
        bool,
        typer.Option("--force", help="replace existing files the report did not write (never the warehouse)"),
    ] = False,
    as_of_snapshot: Annotated[
        int | None,
        typer.Option("--as-of-snapshot", min=0, help="a lake's data as its snapshot N held them"),
    ] = None,
    as_json: Json = False,
) -> None:
    """SLA and conversion report (SPEC §12): an HTML page with charts, or the metric tables."""
    from flows.report import plan_report
    from flows.report import report as report_flow

    if as_of_snapshot is not None and not isinstance(_warehouse(), LakeWarehouse):
        raise PipelineError(
            f"--as-of-snapshot: warehouse {_warehouse()} is a DuckDB file, which keeps no snapshots; "
            "only a lake (ducklake:postgres:…) has them"
        )
    chosen = None if target is None else str(target)
    # a bad period, or a file the report may not replace, is the user's error before any flow starts
    plan = plan_report(
        period=period,
        out=chosen,
        format=format,
        as_of=parse_as_of(as_of),
        warehouse=_warehouse(),
        force=force,
    )
    result = report_flow(
        period=plan.period.name,
        out=chosen,
        format=format,
        as_of=plan.as_of,
        warehouse=str(_warehouse()),
        force=force,
        as_of_snapshot=as_of_snapshot,
    )
    if as_json:
        print_json(result)
        return
    out.print(f"report {result['period']} written to {result['written']}", markup=False, highlight=False)


@app.command("maintain-lake")
def maintain_lake_command(as_of: AsOf = None, as_json: Json = False) -> None:
    """A lake's upkeep: merge small files, expire old snapshots (PP_LAKE_KEEP_SNAPSHOTS_DAYS)."""
    if not isinstance(_warehouse(), LakeWarehouse):
        out.print(
            f"warehouse {_warehouse()} is a DuckDB file: nothing to maintain", markup=False, highlight=False
        )
        return
    from flows.maintenance import maintain_lake

    result = maintain_lake(as_of=parse_as_of(as_of), warehouse=str(_warehouse()))
    if as_json:
        print_json(result)
        return
    first, last = result["snapshots_kept"]
    out.print(
        f"small files merged: {result['files_merged']:,} (in {result['tables_merged']} tables); "
        f"snapshots expired: {result['snapshots_expired']:,}; files deleted: {result['files_deleted']:,}; "
        f"snapshots kept: {first}-{last}",
        markup=False,
        highlight=False,
    )


@app.command()
def demo(
    workdir: Annotated[Path, typer.Option("--dir", help="where the demo's feeds and warehouse go")] = Path(
        "data/demo"
    ),
    rows: Annotated[int, typer.Option("--rows", min=50, help="rows per generated feed")] = 400,
    as_of: AsOf = None,
    weeks: Annotated[
        int, typer.Option("--weeks", min=MIN_WEEKS, max=MAX_WEEKS, help="weeks of simulated work")
    ] = DEFAULT_WEEKS,
) -> None:
    """The main job on generated data: every source ingested, SLA swept, a summary printed.
    Its runs go to a Prefect home of its own inside --dir, never to your Prefect server."""
    from demo.marker import PREFECT_HOME_DIR, claim_folder

    claim_folder(workdir)  # a folder the demo may not use is refused before anything is made in it
    home = workdir / PREFECT_HOME_DIR
    try:
        home.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PipelineError(f"cannot prepare --dir {workdir}: {exc.strerror or exc}") from None
    os.environ.pop("PREFECT_API_URL", None)
    os.environ["PREFECT_HOME"] = str(home.resolve())
    from rich.progress import Progress

    from demo.flow import check_demo_folder, demo_steps, print_demo_summary, run_demo
    from flows import progress

    when = parse_as_of(as_of)
    check_demo_folder(workdir, weeks)  # a folder the demo may not clear is refused before any flow starts
    with Progress(console=err.console, transient=True) as bar:
        task_id = bar.add_task("demo", total=demo_steps(weeks))

        def report(step: str, amount: int) -> None:
            bar.update(task_id, advance=amount, description=step)

        with progress.listening(report):
            result = run_demo(workdir=str(workdir), rows=rows, as_of=when, weeks=weeks)
    print_demo_summary(out.console, result)


@app.command("ingest-landing")
def ingest_landing_command(
    root: Annotated[
        Path, typer.Argument(help="the landing folder: one folder per source, e.g. ROOT/call_base/")
    ],
    as_of: AsOf = None,
) -> None:
    """Ingest every new file under ROOT/<source>/ (or ROOT/<source>/<product>/), oldest first,
    then move it to done/, or to failed/ with FILE.error.txt saying why."""
    from flows import progress
    from flows.landing import check_landing_root, ingest_landing
    from tasks.landing import COLUMNS

    when = parse_as_of(as_of)
    check_landing_root(root)
    with _progress(f"landing {root}: rows") as report, progress.listening(report):
        summary = ingest_landing(root=str(root), as_of=when, warehouse=str(_warehouse()))
    from rich.table import Table
    from rich.text import Text

    tally = ", ".join(f"{n:,} {outcome}" for outcome, n in summary["outcomes"].items()) or "no files"
    table = Table(title=Text(f"landing {root}: {tally}"), title_justify="left")
    for column in COLUMNS:
        counted = column in ("feed_id", "rows_read", "created", "merged", "quarantined")
        table.add_column(column.replace("_", " "), justify="right" if counted else "left", overflow="fold")
    for row in summary["files"]:
        table.add_row(
            *(Text("" if v is None else f"{v:,}" if isinstance(v, int) else str(v)) for v in row.values())
        )
    out.print(table)


def _check_prefect_server() -> None:
    """With `PREFECT_API_URL` set, runs are recorded there: an unreachable server is the
    user's setup to fix, said in one line before anything starts."""
    url = os.environ.get("PREFECT_API_URL")
    if not url:
        return
    import httpx

    try:
        httpx.get(url.rstrip("/") + "/health", timeout=5).raise_for_status()
    except httpx.HTTPError as exc:
        reason = type(exc).__name__ if not str(exc) else str(exc).splitlines()[0]
        raise PipelineError(
            f"the Prefect server at {url} (PREFECT_API_URL) is not reachable ({reason}); "
            "start it, or unset PREFECT_API_URL to run without a server"
        ) from None


GLOBAL_FLAGS = ("--verbose", "-v")
GLOBAL_WITH_VALUE = ("--warehouse",)


def hoist_global_options(args: list[str]) -> list[str]:
    """Users type `pp report --warehouse X` as often as `pp --warehouse X report`: the global
    options are taken wherever they stand (up to a `--`) and put before the command."""
    front: list[str] = []
    rest: list[str] = []
    position = 0
    while position < len(args):
        arg = args[position]
        if arg == "--":
            rest += args[position:]
            break
        if arg in GLOBAL_FLAGS or (arg.split("=", 1)[0] in GLOBAL_WITH_VALUE and "=" in arg):
            front.append(arg)
        elif arg in GLOBAL_WITH_VALUE:
            front += args[position : position + 2]
            position += 1
        else:
            rest.append(arg)
        position += 1
    return front + rest


def main() -> None:
    sys.argv[1:] = hoist_global_options(sys.argv[1:])
    try:
        status = app(standalone_mode=False)  # usage errors come here, to be said in one line
    except typer.TyperException as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":  # `pp` or `pp lead` alone: its help
            typer.echo(exc.format_message())
            sys.exit(exc.exit_code)
        context = getattr(exc, "ctx", None)
        hint = f" (see `{context.command_path} --help`)" if context is not None else ""
        message = " ".join(line.strip() for line in exc.format_message().splitlines())  # choices listed
        _fail(f"{message}{hint}", exc.exit_code)
    except PipelineError as exc:
        _fail(str(exc))
    except Exception as exc:  # a PP_* setting the environment or .env got wrong, or a defect
        from pydantic import ValidationError  # loaded by then if settings were read

        if not isinstance(exc, ValidationError):
            raise
        first = exc.errors()[0]
        name = "PP_" + "_".join(str(part) for part in first["loc"]).upper()
        _fail(f"setting {name}: {first['msg']}")
    if status:  # a command's `typer.Exit(code)`
        sys.exit(status)


def _fail(message: str, status: int = 2) -> NoReturn:
    err.print(f"pp: error: {message}", markup=False, highlight=False, soft_wrap=True)
    sys.exit(status)


calendar_app = typer.Typer(no_args_is_help=True, help="The production calendar `pp init` stored.")
app.add_typer(calendar_app, name="calendar")


@calendar_app.command("status")
def calendar_status_command(as_of: AsOf = None, as_json: Json = False) -> None:
    """How far the production calendar is confirmed, and where each year's days come from."""
    from flows.initialise import calendar_status
    from schemas.instants import resolve_as_of
    from tasks.calendar_status import SOURCE_WORDING, CalendarSource

    status = calendar_status(_warehouse(), resolve_as_of(parse_as_of(as_of)))
    if as_json:
        print_json(status)
        return
    years: pl.DataFrame = status["years"]  # type: ignore[assignment]
    confirmed = status["confirmed_to"]
    span = "no year" if confirmed is None else f"{status['first_year']}-{confirmed}"
    out.print(f"production calendar {status['first_year']}-{status['last_year']}; confirmed {span}")
    from rich.table import Table

    table = Table(title="years", title_justify="left")
    for column in ("year", "source", "confirmed", "days overridden"):
        table.add_column(column)
    for year, source, is_confirmed, overridden in years.iter_rows():
        wording = SOURCE_WORDING[CalendarSource(source)]
        table.add_row(str(year), wording, "yes" if is_confirmed else "no", str(overridden))
    out.print(table)
    if status["warning"]:
        err.print(f"pp: warning: {status['warning']}", soft_wrap=True)


server_app = typer.Typer(no_args_is_help=True, help="Prepare a Prefect server for the deployments.")
app.add_typer(server_app, name="server")


@server_app.command("setup")
def server_setup(
    webhook: Annotated[
        str | None, typer.Option("--webhook", help="URL to POST to when a run fails, crashes or times out")
    ] = None,
) -> None:
    """Create the work pool, the `warehouse-write` limit and the failure alert on the server
    PREFECT_API_URL names; safe to repeat."""
    from flows.server_setup import set_up_server

    done = set_up_server(webhook)
    pool = "created" if done["work_pool_created"] else "already there"
    out.print(f"work pool {done['work_pool']}: {pool}; concurrency limit {done['write_limit']}: limit 1")
    if done["alert"]:
        out.print(f"automation {done['alert']!r}: posts failed, crashed and timed-out runs to the webhook")
    else:
        out.print("no failure alert set: pass --webhook URL to have failed runs announced")


leads_app = typer.Typer(
    no_args_is_help=True, help="Leads waiting for an SC, and leads about to breach (SPEC §15)."
)
app.add_typer(leads_app, name="leads")


@leads_app.command("waiting")
def leads_waiting(as_json: Json = False) -> None:
    """Open leads no SC can take yet, and why: the counts by reason, then each lead."""
    from flows.explain import waiting_leads

    found = waiting_leads(_warehouse())
    counts = (
        found.group_by("waiting_reason")
        .len("leads")
        .sort(["leads", "waiting_reason"], descending=[True, False], nulls_last=True)
    )
    by_reason = {code or "undecided": n for code, n in counts.iter_rows()}
    if as_json:
        print_json({"waiting": found.height, "by_reason": by_reason, "leads": found})
        return
    out.print(_counts_table(f"{found.height:,} leads waiting for an SC", list(by_reason.items())))
    if found.height:
        shown = found.select(
            "lead_id", "product", "region", "temperature", arrived="created_at", reason="reason"
        )
        out.print(_frame_table("waiting leads", shown))


@leads_app.command("due")
def leads_due_command(
    sc: Annotated[str | None, typer.Option("--sc", help="only this service centre's leads")] = None,
    within: Annotated[
        str | None, typer.Option("--within", help="only leads with at most this long left: 90m, 2h, 1d")
    ] = None,
    as_of: AsOf = None,
    as_json: Json = False,
) -> None:
    """Open new leads by the time left to their deadline (working time for hot), overdue first."""
    from flows.explain import leads_due
    from schemas.instants import resolve_as_of
    from tasks.explain import parse_duration

    within_minutes = None if within is None else parse_duration(within)
    when = resolve_as_of(parse_as_of(as_of))
    due = leads_due(_warehouse(), when, sc_id=sc, within_minutes=within_minutes)
    if as_json:
        print_json({"as_of": when, "within_minutes": within_minutes, "leads": due.drop("timezone")})
        return
    overdue = int(due["overdue"].sum())
    shown = due.select(
        "lead_id",
        "sc_id",
        "temperature",
        "product",
        deadline="accept_deadline_local",
        left="time_left",
        manager="manager",
    )
    out.print(_frame_table(f"{due.height:,} leads due ({overdue:,} overdue) at {when.isoformat()}", shown))


def _card_fields(card: Any) -> list[tuple[str, Any]]:
    lead = card.lead
    dash = "-"

    def local(column: str) -> str:
        return lead[f"{column}_local"] or dash

    client = " / ".join(str(lead[k] or dash) for k in ("inn", "kpp", "company_name"))
    contacts = "; ".join(f"{kind} {value}" for kind, value in card.contacts.iter_rows()) or dash
    return [
        ("client (INN / KPP / company)", client),
        ("region", lead["region"] or dash),
        ("contact", lead["contact_name"] or dash),
        ("contacts", contacts),
        ("product", lead["product"]),
        ("type", lead["lead_type"]),
        ("temperature", lead["temperature"]),
        ("status", lead["status"]),
        ("source", lead["source"]),
        ("SC", f"{lead['sc_id']} {lead['sc_name']}" if lead["sc_id"] else "none yet"),
        ("manager", " ".join(str(lead[k]) for k in ("manager_id", "manager_name") if lead[k]) or dash),
        ("created", local("created_at")),
        ("arrived", local("arrived_at")),
        ("deadline", local("accept_deadline")),
        ("taken", local("taken_at")),
        ("postponed until", local("postponed_until")),
        ("closed", local("closed_at")),
        ("why here", card.why),
    ]


@lead_app.command("show")
def lead_show(lead_id: LeadId, as_of: AsOf = None, as_json: Json = False) -> None:
    """The lead's card: client, contacts, every date on its SC's clock, why it is at its SC
    (or why it waits), the SCs it stayed at, its history, breaches and bookings."""
    from dataclasses import asdict

    from flows.explain import lead_card
    from schemas.instants import resolve_as_of

    card = lead_card(_warehouse(), lead_id, resolve_as_of(parse_as_of(as_of)))
    if as_json:
        print_json(asdict(card))
        return
    out.print(_counts_table(f"lead {lead_id}", _card_fields(card)))
    stays = card.stays.select(
        "sc_id", "sc_name", arrived="arrived_at_local", deadline="accept_deadline_local", how="how"
    )
    out.print(_frame_table("stays at SCs", stays))
    history = card.history.select(at="occurred_at_local", kind="kind", actor="actor", detail="detail")
    out.print(_frame_table("history", history))
    if card.breaches.height:
        breaches = card.breaches.select(
            "sc_id", deadline="accept_deadline_local", late_minutes="late_minutes"
        )
        out.print(_frame_table("breaches", breaches))
    if card.bookings.height:
        out.print(_frame_table("bookings of the client x product", card.bookings))


@app.command("activity")
def activity_command(
    file: Annotated[Path, typer.Argument(help=".csv, .xlsx, .parquet or .jsonl file of SC actions")],
    as_of: AsOf = None,
    as_json: Json = False,
) -> None:
    """Apply SC activity in bulk (SPEC §13): take, postpone, stage, close, refuse, assign_manager,
    per lead in `at` order, under the rules of `pp lead …`; refused rows are quarantined."""
    from flows import progress
    from flows.activity import COUNTS, apply_activity, check_activity_file

    when = parse_as_of(as_of)
    check_activity_file(file, warehouse=_warehouse())
    with _progress(f"applying {printable(file.name)}: rows") as report, progress.listening(report):
        summary = apply_activity(path=str(file), as_of=when, warehouse=str(_warehouse()))
    if as_json:
        print_json(summary)
        return
    if summary["already_loaded"]:
        out.print(f"{printable(file.name)}: already applied as feed {summary['feed_id']}; nothing changed")
        return
    rows = [(k.replace("_", " "), summary[k]) for k in COUNTS]
    rows += [(f"  quarantined: {code}", n) for code, n in summary["quarantine_reasons"].items()]
    out.print(_counts_table(f"activity feed {summary['feed_id']}: {printable(file.name)}", rows))


def _arrival(result: dict[str, Any]) -> str:
    """Where a principal's measure left the lead, its deadline in the SC's zone."""
    from tasks.lifecycle import local_moment

    deadline = local_moment(result["accept_deadline"], result["timezone"])
    return f"{result['status']} there, to take into work by {deadline}"


@lead_app.command("assign")
def lead_assign(
    lead_id: LeadId,
    sc: Annotated[str, typer.Option("--sc", help="the service centre that gets the waiting lead")],
    by: By = None,
    as_of: AsOf = None,
    as_json: Json = False,
) -> None:
    """Assign a lead waiting for an SC to one (§3.2): it must sell the product and be free of sanctions."""
    from flows.principal_actions import assign_lead

    when, actor = _acting(as_of, by)
    result = assign_lead(_warehouse(), lead_id, sc=sc, by=actor, as_of=when)
    if as_json:
        print_json(result)
        return
    out.print(f"lead {lead_id} assigned to {result['sc_id']}: {_arrival(result)}", soft_wrap=True)


@lead_app.command("transfer")
def lead_transfer(
    lead_id: LeadId,
    to: Annotated[str, typer.Option("--to", help="the service centre the lead moves to")],
    reason: Annotated[
        str, typer.Option("--reason", help="why (§9.1.1 a breach, §9.3 an improper postponement)")
    ],
    by: By = None,
    as_of: AsOf = None,
    as_json: Json = False,
) -> None:
    """Move a hot or warm lead, new or in work, to another SC (§9.1.1, §9.3): it starts there as new."""
    from flows.principal_actions import transfer_lead

    when, actor = _acting(as_of, by)
    result = transfer_lead(_warehouse(), lead_id, to=to, reason=reason, by=actor, as_of=when)
    if as_json:
        print_json(result)
        return
    out.print(
        f"lead {lead_id} moved from {result['from_sc']} to {result['sc_id']}: {_arrival(result)}",
        soft_wrap=True,
    )


@lead_app.command("remove")
def lead_remove(
    lead_id: LeadId,
    violation: Annotated[
        Violation,
        typer.Option("--violation", help="the clause: 8.2.1 no intent to sell, 8.2.4 fictitious contacts"),
    ],
    fine: Annotated[
        str | None, typer.Option("--fine", help="a fine in roubles, e.g. 1500 or 1500.50")
    ] = None,
    by: By = None,
    as_of: AsOf = None,
    as_json: Json = False,
) -> None:
    """Remove a lead for a violation (§9.2): status removed, kept on record, out of every count."""
    from flows.principal_actions import remove_lead
    from tasks.measures import parse_fine

    amount = None if fine is None else parse_fine(fine)
    when, actor = _acting(as_of, by)
    result = remove_lead(_warehouse(), lead_id, violation=violation, fine=amount, by=actor, as_of=when)
    if as_json:
        print_json({**result, "fine": None if amount is None else str(amount)})
        return
    fined = "" if amount is None else f", fine {amount}"
    out.print(f"lead {lead_id} removed for a violation of §{violation.value}{fined}")


quarantine_app = typer.Typer(
    no_args_is_help=True, help="Rows the feeds refused, given back to fix and load again."
)
app.add_typer(quarantine_app, name="quarantine")
# adapters/quarantine_files.py holds the formats; importing it loads polars, which help must
# not wait for. tests/test_quarantine_export.py checks that the two lists stay the same.
ExportFormat = Literal["xlsx", "csv"]


@quarantine_app.command("export")
def quarantine_export_command(
    feed: Annotated[int, typer.Option("--feed", help="the feed's id, as `pp ingest` printed it")],
    format: Annotated[
        ExportFormat | None,
        typer.Option(
            "--format", help="xlsx, or csv (UTF-8 with BOM, `;`) [default: --out's extension, or xlsx]"
        ),
    ] = None,
    target: Annotated[
        Path | None,
        typer.Option("--out", help="a new file; never replaces one [default: quarantine-feed-N.xlsx here]"),
    ] = None,
    as_json: Json = False,
) -> None:
    """Write a feed's quarantined rows as the file had them, each with its row, reason code and
    what to fix; fixed, the same file loads again with `pp ingest`."""
    from flows.quarantine import export_quarantine

    result = export_quarantine(_warehouse(), feed, format=format, out=target)
    if as_json:
        print_json(result)
        return
    name, written = printable(result["file_name"]), printable(result["written"])
    out.print(
        f"feed {feed} ({name}): {result['rows']:,} quarantined rows written to {written}", soft_wrap=True
    )
    out.print(f"fix them there, then load the file again: {printable(result['reload'])}", soft_wrap=True)


@quarantine_app.command("list")
def quarantine_list_command(
    feed: Annotated[int | None, typer.Option("--feed", help="one feed's id [default: every feed]")] = None,
    as_json: Json = False,
) -> None:
    """Quarantined rows by feed and reason, with what to fix."""
    from flows.quarantine import quarantine_reasons

    reasons = quarantine_reasons(_warehouse(), feed)
    if as_json:
        print_json({"reasons": reasons})
        return
    if reasons.is_empty():
        out.print("no quarantined rows" if feed is None else f"feed {feed}: no quarantined rows")
        return
    feeds = reasons["feed_id"].n_unique()
    title = f"{reasons['rows'].sum():,} quarantined rows in {feeds:,} feed{'s' if feeds > 1 else ''}"
    shown = reasons.rename({"feed_id": "feed", "file_name": "file", "reason_code": "reason"})
    out.print(_frame_table(title, shown))
    export = f"--feed {feed}" if feed is not None else "--feed N"
    out.print(f"to fix them and load them again: pp quarantine export {export}")
