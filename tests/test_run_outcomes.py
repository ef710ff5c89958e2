"""What operators see of a run: its name, its outcome artifacts, the project's warnings in
its logs; and the instant a scheduled run reasons at."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import polars as pl
import pytest
from prefect import flow
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterFlowRunId,
    LogFilter,
    LogFilterFlowRunId,
)
from prefect.logging.handlers import APILogWorker
from prefect.runtime import flow_run

from flows.ingest import ingest_feed
from flows.runtime import run_as_of
from flows.sweeps import sweep_bookings, sweep_sla
from schemas.enums import Temperature
from schemas.errors import PipelineError

pytestmark = pytest.mark.usefixtures("prefect_server")

AS_OF = datetime(2026, 3, 6, 13, 30, tzinfo=UTC)
DEADLINE = datetime(2026, 3, 10, 7, 30, tzinfo=UTC)  # of a hot lead arrived at AS_OF in Moscow


def _run(state) -> tuple[str, dict[str, object]]:
    """A finished flow run's name and its artifacts (key -> data) read back from the server."""
    run_id: UUID = state.state_details.flow_run_id
    with get_client(sync_client=True) as client:
        name = client.read_flow_run(run_id).name
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run_id]))
        )
    return name, {a.key: a.data for a in artifacts}


def _table(data: object) -> pl.DataFrame:
    return pl.DataFrame(json.loads(data) if isinstance(data, str) else data)


def _feed(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    path.write_text(
        "inn,region,product,phone,email,external_id\n"
        "7707083893,77,diadoc,89123456789,buh@example.ru,a\n"
        "6663003127,77,diadoc,89123456780,,b\n",
        encoding="utf-8",
    )
    return path


def test_an_ingest_and_an_sla_sweep_say_what_they_did(warehouse, tmp_path):
    feed = _feed(tmp_path, "calls-2026-03.csv")
    state = ingest_feed(
        path=str(feed), source="connection_request", as_of=AS_OF, warehouse=str(warehouse), return_state=True
    )
    name, artifacts = _run(state)
    assert name == "ingest connection_request calls-2026-03.csv"
    counts = dict(_table(artifacts["feed-1"]).iter_rows())
    assert counts["rows_read"] == counts["created"] + counts["merged"] + counts["quarantined"] == 2
    assert counts["assigned"] == counts["created"] > 0
    assert "ingest-progress" not in artifacts  # read in one batch: the outcome says it all

    late = DEADLINE + timedelta(hours=1)
    swept = sweep_sla(temperature=Temperature.HOT, as_of=late, warehouse=str(warehouse), return_state=True)
    result = swept.result()
    name, artifacts = _run(swept)
    assert name == "sweep sla hot 2026-03-10T08:30+00:00"
    table = _table(artifacts["sweep-sla"])
    assert set(table["temperature"]) == {"hot"}
    assert int(table["breaches"].sum()) == result["breaches_recorded"] == counts["created"]
    assert (
        int(table["transferred"].sum() + table["no_target"].sum()) == counts["created"]
    )  # each breached lead moved or stayed
    assert int(table["transferred"].sum()) == result["transferred"]


def test_a_feed_read_in_several_batches_shows_its_progress(warehouse, tmp_path, monkeypatch):
    monkeypatch.setenv("PP_BATCH_ROWS", "1")
    state = ingest_feed(
        path=str(_feed(tmp_path, "two-batches.csv")),
        source="connection_request",
        as_of=AS_OF,
        warehouse=str(warehouse),
        return_state=True,
    )
    with get_client(sync_client=True) as client:
        progress = client.read_artifacts(
            artifact_filter=ArtifactFilter(
                flow_run_id=ArtifactFilterFlowRunId(any_=[state.state_details.flow_run_id])
            )
        )
    (shown,) = [artifact for artifact in progress if artifact.key == "ingest-progress"]
    assert shown.data == 100.0
    assert shown.description == "ingest two-batches.csv: done, 2 rows read"


def test_a_booking_sweep_publishes_its_blocked_leads_by_sc(warehouse):
    state = sweep_bookings(as_of=AS_OF, warehouse=str(warehouse), return_state=True)
    name, artifacts = _run(state)
    assert name == "sweep bookings 2026-03-06T13:30+00:00"
    assert json.loads(artifacts["sweep-bookings"]) == []


def test_a_project_warning_inside_a_flow_reaches_the_run_logs():
    @flow(name="warns")
    def warns() -> None:
        logging.getLogger("warehouse.store").warning("warehouse busy; waiting for it to finish")

    state = warns(return_state=True)
    APILogWorker.drain_all()
    with get_client(sync_client=True) as client:
        logs = client.read_logs(
            log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[state.state_details.flow_run_id]))
        )
    messages = [entry.message for entry in logs if entry.name == "warehouse.store"]
    assert messages == ["warehouse busy; waiting for it to finish"]


SCHEDULED = datetime(2026, 3, 6, 11, 0, tzinfo=UTC)


def test_a_run_without_as_of_reasons_at_its_scheduled_start(monkeypatch):
    monkeypatch.setattr(flow_run, "scheduled_start_time", SCHEDULED)
    assert run_as_of(None) == SCHEDULED
    given = datetime(2026, 3, 6, 14, 0, tzinfo=UTC)
    assert run_as_of(given) == given  # an explicit --as-of wins
    monkeypatch.setattr(flow_run, "scheduled_start_time", datetime(1999, 1, 1, tzinfo=UTC))
    with pytest.raises(PipelineError, match="outside the production calendar"):
        run_as_of(None)


def test_outside_a_run_the_instant_is_now():
    before = datetime.now(UTC)
    assert before <= run_as_of(None) <= datetime.now(UTC)


def test_a_late_sweep_reasons_at_its_scheduled_instant(warehouse, tmp_path, monkeypatch):
    ingest_feed(
        path=str(_feed(tmp_path, "a.csv")), source="connection_request", as_of=AS_OF, warehouse=str(warehouse)
    )
    monkeypatch.setattr(flow_run, "scheduled_start_time", DEADLINE - timedelta(minutes=1))
    on_time = sweep_sla(warehouse=str(warehouse))  # started "now", scheduled before the deadline
    assert on_time["breaches_recorded"] == 0


def test_a_flow_run_directly_takes_its_parameters_as_a_recorded_run_does(warehouse):
    """Without a server the flow is a plain call, yet `"hot"` is read as Temperature.HOT and
    an ISO text as an instant, as Prefect reads a deployment's parameters."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: None}):
        result = sweep_sla(temperature="hot", as_of="2026-03-10T08:30:00+00:00", warehouse=str(warehouse))
    assert result["breaches_recorded"] == 0


@pytest.mark.parametrize(("batch_rows", "task_runs"), [("250000", 0), ("1", 2)])
def test_only_a_feed_read_in_several_batches_has_a_task_run_per_batch(
    warehouse, tmp_path, monkeypatch, batch_rows, task_runs
):
    """A one-batch feed runs its batch in the flow run (no task run's API calls for a command);
    a longer one shows each batch in the UI."""
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    monkeypatch.setenv("PP_BATCH_ROWS", batch_rows)
    state = ingest_feed(
        path=str(_feed(tmp_path, "calls.csv")),
        source="connection_request",
        as_of=AS_OF,
        warehouse=str(warehouse),
        return_state=True,
    )
    assert state.result()["rows_read"] == 2
    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[state.state_details.flow_run_id]))
        )
    assert len([run for run in runs if run.name.startswith("ingest-batch")]) == task_runs
