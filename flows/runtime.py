"""What a flow run knows about itself: the instant it reasons at and the name it shows.

A deployment's run may start late (a busy worker, a back-log after an outage): it reasons at
its scheduled instant, so replayed runs decide as they would have on time. A run without a
schedule (a `pp` command) has a scheduled start equal to its start: it reasons at "now"."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path

from prefect.runtime import flow_run

from schemas.instants import resolve_as_of
from schemas.text import printable

FILE_PARAMETERS = frozenset({"path", "root"})  # shown by the file's name alone


def scheduled_instant() -> datetime:
    """The current flow run's scheduled start (now, outside a run), in UTC."""
    scheduled = flow_run.scheduled_start_time
    if scheduled is None:
        return datetime.now(UTC)
    return datetime.fromtimestamp(scheduled.timestamp(), tz=UTC)


def run_as_of(as_of: datetime | None) -> datetime:
    """The instant a flow reasons at: `as_of` when given, else the run's scheduled start."""
    return resolve_as_of(scheduled_instant() if as_of is None else as_of)


def _word(name: str, value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat(timespec="minutes")
    if isinstance(value, Enum):
        return str(value.value)
    if name in FILE_PARAMETERS:
        return Path(str(value)).name
    return str(value)


def run_name(label: str, *shown: str, instant: bool = True) -> Callable[[], str]:
    """A `flow_run_name` saying what ran: `label`, the `shown` parameters that are set, and
    (with `instant`) the `as_of` given or else the scheduled start, e.g.
    `sweep sla hot 2026-03-06T14:00+03:00`. Printable, and only parameters that hold no
    personal data belong in `shown`."""

    def name() -> str:
        parameters = flow_run.parameters
        words = [label, *(_word(p, parameters[p]) for p in shown if parameters.get(p) is not None)]
        if instant:
            given = parameters.get("as_of")
            words.append(_word("as_of", given if isinstance(given, datetime) else scheduled_instant()))
        return printable(" ".join(words))

    return name
