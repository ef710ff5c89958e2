"""What a flow run did, published as Prefect artifacts: where operators look (the UI's
Artifacts page and each run's page). Keys are stable, so the UI keeps each key's history.
A flow that runs directly (no server configured) has nowhere to publish: the command prints
its outcome instead."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast
from uuid import UUID

import polars as pl
from prefect.artifacts import (
    create_markdown_artifact,
    create_progress_artifact,
    create_table_artifact,
    update_progress_artifact,
)

from flows import progress
from flows.engine import in_flow_run
from schemas.text import printable

log = logging.getLogger(__name__)  # an extra logger of Prefect: it reaches the run's logs
_NOT_IN_KEY = re.compile(r"[^a-z0-9]+")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")  # a mail server's reply may quote one


def artifact_key(*parts: object) -> str:
    """A Prefect artifact key from `parts`: lower-case letters, digits and dashes only."""
    words = (_NOT_IN_KEY.sub("-", str(part).lower()).strip("-") for part in parts)
    return "-".join(word for word in words if word)


def _shown(value: object) -> object:
    """A cell fit for Prefect's stored state: printable, e-mail addresses masked."""
    return _EMAIL.sub("<e-mail>", printable(value)) if isinstance(value, str) else value


def publish_table(key: str, rows: pl.DataFrame | Sequence[Mapping[str, Any]], description: str) -> None:
    """`rows` as the table artifact `key`, and its description as a line of the run's log."""
    if not in_flow_run():
        return
    log.info("%s", _shown(description))
    records = rows.to_dicts() if isinstance(rows, pl.DataFrame) else rows
    create_table_artifact(
        key=key,
        table=[{column: _shown(value) for column, value in row.items()} for row in records],
        description=str(_shown(description)),
    )


def publish_counts(key: str, counts: Mapping[str, object], description: str) -> None:
    """Counts as a two-column (measure, value) table artifact; the log line tells them too."""
    told = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in counts.items())
    publish_table(key, [{"measure": k, "value": v} for k, v in counts.items()], f"{description}: {told}")


def publish_markdown(key: str, markdown: str, description: str) -> None:
    """A Markdown artifact; `markdown` is the flow's own text, with no personal data."""
    if in_flow_run():
        create_markdown_artifact(markdown=markdown, key=key, description=description)


def expected_rows(path: Path) -> int | None:
    """About how many data rows a CSV file holds (its line breaks, read a megabyte at a time;
    quoted line breaks count too: an estimate for progress only); None for a workbook."""
    if path.suffix.lower() != ".csv":
        return None
    breaks, last = 0, b"\n"
    with path.open("rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            breaks, last = breaks + chunk.count(b"\n"), chunk[-1:]
    lines = breaks + (last != b"\n")
    return max(lines - 1, 0)  # the header is not a row


@contextmanager
def progress_artifact(key: str, what: str, expected_rows: int | None) -> Iterator[None]:
    """A progress artifact moved by every batch the flow reports (`flows.progress`), from the
    first batch that leaves rows to read (a file read in one batch has its outcome artifact
    only); with no estimate of the rows it stays at 0 % and tells the rows read so far."""
    if not in_flow_run():
        yield
        return
    artifact_id: UUID | None = None
    done = 0

    def advance(_step: str, amount: int) -> None:
        nonlocal done, artifact_id
        done += amount
        if artifact_id is None and expected_rows is not None and done >= expected_rows:
            return  # all read at once
        share = min(99.0, 100.0 * done / expected_rows) if expected_rows else 0.0
        description = f"{what}: {done:,} rows read"
        if artifact_id is None:  # flows here are synchronous: the call returns the id
            artifact_id = cast(UUID, create_progress_artifact(share, key=key, description=description))
        else:
            update_progress_artifact(artifact_id, share, description=description)

    with progress.listening(advance):
        yield
    if artifact_id is not None:
        update_progress_artifact(artifact_id, 100.0, description=f"{what}: done, {done:,} rows read")
