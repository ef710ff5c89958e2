"""What a user's environment gets wrong is one line, and what pp leaves behind is nothing:
a full disk, settings, an unreachable Prefect server, instants outside the calendar, global
options typed after the command, and the temporary Prefect server of a killed `pp`."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from filelock import FileLock

from flows.cli import hoist_global_options
from schemas.errors import PipelineError
from schemas.instants import resolve_as_of
from tests.support import run

PP = str(Path(sys.executable).with_name("pp"))


def _leads(warehouse: Path) -> int:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        row = con.execute("SELECT count(*) FROM leads").fetchone()
    assert row is not None
    return int(row[0])


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("PP_FEED_TIMEZONE", "Mars/Olympus"),
        ("PP_DUCKDB_MEMORY_LIMIT", "plenty"),
        ("PP_MAIL_FROM", "nobody"),
        ("PP_SMTP_PORT", "0"),
        ("PP_BASE_URL", "crm.example.com"),
    ],
)
def test_every_setting_is_checked_before_any_command_runs(monkeypatch, capsys, warehouse, variable, value):
    monkeypatch.setenv(variable, value)
    code, out, err = run(monkeypatch, capsys, "--warehouse", str(warehouse), "sanction", "list")
    assert code == 2
    assert err.startswith(f"pp: error: setting {variable}:")
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err + out


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_unreachable_prefect_server_is_one_line(monkeypatch, capsys, warehouse):
    url = f"http://127.0.0.1:{_closed_port()}/api"
    monkeypatch.setenv("PREFECT_API_URL", url)
    code, _out, err = run(monkeypatch, capsys, "--warehouse", str(warehouse), "sweep", "sla")
    assert code == 2
    assert err.strip().splitlines() == [err.strip()]
    assert f"the Prefect server at {url} (PREFECT_API_URL) is not reachable" in err
    assert "unset PREFECT_API_URL" in err


@pytest.mark.parametrize(
    "instant", ["9999-12-31T23:59:59+14:00", "0001-01-01T00:00:00+14:00", "2041-01-01T00:00:00+00:00"]
)
def test_an_instant_outside_the_calendar_is_one_line(monkeypatch, capsys, warehouse, instant):
    args = ("--warehouse", str(warehouse), "sweep", "sla", "--as-of", instant)
    code, _out, err = run(monkeypatch, capsys, *args)
    assert code == 2
    assert err.startswith("pp: error: --as-of ")
    assert len(err.strip().splitlines()) == 1


def test_flows_refuse_an_instant_outside_the_calendar_too():
    with pytest.raises(PipelineError, match="outside the production calendar's years 2015-2040"):
        resolve_as_of(datetime(2055, 1, 1, tzinfo=UTC))
    assert resolve_as_of(datetime(2040, 12, 31, 23, tzinfo=UTC)).year == 2040


@pytest.mark.parametrize(
    ("typed", "parsed"),
    [
        (["report", "--warehouse", "x.duckdb"], ["--warehouse", "x.duckdb", "report"]),
        (["report", "--warehouse=x.duckdb", "-v"], ["--warehouse=x.duckdb", "-v", "report"]),
        (["lead", "take", "1", "--verbose", "--contact", "call"],
         ["--verbose", "lead", "take", "1", "--contact", "call"]),
        (["--warehouse", "a", "init"], ["--warehouse", "a", "init"]),
        (["lead", "refuse", "1", "--", "--verbose"], ["lead", "refuse", "1", "--", "--verbose"]),
    ],
)
def test_global_options_are_taken_wherever_they_stand(typed, parsed):
    assert hoist_global_options(typed) == parsed


def test_the_warehouse_option_after_the_command_is_obeyed(monkeypatch, capsys, tmp_path):
    target = tmp_path / "late.duckdb"
    code, out, _ = run(monkeypatch, capsys, "init", "--warehouse", str(target))
    assert code == 0
    assert target.exists()
    code, out, err = run(monkeypatch, capsys, "sanction", "list", "--warehouse", str(target))
    assert code == 0, err
    assert "0 sanctions" in out


def _mount_tmpfs(folder: Path, size: str) -> None:
    folder.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True, check=False
    )
    if done.returncode != 0:
        pytest.skip("a small file system needs mount (root)")


@pytest.mark.skipif(os.geteuid() != 0, reason="a small file system needs mount (root)")
def test_a_full_disk_is_one_line_writes_nothing_and_the_next_run_works(monkeypatch, capsys, tmp_path):
    small = tmp_path / "small"
    _mount_tmpfs(small, "12M")
    try:
        warehouse = small / "pp.duckdb"
        code, _, err = run(monkeypatch, capsys, "--warehouse", str(warehouse), "init")
        assert code == 0, err
        filler = small / "filler"
        free = os.statvfs(small).f_bavail * os.statvfs(small).f_frsize
        filler.write_bytes(b"\0" * max(free - 64 * 1024, 0))
        feed = tmp_path / "feed.csv"
        rows = "".join(f"7707083893,8912{n:07d},extern,77,client {n} {'x' * 40}\n" for n in range(3000))
        feed.write_text("inn,phone,product,region,name\n" + rows.replace("7707083893", "500100732259", 1))
        args = ("--warehouse", str(warehouse), "ingest", str(feed), "--source", "call_base")
        code, _out, err = run(monkeypatch, capsys, *args, "--as-of", "2026-03-06T16:30:00+03:00")
        assert code == 2
        assert err.strip().splitlines() == [err.strip()]
        assert f"no space left on the device of warehouse {warehouse}" in err
        assert "nothing was written" in err
        filler.unlink()
        assert _leads(warehouse) == 0
        code, _out, err = run(monkeypatch, capsys, *args, "--as-of", "2026-03-06T16:30:00+03:00")
        assert code == 0, err
        assert _leads(warehouse) == 2
    finally:
        subprocess.run(["umount", "-l", str(small)], check=False)


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        text = (task / "children").read_text() if (task / "children").exists() else ""
        found += [int(child) for child in text.split()]
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_pp_without_a_server_starts_no_prefect_server(tmp_path, warehouse):
    """With no server configured a batch command runs its flow in its own process: nothing is
    left behind when it is killed, because it never started anything to leave."""
    feed = tmp_path / "feed.csv"
    feed.write_text("inn,phone,product\n7707083893,89123456789,extern\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    with FileLock(f"{warehouse}.lock"):  # the run waits here, in the middle of its flow
        pp = subprocess.Popen(
            [PP, "--warehouse", str(warehouse), "ingest", str(feed), "--source", "call_base"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert pp.stderr is not None
            said = pp.stderr.readline()
            assert "waiting for it to finish" in said, said
            assert _children(pp.pid) == []
        finally:
            pp.send_signal(signal.SIGKILL)
            pp.wait()
            pp.stderr.close()


def test_a_file_name_is_shown_as_written_never_as_markup_or_terminal_codes(
    monkeypatch, capsys, tmp_path, warehouse
):
    feed = tmp_path / "calls [bold]march [red]x\x1b[31mred.csv"
    feed.write_text("inn,phone,product\n7707083893,89123456789,extern\n", encoding="utf-8")
    args = ("--warehouse", str(warehouse), "ingest", str(feed), "--source", "call_base")
    for _ in range(2):  # the summary, then "already ingested"
        code, out, err = run(monkeypatch, capsys, *args, "--as-of", "2026-03-06T16:30:00+03:00")
        assert code == 0, err
        assert "\x1b" not in out + err
        assert "[bold]march" in out
        assert "[red]x" in out
