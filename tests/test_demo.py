"""`pp demo` end to end at a small size: the main job must keep working, at any date."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest

from demo.flow import TAKEN_LATE_BY, Timeline, plan_sc_work, run_demo
from demo.queries import SUMMARIES
from schemas.rules import source_rules
from tests.test_ingest_flow import assert_contracts

end_to_end = pytest.mark.usefixtures("prefect_server")


def assert_dated_in_order(result: dict) -> None:
    """The demo's history reads as it happened: each lead's events are dated in the order they
    were written, the SC's work comes before the mass actions, and no lead taken late escaped a
    sweep that ran after its deadline without recording the breach."""
    with duckdb.connect(result["warehouse"], read_only=True) as con:
        con.execute("SET TimeZone = 'UTC'")
        backwards = con.execute(
            """SELECT count(*) FROM (
                SELECT occurred_at < max(occurred_at) OVER (
                    PARTITION BY lead_id ORDER BY rowid ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
                ) AS earlier FROM lead_events) WHERE earlier"""
        ).fetchall()
        sc_work_ends, mass_actions_start = con.execute(
            """SELECT max(occurred_at) FILTER (WHERE kind IN ('taken', 'postponed', 'refused')),
                      min(occurred_at) FILTER (WHERE kind IN ('manager_assigned', 'planned'))
               FROM lead_events"""
        ).fetchall()[0]
        late = con.sql(
            """SELECT l.lead_id, l.accept_deadline, e.occurred_at AS taken_at,
                      EXISTS (SELECT 1 FROM sla_breaches b WHERE b.lead_id = l.lead_id) AS breached
               FROM lead_events e JOIN leads l USING (lead_id)
               WHERE e.kind = 'taken' AND e.occurred_at > l.accept_deadline"""
        ).pl()
    assert backwards == [(0,)]
    assert sc_work_ends <= mass_actions_start
    sweeps = [datetime.fromisoformat(result["as_of"]) + timedelta(hours=4), result["sweep_as_of"]]
    missed = late.filter(
        ~pl.col("breached")
        & pl.any_horizontal(
            (pl.col("accept_deadline") < pl.lit(sweep)) & (pl.lit(sweep) < pl.col("taken_at"))
            for sweep in map(datetime.fromisoformat, map(str, sweeps))
        )
    )
    assert missed.is_empty(), missed


@pytest.mark.slow
@end_to_end
def test_the_demo_runs_every_step(tmp_path):
    result = run_demo(workdir=str(tmp_path / "demo"), rows=60, as_of=datetime(2026, 3, 6, 13, 30, tzinfo=UTC))
    assert set(result["tables"]) == set(SUMMARIES)
    sources = {row["source"] for row in result["tables"]["feeds"]}
    assert sources == {*source_rules(), "billing"}  # every Appendix 1 source, SC-created, billing
    assert result["reingest_changed_nothing"]
    assert result["breaches_recorded"] > 0
    assert result["billing"]["leads_completed"] > 0
    assert result["planned"] > 0
    assert sum(result["managers_dealt"].values()) > 0
    assert result["tables"]["quarantine"]
    assert result["tables"]["merges"]
    notes = result["notifications"]  # SPEC §8: written as .eml files, there being no SMTP server
    assert notes["immediate"] > 0
    assert notes["digest"] > 0
    assert notes["not_sent"] == 0
    assert notes["eml_files"] == notes["immediate"] + notes["digest"]
    assert Path(notes["outbox"]) == tmp_path / "demo" / "outbox"
    assert_contracts(Path(result["warehouse"]))
    assert_dated_in_order(result)


@pytest.mark.slow
@end_to_end
def test_the_demo_runs_across_the_new_year_holidays(tmp_path):
    """Started on the last working day of the year, the hot leads' deadlines fall twelve days
    later, after the mass actions, and the ten days of the distribution are all days off."""
    start = datetime(2025, 12, 30, 13, 0, tzinfo=UTC)
    result = run_demo(workdir=str(tmp_path / "demo"), rows=60, as_of=start)
    assert result["planned"] > 0
    assert sum(result["managers_dealt"].values()) > 0
    assert result["taken_on_time"] > 0
    assert_contracts(Path(result["warehouse"]))
    assert_dated_in_order(result)


def waiting(deadlines: list[datetime], temperature: str = "hot", first_id: int = 1) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "lead_id": range(first_id, first_id + len(deadlines)),
            "temperature": temperature,
            "lead_type": "connection",
            "accept_deadline": deadlines,
        },
        schema_overrides={"accept_deadline": pl.Datetime("us", "UTC")},
    )


def test_only_leads_whose_late_take_comes_before_the_mass_actions_are_taken_late():
    """Before the New Year holidays a hot deadline is twelve days away: taken two hours past
    it, the lead's history would end after the mass actions, which would be refused."""
    when = Timeline.from_start(datetime(2025, 12, 30, 13, 0, tzinfo=UTC))
    in_time = [when.start + timedelta(hours=3)] * 20
    after_the_holidays = datetime(2026, 1, 12, 6, tzinfo=UTC)
    next_morning = datetime(2025, 12, 31, 6, tzinfo=UTC)
    plan = plan_sc_work(waiting([*in_time, after_the_holidays, next_morning]), when)
    assert plan["on_time"]["lead_id"].to_list() == list(range(1, 21))
    assert plan["late"].rows() == [(22, next_morning + TAKEN_LATE_BY)]
    assert plan["refused"]["lead_id"].to_list() == [21]


