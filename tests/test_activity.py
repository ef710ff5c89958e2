"""SPEC §13: SC activity in bulk (`pp activity`, the landing folder `activity/`), decided by the
same rules and SQL as `pp lead …`: every reason code, order by `at`, idempotence, late takes,
and the same outcome as the actions applied one by one."""

from __future__ import annotations

import csv
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flows.activity import apply_activity
from flows.landing import ingest_landing
from schemas.enums import ActivityReason
from tasks.activity import ACTIVITY_FEED
from tests.support import BOTH_BACKENDS, query, refused, run
from warehouse import store

T0 = datetime(2026, 3, 10, 6, tzinfo=UTC)  # 09:00 in Moscow
AS_OF = datetime(2026, 4, 1, tzinfo=UTC)
HEADER = ACTIVITY_FEED.columns
LEADS = [  # lead_id, type, status, SC
    (1, "connection", "new", "sc-msk-1"),
    (2, "service", "in_work", "sc-msk-1"),
    (3, "activation", "new", "sc-msk-1"),
    (4, "connection", "completed", "sc-msk-1"),
    (5, "upsell", "in_work", "sc-msk-1"),
    (6, "renewal", "in_work", "sc-msk-1"),
]


def _leads(warehouse: Path, leads: list[tuple[int, str, str, str | None]] = LEADS) -> None:
    with store.transaction(warehouse) as con:
        for lead_id, lead_type, status, sc_id in leads:
            con.execute(
                "INSERT INTO leads (lead_id, inn, product, lead_type, temperature, status, source, sc_id,"
                " created_at, arrived_at, accept_deadline) VALUES"
                " (?, '7707083893', ?, ?, 'hot', ?, 'callback_order', ?, ?, ?, ?)",
                [lead_id, f"p{lead_id}", lead_type, status, sc_id, T0, T0, T0 + timedelta(hours=3)],
            )
        con.execute(
            "INSERT INTO invoices VALUES ('INV-PAID', '7707083893', NULL, 'p5', 'sc-msk-1', ?, NULL, ?),"
            " ('INV-OPEN', '7707083893', NULL, 'p6', 'sc-msk-1', ?, NULL, NULL)",
            [T0, T0, T0],
        )


def _file(folder: Path, rows: list[dict[str, str]], name: str = "activity.csv") -> Path:
    path = folder / name
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=HEADER)
        writer.writeheader()
        writer.writerows(rows)
    return path


def _at(minutes: int) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat()


def _apply(warehouse: Path, path: Path) -> dict:
    return apply_activity(path=str(path), as_of=AS_OF, warehouse=str(warehouse))


def _reasons(warehouse: Path) -> dict[str, str]:
    """activity_id → reason_code of the quarantined rows."""
    found = query(
        warehouse, "SELECT json_extract_string(raw, '$.activity_id') AS id, reason_code FROM quarantine"
    )
    return dict(found.iter_rows())


