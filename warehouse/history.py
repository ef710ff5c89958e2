"""The lead history, `lead_events`: appended, never rewritten, by this module only."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from warehouse.store import Connection, run


def append(con: Connection, rows: str, params: Mapping[str, Any] | None = None) -> None:
    """Append the history rows (lead_id, occurred_at, kind, actor, detail) of the relation
    `rows`: a table of the transaction or a `read_parquet($name)` of a staged frame."""
    table = "lead_events"
    run(
        con,
        f'INSERT INTO "{table}" BY NAME SELECT lead_id, occurred_at, kind, actor, detail FROM {rows}',
        params or {},
    )
