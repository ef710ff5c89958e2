"""The deployments as data engineers run them: a real Prefect server and a process worker on
loopback, `pp server setup` and `prefect.yaml` deployed as they are, the ingest deployment run
with a small feed, a failed run announced to a loopback webhook, an overlapping run cancelled.
Bounded in time; the server, its home and the warehouse are removed afterwards."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
STARTUP_SECONDS = 180
RUN_SECONDS = 240
ALERT_SECONDS = 60


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
def webhook() -> Iterator[tuple[str, queue.Queue[dict[str, str]]]]:
    """A loopback receiver: the URL to post to, and the JSON documents posted."""
    received: queue.Queue[dict[str, str]] = queue.Queue()

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.put(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    listener = HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=listener.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.server_port}/alerts", received
    finally:
        listener.shutdown()
        listener.server_close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, webhook) -> Iterator[dict[str, str]]:
    """A Prefect server on a free loopback port, set up by `pp server setup` and deployed."""
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
        for _ in range(2):  # a second setup changes nothing and fails nothing
            _pp(env, "server", "setup", "--webhook", webhook[0])
        deployed = _prefect(env, "deploy", "--all", timeout=180)
        for name in (
            "ingest",
            "sla-hot-hourly",
            "sla-warm-cold-daily",
            "bookings-daily",
            "notify",
            "report-weekly",
        ):
            assert name in deployed
        yield env
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()


def _pp(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [str(BIN / "pp"), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, f"pp {' '.join(args)}: {done.stdout}\n{done.stderr}"
    return done.stdout


def _run(env: dict[str, str], deployment: str, parameters: dict[str, str]) -> str:
    started = _prefect(env, "deployment", "run", deployment, "--params", json.dumps(parameters))
    run_id = re.search(r"UUID: ([0-9a-f-]{36})", started)
    assert run_id, started
    return run_id[1]


def _work_until(env: dict[str, str], run_id: str, *states: str) -> str:
    """Let workers take runs until this one reaches one of `states`; its `inspect` text."""
    deadline = time.monotonic() + RUN_SECONDS
    while True:  # a worker that polls before the run is due takes nothing
        _prefect(env, "worker", "start", "--pool", "potential-sales", "--run-once", timeout=RUN_SECONDS)
        state = _prefect(env, "flow-run", "inspect", run_id)
        if any(name in state for name in states):
            return state
        assert time.monotonic() < deadline, f"the flow run did not reach {states} in time: {state}"


def test_setup_creates_the_write_limit(server):
    limit = _prefect(server, "gcl", "inspect", "warehouse-write", "--output", "json")
    assert json.loads(limit)["limit"] == 1
    assert "process" in _prefect(server, "work-pool", "inspect", "potential-sales")
    alert = _prefect(server, "automation", "inspect", "potential-sales run failed")
    assert "prefect.tag.potential-sales" in alert


def test_a_failed_run_is_announced_to_the_webhook(server, webhook, tmp_path):
    parameters = {
        "path": str(tmp_path / "missing.csv"),
        "source": "call_base",
        "warehouse": str(tmp_path / "pp.duckdb"),
    }
    run_id = _run(server, "ingest-feed/ingest", parameters)
    _work_until(server, run_id, "FAILED")  # a bad file is not retried
    alert = webhook[1].get(timeout=ALERT_SECONDS)
    assert "ingest-feed" in alert["subject"]
    assert "Failed" in alert["subject"]
    assert run_id in alert["body"]


def test_an_overlapping_run_of_a_limited_deployment_is_cancelled(server, warehouse):
    first, second = (_run(server, "notify/notify", {"warehouse": str(warehouse)}) for _ in range(2))
    _work_until(server, first, "COMPLETED", "FAILED", "CRASHED")
    assert "CANCELLED" in _prefect(server, "flow-run", "inspect", second)


def test_the_ingest_deployment_runs_on_a_worker(server, tmp_path):
    from flows.initialise import init_warehouse

    warehouse = tmp_path / "pp.duckdb"
    init_warehouse(warehouse)
    feed = tmp_path / "feed.csv"
    feed.write_text("inn,region,product,phone\n7707083893,77,extern,89123456789\n", encoding="utf-8")
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
        assert "FAILED" not in state, state
        assert "CRASHED" not in state, state

    with duckdb.connect(str(warehouse), read_only=True) as con:
        landed = con.execute("SELECT inn, sc_id IS NOT NULL FROM leads").fetchall()
    assert landed == [("7707083893", True)]
    assert "feed-1" in _prefect(server, "artifact", "ls")
