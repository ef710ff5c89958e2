"""Named queries and writes of the notification outbox (SPEC §8): notices and notifications."""

from __future__ import annotations

from datetime import datetime

import polars as pl

from schemas.enums import Channel
from warehouse.store import Connection, claim_writes, frame, run, run_script, scalar, sql, staged


def insert_notices(con: Connection, notices: pl.DataFrame) -> int:
    if notices.is_empty():
        return 0
    before = int(scalar(con, "SELECT count(*) FROM notices"))
    with staged(notices=notices) as files:
        run(con, sql("insert_notices"), files)
    return int(scalar(con, "SELECT count(*) FROM notices")) - before


def group_due_notices(con: Connection, as_of: datetime, channels: tuple[Channel, ...], domain: str) -> int:
    """Turn the notices due at `as_of` into notification rows; returns how many were made."""
    groups = frame(con, sql("due_notice_groups"), {"as_of": as_of, "channels": [c.value for c in channels]})
    if groups.is_empty():
        return 0
    claim_writes(con, "notifications")  # ids as max + 1 (`store.CLAIMS`)
    first = int(scalar(con, "SELECT coalesce(max(notification_id), 0) + 1 FROM notifications"))
    numbered = groups.with_columns(
        notification_id=pl.int_range(pl.len(), dtype=pl.Int64) + first,
        digest_day=pl.col("digest_day").cast(pl.Date),
    )
    with staged(groups=numbered) as files:
        run_script(con, sql("create_notifications"), {"as_of": as_of, "domain": domain, **files})
    return numbered.height


def claim(
    con: Connection,
    *,
    as_of: datetime,
    kinds: tuple[Channel, ...],
    now: datetime,
    claim_until: datetime,
    batch: int,
) -> list[int]:
    run_script(
        con,
        sql("claim_notifications"),
        {
            "as_of": as_of,
            "kinds": [k.value for k in kinds],
            "now": now,
            "claim_until": claim_until,
            "batch": batch,
        },
    )
    rows = con.execute("SELECT notification_id FROM claimed ORDER BY notification_id").fetchall()
    return [int(row[0]) for row in rows]


def letter_lines(con: Connection, ids: list[int]) -> pl.DataFrame:
    return frame(con, sql("letter_lines"), {"ids": ids})


def mark_sent(con: Connection, ids: list[int], as_of: datetime) -> None:
    if ids:
        run(con, sql("mark_sent"), {"ids": ids, "as_of": as_of})


def mark_failed(
    con: Connection,
    failed: pl.DataFrame,
    *,
    as_of: datetime,
    max_attempts: int,
    base_seconds: int,
    max_seconds: int,
) -> pl.DataFrame:
    """Record one failed attempt of each message (notification_id, permanent, reason); returns
    their rows as they now stand (status failed: given up; pending: retried later)."""
    with staged(failed=failed.select("notification_id", "permanent", "reason")) as files:
        run(
            con,
            sql("mark_failed"),
            {
                "as_of": as_of,
                "max_attempts": max_attempts,
                "base_seconds": base_seconds,
                "max_seconds": max_seconds,
                **files,
            },
        )
    return frame(
        con,
        "SELECT notification_id, sc_id, kind, status, attempts, next_attempt_at, last_error "
        "FROM notifications WHERE list_contains($ids, notification_id) ORDER BY notification_id",
        {"ids": failed["notification_id"].to_list()},
    )
