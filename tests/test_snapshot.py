"""Readers never stop the writer: after a committed write the warehouse is copied, whole, to
`pp.duckdb.snapshot`, which analysts and `pp report` read; a writer never waits for them."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime

import duckdb
import pytest

from flows.report import report
from schemas.errors import PipelineError
from tests.support import start
from warehouse import store

AS_OF = datetime(2026, 3, 6, 13, 30, tzinfo=UTC)


def _write_marker(warehouse, name: str) -> None:
    with store.transaction(warehouse) as con:
        store.run(con, f"CREATE TABLE {name} (x INTEGER)")


def _tables(path) -> set[str]:
    with duckdb.connect(str(path), read_only=True) as con:
        return {row[0] for row in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}


def test_a_committed_write_publishes_the_snapshot_and_a_failed_one_does_not(monkeypatch, warehouse):
    monkeypatch.setenv("PP_SNAPSHOT_SECONDS", "0")
    snapshot = store.snapshot_path(warehouse)
    _write_marker(warehouse, "first")
    assert "first" in _tables(snapshot)
    before = snapshot.stat().st_mtime_ns
    with pytest.raises(duckdb.Error):  # the run fails before its commit
        _write_marker(warehouse, "second, no_such_table.x")
    assert snapshot.stat().st_mtime_ns == before
    assert "second" not in _tables(snapshot)


def test_writes_refresh_it_at_most_so_often_and_a_reader_asks_for_a_fresh_one(monkeypatch, warehouse):
    monkeypatch.setenv("PP_SNAPSHOT_SECONDS", "3600")
    snapshot = store.snapshot_path(warehouse)
    _write_marker(warehouse, "first")
    _write_marker(warehouse, "second")  # within the hour: the snapshot is not copied again
    assert "second" not in _tables(snapshot)
    os.utime(warehouse, (time.time() + 5, time.time() + 5))  # the warehouse is newer than its copy
    with store.analyst_reader(warehouse) as (con, taken):
        names = {row[0] for row in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert "second" in names
    assert abs((datetime.now(UTC) - taken).total_seconds()) < 60


@pytest.mark.slow
def test_a_writer_succeeds_while_a_reader_holds_the_snapshot_open(monkeypatch, tmp_path, warehouse):
    monkeypatch.setenv("PP_SNAPSHOT_SECONDS", "0")
    _write_marker(warehouse, "first")
    analyst = duckdb.connect(str(store.snapshot_path(warehouse)), read_only=True)  # a BI tool, left open
    try:
        env = {**{k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}, "PP_SNAPSHOT_SECONDS": "0"}
        run = start(
            "--warehouse", str(warehouse), "sanction", "exclude", "--sc", "sc-msk-1", "--forever",
            "--as-of", AS_OF.isoformat(), env=env,
        )
        _, err = run.communicate(timeout=120)
        assert run.returncode == 0, err
        assert "waiting" not in err
        assert analyst.execute("SELECT count(*) FROM sanctions").fetchone() == (0,)  # its own copy
    finally:
        analyst.close()
    with duckdb.connect(str(store.snapshot_path(warehouse)), read_only=True) as fresh:
        assert fresh.execute("SELECT count(*) FROM sanctions").fetchone() == (1,)


def test_the_report_reads_the_snapshot_and_says_how_fresh_it_is(monkeypatch, tmp_path, warehouse):
    monkeypatch.setenv("PP_SNAPSHOT_SECONDS", "3600")
    page = tmp_path / "week.html"
    result = report(period="2026-W10", out=str(page), as_of=AS_OF, warehouse=str(warehouse))
    snapshot = store.snapshot_path(warehouse)
    assert snapshot.exists()
    taken = datetime.fromtimestamp(snapshot.stat().st_mtime, UTC)
    assert abs((result["data_as_of"] - taken).total_seconds()) < 1
    stated = "Data as of " + result["data_as_of"].isoformat(timespec="seconds")
    assert stated in page.read_text(encoding="utf-8")


def test_a_snapshot_that_cannot_be_refreshed_is_one_line_for_the_reader(monkeypatch, warehouse):
    monkeypatch.setenv("PP_SNAPSHOT_SECONDS", "300")

    def full_disk(*_args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store.shutil, "copyfile", full_disk)
    reading = store.analyst_reader(warehouse)
    with pytest.raises(PipelineError, match=r"cannot refresh the snapshot .* No space left on device"):
        reading.__enter__()
    _write_marker(warehouse, "after")  # the writer is not held up: its snapshot is only logged
    assert not store.snapshot_path(warehouse).exists()
