"""One writer at a time (DuckDB admits one writer per file): a second writing run waits for
the first and says so, instead of failing on the file lock; both succeed. A flow run on a
server without the `warehouse-write` limit is refused in one line rather than let through; a
single-lead command writes under the lock file alone."""

from __future__ import annotations

import os
import select
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest
from filelock import FileLock

from schemas.errors import PipelineError
from tests.support import start
from warehouse import store

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_server")]


def _env(tmp_path: Path) -> dict[str, str]:
    from prefect.settings import PREFECT_API_URL

    # the session's Prefect server, so the runs take the `warehouse-write` slot too
    return {**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value()), "PP_OUTBOX_DIR": str(tmp_path)}


def _feed(tmp_path: Path, name: str, inns: list[str]) -> Path:
    path = tmp_path / name
    path.write_text(
        "inn,region,product,phone\n" + "".join(f"{i},77,extern,8912345{n:04d}\n" for n, i in enumerate(inns))
    )
    return path


def _ingest_args(warehouse: Path, feed: Path) -> list[str]:
    return ["--warehouse", str(warehouse), "ingest", str(feed), "--source", "call_base",
            "--as-of", "2026-03-02T09:00:00+03:00"]  # fmt: skip


def _ingest(warehouse: Path, feed: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return start(*_ingest_args(warehouse, feed), env=env)


def _leads(warehouse: Path) -> int:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute("SELECT count(*) FROM leads").fetchall()[0][0]


def test_a_writer_waits_for_the_one_holding_the_warehouse_and_says_so(warehouse, tmp_path):
    lock = FileLock(f"{warehouse}.lock")
    lock.acquire()
    run = _ingest(warehouse, _feed(tmp_path, "a.csv", ["7707083893"]), _env(tmp_path))
    try:
        said = _stderr_until(run, WAITING, seconds=120)  # however long start-up takes here
        assert run.poll() is None, said  # still waiting, not failed
    finally:
        lock.release()
    _, rest = run.communicate(timeout=120)
    assert run.returncode == 0, said + rest
    assert WAITING in said
    assert _leads(warehouse) == 1


WAITING = "another run is writing; waiting for it to finish"


def _stderr_until(run: subprocess.Popen[str], text: str, *, seconds: float) -> str:
    """What the process wrote on stderr until it said `text`, ended, or time ran out."""
    assert run.stderr is not None
    said, deadline = b"", time.monotonic() + seconds
    while text.encode() not in said and run.poll() is None and time.monotonic() < deadline:
        ready, _, _ = select.select([run.stderr], [], [], 0.2)
        if ready:
            said += os.read(run.stderr.fileno(), 65536)
    return said.decode(errors="replace")


def test_two_concurrent_writing_runs_both_succeed(warehouse, tmp_path):
    env = _env(tmp_path)
    first = _ingest(warehouse, _feed(tmp_path, "a.csv", ["7707083893", "7736050003"]), env)
    second = _ingest(warehouse, _feed(tmp_path, "b.csv", ["7702070139", "7710140679"]), env)
    for run in (first, second):
        _, err = run.communicate(timeout=180)
        assert run.returncode == 0, err
    assert _leads(warehouse) == 4


@contextmanager
def _without_the_write_limit() -> Iterator[None]:
    """The session's server as one nobody ran `pp server setup` on, for the block."""
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        client.delete_global_concurrency_limit_by_name(store.WRITE_SLOT)
    try:
        yield
    finally:
        with get_client(sync_client=True) as client:
            client.upsert_global_concurrency_limit_by_name(store.WRITE_SLOT, 1)


def test_a_server_without_the_write_limit_is_refused_in_one_line(warehouse):
    from prefect import flow

    with _without_the_write_limit():
        _refused_without_the_slot(warehouse, flow)


def _refused_without_the_slot(warehouse: Path, flow) -> None:

    @flow(name="writes")
    def writes() -> None:
        with store.write_lock(warehouse):
            pytest.fail("wrote without the slot")

    with pytest.raises(PipelineError) as refused:
        writes()
    message = str(refused.value)
    assert "\n" not in message
    assert "no global concurrency limit 'warehouse-write'" in message
    assert "pp server setup" in message


def test_a_single_lead_command_writes_under_the_lock_file_alone(monkeypatch, capsys, warehouse, tmp_path):
    """A command that is no flow neither needs nor asks the server: it works with the
    server's limit missing, and with no server answering at all."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from tests.support import run

    feed = _feed(tmp_path, "a.csv", ["7707083893"])
    with temporary_settings(updates={PREFECT_API_URL: None}):  # the lead to act on, loaded directly
        code, _, err = run(monkeypatch, capsys, *_ingest_args(warehouse, feed))
    assert code == 0, err
    actions = (["take", "--contact", "call"], ["stage", "--stage", "offer_made"])
    servers = (str(PREFECT_API_URL.value()), "http://127.0.0.1:9/api")
    with _without_the_write_limit():
        for server, action in zip(servers, actions, strict=True):
            monkeypatch.setenv("PREFECT_API_URL", server)
            code, out, err = run(monkeypatch, capsys, "--warehouse", str(warehouse), "lead", action[0], "1",
                                 *action[1:], "--as-of", "2026-03-02T10:00:00+03:00")  # fmt: skip
            assert code == 0, err
            assert out == "lead 1 is in_work\n"
