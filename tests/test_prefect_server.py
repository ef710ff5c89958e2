"""The deployments as data engineers run them: a real Prefect server and a process worker on
loopback, `pp server setup` and `prefect.yaml` deployed as they are, the ingest and landing
deployments run with small feeds, a late scheduled sweep replayed at its slot, a failed run
announced to a loopback webhook, an overlapping run cancelled.
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
from datetime import UTC, datetime
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
        _quiet_schedules(env)
        yield env
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()


def _quiet_schedules(env: dict[str, str]) -> None:
    """The deployments' schedules are paused and the runs they already planned deleted: a
    worker under test takes only the runs its test starts, not a scheduled landing or notify
    run on the default warehouse that happens to fall due meanwhile."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterState, FlowRunFilterStateType
    from prefect.client.schemas.objects import StateType
    from prefect.settings import PREFECT_API_URL, temporary_settings

    _prefect(env, "deployment", "schedule", "pause", "--all")
    planned = FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.SCHEDULED])))
    with (
        temporary_settings(updates={PREFECT_API_URL: env["PREFECT_API_URL"]}),
        get_client(sync_client=True) as client,
    ):
        for run in client.read_flow_runs(flow_run_filter=planned):
            client.delete_flow_run(run.id)


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
    """Two runs of `notify` at once: one runs, the other is cancelled. Which one the worker
    starts first is its choice, so either may be the cancelled one."""
    final = ("COMPLETED", "FAILED", "CRASHED", "CANCELLED")
    runs = [_run(server, "notify/notify", {"warehouse": str(warehouse)}) for _ in range(2)]
    ended = [_work_until(server, run_id, *final) for run_id in runs]
    states = sorted(next(name for name in final if name in text) for text in ended)
    assert states == ["CANCELLED", "COMPLETED"], ended


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


def _logs(env: dict[str, str], run_id: str) -> str:
    return _prefect(env, "flow-run", "logs", run_id)


def test_the_landing_deployment_moves_each_file_on_a_worker(server, tmp_path):
    from flows.initialise import init_warehouse

    warehouse = tmp_path / "pp.duckdb"
    init_warehouse(warehouse)
    drop = tmp_path / "landing" / "call_base"
    drop.mkdir(parents=True)
    for n in (1, 2):
        (drop / f"calls-{n}.csv").write_text(
            f"inn,region,product,phone\n7707083893,77,extern,8912345678{n}\n", encoding="utf-8"
        )
    (drop / "no-contacts.csv").write_text("inn,region,product\n7707083893,77,extern\n", encoding="utf-8")
    run_id = _run(
        server,
        "ingest-landing/ingest-landing",
        {
            "root": str(tmp_path / "landing"),
            "warehouse": str(warehouse),
            "as_of": "2026-03-02T09:00:00+03:00",
        },
    )
    state = _work_until(server, run_id, "COMPLETED", "FAILED", "CRASHED")
    assert "COMPLETED" in state, state
    assert sorted(p.name for p in (drop / "done").iterdir()) == ["calls-1.csv", "calls-2.csv"]
    assert sorted(p.name for p in (drop / "failed").iterdir()) == [
        "no-contacts.csv",
        "no-contacts.csv.error.txt",
    ]
    assert "phone or email" in (drop / "failed" / "no-contacts.csv.error.txt").read_text(encoding="utf-8")
    assert "landing" in _prefect(server, "artifact", "ls")


def test_a_late_scheduled_sweep_reasons_at_its_scheduled_instant_and_says_so(server, tmp_path):
    """A back-log replays as it would have run on time: the hourly hot sweep, started by the
    worker long after its slot, records the breach at the slot's instant; its run carries its
    artifact and its log lines."""
    from datetime import timedelta

    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings
    from prefect.states import Scheduled

    from flows.ingest import ingest_feed
    from flows.initialise import init_warehouse

    warehouse = tmp_path / "pp.duckdb"
    init_warehouse(warehouse)
    feed = tmp_path / "hot.csv"
    feed.write_text("inn,region,product,phone\n7707083893,77,diadoc,89123456789\n", encoding="utf-8")
    ingest_feed(
        path=str(feed),
        source="connection_request",  # hot: 3 working hours
        as_of=_instant("2026-03-02T09:00:00+03:00"),
        warehouse=str(warehouse),
    )
    with duckdb.connect(str(warehouse), read_only=True) as con:
        (deadline,) = con.execute("SELECT accept_deadline FROM leads").fetchone()
    slot = deadline + timedelta(hours=1)  # months ago: the run is long overdue when the worker starts it
    with (
        temporary_settings(updates={PREFECT_API_URL: server["PREFECT_API_URL"]}),
        get_client(sync_client=True) as client,
    ):
        deployment = client.read_deployment_by_name("sweep-sla/sla-hot-hourly")
        run = client.create_flow_run_from_deployment(
            deployment.id, parameters={"warehouse": str(warehouse)}, state=Scheduled(scheduled_time=slot)
        )
    told = {**server, "PREFECT_LOGGING_LEVEL": "INFO"}  # the run's log at the level operators read
    state = _work_until(told, str(run.id), "COMPLETED", "FAILED", "CRASHED")
    assert "COMPLETED" in state, state
    with duckdb.connect(str(warehouse), read_only=True) as con:
        detected = con.execute("SELECT detected_at FROM sla_breaches").fetchall()
    assert detected == [(slot,)]
    assert f"sweep sla hot {slot.astimezone(UTC).isoformat(timespec='minutes')}" in state
    assert "sweep-sla" in _prefect(server, "artifact", "ls")
    logged = _logs(server, str(run.id))
    assert f"SLA sweep at {slot.astimezone(UTC).isoformat(timespec='minutes')}: 1 breaches" in logged
    assert "Finished in state Completed" in logged


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_a_command_run_on_the_server_logs_there_and_keeps_the_terminal_clean(server, tmp_path):
    """`pp ingest` with a server configured: the run's log lines, the project's outcome line
    among them, reach the server; the terminal shows only pp's own summary."""
    from flows.initialise import init_warehouse

    warehouse = tmp_path / "pp.duckdb"
    init_warehouse(warehouse)
    feed = tmp_path / "typed-by-hand.csv"
    feed.write_text("inn,region,product,phone\n7707083893,77,extern,89123456789\n", encoding="utf-8")
    done = subprocess.run(
        [str(BIN / "pp"), "--warehouse", str(warehouse), "ingest", str(feed), "--source", "call_base"],
        cwd=ROOT,
        env={k: v for k, v in server.items() if k != "PREFECT_LOGGING_LEVEL"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == ""  # no log line: only the progress line, which clears itself
    assert "typed-by-hand.csv" in done.stdout
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName
    from prefect.settings import PREFECT_API_URL, temporary_settings

    named = FlowRunFilter(name=FlowRunFilterName(any_=["ingest call_base typed-by-hand.csv"]))
    with (
        temporary_settings(updates={PREFECT_API_URL: server["PREFECT_API_URL"]}),
        get_client(sync_client=True) as client,
    ):
        (run,) = client.read_flow_runs(flow_run_filter=named)
    assert "Feed 1: typed-by-hand.csv (call_base): rows read 1, created 1" in _logs(server, str(run.id))
