"""A feed's quarantined rows shaped back into the sheet they came from, pure: the file's own
columns in its order and its values as read, then the row's place in that file, the reason
code and, in Russian, what to fix. Loaded again once fixed, the sheet is the feed it was:
the reader skips the three added columns (`schemas.feed.EXPORT_COLUMNS`)."""

from __future__ import annotations

import json

import polars as pl

from schemas.feed import EXPORT_FIX, EXPORT_REASON, EXPORT_ROW, ROW_NUMBER, SHEET_ROW_OFFSET
from schemas.labels import ACTIVITY_FIXES, REASON_FIXES
from tasks.landing import ACTIVITY

# The one column of a sheet whose rows are all malformed lines: no row kept the file's headers.
LINE_AS_WRITTEN = "строка как в файле"


def sheet_row(row_number: pl.Expr) -> pl.Expr:
    """The row a spreadsheet shows for the reader's `row_number` (header 0, first data row 1)."""
    return row_number + SHEET_ROW_OFFSET


def reason_fix(reason_code: pl.Expr, source: pl.Expr) -> pl.Expr:
    """What to fix for each reason code of a feed of `source`: an activity file's refusals
    (`schemas.labels.ACTIVITY_FIXES`) or a feed's (`REASON_FIXES`)."""
    feed_fixes = {code.value: text for code, text in REASON_FIXES.items()}
    activity_fixes = {code.value: text for code, text in ACTIVITY_FIXES.items()}
    return (
        pl.when(source == ACTIVITY)
        .then(reason_code.replace_strict(activity_fixes, default=None, return_dtype=pl.String))
        .otherwise(reason_code.replace_strict(feed_fixes, default=None, return_dtype=pl.String))
    )


def original_headers(raw: pl.Series) -> list[str]:
    """The file's headers, in its order: the keys of a row kept as a JSON object (every such
    row of a feed has the same ones). A malformed row is a JSON string and names none."""
    objects = raw.filter(raw.str.starts_with("{"))
    return list(json.loads(objects[0])) if objects.len() else [LINE_AS_WRITTEN]


def export_sheet(rows: pl.DataFrame, source: str) -> pl.DataFrame:
    """`rows` (row_number, reason_code, raw: the `quarantine` table's, of a feed of `source`)
    as the sheet to give back, in file order. A malformed row's line as written goes in the first column, the
    others empty: it did not split into the file's columns."""
    headers = original_headers(rows["raw"])
    is_object = pl.col("raw").str.starts_with("{")
    added = [sheet_row(pl.col(ROW_NUMBER)).alias(EXPORT_ROW), pl.col("reason_code").alias(EXPORT_REASON)]
    fields = pl.Struct({header: pl.String for header in headers})
    kept = rows.filter(is_object).select(*added, pl.col("raw").str.json_decode(fields).alias("_fields"))
    lines = rows.filter(~is_object).select(*added, pl.col("raw").str.json_decode(pl.String).alias(headers[0]))
    return (
        pl.concat([kept.unnest("_fields"), lines], how="diagonal")
        .sort(EXPORT_ROW)
        .select(
            *headers,
            EXPORT_ROW,
            EXPORT_REASON,
            reason_fix(pl.col(EXPORT_REASON), pl.lit(source)).alias(EXPORT_FIX),
        )
    )


def reasons_with_fixes(summary: pl.DataFrame) -> pl.DataFrame:
    """The quarantine's counts by feed (with its source) and reason, each reason with what to fix."""
    return summary.select(
        "feed_id",
        "file_name",
        "reason_code",
        reason_fix(pl.col("reason_code"), pl.col("source")).alias("fix"),
        "rows",
    )
