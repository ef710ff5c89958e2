"""Quarantine rows, pure: each refused feed row with its reason code and its original content."""

from __future__ import annotations

import polars as pl

from tasks.read import FeedLayout, raw_rows


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