def test_no_lead_the_hourly_sweep_found_overdue_is_taken_late():
    """A take two hours past a deadline the hourly sweep passed would hide the breach it records."""
    when = Timeline.from_start(datetime(2026, 3, 4, 7, 0, tzinfo=UTC))
    before_the_sweep, at_the_sweep = when.start + timedelta(hours=3), when.hot_sweep
    plan = plan_sc_work(waiting([before_the_sweep] * 21 + [at_the_sweep]), when)
    assert plan["late"].rows() == [(22, at_the_sweep + TAKEN_LATE_BY)]
    assert plan["refused"]["lead_id"].to_list() == [21]


def test_the_sc_work_keeps_its_counts_and_its_dates():
    """Five late, five postponed, three refused, none twice, late takes between the hourly
    sweep and the mass actions."""
    when = Timeline.from_start(datetime(2026, 5, 8, 14, 0, tzinfo=UTC))
    hot = waiting([when.start + timedelta(hours=h) for h in range(3, 100, 2)])
    plan = plan_sc_work(pl.concat([hot, waiting([when.daily_sweep] * 6, "warm", first_id=100)]), when)
    assert [plan[kind].height for kind in ("on_time", "late", "postponed", "refused")] == [20, 5, 5, 3]
    chosen = pl.concat([plan[kind].select("lead_id") for kind in plan])["lead_id"]
    assert chosen.is_unique().all()
    taken_at = plan["late"]["taken_at"]
    assert when.hot_sweep < taken_at.min()
    assert taken_at.max() <= when.mass_actions


@pytest.mark.slow
def test_pp_demo_never_reaches_the_users_prefect_server(tmp_path):
    """A real server configured for production never sees the demo's runs: the demo ignores
    PREFECT_API_URL and the user's Prefect profile (here both name a port nothing listens on)
    and runs its flows in its own process, writing nothing into the user's Prefect home."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}/api"
    home = tmp_path / "user-prefect-home"
    home.mkdir()
    profiles = home / "profiles.toml"
    profiles.write_text(
        f'active = "work"\n\n[profiles.work]\nPREFECT_API_URL = "{dead}"\n', encoding="utf-8"
    )
    env = {**os.environ, "PREFECT_API_URL": dead, "PREFECT_HOME": str(home)}
    folder = tmp_path / "demo"
    done = subprocess.run(
        [str(Path(sys.executable).with_name("pp")), "demo", "--dir", str(folder), "--rows", "60",
         "--as-of", "2026-03-06T16:30:00+03:00"],
        env=env, capture_output=True, text=True, timeout=900, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in home.iterdir()) == ["profiles.toml"]
    assert not any(folder.rglob("*.db"))