@BOTH_BACKENDS
def test_every_reason_code_and_the_good_rows_still_apply(warehouse, tmp_path):
    _leads(warehouse, [*LEADS, (7, "connection", "new", None)])
    with store.transaction(warehouse) as con:  # lead 2's history reaches 10:00 (Moscow 13:00)
        con.execute(
            "INSERT INTO lead_events VALUES (2, ?, 'taken', 'sc:sc-msk-1', '{}')", [T0 + timedelta(hours=4)]
        )
    rows = [
        {"activity_id": "ok-take", "lead_id": "1", "action": "take", "at": _at(10), "contact": "call"},
        {"activity_id": "unknown", "lead_id": "99", "action": "take", "at": _at(10), "contact": "call"},
        {"activity_id": "unassigned", "lead_id": "7", "action": "take", "at": _at(10), "contact": "call"},
        {"activity_id": "terminal", "lead_id": "4", "action": "stage", "at": _at(10), "stage": "demo_held"},
        {"activity_id": "transition", "lead_id": "3", "action": "stage", "at": _at(10), "stage": "demo_held"},
        {"activity_id": "no-contact", "lead_id": "3", "action": "take", "at": _at(20)},
        {"activity_id": "no-invoice", "lead_id": "5", "action": "close", "at": _at(10)},
        {"activity_id": "unpaid", "lead_id": "6", "action": "close", "at": _at(10), "invoice_id": "INV-OPEN"},
        {
            "activity_id": "ok-close",
            "lead_id": "5",
            "action": "close",
            "at": _at(20),
            "invoice_id": "INV-PAID",
        },
        {"activity_id": "late-row", "lead_id": "2", "action": "stage", "at": _at(60), "stage": "offer_made"},
        {
            "activity_id": "manager",
            "lead_id": "3",
            "action": "assign_manager",
            "at": _at(30),
            "manager_id": "kgd-1-m1",
        },
        {
            "activity_id": "ok-manager",
            "lead_id": "3",
            "action": "assign_manager",
            "at": _at(40),
            "manager_id": "msk-1-m1",
        },
        {"activity_id": "fly", "lead_id": "1", "action": "fly", "at": _at(30)},
        {
            "activity_id": "no-date",
            "lead_id": "1",
            "action": "stage",
            "at": "yesterday",
            "stage": "offer_made",
        },
        {"activity_id": "", "lead_id": "1", "action": "stage", "at": _at(30), "stage": "offer_made"},
    ]
    summary = _apply(warehouse, _file(tmp_path, rows))

    assert _reasons(warehouse) == {
        "unknown": "unknown_lead",
        "unassigned": "unknown_lead",
        "terminal": "terminal_lead",
        "transition": "bad_transition",
        "no-contact": "missing_contact",
        "no-invoice": "missing_invoice",
        "unpaid": "unpaid_invoice",
        "late-row": "out_of_order",
        "manager": "unknown_manager",
        "fly": "bad_action",
        "no-date": "bad_action",
        None: "bad_action",
    }
    assert set(_reasons(warehouse).values()) == set(ActivityReason)
    assert (summary["rows_read"], summary["applied"], summary["already_seen"], summary["quarantined"]) == (
        15,
        3,
        0,
        12,
    )
    leads = dict(query(warehouse, "SELECT lead_id, status FROM leads").iter_rows())
    assert (leads[1], leads[5], leads[3]) == ("in_work", "completed", "new")
    assert query(warehouse, "SELECT manager_id FROM leads WHERE lead_id = 3").item() == "msk-1-m1"
    raw = query(warehouse, "SELECT raw FROM quarantine WHERE reason_code = 'unpaid_invoice'").item()
    assert '"invoice_id":"INV-OPEN"' in raw  # the row as the file gave it
    feed = query(warehouse, "SELECT source, rows_read, created, merged, quarantined FROM feeds").row(0)
    assert feed == ("activity", 15, 3, 0, 12)


def test_rows_apply_per_lead_in_at_order_whatever_the_file_order(warehouse, tmp_path):
    _leads(warehouse)
    rows = [
        {"activity_id": "c", "lead_id": "1", "action": "refuse", "at": _at(90), "reason": "no budget"},
        {
            "activity_id": "b",
            "lead_id": "1",
            "action": "stage",
            "at": "2026-03-10 09:40",
            "stage": "offer_made",
        },
        {"activity_id": "a", "lead_id": "1", "action": "take", "at": _at(20), "contact": "meeting"},
    ]
    summary = _apply(warehouse, _file(tmp_path, rows))

    assert summary["applied"] == 3
    events = query(
        warehouse, "SELECT kind, occurred_at FROM lead_events WHERE lead_id = 1 ORDER BY occurred_at"
    )
    assert events["kind"].to_list() == ["taken", "stage", "refused"]
    assert events["occurred_at"][1] == T0 + timedelta(minutes=40)  # a wall time of the SC (Moscow)
    lead = query(
        warehouse, "SELECT status, taken_at, closed_at, close_comment FROM leads WHERE lead_id = 1"
    ).row(0)
    assert lead == ("refused", T0 + timedelta(minutes=20), T0 + timedelta(minutes=90), "no budget")


@BOTH_BACKENDS
def test_the_same_file_twice_changes_nothing_and_applied_ids_are_skipped(warehouse, tmp_path):
    _leads(warehouse)
    first = _file(
        tmp_path, [{"activity_id": "a", "lead_id": "1", "action": "take", "at": _at(10), "contact": "call"}]
    )
    _apply(warehouse, first)
    assert _apply(warehouse, first)["already_loaded"]
    second = _file(
        tmp_path,
        [
            {"activity_id": "a", "lead_id": "1", "action": "take", "at": _at(10), "contact": "call"},
            {"activity_id": "b", "lead_id": "1", "action": "stage", "at": _at(30), "stage": "demo_held"},
            {"activity_id": "b", "lead_id": "1", "action": "stage", "at": _at(30), "stage": "demo_held"},
        ],
        "second.csv",
    )
    summary = _apply(warehouse, second)

    assert (summary["rows_read"], summary["applied"], summary["already_seen"], summary["quarantined"]) == (
        3,
        1,
        2,
        0,
    )
    kinds = query(warehouse, "SELECT kind FROM lead_events ORDER BY occurred_at")["kind"].to_list()
    assert kinds == ["taken", "stage"]


