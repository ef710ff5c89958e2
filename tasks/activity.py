"""Rows of an activity file (SPEC §13, docs/contract.md), pure: read into the columns the
activity apply stages. Only what a cell says is read here; whether the action may happen is
the rules' (`tasks.lifecycle`, decided in `warehouse/sql/activity_*.sql`)."""

from __future__ import annotations

import polars as pl

from schemas.feed import MALFORMED_DETAIL, ROW_NUMBER, ColumnSpec, FeedLayout
from schemas.instants import UTC_US
from tasks.fields import whole_number_text
from tasks.quarantine import raw_rows
from tasks.timestamps import parse_instants

ACTIVITY_FEED = ColumnSpec(
    {
        "activity_id": ("ID",),
        "lead_id": ("ПП", "Номер ПП"),
        "action": ("Действие",),
        "at": ("Дата", "Время"),
        "contact": ("Контакт",),
        "until": ("Отложить до",),
        "stage": ("Этап",),
        "invoice_id": ("Счёт", "Счет"),
        "comment": ("Комментарий",),
        "reason": ("Причина",),
        "manager_id": ("Менеджер",),
    }
)
REQUIRED = ("activity_id", "lead_id", "action", "at")
# A time of day followed by a UTC offset: a value without one is a wall time of the lead's SC.
_HAS_OFFSET = r"[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)? ?(?:Z|[+-][0-9]{2}(?::?[0-9]{2})?)$"


def _instants(batch: pl.DataFrame, column: str) -> pl.DataFrame:
    """`<column>_utc` for values with an offset, `<column>_local` (a naive wall time) for the
    others, and `<column>_unread`: a value given but not a date and time."""
    text = batch[column]
    read = parse_instants(text, "UTC")
    aware = text.str.contains(_HAS_OFFSET).fill_null(False)
    return pl.DataFrame(
        {
            f"{column}_utc": pl.select(pl.when(aware).then(read)).to_series().cast(UTC_US),
            f"{column}_local": pl.select(pl.when(~aware).then(read.dt.replace_time_zone(None))).to_series(),
            f"{column}_unread": text.is_not_null() & read.is_null(),
        }
    )


def activity_rows(batch: pl.DataFrame, layout: FeedLayout) -> pl.DataFrame:
    """A batch from `adapters.feeds.read_batches` as the apply's rows: `seq` (the file row),
    the lead as a number, action, contact and stage in lower case, `at` and `until` as UTC
    instants or wall times, `bad_field` naming the first cell that cannot be read (a CSV row
    that does not split into the header's fields, too), and `raw`: the row as written."""
    lead = whole_number_text(pl.col("lead_id")).cast(pl.Int64, strict=False)
    rows = pl.concat([batch, _instants(batch, "at"), _instants(batch, "until")], how="horizontal")
    bad_field = pl.coalesce(
        pl.col(MALFORMED_DETAIL),
        pl.when(pl.col("activity_id").is_null()).then(pl.lit("activity_id is missing")),
        pl.when(pl.col("lead_id").is_null()).then(pl.lit("lead_id is missing")),
        pl.when(lead.is_null() | (lead < 1)).then(pl.format("lead_id '{}' is not a lead number", "lead_id")),
        pl.when(pl.col("at").is_null()).then(pl.lit("at is missing: when the action happened")),
        pl.when("at_unread").then(pl.format("at '{}' is not a date and time", "at")),
        pl.when("until_unread").then(pl.format("until '{}' is not a date and time", "until")),
    )
    return (
        rows.with_columns(
            seq=pl.col(ROW_NUMBER),
            lead_id=pl.when(lead >= 1).then(lead),
            action=pl.col("action").str.to_lowercase(),
            contact=pl.col("contact").str.to_lowercase(),
            stage=pl.col("stage").str.to_lowercase(),
            bad_field=bad_field,
        )
        .join(raw_rows(batch, layout), on=ROW_NUMBER, how="left")
    )
