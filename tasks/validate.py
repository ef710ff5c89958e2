"""Row checks of feed files (SPEC §1, §4, §5): every row is either clean or quarantined.

Everything is a polars expression over the whole frame. The quarantine rules are one ordered
list (`_checks`), so the first failure of a row is decided in a single place.

Speed matters (a feed may hold millions of rows), hence three choices:
- the frame is prepared in explicit stages, each one materialising the columns the next reads:
  polars does not reliably share repeated sub-expressions (a stripped string, a parsed number),
  and evaluating them again per use makes a million-row feed several times slower;
- low-cardinality columns (product, region, type, temperature) are normalised once per distinct
  value and mapped back onto the rows;
- `event_at` is parsed in one call with the feed's dominant layout, and only the rows that layout
  does not read go through the general parser.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import NamedTuple

import polars as pl

from schemas.enums import LeadType, ReasonCode, Temperature
from schemas.feed import FEED_COLUMNS
from schemas.placeholders import Placeholders, load_placeholders, load_region_names, load_regions
from schemas.rules import RUSSIAN_NATIONAL_FIRST_DIGITS, SourceRule
from tasks.codes import code_lookup, resolve_codes
from tasks.fields import (
    blank_to_null,
    email_is_placeholder,
    email_is_well_formed,
    inn_number,
    inn_number_is_valid,
    kpp_is_valid,
    normalize_email,
    phone_chars,
    phone_from_chars,
    phone_is_fictitious,
    phone_is_russian,
    recode,
    restore_inn_zero,
    restore_kpp_zero,
    whole_number_text,
    without_spaces,
)
from tasks.timestamps import EVENT_AT_SHAPE, event_at_general, parse_layout, sniff_event_layout

VALID_SCHEMA: dict[str, pl.DataType] = {
    "row_number": pl.Int64(),
    **{name: pl.String() for name in FEED_COLUMNS if name != "event_at"},
    "event_at": pl.Datetime("us", "UTC"),
}
QUARANTINE_SCHEMA: dict[str, pl.DataType] = {
    "row_number": pl.Int64(),
    "reason_code": pl.String(),
    "detail": pl.String(),
}

# What feeds write in `lead_type` / `temperature` (compared lower-cased) -> the stored value.
LEAD_TYPE_ALIASES: dict[str, LeadType] = {
    **{t.value: t for t in LeadType},
    "подключение": LeadType.CONNECTION,
    "продление": LeadType.RENEWAL,
    "допродажа": LeadType.UPSELL,
    "обслуживание": LeadType.SERVICE,
    "активация": LeadType.ACTIVATION,
}
TEMPERATURE_ALIASES: dict[str, Temperature] = {
    **{t.value: t for t in Temperature},
    "горячая": Temperature.HOT,
    "тёплая": Temperature.WARM,
    "теплая": Temperature.WARM,
    "холодная": Temperature.COLD,
}
_ECHO_CHARS = 40  # the longest piece of a raw value a quarantine detail repeats


# --- The staged preparation of a feed ---------------------------------------------------------


def _as_of(default_event_at: datetime) -> pl.Expr:
    return pl.lit(default_event_at).dt.cast_time_unit("us").dt.convert_time_zone("UTC")


def _stages(
    rows: pl.DataFrame,
    rule: SourceRule,
    products: pl.DataFrame,
    default_event_at: datetime,
    naive_timezone: str,
    placeholders: Placeholders,
    event_layout: tuple[str, bool] | None,
) -> list[list[pl.Expr]]:
    """Normalised output columns and `_`-prefixed helper columns, stage by stage; a stage reads
    only the input and earlier stages. `event_at` is left null where the feed's dominant layout
    did not parse a well-shaped value: `event_at_general` fills those rows afterwards."""
    col = pl.col
    lead_types = {k: v.value for k, v in LEAD_TYPE_ALIASES.items()}
    temperatures = {k: v.value for k, v in TEMPERATURE_ALIASES.items()}

    def lowered(expr: pl.Expr) -> pl.Expr:
        return blank_to_null(expr).str.to_lowercase()

    region_names = load_region_names()

    def region_code(expr: pl.Expr) -> pl.Expr:  # "6" means "06", "Москва" means "77"
        given = blank_to_null(expr)
        return (
            pl.when(given.str.contains(r"^[0-9]{1,2}$"))
            .then(given.str.zfill(2))
            .otherwise(given.str.to_lowercase().replace_strict(region_names, default=given))
        )

    def alias_of(aliases: dict[str, str]) -> Callable[[pl.Expr], pl.Expr]:
        return lambda expr: lowered(expr).replace_strict(aliases, default=None, return_dtype=pl.String)

    temperature = (
        recode(rows["temperature"], alias_of(temperatures))
        if rule.temperature is None
        else pl.lit(None, pl.String)  # the source fixes the temperature (SPEC §5)
    )
    event_fast = (
        pl.lit(None, pl.Datetime("us", "UTC"))
        if event_layout is None
        else parse_layout(col("_event_raw"), event_layout, naive_timezone)
    )
    return [
        [
            whole_number_text(without_spaces(blank_to_null(col("inn")))).alias("_inn_given"),
            whole_number_text(blank_to_null(col("kpp")).str.to_uppercase()).alias("_kpp_given"),
            blank_to_null(col("company_name")).alias("company_name"),
            recode(rows["region"], region_code).alias("_region_given"),
            recode(rows["product"], lowered).alias("_product_given"),
            recode(rows["product"], lambda given: resolve_codes(given, products)).alias("product"),
            blank_to_null(col("phone")).alias("_phone_raw"),
            normalize_email(col("email")).alias("email"),
            blank_to_null(col("contact_name")).alias("contact_name"),
            recode(rows["lead_type"], lowered).alias("_lead_type_raw"),
            recode(rows["lead_type"], alias_of(lead_types)).alias("lead_type"),
            recode(rows["temperature"], lowered).alias("_temperature_raw"),
            temperature.alias("temperature"),
            blank_to_null(col("event_at")).alias("_event_raw"),
            blank_to_null(col("external_id")).alias("external_id"),
        ],
        [
            restore_inn_zero(col("_inn_given")).alias("inn"),
            restore_kpp_zero(col("_kpp_given")).alias("kpp"),
            phone_chars(col("_phone_raw")).alias("_phone_chars"),
            email_is_well_formed(col("email")).alias("_email_ok"),
            email_is_placeholder(col("email"), placeholders).alias("_email_placeholder"),
            col("_event_raw").str.contains(EVENT_AT_SHAPE).alias("_event_shaped"),
            event_fast.alias("_event_fast"),
        ],
        [
            inn_number(col("inn")).alias("_inn_number"),
            phone_from_chars(col("_phone_chars")).alias("phone"),
            pl.when(col("_event_raw").is_null())
            .then(_as_of(default_event_at))
            .when(col("_event_shaped"))
            .then(col("_event_fast"))
            .alias("event_at"),
        ],
        [
            inn_number_is_valid(col("_inn_number"), col("inn").str.len_bytes()).alias("_inn_ok"),
            pl.coalesce(
                col("_region_given"),
                pl.when(col("_inn_number").is_not_null()).then(col("inn").str.slice(0, 2)),
            ).alias("region"),
            phone_is_russian(col("phone")).alias("_phone_russian"),
            phone_is_fictitious(col("phone"), placeholders).alias("_phone_fictitious"),
        ],
    ]


# --- The quarantine rules ---------------------------------------------------------------------


def _echo(name: str) -> pl.Expr:
    """A raw value as a quarantine detail may quote it: short, and never a contact."""
    return pl.col(name).str.slice(0, _ECHO_CHARS)


class _Check(NamedTuple):
    code: ReasonCode
    failed: pl.Expr  # over the prepared frame; null counts as passed
    detail: pl.Expr  # evaluated for quarantined rows only


def _checks(
    rule: SourceRule,
    default_event_at: datetime,
    regions: frozenset[str],
) -> list[_Check]:
    """The quarantine rules in the order they are tried: a row reports its first failure."""
    col = pl.col
    inn, kpp, product, region = col("inn"), col("kpp"), col("product"), col("region")
    region_from_inn = col("_region_given").is_null()
    unknown_region = region.is_not_null() & ~region.is_in(sorted(regions))
    checks = [
        _Check(
            ReasonCode.BAD_DATE,
            col("_event_raw").is_not_null() & col("event_at").is_null(),
            pl.format("event_at '{}' is not a recognised date and time", _echo("_event_raw")),
        ),
        _Check(
            ReasonCode.BAD_DATE,
            col("event_at") > _as_of(default_event_at),
            pl.format("event_at '{}' is later than the time of the run", _echo("_event_raw")),
        ),
        _Check(
            ReasonCode.MISSING_INN,
            inn.is_null() & pl.lit(rule.requires_inn),
            pl.lit(f"INN is required for source {rule.source}"),
        ),
        _Check(
            ReasonCode.BAD_INN,
            inn.is_not_null() & col("_inn_number").is_null(),
            pl.format("INN has {} characters; expected 10 or 12 digits", col("_inn_given").str.len_chars()),
        ),
        _Check(
            ReasonCode.BAD_INN,
            (inn != col("_inn_given")) & ~col("_inn_ok"),
            pl.format(
                "INN has {} digits; expected 10 or 12, and with a leading zero restored its check digits"
                " do not match",
                col("_inn_given").str.len_chars(),
            ),
        ),
        _Check(
            ReasonCode.BAD_INN,
            inn.is_not_null() & ~col("_inn_ok"),
            pl.lit("INN check digits do not match"),
        ),
        _Check(
            ReasonCode.BAD_KPP,
            kpp.is_not_null() & ~kpp_is_valid(kpp),
            pl.lit("KPP must be 9 characters: 4 digits, 2 digits or capital letters, 3 digits"),
        ),
        _Check(
            ReasonCode.BAD_KPP,
            kpp.is_not_null() & (inn.str.len_bytes() == 12),
            pl.lit("KPP given with a 12-digit INN; an entrepreneur has no KPP"),
        ),
        _Check(ReasonCode.UNKNOWN_PRODUCT, col("_product_given").is_null(), pl.lit("product is missing")),
        _Check(
            ReasonCode.UNKNOWN_PRODUCT,
            product.is_null(),
            pl.format("product '{}' is not a known product", _echo("_product_given")),
        ),
        _Check(
            ReasonCode.UNKNOWN_REGION,
            ~region_from_inn & unknown_region,
            pl.format("region '{}' is not a known region code", _echo("region")),
        ),
        _Check(
            ReasonCode.UNKNOWN_REGION,
            region_from_inn & unknown_region,
            pl.format("region '{}' taken from the INN is not a known region code", region),
        ),
        _Check(
            ReasonCode.BAD_LEAD_TYPE,
            col("_lead_type_raw").is_not_null() & col("lead_type").is_null(),
            pl.format("lead type '{}' is not recognised", _echo("_lead_type_raw")),
        ),
    ]
    if rule.temperature is None:  # the SC chooses the temperature (SPEC §5, sc_created)
        checks += [
            _Check(
                ReasonCode.BAD_TEMPERATURE,
                col("_temperature_raw").is_null(),
                pl.lit(f"temperature is required for source {rule.source}"),
            ),
            _Check(
                ReasonCode.BAD_TEMPERATURE,
                col("temperature").is_null(),
                pl.format("temperature '{}' is not recognised", _echo("_temperature_raw")),
            ),
        ]
    checks += [
        _Check(
            ReasonCode.MISSING_CONTACTS,
            col("_phone_raw").is_null() & col("email").is_null(),
            pl.lit("neither a phone nor an e-mail is given"),
        ),
        _Check(
            ReasonCode.FICTITIOUS_PHONE,
            col("_phone_raw").is_not_null() & col("phone").is_null(),
            pl.lit("phone is not a Russian number (+7 and 10 digits)"),
        ),
        _Check(
            ReasonCode.FICTITIOUS_PHONE,
            col("phone").is_not_null() & ~col("_phone_russian"),
            pl.format(
                "phone is not a Russian number: after +7 it starts with {}; Russian numbers start with {}"
                " (+7 7… is Kazakhstan)",
                col("phone").str.slice(2, 1),
                pl.lit(", ".join(RUSSIAN_NATIONAL_FIRST_DIGITS)),
            ),
        ),
        _Check(
            ReasonCode.FICTITIOUS_PHONE,
            col("_phone_fictitious"),
            pl.lit("phone is a fictitious number"),
        ),
        _Check(
            ReasonCode.FICTITIOUS_EMAIL,
            col("email").is_not_null() & ~col("_email_ok"),
            pl.lit("e-mail is not a valid address"),
        ),
        _Check(
            ReasonCode.FICTITIOUS_EMAIL,
            col("_email_placeholder"),
            pl.lit("e-mail uses a placeholder domain or mailbox name"),
        ),
    ]
    return checks


def validate_feed_rows(
    rows: pl.DataFrame,
    *,
    rule: SourceRule,
    known_products: frozenset[str] | pl.DataFrame,
    default_event_at: datetime,
    naive_timezone: str,
    placeholders: Placeholders | None = None,
    regions: frozenset[str] | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split feed rows into `(valid, quarantined)`; each row lands in exactly one of them.

    `known_products` is a `tasks.codes.code_lookup` of the products (a feed may write a
    product's code in any case, or its name), or just their codes; a valid row carries the code.

    `default_event_at` (the run's as-of, timezone-aware) fills a missing `event_at` and is the
    latest acceptable one; `naive_timezone` is where an `event_at` without offset was written.
    """
    if default_event_at.utcoffset() is None:
        raise ValueError("default_event_at must be timezone-aware")
    placeholders = placeholders if placeholders is not None else load_placeholders()
    regions = regions if regions is not None else load_regions()
    products = (
        known_products
        if isinstance(known_products, pl.DataFrame)
        else code_lookup(pl.Series(sorted(known_products), dtype=pl.String))
    )
    checks = _checks(rule, default_event_at, regions)
    event_layout = sniff_event_layout(rows["event_at"]) if "event_at" in rows.columns else None

    rows = rows.with_columns(
        pl.lit(None, pl.String).alias(name) for name in FEED_COLUMNS if name not in rows.columns
    ).with_columns(pl.col("row_number").cast(pl.Int64), pl.col(list(FEED_COLUMNS)).cast(pl.String))
    frame = rows.lazy()
    for stage in _stages(rows, rule, products, default_event_at, naive_timezone, placeholders, event_layout):
        frame = frame.with_columns(stage)
    prepared = frame.collect()

    # well-shaped values the dominant layout did not parse: few, so the general parser is cheap
    leftover = prepared.select(pl.arg_where(pl.col("_event_shaped") & pl.col("event_at").is_null()))
    if leftover.height:
        at = leftover.to_series()
        general = event_at_general(prepared["_event_raw"].gather(at), naive_timezone)
        prepared = prepared.with_columns(prepared["event_at"].clone().scatter(at, general))

    prepared = (
        prepared.lazy()
        .with_columns(
            pl.coalesce(
                pl.when(check.failed).then(pl.lit(i, pl.UInt8)) for i, check in enumerate(checks)
            ).alias("_check")
        )
        .collect()
    )

    valid = (
        prepared.lazy()
        .filter(pl.col("_check").is_null())
        .select(pl.col(name).cast(dtype) for name, dtype in VALID_SCHEMA.items())
    )
    quarantined = (
        prepared.lazy()
        .filter(pl.col("_check").is_not_null())
        .select(
            pl.col("row_number"),
            pl.col("_check")
            .replace_strict({i: check.code.value for i, check in enumerate(checks)}, return_dtype=pl.String)
            .alias("reason_code"),
            pl.coalesce(
                pl.when(pl.col("_check") == i).then(check.detail) for i, check in enumerate(checks)
            ).alias("detail"),
        )
    )
    valid_frame, quarantined_frame = pl.collect_all([valid, quarantined])
    return valid_frame, quarantined_frame