def test_a_late_take_records_its_breach_at_that_moment(warehouse, tmp_path):
    _leads(warehouse)
    late = T0 + timedelta(hours=4)  # an hour after the deadline
    rows = [
        {"activity_id": "a", "lead_id": "1", "action": "take", "at": late.isoformat(), "contact": "call"},
        {"activity_id": "b", "lead_id": "3", "action": "take", "at": _at(60), "contact": "call"},
    ]
    summary = _apply(warehouse, _file(tmp_path, rows))

    assert summary["late_takes"] == 1
    breach = query(warehouse, "SELECT lead_id, detected_at, late_minutes FROM sla_breaches").rows()
    assert breach == [(1, late, 60)]


def test_a_bad_file_is_one_line_and_the_cli_prints_the_counts(monkeypatch, capsys, warehouse, tmp_path):
    _leads(warehouse)
    no_action = tmp_path / "no-action.csv"
    no_action.write_text("activity_id,lead_id,at\na,1,2026-03-10T10:00:00+03:00\n", encoding="utf-8")
    _, err = refused(monkeypatch, capsys, warehouse, "activity", str(no_action))
    assert "required column(s) missing: action" in err

    rows = [
        {"activity_id": "a", "lead_id": "1", "action": "take", "at": _at(10), "contact": "call"},
        {"activity_id": "b", "lead_id": "9", "action": "take", "at": _at(10), "contact": "call"},
    ]
    path = _file(tmp_path, rows)
    code, out, _ = run(
        monkeypatch,
        capsys,
        "--warehouse",
        str(warehouse),
        "activity",
        str(path),
        "--as-of",
        AS_OF.isoformat(),
    )
    assert code == 0
    assert "applied" in out
    assert "quarantined: unknown_lead" in out
    code, out, _ = run(monkeypatch, capsys, "--warehouse", str(warehouse), "activity", str(path))
    assert "already applied" in out


def test_an_activity_file_dropped_in_the_landing_folder_is_applied(warehouse, tmp_path):
    _leads(warehouse)
    root = tmp_path / "landing"
    (root / "activity").mkdir(parents=True)
    _file(
        root / "activity",
        [{"activity_id": "a", "lead_id": "1", "action": "take", "at": _at(10), "contact": "call"}],
    )

    summary = ingest_landing(root=str(root), as_of=AS_OF, warehouse=str(warehouse))

    (row,) = summary["files"]
    assert (row["file"], row["outcome"], row["rows_read"], row["created"]) == (
        "activity/activity.csv",
        "ingested",
        1,
        1,
    )
    assert (root / "activity" / "done" / "activity.csv").exists()
    assert query(warehouse, "SELECT status FROM leads WHERE lead_id = 1").item() == "in_work"


def test_a_single_lead_command_imports_neither_polars_nor_pyarrow(warehouse):
    _leads(warehouse)
    probe = (
        "import sys\n"
        "from flows import cli\n"
        f"sys.argv = ['pp', '--warehouse', {str(warehouse)!r}, 'lead', 'stage', '2', '--stage', 'offer_made',"
        f" '--as-of', {_at(30)!r}]\n"
        "try:\n    cli.main()\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n"
        "print(sorted({'polars', 'pyarrow'} & set(sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"
    assert query(warehouse, "SELECT kind FROM lead_events").item() == "stage"


def test_every_activity_refusal_says_in_russian_what_to_fix():
    from schemas.labels import ACTIVITY_FIXES

    assert set(ACTIVITY_FIXES) == set(ActivityReason)
    assert len(set(ACTIVITY_FIXES.values())) == len(ACTIVITY_FIXES)


def test_refused_activity_goes_back_with_its_fix_and_the_command_that_reapplies_it(
    monkeypatch, capsys, warehouse, tmp_path
):
    import polars as pl

    from schemas.feed import EXPORT_FIX, EXPORT_REASON
    from schemas.labels import ACTIVITY_FIXES

    _leads(warehouse)
    path = _file(
        tmp_path,
        [
            {"activity_id": "a1", "lead_id": "1", "action": "take", "at": _at(10)},  # no contact
            {"activity_id": "a2", "lead_id": "3", "action": "take", "at": _at(10), "contact": "call"},
        ],
    )
    feed_id = _apply(warehouse, path)["feed_id"]
    out = tmp_path / "refused.xlsx"
    code, said, err = run(
        monkeypatch,
        capsys,
        "--warehouse",
        str(warehouse),
        "quarantine",
        "export",
        "--feed",
        str(feed_id),
        "--out",
        str(out),
    )
    assert code == 0, err
    assert f"pp activity {out}" in said
    sheet = pl.read_excel(out, infer_schema_length=0)
    assert sheet["activity_id"].to_list() == ["a1"]
    assert sheet[EXPORT_REASON].to_list() == ["missing_contact"]
    assert sheet[EXPORT_FIX].to_list() == [ACTIVITY_FIXES[ActivityReason.MISSING_CONTACT]]
