"""What a flow run did, published as Prefect artifacts: where operators look (the UI's
Artifacts page and each run's page). Keys are stable, so the UI keeps each key's history."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast
from uuid import UUID

import polars as pl
from prefect.artifacts import create_progress_artifact, create_table_artifact, update_progress_artifact

from flows import progress
from schemas.text import printable

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
    """`rows` as the table artifact `key`."""
    records = rows.to_dicts() if isinstance(rows, pl.DataFrame) else rows
    create_table_artifact(
        key=key,
        table=[{column: _shown(value) for column, value in row.items()} for row in records],
        description=str(_shown(description)),
    )


def publish_counts(key: str, counts: Mapping[str, object], description: str) -> None:
    """Counts as a two-column (measure, value) table artifact."""
    publish_table(key, [{"measure": k, "value": v} for k, v in counts.items()], description)


def expected_rows(path: Path) -> int | None:
    """About how many data rows a CSV file holds (its line breaks, read a megabyte at a time;
    quoted line breaks count too: an estimate for progress only); None for a workbook."""
    if path.suffix.lower() != ".csv":
        return None
    with path.open("rb") as file:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: file.read(1 << 20), b""))


@contextmanager
def progress_artifact(key: str, what: str, expected_rows: int | None) -> Iterator[None]:
    """A progress artifact moved by every batch the flow reports (`flows.progress`); with no
    estimate of the rows it waits at 0 % and tells the rows read so far. 100 % once done."""
    # flows here are synchronous: the call returns the id, not a coroutine
    artifact_id = cast(UUID, create_progress_artifact(0.0, key=key, description=f"{what}: starting"))
    done = 0

    def advance(_step: str, amount: int) -> None:
        nonlocal done
        done += amount
        share = min(99.0, 100.0 * done / expected_rows) if expected_rows else 0.0
        update_progress_artifact(artifact_id, share, description=f"{what}: {done:,} rows read")

    with progress.listening(advance):
        yield
    update_progress_artifact(artifact_id, 100.0, description=f"{what}: done, {done:,} rows read")
