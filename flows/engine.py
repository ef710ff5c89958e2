"""Where a flow runs: on the Prefect server when one is configured, else right here.

With a server (`PREFECT_API_URL`, a Prefect profile, a worker's run) every flow and batch is
a run on it: logs, artifacts, retries, the UI. Without one, Prefect would start a temporary
server in each `pp` process (seconds per command, for a database nobody looks at), so the
same flow functions run directly instead, as plain calls: the terminal is where the person
who typed the command looks. A deployment's run is always on its server."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from prefect import Flow, Task
from prefect.context import FlowRunContext
from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, get_current_settings, temporary_settings
from prefect.utilities.callables import get_call_parameters

P = ParamSpec("P")
R = TypeVar("R")


def server_configured() -> bool:
    """A Prefect server to record runs on: the API URL Prefect itself resolves (environment,
    profile, or a test harness)."""
    return get_current_settings().api.url is not None


def in_flow_run() -> bool:
    """Inside a run a Prefect server records (artifacts and task runs have somewhere to go)."""
    return FlowRunContext.get() is not None


class PipelineFlow(Flow[P, R]):
    """A Prefect flow that, called with no server configured, runs as a plain function (its
    parameters validated and coerced by their annotations first, as Prefect does for a run).

    A run a command starts beats no heartbeat: its process is the terminal of the person who
    typed it, and stopping the heartbeat thread costs up to a second at the end of every
    run (it sleeps in one-second steps). Runs of deployments keep theirs."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not server_configured():  # parameters checked and coerced as a recorded run's are
            parameters = get_call_parameters(self.fn, args, kwargs)
            call: Callable[..., Any] = self.fn
            return call(**self.validate_parameters(parameters))
        if in_flow_run():  # a subflow: as its parent
            return super().__call__(*args, **kwargs)
        with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
            return super().__call__(*args, **kwargs)


class PipelineTask(Task[P, R]):
    """A Prefect task that, called outside a recorded flow run, runs as a plain function."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if in_flow_run():
            return super().__call__(*args, **kwargs)
        return self.fn(*args, **kwargs)


def pipeline_flow(**options: Any) -> Callable[[Callable[P, R]], PipelineFlow[P, R]]:
    """`@prefect.flow(**options)`, recorded when a server is configured, direct otherwise."""

    def wrap(fn: Callable[P, R]) -> PipelineFlow[P, R]:
        return PipelineFlow(fn, **options)

    return wrap


def pipeline_task(**options: Any) -> Callable[[Callable[P, R]], PipelineTask[P, R]]:
    """`@prefect.task(**options)`, a task run inside a recorded flow run, a call otherwise."""

    def wrap(fn: Callable[P, R]) -> PipelineTask[P, R]:
        return PipelineTask(fn, **options)

    return wrap
