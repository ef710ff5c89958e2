"""`pp demo` end to end at a small size: weeks of a realistic network, at any date, landing in the
published targets; and the simulated SC work it is made of, on small frames."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest

from demo import conduct
from demo.flow import FEEDS_BEFORE_END, readable, schedule
from demo.marker import DEFAULT_WEEKS
from flows.report import read_metrics
from schemas.rules import source_rules
from tasks.periods import parse_period
from tasks.report import summarise
from tests.test_ingest_flow import TABLE_CONTRACTS, assert_contracts

AS_OF = "2026-03-06T16:30:00+03:00"  # a Friday afternoon in Moscow
# Columns that hold what is planned rather than what happened: they may lie after the as-of.
SCHEDULED = {
    ("leads", "accept_deadline"),
    ("leads", "postponed_until"),
    ("leads", "planned_on"),
    ("notifications", "next_attempt_at"),
    ("notifications", "digest_day"),
    ("invoices", "valid_until"),
    ("bookings", "ends_at"),
    ("sanctions", "ends_at"),
}
HAPPENED_IN = ("leads", "lead_events", "sla_breaches", "notifications", "invoices", "lead_transfers")
CONTRACTS = {  # the warehouse's, and what the simulated world itself must keep
    **TABLE_CONTRACTS,
    "the simulated SC work breaks no rule": """SELECT coalesce(sum(quarantined), 0) FROM feeds
        WHERE source = 'activity'""",
    "lead events dated in the order written": """SELECT count(*) FROM (
        SELECT occurred_at < max(occurred_at) OVER (
            PARTITION BY lead_id ORDER BY rowid ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
        ) AS earlier FROM lead_events) WHERE earlier""",
}


def pp_demo(folder: Path, as_of: str, env: dict[str, str], rows: int = 50, weeks: int = DEFAULT_WEEKS) -> str:
    """`pp demo` in a process of its own, as a user runs it: its summary."""
    done = subprocess.run(
        [str(Path(sys.executable).with_name("pp")), "demo", "--dir", str(folder), "--rows", str(rows),
         "--as-of", as_of, "--weeks", str(weeks)],
        env={**env, "COLUMNS": "200"}, capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def scalar(warehouse: Path, sql: str) -> object:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        con.execute("SET TimeZone = 'UTC'")
        row = con.execute(sql).fetchone()
    assert row is not None
    return row[0]


def latest_instants(warehouse: Path) -> dict[str, datetime]:
    """The latest value of every column that records something that happened, by table.column."""
    found = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        con.execute("SET TimeZone = 'UTC'")
        for table in HAPPENED_IN:
            for column, kind, *_ in con.execute(f"DESCRIBE {table}").fetchall():
                if kind.startswith("TIMESTAMP") and (table, column) not in SCHEDULED:
                    latest = con.execute(f'SELECT max("{column}") FROM {table}').fetchone()
                    if latest and latest[0] is not None:
                        found[f"{table}.{column}"] = latest[0]
    return found


def assert_a_consistent_world(warehouse: Path, as_of: datetime) -> None:
    assert_contracts(warehouse, CONTRACTS)
    later = {column: at for column, at in latest_instants(warehouse).items() if at > as_of}
    assert not later, later


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory) -> tuple[Path, str, Path]:
    """One real `pp demo` for the module, with a production server configured that it must
    ignore: PREFECT_API_URL and the user's Prefect profile name a port nothing listens on."""
    root = tmp_path_factory.mktemp("demo-run")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}/api"
    home = root / "user-prefect-home"
    home.mkdir()
    (home / "profiles.toml").write_text(
        f'active = "work"\n\n[profiles.work]\nPREFECT_API_URL = "{dead}"\n', encoding="utf-8"
    )
    folder = root / "demo"
    summary = pp_demo(folder, AS_OF, {**os.environ, "PREFECT_API_URL": dead, "PREFECT_HOME": str(home)})
    return folder, summary, home


