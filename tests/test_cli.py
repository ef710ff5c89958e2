"""`pp` exit codes and messages: a user error is one line on stderr, status 2, nothing written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import refused, run
from warehouse import store


@pytest.fixture
def feed(tmp_path: Path) -> Path:
    path = tmp_path / "feed.csv"
    path.write_text("inn,phone,product\n7707083893,89123456789,extern\n", encoding="utf-8")
    return path


def test_init_creates_and_is_idempotent(monkeypatch, capsys, tmp_path):
    target = tmp_path / "w.duckdb"
    for _ in range(2):
        code, out, _ = run(monkeypatch, capsys, "--warehouse", str(target), "init")
        assert code == 0
        assert f"schema version {store.migrations()[-1][0]}" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ingest", "{tmp}/nope.csv", "--source", "call_base"], "does not exist; check the path"),
        (["ingest", "{feed}", "--source", "carrier_pigeon"], "'carrier_pigeon' is not one of 'registration'"),
        (["ingest", "{feed}", "--source", "call_base", "--product", "abacus"], "unknown product 'abacus'"),
        (["ingest", "{feed}", "--source", "sc_created"], "needs --sc"),
        (["ingest", "{feed}", "--source", "call_base", "--sc", "sc-msk-1"], "--sc is only for"),
        (["ingest", "{noinn}", "--source", "call_base"], "required column(s) missing: inn"),
        (["ingest", "{feed}", "--source", "call_base", "--as-of", "yesterday"], "not an ISO 8601 instant"),
        (["ingest", "{feed}", "--source", "call_base", "--as-of", "2026-03-06T10:00"], "has no UTC offset"),
        (["lead", "take", "999", "--contact", "call"], "lead 999 does not exist"),
        (["lead", "close", "999", "--comment", "done"], "lead 999 does not exist"),
        (["lead", "postpone", "1", "--until", "tomorrow"], "--until 'tomorrow' is not an ISO 8601 instant"),
        (["init", "--reference", "{tmp}/nowhere"], "reference directory"),
        (["managers", "assign", "--sc", "sc-msk-1", "--counts", "m1"], "expected MANAGER=N pairs"),
        (["billing", "{feed}"], "required column(s) missing: event; sc_id"),
        (["sanction", "exclude", "--sc", "sc-msk-1"], "--until-quarter-end or --forever"),
        (["sanction", "exclude", "--sc", "sc-nowhere", "--forever"], "service centre 'sc-nowhere' is not"),
        (["sanction", "close-product", "--sc", "sc-msk-1", "--product", "abacus"], "product 'abacus' is not"),
        (
            ["sanction", "transfer-client", "--inn", "7707083893", "--product", "market", "--to", "sc-msk-2"],
            "'sc-msk-2' does not sell 'market'",
        ),
        (["sanction", "lift", "42"], "sanction 42 does not exist"),
        (["sanction", "propose", "--period", "March"], "is not one of 2026-Q1, 2026-03 or 2026-W10"),
        (["notify", "--as-of", "2026-03-06T09:00"], "has no UTC offset"),
        (["report", "--out", "{feed}/report.html"], "cannot write"),
    ],
)
def test_user_errors_are_one_line(monkeypatch, capsys, tmp_path, feed, warehouse, args, message):
    noinn = tmp_path / "noinn.csv"
    noinn.write_text("phone,product\n89123456789,extern\n", encoding="utf-8")
    args = [a.format(tmp=tmp_path, feed=feed, noinn=noinn) for a in args]
    _, err = refused(monkeypatch, capsys, warehouse, *args)
    assert message in err


def test_a_warehouse_not_initialised_is_named(monkeypatch, capsys, tmp_path, feed):
    code, _, err = run(
        monkeypatch,
        capsys,
        "--warehouse",
        str(tmp_path / "none.duckdb"),
        "ingest",
        str(feed),
        "--source",
        "call_base",
    )
    assert code == 2
    assert "does not exist; create it with `pp init`" in err


def test_a_bad_setting_is_one_line_naming_the_variable(monkeypatch, capsys, warehouse):
    monkeypatch.setenv("PP_TRANSFER_TEMPERATURES", "hot,cold")
    code, _, err = run(monkeypatch, capsys, "--warehouse", str(warehouse), "sweep", "sla")
    assert code == 2
    assert err.startswith("pp: error: setting PP_TRANSFER_TEMPERATURES:")
    assert "cold leads never move" in err
    assert len(err.strip().splitlines()) == 1


def test_the_command_line_loads_neither_polars_nor_prefect_until_a_command_needs_them():
    """`pp --help` and usage errors answer at once: the heavy libraries load with the command."""
    probe = "import sys, flows.cli; print(sorted({'polars', 'prefect', 'duckdb'} & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
