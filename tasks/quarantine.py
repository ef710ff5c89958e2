"""Quarantine rows, pure: each refused feed row with its reason code and its original content."""

from __future__ import annotations

import polars as pl

from schemas.enums import ReasonCode
from schemas.feed import MALFORMED_DETAIL, MALFORMED_LINE, ROW_NUMBER, FeedLayout


def quarantine_rows(
    batch: pl.DataFrame, layout: FeedLayout, feed_id: int, refused: list[pl.DataFrame]
) -> pl.DataFrame:
    """The batch's refused rows (row_number, reason_code, detail in `refused`) with their raw
    content, in file order."""
    reasons = pl.concat(refused, how="vertical_relaxed")
    bad_rows = batch.join(reasons.select("row_number"), on="row_number", how="semi")
    return (
        reasons.join(raw_rows(bad_rows, layout), on="row_number", how="left")
        .with_columns(feed_id=pl.lit(feed_id, pl.Int64))
        .sort("row_number")
    )


def split_malformed(batch: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """`(rows, refused)`: the rows that split into the header's fields (without the reader's
    malformed_* columns), and the others as quarantine reasons (`malformed_row`)."""
    refused = batch.filter(pl.col(MALFORMED_LINE).is_not_null()).select(
        ROW_NUMBER, reason_code=pl.lit(ReasonCode.MALFORMED_ROW.value), detail=pl.col(MALFORMED_DETAIL)
    )
    return batch.filter(pl.col(MALFORMED_LINE).is_null()).drop(MALFORMED_LINE, MALFORMED_DETAIL), refused


def raw_rows(batch: pl.DataFrame, layout: FeedLayout) -> pl.DataFrame:
    """`row_number` and the row's original content as JSON: an object under the file's own
    headers, or, for a malformed row, a JSON string holding its line as written."""
    back = {canonical: header for header, canonical in layout.mapping.items()}
    reader = (ROW_NUMBER, MALFORMED_LINE, MALFORMED_DETAIL)
    originals = [c for c in batch.columns if c not in reader and (c in back or c not in layout.spec.columns)]
    line_as_json = (
        pl.struct(pl.col(MALFORMED_LINE).alias("l"))
        .struct.json_encode()
        .str.strip_prefix('{"l":')
        .str.strip_suffix("}")
    )
    return batch.select(
        ROW_NUMBER,
        pl.when(pl.col(MALFORMED_LINE).is_null())
        .then(pl.struct([pl.col(c).alias(back.get(c, c)) for c in originals]).struct.json_encode())
        .otherwise(line_as_json)
        .alias("raw"),
    )