@pytest.mark.slow
def test_the_demo_lands_in_the_published_targets(demo_run):
    """Weeks of SC work: network hot compliance 70-95%, one SC clearly failing, conversion of
    closed leads 20-80%, as the report of the as-of's week computes them."""
    folder, _, _ = demo_run
    as_of = datetime.fromisoformat(AS_OF)
    frames = read_metrics(folder / "pp.duckdb", parse_period("2026-W10"), as_of)
    hot = frames["sla"].filter(pl.col("temperature") == "hot")
    in_time, breached = int(hot["taken_in_time"].sum()), int(hot["breached"].sum())
    assert 70 <= 100 * in_time / (in_time + breached) <= 95
    assert frames["centres"]["hot_compliance_pct"].drop_nulls().min() < 50
    totals = summarise(
        frames["stays"].filter(pl.col("period_start") == parse_period("2026-W10").first_day), []
    )
    assert 20 <= totals["conversion_pct"][0] <= 80
    assert (folder / "report.html").read_text(encoding="utf-8").count("<h2>") > 3


@pytest.mark.slow
def test_the_demo_world_happened_before_its_as_of_and_in_order(demo_run):
    folder, _, _ = demo_run
    warehouse = folder / "pp.duckdb"
    assert_a_consistent_world(warehouse, datetime.fromisoformat(AS_OF))
    sources = {
        row[0]
        for row in duckdb.connect(str(warehouse), read_only=True).sql("SELECT source FROM feeds").fetchall()
    }
    assert sources == {*source_rules(), "billing", "activity"}
    first_feed = scalar(warehouse, "SELECT min(created_at) FROM leads")
    assert first_feed <= datetime.fromisoformat(AS_OF) - FEEDS_BEFORE_END - timedelta(weeks=DEFAULT_WEEKS - 1)
    for what, sql in {
        "breaches": "SELECT count(*) FROM sla_breaches",
        "transfers": "SELECT count(*) FROM lead_transfers",
        "an exclusion": "SELECT count(*) FROM sanctions",
        "blocked leads": "SELECT count(*) FROM leads WHERE status = 'blocked'",
        "paid invoices": "SELECT count(*) FROM leads WHERE status = 'completed' AND invoice_id IS NOT NULL",
        "refusals": "SELECT count(*) FROM leads WHERE status = 'refused'",
        "postponements": "SELECT count(*) FROM lead_events WHERE kind = 'postponed'",
        "managers dealt": "SELECT count(*) FROM lead_events WHERE kind = 'manager_assigned'",
        "a distribution": "SELECT count(*) FROM leads WHERE planned_on IS NOT NULL",
        "digests": "SELECT count(*) FROM notifications WHERE kind = 'digest' AND status = 'sent'",
    }.items():
        assert scalar(warehouse, sql) > 0, what
    due_unsent = f"""SELECT count(*) FROM notifications
        WHERE status <> 'sent' AND next_attempt_at <= TIMESTAMPTZ '{AS_OF}'"""
    assert scalar(warehouse, due_unsent) == 0


@pytest.mark.slow
def test_the_summary_reads_as_text_and_the_user_prefect_home_is_untouched(demo_run):
    folder, summary, home = demo_run
    assert "datetime." not in summary
    assert "2026-03-06 16:30 +03:00" in summary
    assert not re.search(r"\{'|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", summary)  # no dicts, no ISO instants
    assert not re.search(r"\b(True|False|None)\b", summary)  # no Python values either
    assert "Re-ingesting the call base changed nothing." in summary
    assert sorted(p.name for p in home.iterdir()) == ["profiles.toml"]
    assert not any(folder.rglob("*.db"))
    assert (folder / ".prefect").is_dir()


def stays(deadlines: list[datetime], arrived: datetime, sc_id: str, temperature: str = "hot") -> pl.DataFrame:
    n = len(deadlines)
    return pl.DataFrame(
        {
            "lead_id": range(1, n + 1),
            "sc_id": [sc_id] * n,
            "temperature": [temperature] * n,
            "lead_type": ["connection"] * n,
            "status": ["new"] * n,
            "inn": ["7707083893"] * n,
            "kpp": [None] * n,
            "product": ["extern"] * n,
            "arrived_at": [arrived] * n,
            "accept_deadline": deadlines,
            "taken_at": [None] * n,
            "manager_id": [None] * n,
            "manager_sc": [None] * n,
        },
        schema_overrides={
            "arrived_at": pl.Datetime("us", "UTC"),
            "accept_deadline": pl.Datetime("us", "UTC"),
            "taken_at": pl.Datetime("us", "UTC"),
            "kpp": pl.String,
            "manager_id": pl.String,
            "manager_sc": pl.String,
        },
    )


