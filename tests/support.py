"""Helpers the test modules share: the `pp` command line in-process or in a process of its own,
and reading a warehouse."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl

from flows import cli


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


def query(warehouse: Path, sql: str, params: list | None = None) -> pl.DataFrame:
    """A read-only look at the warehouse, as an analyst's client would take it."""
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
