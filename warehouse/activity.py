"""Applying SC activity (SPEC §13): rows staged into temporary tables, decided set-based in
rounds under the rule tables `tasks.lifecycle` binds, written in the caller's transaction.
The one path of every SC action: a whole activity file and each `pp lead …` command. Loads
neither polars nor pyarrow: a single-lead command stages its row with bound parameters."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from warehouse import history
from warehouse.store import Connection, run, run_script, scalar, sql, staged

if TYPE_CHECKING:
    import polars as pl

COLUMNS = (
    "seq",
    "activity_id",
    "lead_id",
    "action",
    "at_utc",
    "at_local",
    "contact",
    "until_utc",
    "until_local",
    "stage",
    "invoice_id",
    "comment",
    "reason",
    "manager_id",
    "bad_field",
    "raw",
)


def begin(con: Connection, rules: Mapping[str, Sequence[Any]]) -> None:
    """The rule tables (`tasks.lifecycle.rule_columns`) and empty work tables of one apply."""
    run_script(con, sql("activity_begin"), rules)


def stage_rows(con: Connection, rows: pl.DataFrame) -> None:
    """A batch of a file's rows (the `COLUMNS`), read by `tasks.activity.activity_rows`."""
    with staged(rows=rows.select(COLUMNS)) as files:
        run(con, "INSERT INTO activity_pending BY NAME SELECT * FROM read_parquet($rows)", files)


def stage_row(con: Connection, row: Mapping[str, Any]) -> None:
    """One action, by bound parameters; absent columns are null."""
    run(
        con,
        f"INSERT INTO activity_pending ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})",
        [row.get(column) for column in COLUMNS],
    )


def decide(
    con: Connection, *, as_of: datetime, rules: Mapping[str, Sequence[Any]], fields: Mapping[str, str]
) -> int:
    """Decide every staged row and write what the applied ones change: the leads, their
    history, the breaches of late takes. `rules` are `begin`'s (with the accepted `contacts`
    and `stages`); `fields` the names refusals give the fields (`until_field`,
    `contact_field`, `invoice_field`, `comment_field`, `reason_field`). Returns the rounds."""
    run_script(con, sql("activity_prepare"), {"as_of": as_of, **rules, **fields})
    rounds = 0
    while scalar(con, "SELECT count(*) FROM activity_rows"):
        run_script(con, sql("activity_round"), fields)
        rounds += 1
    run(con, sql("activity_finish"))
    run(con, sql("record_late_take"))
    history.append(con, "(SELECT * FROM activity_done ORDER BY occurred_at, seq)")
    return rounds


class Outcome(NamedTuple):
    """What became of one staged row."""

    outcome: str  # applied, seen or refused
    reason_code: str | None
    detail: str | None
    late: bool  # it left `new` after the deadline
    status: str | None  # the lead's status after it


def outcome(con: Connection, seq: int) -> Outcome:
    found = con.execute(
        "SELECT outcome, reason_code, detail, coalesce(late, false), status FROM activity_outcome"
        " WHERE seq = ?",
        [seq],
    ).fetchall()
    return Outcome(*found[0])


def tally(con: Connection) -> dict[str, int]:
    """Rows per outcome (applied, seen, refused), late takes, and refused rows per reason
    (`reason:<code>`)."""
    counts: dict[str, int] = {}
    for name, n in con.execute(
        "SELECT outcome, count(*) FROM activity_outcome GROUP BY ALL"
        " UNION ALL SELECT 'reason:' || reason_code, count(*) FROM activity_outcome"
        " WHERE outcome = 'refused' GROUP BY ALL"
        " UNION ALL SELECT 'late', count(*) FROM activity_outcome WHERE late"
    ).fetchall():
        counts[str(name)] = int(n)
    return counts


def remember(con: Connection, feed_id: int) -> None:
    """Keep the load's applied activity_ids and quarantine its refused rows."""
    run_script(con, sql("activity_remember"), {"feed_id": feed_id})
