"""Every deployment in prefect.yaml names a flow that imports and accepts its parameters."""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

import pytest
import yaml
from prefect import Flow

ROOT = Path(__file__).resolve().parent.parent
DEPLOYMENTS = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))["deployments"]


@pytest.mark.parametrize("deployment", DEPLOYMENTS, ids=[d["name"] for d in DEPLOYMENTS])
def test_entrypoint_is_a_flow_taking_its_parameters(deployment):
    file_name, attribute = deployment["entrypoint"].split(":")
    assert (ROOT / file_name).is_file()
    module = importlib.import_module(file_name.removesuffix(".py").replace("/", "."))
    flow = getattr(module, attribute)
    assert isinstance(flow, Flow)
    accepted = inspect.signature(flow.fn).parameters
    assert set(deployment.get("parameters") or {}) <= set(accepted)
    assert "as_of" in accepted  # every flow takes an explicit instant (SPEC §2)


@pytest.mark.parametrize("deployment", DEPLOYMENTS, ids=[d["name"] for d in DEPLOYMENTS])
def test_every_run_logs_through_the_project_loggers(deployment):
    """A worker's run sets Prefect's logging up before it imports the flow, so the project's
    loggers reach the run's logs only when the run's environment names them."""
    from flows import PROJECT_LOGGERS

    env = deployment["work_pool"]["job_variables"]["env"]
    assert env["PREFECT_LOGGING_EXTRA_LOGGERS"] == PROJECT_LOGGERS
