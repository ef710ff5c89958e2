"""Deduplication (SPEC §5.3): collapse a batch by client x product and plan merges into open leads."""

from __future__ import annotations

import polars as pl

from schemas.enums import ContactKind
from schemas.rules import HOTTEST_FIRST

KEY = ["client_key", "product"]
_RANK = {t.value: i for i, t in enumerate(HOTTEST_FIRST)}
_BY_RANK = {i: t for t, i in _RANK.items()}


def heat_rank(column: str) -> pl.Expr:
    """0 for hot, 1 for warm, 2 for cold: smaller is hotter."""
    return pl.col(column).replace_strict(_RANK, return_dtype=pl.Int8)


def from_heat_rank(expr: pl.Expr) -> pl.Expr:
    return expr.replace_strict(_BY_RANK, return_dtype=pl.String)


def with_client_key(rows: pl.DataFrame) -> pl.DataFrame:
    """The client is its INN (+KPP); without INN, its phone, else its e-mail (SPEC §1, §5.3)."""
    return rows.with_columns(
        client_key=pl.when(pl.col("inn").is_not_null())
        .then(pl.concat_str(pl.lit("inn:"), "inn", pl.lit("/"), pl.col("kpp").fill_null("")))
        .when(pl.col("phone").is_not_null())
        .then(pl.concat_str(pl.lit("phone:"), "phone"))
        .otherwise(pl.concat_str(pl.lit("email:"), "email"))
    )


ATTRIBUTES = ("inn", "kpp", "company_name", "region", "contact_name", "lead_type", "source")


def collapse_batch(rows: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """One candidate lead per client x product of the batch.

    Returns `(candidates, contacts, members)`: the candidates (hottest temperature, first
    non-empty attributes in row order, earliest event, the external id of their first row),
    every distinct contact per candidate, and which rows (with their external ids) each
    candidate absorbed. Most keys occur once; only the repeated ones pay for a group-by."""
    keyed = with_client_key(rows).sort("row_number")
    repeated = pl.struct(KEY).is_duplicated()
    single, many = keyed.filter(~repeated), keyed.filter(repeated)
    singles = single.select(
        *KEY,
        *ATTRIBUTES,
        match_phone="phone",
        match_email="email",
        temperature="temperature",
        source_event_at="event_at",
        first_row="row_number",
        rows=pl.lit(1, pl.UInt32),
        external_id="external_id",
    )
    grouped = many.group_by(KEY, maintain_order=True).agg(
        pl.col(*ATTRIBUTES).drop_nulls().first(),
        pl.col("phone").drop_nulls().first().alias("match_phone"),
        pl.col("email").drop_nulls().first().alias("match_email"),
        from_heat_rank(heat_rank("temperature").min()).alias("temperature"),
        pl.col("event_at").min().alias("source_event_at"),
        pl.col("row_number").min().alias("first_row"),
        pl.len().alias("rows"),
        pl.col("external_id").first(),  # the first row's, as `first_row`: rows are in row order
    )
    candidates = pl.concat([singles, grouped], how="vertical_relaxed").sort("first_row")

    def contacts_of(part: pl.DataFrame) -> pl.DataFrame:
        return pl.concat(
            [part.select(*KEY, kind=pl.lit(kind.value), value=pl.col(kind.value)) for kind in ContactKind]
        ).drop_nulls("value")

    contacts = pl.concat([contacts_of(single), contacts_of(many).unique(maintain_order=True)])
    members = keyed.select("row_number", *KEY, "external_id")
    return candidates, contacts, members


def plan_merges(matched: pl.DataFrame) -> pl.DataFrame:
    """For candidates that found an open lead: the lead's temperature after the merge (never
    cooler) and whether it got hotter, which tightens a `new` lead's deadline (SPEC §5.3).

    `matched` has the candidate's `temperature` and the lead's `lead_temperature`."""
    return matched.with_columns(
        merged_temperature=from_heat_rank(
            pl.min_horizontal(heat_rank("temperature"), heat_rank("lead_temperature"))
        ),
        hotter=heat_rank("temperature") < heat_rank("lead_temperature"),
    )
