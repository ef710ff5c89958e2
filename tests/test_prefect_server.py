"""The deployments as data engineers run them: a real Prefect server and a process worker on
loopback, `prefect.yaml` deployed as it is, the ingest deployment run with a small feed.
Bounded in time; the server, its home and the warehouse are removed afterwards."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
STARTUP_SECONDS = 180
RUN_SECONDS = 240


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _prefect(env: dict[str, str], *args: str, timeout: float = 120) -> str:
    done = subprocess.run(
        [str(BIN / "prefect"), "--no-prompt", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, f"prefect {' '.join(args)}: {done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A Prefect server on a free loopback port, with the pool and the write slot created."""
    home = tmp_path_factory.mktemp("prefect-home")
    port = _free_port()
    url = f"http://127.0.0.1:{port}/api"
    env = {
        **os.environ,
        "PREFECT_HOME": str(home),
        "PREFECT_API_URL": url,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "WARNING",
    }
    log = (home / "server.log").open("w")
    process = subprocess.Popen(
        [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env={k: v for k, v in env.items() if k != "PREFECT_API_URL"},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            assert process.poll() is None, (home / "server.log").read_text()
            assert time.monotonic() < deadline, "the Prefect server did not start in time"
            time.sleep(1)
        _prefect(env, "work-pool", "create", "potential-sales", "--type", "process")
        _prefect(env, "gcl", "create", "warehouse-write", "--limit", "1")
        yield env
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()


def test_the_ingest_deployment_runs_on_a_worker(server, tmp_path):
    from flows.initialise import init_warehouse

    warehouse = tmp_path / "pp.duckdb"
    init_warehouse(warehouse)
    feed = tmp_path / "feed.csv"
    feed.write_text("inn,region,product,phone\n7707083893,77,extern,89123456789\n", encoding="utf-8")

    deployed = _prefect(server, "deploy", "--all", timeout=180)
    for name in (
        "ingest",
        "sla-hot-hourly",
        "sla-warm-cold-daily",
        "bookings-daily",
        "notify",
        "report-weekly",
    ):
        assert name in deployed
    parameters = {
        "path": str(feed),
        "source": "call_base",
        "warehouse": str(warehouse),
        "as_of": "2026-03-02T09:00:00+03:00",
    }
    started = _prefect(server, "deployment", "run", "ingest-feed/ingest", "--params", json.dumps(parameters))
    run_id = re.search(r"UUID: ([0-9a-f-]{36})", started)
    assert run_id, started
    deadline = time.monotonic() + RUN_SECONDS
    state = ""
    while "COMPLETED" not in state:  # a worker that polls before the run is due takes nothing
        assert time.monotonic() < deadline, f"the flow run did not complete in time: {state}"
        _prefect(server, "worker", "start", "--pool", "potential-sales", "--run-once", timeout=RUN_SECONDS)
        state = _prefect(server, "flow-run", "inspect", run_id[1])
        assert "FAILED" not in state and "CRASHED" not in state, state

    with duckdb.connect(str(warehouse), read_only=True) as con:
        landed = con.execute("SELECT inn, sc_id IS NOT NULL FROM leads").fetchall()
    assert landed == [("7707083893", True)]
    assert "feed-1" in _prefect(server, "artifact", "ls")
