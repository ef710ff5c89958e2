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

import operator
import re
from collections.abc import Callable
from datetime import datetime
from functools import cache, reduce
from typing import NamedTuple

import polars as pl

from schemas.enums import LeadType, ReasonCode, Temperature
from schemas.feed import FEED_COLUMNS
from schemas.placeholders import (
    Placeholders,
    fictitious_national_numbers,
    load_placeholders,
    load_region_names,
    load_regions,
)
from schemas.rules import RUSSIAN_NATIONAL_FIRST_DIGITS, SourceRule
from tasks.reference import code_lookup, resolve_codes

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

INN10_WEIGHTS = (2, 4, 10, 3, 5, 9, 4, 6, 8)
INN12_WEIGHTS_11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
INN12_WEIGHTS_12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN_WEIGHT_FIELDS = ((INN10_WEIGHTS, 0), (INN12_WEIGHTS_11, 10), (INN12_WEIGHTS_12, 20))

_INN_SHAPE = r"^(?:[0-9]{10}|[0-9]{12})$"
_KPP_SHAPE = r"^[0-9]{4}[0-9A-Z]{2}[0-9]{3}$"
_PHONE_SHAPE = r"^(?:\+7|[78])?[0-9]{10}$"  # after dropping all but digits and `+`
# A whole number as a spreadsheet or a float column writes it: `79121234567.0`.
_FLOAT_RENDERING = r"^([0-9]+)\.0+$"
# E-mail (RFC 5321 dot-atom local part, RFC 6531 UTF-8 in both parts, lower-cased first): a local
# part of atext or non-ASCII characters that are neither controls nor spaces; domain labels of
# letters, digits and inner hyphens, at most 63 characters; a top-level domain of letters
# (or its Punycode form). Quoted local parts and address literals are refused.
_EMAIL_ATOM = r"(?:[a-z0-9!#$%&'*+/=?^_`{|}~\-]|[^\x00-\x7f\p{C}\p{Z}])+"
_EMAIL_LABEL = r"[\p{L}\p{N}](?:[\p{L}\p{M}\p{N}\-]{0,61}[\p{L}\p{M}\p{N}])?"
_EMAIL_SHAPE = (
    rf"^{_EMAIL_ATOM}(?:\.{_EMAIL_ATOM})*@(?:{_EMAIL_LABEL}\.)+"
    r"(?:\p{L}[\p{L}\p{M}]{1,62}|xn--[a-z0-9\-]{1,59})$"
)
# IDNA: `--` in the third and fourth place of a domain label is reserved for `xn--`.
_EMAIL_RESERVED_HYPHENS = r"@(?:[^.]*\.)*(?:[^x.][^.]|[^.][^n.])--"
_EMAIL_MAX_OCTETS = 254  # RFC 5321 path limit less the angle brackets
_EMAIL_LOCAL_MAX_OCTETS = 64
# ISO date or DD.MM.YYYY, then an optional time with an optional UTC offset (`Z`, ±HH[[:]MM] up
# to ±14:59). Every accepted value has this shape, whichever parser reads it.
_EVENT_AT_SHAPE = (
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
_ECHO_CHARS = 40  # the longest piece of a raw value a quarantine detail repeats


# --- Building blocks, usable on their own -----------------------------------------------------


def digits_only(expr: pl.Expr) -> pl.Expr:
    """ASCII digits of a string; `\\d` would also keep other scripts' digits."""
    return expr.str.replace_all(r"[^0-9]", "")


def whole_number_text(expr: pl.Expr) -> pl.Expr:
    """`7707083893.0` read back as `7707083893`: a code typed into a numeric spreadsheet cell or
    stored in a float column comes with a zero fraction."""
    return expr.str.replace(_FLOAT_RENDERING, "${1}")


def restore_inn_zero(expr: pl.Expr) -> pl.Expr:
    """A 9- or 11-digit INN with the leading zero a numeric cell dropped (regions 01-09) put
    back; whether the result is an INN is for its check digits to say."""
    return (
        pl.when(expr.str.contains(r"^(?:[0-9]{9}|[0-9]{11})$"))
        .then(pl.concat_str(pl.lit("0"), expr))
        .otherwise(expr)
    )


def restore_kpp_zero(expr: pl.Expr) -> pl.Expr:
    """An 8-digit KPP with the leading zero a numeric cell dropped put back; it then has the
    KPP's shape."""
    return pl.when(expr.str.contains(r"^[0-9]{8}$")).then(pl.concat_str(pl.lit("0"), expr)).otherwise(expr)


def inn_number(expr: pl.Expr) -> pl.Expr:
    """A digits-only INN as one integer, a 10-digit one shifted into the first ten of twelve
    places; null for any other shape. One parse instead of a slice per digit."""
    return pl.when(expr.str.contains(_INN_SHAPE)).then(expr.str.pad_end(12, "0")).cast(pl.Int64, strict=False)


# The three weighted sums of the INN algorithm computed as one: each sum is below 1024
# (9 x the largest weight total, 61), so they fit side by side in 10-bit fields of one integer.
_PACKED_INN_WEIGHTS = tuple(
    sum(weights[i] << shift for weights, shift in _INN_WEIGHT_FIELDS if i < len(weights)) for i in range(12)
)


def inn_number_is_valid(number: pl.Expr, length: pl.Expr) -> pl.Expr:
    """Check digits of an `inn_number` whose INN text had `length` characters (10 or 12)."""
    digits = [number // 10 ** (11 - i) % 10 for i in range(12)]
    packed = reduce(operator.add, (d * w for d, w in zip(digits, _PACKED_INN_WEIGHTS, strict=True)))
    company = packed % 1024 % 11 % 10 == digits[9]
    person = (packed // 1024 % 1024 % 11 % 10 == digits[10]) & (packed // 1048576 % 11 % 10 == digits[11])
    return pl.when(length == 10).then(company).otherwise(person).fill_null(False)


def inn_is_valid(expr: pl.Expr) -> pl.Expr:
    """A digits-only INN of 10 (company) or 12 (entrepreneur) digits with matching check digits;
    False for null or any other shape."""
    return inn_number_is_valid(inn_number(expr), expr.str.len_bytes())


def kpp_is_valid(expr: pl.Expr) -> pl.Expr:
    """KPP: 4 digits (tax office), 2 digits or capital letters, 3 digits; False for null."""
    return expr.str.contains(_KPP_SHAPE).fill_null(False)


def _phone_chars(expr: pl.Expr) -> pl.Expr:
    """Digits and `+` only: the `+` tells `+380…` (foreign) from `8…` (a Russian trunk). A
    number from a float column (`79121234567.0`) is that number."""
    return whole_number_text(expr).str.replace_all(r"[^0-9+]+", "")


def _phone_from_chars(chars: pl.Expr) -> pl.Expr:
    return pl.when(chars.str.contains(_PHONE_SHAPE)).then(pl.concat_str([pl.lit("+7"), chars.str.slice(-10)]))


def normalize_phone(expr: pl.Expr) -> pl.Expr:
    """`+7XXXXXXXXXX`, or null when the value cannot be a Russian number: 10 digits, or 11 with a
    leading 7 or 8; a leading `+` must be followed by 7 (SPEC §1)."""
    return _phone_from_chars(_phone_chars(expr))


def phone_is_russian(normalized: pl.Expr) -> pl.Expr:
    """A normalised phone in Russia's part of +7 (not Kazakhstan's, not an unused range)."""
    return normalized.str.slice(2, 1).is_in(RUSSIAN_NATIONAL_FIRST_DIGITS).fill_null(False)


def phone_is_fictitious(normalized: pl.Expr, placeholders: Placeholders) -> pl.Expr:
    """A normalised phone whose national part is a generated pattern or a listed number."""
    nationals = sorted(fictitious_national_numbers(placeholders.phones))
    return normalized.str.slice(2).is_in(nationals).fill_null(False)


def normalize_email(expr: pl.Expr) -> pl.Expr:
    """Trimmed and lower-cased; null when blank."""
    return _blank_to_null(expr).str.to_lowercase()


def email_is_well_formed(normalized: pl.Expr) -> pl.Expr:
    """A normalised address of the shape `_EMAIL_SHAPE` describes, within RFC 5321's lengths."""
    return (
        normalized.str.contains(_EMAIL_SHAPE)
        & ~normalized.str.contains(_EMAIL_RESERVED_HYPHENS)
        & (normalized.str.len_bytes() <= _EMAIL_MAX_OCTETS)
        & (normalized.str.find("@", literal=True) <= _EMAIL_LOCAL_MAX_OCTETS)
    ).fill_null(False)


@cache
def _placeholder_email_patterns(locals_: frozenset[str], domains: frozenset[str]) -> list[str]:
    """Regexes for the listed mailboxes (a `+tag` ignored) and domains (any subdomain too); two
    anchored patterns scan faster than one that mixes a start and an end anchor."""
    patterns = []
    if locals_:
        listed = "|".join(re.escape(value) for value in sorted(locals_))
        patterns.append(rf"^(?:{listed})(?:\+[^@]*)?@")
    if domains:
        listed = "|".join(re.escape(value) for value in sorted(domains))
        patterns.append(rf"[@.](?:{listed})$")
    return patterns


def email_is_placeholder(normalized: pl.Expr, placeholders: Placeholders) -> pl.Expr:
    """`test@…`, `…@example.com`, `…@mail.example.com`, `…@anything.test` and the like."""
    patterns = _placeholder_email_patterns(placeholders.email_locals, placeholders.email_domains)
    return pl.any_horizontal(pl.lit(False), *(normalized.str.contains(p).fill_null(False) for p in patterns))


def _blank_to_null(expr: pl.Expr) -> pl.Expr:
    return expr.str.strip_chars().replace("", None)


def _without_spaces(expr: pl.Expr) -> pl.Expr:
    """Drops spaces, no-break ones too: spreadsheets group the digits of codes with them."""
    return expr.str.replace_many([" ", "\u00a0"], ["", ""])


def _recode(column: pl.Series, normalise: Callable[[pl.Expr], pl.Expr]) -> pl.Expr:
    """`normalise` evaluated once per distinct value of `column`, then mapped onto its rows: a
    feed spells its products, regions, types and temperatures in a handful of ways."""
    distinct = column.unique().drop_nulls()
    normalised = pl.select(normalise(pl.lit(distinct))).to_series()
    return pl.col(column.name).replace_strict(
        distinct, normalised, default=None, return_dtype=normalised.dtype
    )


# --- event_at ---------------------------------------------------------------------------------


def _local_to_utc(wall: pl.Expr, naive_timezone: str) -> pl.Expr:
    """Wall-clock time where the feed was written; a time the zone skips is no time at all."""
    return wall.dt.replace_time_zone(
        naive_timezone, ambiguous="earliest", non_existent="null"
    ).dt.convert_time_zone("UTC")


def _parse_layout(text: pl.Expr, layout: tuple[str, bool], naive_timezone: str) -> pl.Expr:
    fmt, aware = layout
    if aware:
        return text.str.strptime(pl.Datetime("us", "UTC"), fmt, strict=False)
    return _local_to_utc(text.str.strptime(pl.Datetime("us"), fmt, strict=False), naive_timezone)


def _sniff_event_layout(texts: pl.Series) -> tuple[str, bool] | None:
    """The listed layout that parses the most of the first non-blank values, if any does."""
    sample = texts.cast(pl.String).str.strip_chars().replace("", None).drop_nulls().head(_SNIFF_ROWS)
    if sample.is_empty():
        return None
    parsed = pl.select(
        _parse_layout(pl.lit(sample), layout, "UTC").count().alias(str(i))
        for i, layout in enumerate(_EVENT_AT_LAYOUTS)
    ).row(0)
    best = max(range(len(parsed)), key=lambda i: (parsed[i], -i))
    return _EVENT_AT_LAYOUTS[best] if parsed[best] else None


def _event_at_general(texts: pl.Series, naive_timezone: str) -> pl.Series:
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
    layout = _sniff_event_layout(cleaned)
    shaped = cleaned.str.contains(_EVENT_AT_SHAPE).fill_null(False)
    fast = (
        pl.select(_parse_layout(pl.lit(cleaned), layout, naive_timezone)).to_series()
        if layout
        else pl.Series(values=[None] * len(cleaned), dtype=pl.Datetime("us", "UTC"))
    )
    general = _event_at_general(cleaned.fill_null(""), naive_timezone)
    return (
        pl.select(pl.when(pl.lit(shaped)).then(pl.coalesce(pl.lit(fast), pl.lit(general))))
        .to_series()
        .alias(texts.name)
    )


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
    did not parse a well-shaped value: `_event_at_general` fills those rows afterwards."""
    col = pl.col
    lead_types = {k: v.value for k, v in LEAD_TYPE_ALIASES.items()}
    temperatures = {k: v.value for k, v in TEMPERATURE_ALIASES.items()}

    def lowered(expr: pl.Expr) -> pl.Expr:
        return _blank_to_null(expr).str.to_lowercase()

    region_names = load_region_names()

    def region_code(expr: pl.Expr) -> pl.Expr:  # "6" means "06", "Москва" means "77"
        given = _blank_to_null(expr)
        return (
            pl.when(given.str.contains(r"^[0-9]{1,2}$"))
            .then(given.str.zfill(2))
            .otherwise(given.str.to_lowercase().replace_strict(region_names, default=given))
        )

    def alias_of(aliases: dict[str, str]) -> Callable[[pl.Expr], pl.Expr]:
        return lambda expr: lowered(expr).replace_strict(aliases, default=None, return_dtype=pl.String)

    temperature = (
        _recode(rows["temperature"], alias_of(temperatures))
        if rule.temperature is None
        else pl.lit(None, pl.String)  # the source fixes the temperature (SPEC §5)
    )
    event_fast = (
        pl.lit(None, pl.Datetime("us", "UTC"))
        if event_layout is None
        else _parse_layout(col("_event_raw"), event_layout, naive_timezone)
    )
    return [
        [
            whole_number_text(_without_spaces(_blank_to_null(col("inn")))).alias("_inn_given"),
            whole_number_text(_blank_to_null(col("kpp")).str.to_uppercase()).alias("_kpp_given"),
            _blank_to_null(col("company_name")).alias("company_name"),
            _recode(rows["region"], region_code).alias("_region_given"),
            _recode(rows["product"], lowered).alias("_product_given"),
            _recode(rows["product"], lambda given: resolve_codes(given, products)).alias("product"),
            _blank_to_null(col("phone")).alias("_phone_raw"),
            normalize_email(col("email")).alias("email"),
            _blank_to_null(col("contact_name")).alias("contact_name"),
            _recode(rows["lead_type"], lowered).alias("_lead_type_raw"),
            _recode(rows["lead_type"], alias_of(lead_types)).alias("lead_type"),
            _recode(rows["temperature"], lowered).alias("_temperature_raw"),
            temperature.alias("temperature"),
            _blank_to_null(col("event_at")).alias("_event_raw"),
            _blank_to_null(col("external_id")).alias("external_id"),
        ],
        [
            restore_inn_zero(col("_inn_given")).alias("inn"),
            restore_kpp_zero(col("_kpp_given")).alias("kpp"),
            _phone_chars(col("_phone_raw")).alias("_phone_chars"),
            email_is_well_formed(col("email")).alias("_email_ok"),
            email_is_placeholder(col("email"), placeholders).alias("_email_placeholder"),
            col("_event_raw").str.contains(_EVENT_AT_SHAPE).alias("_event_shaped"),
            event_fast.alias("_event_fast"),
        ],
        [
            inn_number(col("inn")).alias("_inn_number"),
            _phone_from_chars(col("_phone_chars")).alias("phone"),
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

    `known_products` is a `tasks.reference.code_lookup` of the products (a feed may write a
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
    event_layout = _sniff_event_layout(rows["event_at"]) if "event_at" in rows.columns else None

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
        general = _event_at_general(prepared["_event_raw"].gather(at), naive_timezone)
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
