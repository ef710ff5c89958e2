"""`pp … --json` for scripts: one JSON document on stdout carrying the numbers the table shows;
help lists the choices of the closed options; a bad choice is one line with status 2."""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, get_args

import pytest

from flows import cli
from schemas.enums import Contact, LeadType, Stage, Temperature
from schemas.rules import source_rules
from tests.support import refused, run

T0 = datetime(2026, 3, 3, 7, tzinfo=UTC)  # Tuesday 09:00 in Kaliningrad, where region 39's SC is
SC = "sc-kgd-1"
HOT = ["7707083893", "7736050003"]  # callback orders: hot
WARM = ["7702070139", "7710140679"]  # registrations: warm
BAD_INN = "7707083890"


def _feed(path: Path, inns: list[str]) -> Path:
    rows = [f"{inn},39,extern,8912345670{i}" for i, inn in enumerate(inns)]
    path.write_text("inn,region,product,phone\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def leads(warehouse_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse where sc-kgd-1 holds two hot leads and two warm ones, all new, arrived at T0."""
    from flows.ingest import ingest_feed

    folder = tmp_path_factory.mktemp("leads")
    path = folder / "pp.duckdb"
    shutil.copyfile(warehouse_template, path)
    for source, inns in (("callback_order", HOT), ("registration", WARM)):
        ingest_feed(
            path=str(_feed(folder / f"{source}.csv", inns)), source=source, as_of=T0, warehouse=str(path)
        )
    return path


def _table_and_json(monkeypatch, capsys, tmp_path: Path, start: Path, *args: str) -> tuple[str, Any]:
    """The same command on two copies of one warehouse: once for people, once with --json."""
    outputs = []
    for kind, extra in (("table", ()), ("json", ("--json",))):
        warehouse = tmp_path / kind / "pp.duckdb"
        warehouse.parent.mkdir()
        shutil.copyfile(start, warehouse)
        code, out, err = run(monkeypatch, capsys, "--warehouse", str(warehouse), *args, *extra)
        assert code == 0, err
        outputs.append(out)
    return outputs[0], json.loads(outputs[1])  # the whole of stdout is one document


def _numbers(text: str) -> list[int]:
    return [int(n.replace(",", "")) for n in re.findall(r"(?<![\w-])\d[\d,]*(?![\w-])", text)]


def test_ingest_json_carries_the_feed_counts(monkeypatch, capsys, tmp_path, leads):
    feed = _feed(tmp_path / "more.csv", ["7704211201", "7705031674", BAD_INN])
    args = ["ingest", str(feed), "--source", "call_base", "--as-of", T0.isoformat()]
    table, document = _table_and_json(monkeypatch, capsys, tmp_path, leads, *args)
    assert (document["rows_read"], document["created"], document["quarantined"]) == (3, 2, 1)
    assert document["quarantine_reasons"] == {"bad_inn": 1}
    counts = ("rows_read", "created", "merged", "quarantined", "assigned", "unassigned")
    shown = [document["feed_id"], *(document[k] for k in counts), document["quarantine_reasons"]["bad_inn"]]
    assert _numbers(table) == [*shown, document["feed_id"]]  # the last: `pp quarantine export --feed N`


def test_ingest_json_of_a_file_already_loaded_says_so(monkeypatch, capsys, tmp_path, leads):
    feed = _feed(tmp_path / "callback_order.csv", HOT)
    args = ["ingest", str(feed), "--source", "callback_order", "--as-of", T0.isoformat()]
    table, document = _table_and_json(monkeypatch, capsys, tmp_path, leads, *args)
    assert document["already_loaded"] is True
    assert f"already ingested as feed {document['feed_id']}" in table


def test_billing_json_carries_its_counts(monkeypatch, capsys, tmp_path, leads):
    billing = tmp_path / "billing.csv"
    billing.write_text(
        "event,invoice_id,inn,product,sc_id,event_at,valid_until\n"
        f"invoice_issued,INV-1,{HOT[0]},extern,{SC},2026-03-04T10:00:00+02:00,2026-03-20T00:00:00+02:00\n"
        f"refund,INV-2,{HOT[1]},extern,{SC},2026-03-04T10:00:00+02:00,\n",
        encoding="utf-8",
    )
    args = ["billing", str(billing), "--as-of", (T0 + timedelta(days=2)).isoformat()]
    table, document = _table_and_json(monkeypatch, capsys, tmp_path, leads, *args)
    assert (document["rows_read"], document["quarantined"]) == (2, 1)
    counts = (
        "rows_read",
        "applied",
        "already_known",
        "quarantined",
        "leads_completed",
        "payments_without_lead",
    )
    shown = [document["feed_id"], *(document[k] for k in counts), *document["quarantine_reasons"].values()]
    assert _numbers(table) == shown


def test_sweep_sla_json_carries_the_breaches(monkeypatch, capsys, tmp_path, leads):
    args = ["sweep", "sla", "--temperature", "hot", "--as-of", (T0 + timedelta(days=1)).isoformat()]
    table, document = _table_and_json(monkeypatch, capsys, tmp_path, leads, *args)
    assert document["breaches_recorded"] == 2
    keys = ("breaches_recorded", "transferred", "transfer_no_target", "waiting_assigned")
    assert _numbers(table) == [document[k] for k in keys]


def test_sweep_bookings_json_carries_its_counts(monkeypatch, capsys, tmp_path, leads):
    args = ["sweep", "bookings", "--as-of", (T0 + timedelta(hours=1)).isoformat()]
    table, document = _table_and_json(monkeypatch, capsys, tmp_path, leads, *args)
    assert document["bookings_in_force"] >= 4
    assert _numbers(table) == [document["leads_blocked"], document["bookings_in_force"]]


def test_managers_assign_json_carries_the_dealt_counts(monkeypatch, capsys, tmp_path, leads):
    args = ["managers", "assign", "--sc", SC, "--counts", "kgd-1-m1=3,kgd-1-m2=3", "--as-of", T0.isoformat()]
    table, document = _table_and_json(monkeypatch, capsys, tmp_path, leads, *args)
    assert document == {
        "sc": SC,
        "selected": 4,
        "dealt": {"kgd-1-m1": 2, "kgd-1-m2": 2},
        "asked": {"kgd-1-m1": 3, "kgd-1-m2": 3},
        "short": 2,
    }
    assert _numbers(table) == [4, 2, 3, 2, 3, 2]


def test_distribute_json_carries_the_plan_by_day(monkeypatch, capsys, tmp_path, leads):
    args = [
        "distribute",
        "--sc",
        SC,
        "--start",
        "2026-03-04",
        "--end",
        "2026-03-05",
        "--as-of",
        T0.isoformat(),
    ]
    table, document = _table_and_json(monkeypatch, capsys, tmp_path, leads, *args)
    assert document == {
        "sc": SC,
        "planned": 2,
        "hot_refused": 2,
        "per_day": {"2026-03-04": 1, "2026-03-05": 1},
    }
    for day, count in document["per_day"].items():
        assert re.search(rf"{day}\D+{count}\b", table)
    assert f"{document['hot_refused']} hot leads were left out" in table


def test_notify_json_carries_its_counts(monkeypatch, capsys, tmp_path, leads):
    next_morning = datetime(2026, 3, 4, 9, 30, tzinfo=UTC)  # after 09:00 in Kaliningrad: warm digest
    table, document = _table_and_json(
        monkeypatch, capsys, tmp_path, leads, "notify", "--as-of", next_morning.isoformat()
    )
    assert document["due"] >= 1
    assert document["failures"] == []
    keys = ("due", "sent", "retry_later", "failed")
    assert _numbers(table.split("(delivery")[0]) == [document[k] for k in keys]


def test_report_json_names_the_period_and_the_tables(monkeypatch, capsys, tmp_path, leads):
    args = ["report", "--period", "2026-W10", "--as-of", (T0 + timedelta(days=2)).isoformat()]
    table, document = _table_and_json(monkeypatch, capsys, tmp_path, leads, *args)
    assert document["period"] == "2026-W10"
    assert f"report 2026-W10 written to {tmp_path / 'table'}" in table
    assert Path(document["written"]).is_file()
    assert Path(document["written"]).parent == tmp_path / "json"
    assert set(document["tables"]) >= {"sla", "funnel"}
    assert all(isinstance(n, int) for n in document["tables"].values())


def test_sanction_list_json_gives_instants_with_their_offset(monkeypatch, capsys, tmp_path, leads):
    start = tmp_path / "start.duckdb"
    shutil.copyfile(leads, start)
    exclude = ["sanction", "exclude", "--sc", SC, "--until-quarter-end", "--by", "principal-1"]
    code, _, err = run(monkeypatch, capsys, "--warehouse", str(start), *exclude, "--as-of", T0.isoformat())
    assert code == 0, err
    args = ["sanction", "list", "--as-of", (T0 + timedelta(hours=1)).isoformat()]
    table, document = _table_and_json(monkeypatch, capsys, tmp_path, start, *args)
    (sanction,) = document["sanctions"]
    assert (sanction["kind"], sanction["sc_id"], sanction["created_by"]) == ("exclude", SC, "principal-1")
    assert "in_force" not in sanction  # the columns of the table
    assert datetime.fromisoformat(sanction["ends_at"]) == datetime(
        2026, 3, 31, 22, tzinfo=UTC
    )  # 1 April, local
    assert datetime.fromisoformat(sanction["starts_at"]).utcoffset() is not None
    assert "1 sanctions" in table
    assert str(sanction["sanction_id"]) in table


def test_sanction_propose_json_carries_the_evidence(monkeypatch, capsys, tmp_path, leads):
    from flows.sweeps import sweep_sla

    start = tmp_path / "start.duckdb"
    shutil.copyfile(leads, start)
    sweep_sla(as_of=T0 + timedelta(days=1), warehouse=str(start))
    monkeypatch.setenv("PP_PROPOSE_MIN_DUE", "1")
    monkeypatch.setenv("PP_PROPOSE_BREACH_RATE", "0.25")
    args = ["sanction", "propose", "--period", "2026-03", "--as-of", "2026-04-02T00:00:00+00:00"]
    table, document = _table_and_json(monkeypatch, capsys, tmp_path, start, *args)
    assert document["period"] == "2026-03"
    (centre,) = [c for c in document["service_centres"] if c["sc_id"] == SC]
    assert (centre["breached"], centre["hot"]) == (2, 2)
    assert isinstance(centre["breach_%"], float)
    assert re.search(rf"{SC}\D+{centre['due']}\D+{centre['breached']}\D+{centre['hot']}\b", table)


def test_sanction_propose_json_without_proposals_is_an_empty_list(monkeypatch, capsys, tmp_path, leads):
    table, document = _table_and_json(
        monkeypatch, capsys, tmp_path, leads, "sanction", "propose", "--period", "2025-Q4"
    )
    assert document == {"period": "2025-Q4", "service_centres": []}
    assert "no service centre exceeds" in table


def test_report_formats_offered_are_those_the_report_writes():
    from flows.report import FORMATS

    assert get_args(cli.ReportFormat) == FORMATS


@pytest.mark.parametrize(
    ("command", "option", "choices"),
    [
        (["ingest"], "--source", list(source_rules())),
        (["report"], "--format", ["html", "parquet", "csv"]),
        (["lead", "take"], "--contact", [c.value for c in Contact]),
        (["lead", "refuse"], "--contact", [c.value for c in Contact]),
        (["lead", "stage"], "--stage", [s.value for s in Stage]),
        (["sweep", "sla"], "--temperature", [t.value for t in Temperature]),
        (["managers", "assign"], "--temperature", [t.value for t in Temperature]),
        (["managers", "assign"], "--type", [t.value for t in LeadType]),
    ],
)
def test_help_lists_the_choices(monkeypatch, capsys, command, option, choices):
    code, out, _ = run(monkeypatch, capsys, *command, "--help")
    assert code == 0
    assert f"{option} <{'|'.join(choices)}>" in out


@pytest.mark.parametrize(
    ("command", "flags"),
    [
        (["sanction", "exclude"], ["--until-quarter-end", "--forever"]),
        (["sanction", "list"], ["--all", "--json"]),
        (["report"], ["--force", "--json"]),
    ],
)
def test_help_shows_flags_as_flags(monkeypatch, capsys, command, flags):
    code, out, _ = run(monkeypatch, capsys, *command, "--help")
    assert code == 0
    assert "<bool>" not in out
    assert "╭" not in out
    for flag in flags:
        assert re.search(rf"^\s+{flag}\s{{2,}}\w", out, re.MULTILINE), flag


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ingest", "{feed}", "--source", "carrier_pigeon"], "Invalid value for '--source'"),
        (["report", "--format", "pdf"], "'pdf' is not one of 'html', 'parquet', 'csv'"),
        (["lead", "take", "1", "--contact", "fax"], "'fax' is not one of 'call', 'meeting'"),
        (["lead", "stage", "1", "--stage", "lunch"], "Invalid value for '--stage'"),
        (["sweep", "sla", "--temperature", "tepid"], "'tepid' is not one of 'hot', 'warm', 'cold'"),
        (
            ["managers", "assign", "--sc", SC, "--counts", "m1=1", "--type", "gift"],
            "Invalid value for '--type'",
        ),
        (["lead", "take", "1"], "Missing option '--contact'"),
        (["sanction", "list", "--json=yes"], "--json"),
        (["nosuch"], "No such command 'nosuch'"),
    ],
)
def test_a_usage_error_is_one_line_with_status_2(monkeypatch, capsys, tmp_path, warehouse, args, message):
    feed = _feed(tmp_path / "feed.csv", HOT)
    args = [a.format(feed=feed) for a in args]
    out, err = refused(monkeypatch, capsys, warehouse, *args)
    assert message in err
    assert "╭" not in err
    assert out == ""


def test_a_missing_choice_names_the_choices_and_the_help_to_read(monkeypatch, capsys):
    code, _, err = run(monkeypatch, capsys, "lead", "take", "1")
    assert code == 2
    assert err == (
        "pp: error: Missing option '--contact'. Choose from: call, meeting (see `pp lead take --help`)\n"
    )


def test_a_group_alone_shows_its_help(monkeypatch, capsys):
    code, out, _ = run(monkeypatch, capsys, "sanction")
    assert code == 2
    assert "Usage: pp sanction" in out
    assert "propose" in out
