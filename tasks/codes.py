"""Reference codes as users write them (SPEC §16): a code in any case, or its row's name,
stands for the code the reference spells. Pure lookups over frames, built once per run."""

from __future__ import annotations

import polars as pl


def code_lookup(codes: pl.Series, names: pl.Series | None = None) -> pl.DataFrame:
    """How feeds and options may write a reference code (SPEC §16): `alias -> code`, where an
    alias is the code in any case, the row's name, or the name up to a ` — ` description, all
    lower-cased. A code always stands for itself; a name that would mean two codes means none."""
    frame = pl.DataFrame({"code": codes, "name": names}, schema={"code": pl.String, "name": pl.String})
    aliases = pl.concat(
        [
            frame.select(alias="code", rank=pl.lit(0), code="code"),
            frame.select(alias="name", rank=pl.lit(1), code="code"),
            frame.select(alias=pl.col("name").str.split(" — ").list.first(), rank=pl.lit(2), code="code"),
        ],
        how="vertical_relaxed",
    ).with_columns(alias=pl.col("alias").str.strip_chars().str.to_lowercase())
    best = (
        aliases.filter(pl.col("alias").is_not_null() & (pl.col("alias") != ""))
        .filter(pl.col("rank") == pl.col("rank").min().over("alias"))
        .unique(["alias", "code"])
    )
    return best.filter(pl.len().over("alias") == 1).select("alias", "code").sort("alias")


def product_lookup(products: pl.DataFrame) -> pl.DataFrame:
    """`code_lookup` of the `products` reference table (`product`, `name`)."""
    return code_lookup(products["product"], products["name"])


def resolve_codes(values: pl.Expr, lookup: pl.DataFrame) -> pl.Expr:
    """The reference code each value stands for, null when none: one replace against `lookup`."""
    return (
        values.str.strip_chars()
        .str.to_lowercase()
        .replace_strict(lookup["alias"], lookup["code"], default=None, return_dtype=pl.String)
    )


def resolve_code(value: str, lookup: pl.DataFrame) -> str | None:
    """The reference code a command-line option stands for, or None."""
    found = pl.select(resolve_codes(pl.lit(value, pl.String), lookup)).item()
    return None if found is None else str(found)
