"""A lake's own upkeep (DuckLake's functions): small files merged, old snapshots expired and
their files deleted, the snapshots kept. Only a lake has any of this (`store.is_lake`)."""

from __future__ import annotations

from datetime import datetime

import polars as pl

from warehouse.store import LAKE, Connection, frame, scalar


def merge_small_files(con: Connection) -> pl.DataFrame:
    """Merge each table's adjacent small data files (the many little commits of single-lead
    actions and sweeps): schema_name, table_name, files_processed, files_created."""
    return frame(con, "SELECT * FROM ducklake_merge_adjacent_files(?)", [LAKE])


def expire_snapshots(con: Connection, older_than: datetime) -> int:
    """Forget the snapshots taken before `older_than` (the latest is always kept): time travel
    to them ends, and the files only they used are scheduled for deletion. Returns how many."""
    return int(
        scalar(con, "SELECT count(*) FROM ducklake_expire_snapshots(?, older_than => ?)", [LAKE, older_than])
    )


def delete_expired_files(con: Connection, older_than: datetime) -> int:
    """Delete the data files scheduled for deletion before `older_than`; returns how many."""
    return int(
        scalar(con, "SELECT count(*) FROM ducklake_cleanup_old_files(?, older_than => ?)", [LAKE, older_than])
    )


def snapshot_range(con: Connection) -> tuple[int, int]:
    """The oldest and the latest snapshot the lake keeps."""
    first, last = con.execute(
        f"SELECT min(snapshot_id), max(snapshot_id) FROM {LAKE}.snapshots()"
    ).fetchall()[0]
    return int(first), int(last)
