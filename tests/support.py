"""Helpers the test modules share: the `pp` command line in-process or in a process of its own,
and reading a warehouse."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest

from flows import cli
from schemas.instants import UTC_US
from warehouse import store
from warehouse.locator import LakeWarehouse, Warehouse

# A test that runs on both backends: its `warehouse` is a file, then a lake (tests/conftest.py).
BOTH_BACKENDS = pytest.mark.parametrize("warehouse", ["file", "lake"], indirect=True)


def run(monkeypatch, capsys, *args: str) -> tuple[int, str, str]:
    """`pp ARGS` as a user types it: the exit status, stdout and stderr."""
    monkeypatch.setattr(sys, "argv", ["pp", *args])
    monkeypatch.setenv("COLUMNS", "200")
    try:
        cli.main()
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def start(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    """`pp ARGS` started in a process of its own, as a second user would; its output as text."""
    pp = str(Path(sys.executable).with_name("pp"))
    return subprocess.Popen([pp, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def query(warehouse: Path | Warehouse, sql: str, params: list | None = None) -> pl.DataFrame:
    """A read-only look at the warehouse, as an analyst's client would take it (a lake, with
    the extensions and ATTACH that `store` makes)."""
    if isinstance(warehouse, LakeWarehouse):
        with store.reader(warehouse) as con:
            return con.sql(sql, params=params).pl()
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.sql(sql, params=params).pl()


def refused(monkeypatch, capsys, warehouse: Path, *args: str) -> tuple[str, str]:
    """`pp --warehouse W ARGS` that must fail as a user error: status 2, one `pp: error:` line,
    no traceback, the warehouse untouched. Returns stdout and the error line."""
    before = warehouse.stat().st_mtime_ns
    code, out, err = run(monkeypatch, capsys, "--warehouse", str(warehouse), *args)
    assert code == 2, out + err
    assert err.startswith("pp: error: ")
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err
    assert warehouse.stat().st_mtime_ns == before
    return out, err


def report_page(
    *,
    period: str = "2026-W10",
    as_of: datetime | None = None,
    calendar_warning: str | None = None,
    **stay: object,
) -> str:
    """The report page of one taken hot stay at an SC, `stay` overriding its columns, as
    `pp report` would render it from `report_stays.sql`."""
    from tasks.periods import parse_period
    from tasks.report import render_html, report_tables

    chosen = parse_period(period)
    arrived = datetime.combine(chosen.first_day, time(10), UTC)
    stays = report_stays_frame(stay, period=period)
    when = as_of or arrived + timedelta(days=2)
    trend = [chosen.previous(), chosen]
    notifications = pl.DataFrame(schema={"sc_id": pl.String, "kind": pl.String, "sent": pl.Int64})
    tables = report_tables(stays, notifications, chosen, trend, when)
    return render_html(
        period=chosen,
        trend=trend,
        as_of=when,
        stays=stays,
        tables=tables,
        goal=0.9,
        calendar_warning=calendar_warning,
    )


def report_stays_frame(*stays: dict[str, object], period: str = "2026-W10") -> pl.DataFrame:
    """Rows as `report_stays.sql` gives them: by default a hot stay at sc-msk-1 arrived on the
    period's first day at 10:00 UTC and taken in time an hour later; each dict overrides."""
    from tasks.periods import parse_period

    chosen = parse_period(period)
    arrived = datetime.combine(chosen.first_day, time(10), UTC)
    default = {
        "lead_id": 1, "sc_id": "sc-msk-1", "sc_name": "Moscow 1", "timezone": "Europe/Moscow",
        "manager_id": None, "manager_name": None, "temperature": "hot", "lead_type": "connection",
        "source": "callback_order", "product": "extern", "arrived_at": arrived,
        "accept_deadline": arrived + timedelta(hours=3), "taken_at": arrived + timedelta(hours=1),
        "closed_at": None, "left_at": None, "status": "in_work", "breached": False,
        "period_start": chosen.first_day, "taken_in_time": True, "days_to_take": 1 / 24,
        "working_hours_to_take": 1.0,
    }  # fmt: skip
    return pl.DataFrame([default | stay for stay in stays]).with_columns(
        pl.col("arrived_at", "accept_deadline", "taken_at", "closed_at", "left_at").cast(UTC_US),
        pl.col("manager_id", "manager_name").cast(pl.String),
    )