PACES = conduct.manager_paces(
    pl.DataFrame({"manager_id": ["a-m1", "a-m2", "f-m1"], "sc_id": ["sc-ekb-1", "sc-ekb-1", "sc-tmn-1"]})
)
ARRIVED = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
DEADLINE = ARRIVED + timedelta(hours=3)


def late_share(sc_id: str) -> float:
    first = conduct.first_actions(stays([DEADLINE] * 400, ARRIVED, sc_id), PACES)
    return float((first["act_at"] > first["accept_deadline"]).mean())


def test_a_good_sc_takes_most_hot_leads_in_time_and_the_failing_one_does_not():
    assert late_share("sc-ekb-1") < 0.15
    assert late_share("sc-tmn-1") > 0.6


def test_managers_of_one_sc_work_at_different_paces():
    assert PACES.filter(pl.col("sc_id") == "sc-ekb-1")["pace"].to_list() == [
        conduct.FASTEST_PACE,
        conduct.SLOWEST_PACE,
    ]


def test_a_window_holds_its_own_actions_each_lead_given_its_manager_first():
    since, until = ARRIVED, ARRIVED + timedelta(hours=4)
    rows = conduct.activity_rows(stays([DEADLINE] * 50, ARRIVED, "sc-ekb-1"), PACES, since, until)
    at = rows["at"].str.to_datetime("%Y-%m-%dT%H:%M:%S%:z")
    assert ((at > since) & (at <= until)).all()
    first_rows = rows.group_by("lead_id", maintain_order=True).first()
    assert (first_rows["action"] == "assign_manager").all()
    assert rows["activity_id"].is_unique().all()


def test_an_action_the_window_start_passed_comes_right_after_it():
    """A merge made the deadline earlier than the window's start: the lead is taken at once."""
    since = ARRIVED + timedelta(days=2)
    rows = conduct.activity_rows(
        stays([DEADLINE], ARRIVED, "sc-ekb-1"), PACES, since, since + timedelta(hours=4)
    )
    assert set(rows["at"]) == {(since + conduct.NEXT_ROW).strftime("%Y-%m-%dT%H:%M:%S+00:00")}


def test_an_invoiced_lead_is_billed_after_its_take_and_gets_no_other_action():
    taken = stays([DEADLINE] * 200, ARRIVED, "sc-ekb-1").with_columns(
        status=pl.lit("in_work"), taken_at=pl.lit(ARRIVED + timedelta(hours=1), pl.Datetime("us", "UTC"))
    )
    until = ARRIVED + timedelta(days=30)
    billing = conduct.billing_rows(taken, ARRIVED, until)
    issued = billing.filter(pl.col("event") == "invoice_issued")
    assert 0 < issued.height < taken.height
    paid = billing.filter(pl.col("event") == "invoice_paid")
    assert set(paid["invoice_id"]) <= set(issued["invoice_id"])
    both = paid.join(issued, on="invoice_id", suffix="_issued")
    assert (both["event_at"] > both["event_at_issued"]).all()
    activity = conduct.activity_rows(taken, PACES, ARRIVED, until)
    invoiced = set(issued["invoice_id"].str.strip_prefix("DEMO-").cast(pl.Int64))
    assert invoiced.isdisjoint(set(activity["lead_id"]))


def test_the_weeks_run_in_time_order_and_end_at_the_as_of():
    end = datetime(2026, 3, 6, 13, 30, tzinfo=UTC)
    ticks = schedule(end)
    instants = [t.at for t in ticks]
    assert instants == sorted(set(instants))
    assert ticks[-1].at == end
    assert ticks[-1].billing
    assert ticks[-1].sweep
    assert sum(t.feeds for t in ticks) == DEFAULT_WEEKS
    assert [t.week for t in ticks if t.billing][:-1] == list(range(1, DEFAULT_WEEKS))


def test_instants_read_as_local_times():
    assert readable(datetime.fromisoformat(AS_OF)) == "2026-03-06 16:30 +03:00"
    assert readable("2026-03-06T11:30:00+00:00") == "2026-03-06 14:30 +03:00"
