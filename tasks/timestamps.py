"""Reading the instants feeds and billing files write (`event_at`, invoice dates): several
layouts, with or without a UTC offset, a wall time in the feed's zone otherwise."""

from __future__ import annotations

import polars as pl

# ISO date or DD.MM.YYYY, then an optional time with an optional UTC offset (`Z`, ±HH[[:]MM] up
# to ±14:59). Every accepted value has this shape, whichever parser reads it.
EVENT_AT_SHAPE = (
    r"^(?:[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{2}\.[0-9]{2}\.[0-9]{4})"
    r"(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,9})?)?"
    r" ?(?:Z|[+-](?:0[0-9]|1[0-4])(?::?[0-5][0-9])?)?)?$"
)
# Layouts polars parses in one call; a feed's dominant one is parsed that way, the rest of its
# rows (other layouts, fractions of a second) by the general parser.
_EVENT_AT_LAYOUTS: tuple[tuple[str, bool], ...] = (  # (strptime format, carries an offset)
    ("%Y-%m-%dT%H:%M:%S%#z", True),
    ("%Y-%m-%d %H:%M:%S%#z", True),
    ("%Y-%m-%dT%H:%M:%S", False),
    ("%Y-%m-%d %H:%M:%S", False),
    ("%Y-%m-%dT%H:%M", False),
    ("%Y-%m-%d %H:%M", False),
    ("%Y-%m-%d", False),
    ("%d.%m.%Y %H:%M:%S", False),
    ("%d.%m.%Y %H:%M", False),
    ("%d.%m.%Y", False),
)
_SNIFF_ROWS = 500


def _local_to_utc(wall: pl.Expr, naive_timezone: str) -> pl.Expr:
    """Wall-clock time where the feed was written; a time the zone skips is no time at all."""
    return wall.dt.replace_time_zone(
        naive_timezone, ambiguous="earliest", non_existent="null"
    ).dt.convert_time_zone("UTC")


def parse_layout(text: pl.Expr, layout: tuple[str, bool], naive_timezone: str) -> pl.Expr:
    fmt, aware = layout
    if aware:
        return text.str.strptime(pl.Datetime("us", "UTC"), fmt, strict=False)
    return _local_to_utc(text.str.strptime(pl.Datetime("us"), fmt, strict=False), naive_timezone)


def sniff_event_layout(texts: pl.Series) -> tuple[str, bool] | None:
    """The listed layout that parses the most of the first non-blank values, if any does."""
    sample = texts.cast(pl.String).str.strip_chars().replace("", None).drop_nulls().head(_SNIFF_ROWS)
    if sample.is_empty():
        return None
    parsed = pl.select(
        parse_layout(pl.lit(sample), layout, "UTC").count().alias(str(i))
        for i, layout in enumerate(_EVENT_AT_LAYOUTS)
    ).row(0)
    best = max(range(len(parsed)), key=lambda i: (parsed[i], -i))
    return _EVENT_AT_LAYOUTS[best] if parsed[best] else None


def event_at_general(texts: pl.Series, naive_timezone: str) -> pl.Series:
    """UTC instants of well-shaped `event_at` texts of any accepted layout (null if impossible,
    like 30 February): the date, the clock and the offset are taken apart and put together."""
    col = pl.col
    rest, clock, offset = col("rest"), col("clock"), col("offset")
    return (
        pl.LazyFrame({"text": texts})
        .with_columns(
            pl.coalesce(
                col("text").str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False),
                col("text").str.slice(0, 10).str.to_date("%d.%m.%Y", strict=False),
            ).alias("day"),
            col("text").str.slice(11).alias("rest"),  # after the date and its `T` or space
        )
        .with_columns(rest.str.find(r"[Z+-]").fill_null(rest.str.len_bytes()).alias("split"))
        .with_columns(
            rest.str.head(col("split")).str.strip_chars_end().alias("clock"),
            rest.str.slice(col("split")).str.replace(":", "", literal=True).alias("offset"),
        )
        .with_columns(
            col("day")
            .dt.combine(
                pl.when(clock == "")
                .then(pl.lit("00:00:00"))
                .when(clock.str.len_bytes() == 5)
                .then(clock + ":00")
                .otherwise(clock)
                .str.to_time("%H:%M:%S%.f", strict=False),
                time_unit="us",
            )
            .alias("wall"),
            pl.when(offset == "Z")  # offset is "", "Z", "±HH" or "±HHMM"
            .then(0)
            .otherwise(
                pl.when(offset.str.starts_with("-")).then(-1).otherwise(1)
                * (
                    offset.str.slice(1, 2).cast(pl.Int32, strict=False) * 60
                    + offset.str.slice(3, 2).cast(pl.Int32, strict=False).fill_null(0)
                )
            )
            .alias("offset_minutes"),
        )
        .select(
            pl.when(offset == "")
            .then(_local_to_utc(col("wall"), naive_timezone))
            .otherwise(col("wall").dt.replace_time_zone("UTC") - pl.duration(minutes=col("offset_minutes")))
        )
        .collect()
        .to_series()
    )


def parse_instants(texts: pl.Series, naive_timezone: str) -> pl.Series:
    """UTC instants of date/time texts in any layout `event_at` accepts; null for a blank or
    an impossible value. For other files' date columns (billing)."""
    cleaned = texts.cast(pl.String).str.strip_chars().replace("", None)
    layout = sniff_event_layout(cleaned)
    shaped = cleaned.str.contains(EVENT_AT_SHAPE).fill_null(False)
    fast = (
        pl.select(parse_layout(pl.lit(cleaned), layout, naive_timezone)).to_series()
        if layout
        else pl.Series(values=[None] * len(cleaned), dtype=pl.Datetime("us", "UTC"))
    )
    general = event_at_general(cleaned.fill_null(""), naive_timezone)
    return (
        pl.select(pl.when(pl.lit(shaped)).then(pl.coalesce(pl.lit(fast), pl.lit(general))))
        .to_series()
        .alias(texts.name)
    )
