"""Field checks of feed and billing values (SPEC §1): INN and KPP check digits, phones and
e-mail addresses, and the clean-up every value gets first. Each is a polars expression over a
whole column; `tasks/validate.py` puts them in the quarantine order."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from functools import cache, reduce

import polars as pl

from schemas.placeholders import Placeholders, fictitious_national_numbers
from schemas.rules import RUSSIAN_NATIONAL_FIRST_DIGITS

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


def _email_shape(*, unicode: bool) -> str:
    """The pattern of a well-formed address; `unicode=False` gives the same pattern for ASCII
    text only, its Unicode classes reduced to their ASCII members. Unicode classes make the
    regex engine many times slower, so ASCII addresses, nearly all of them, take the ASCII one."""
    letter, mark, digit = (r"\p{L}", r"\p{M}", r"\p{N}") if unicode else ("A-Za-z", "", "0-9")
    atext = r"[a-z0-9!#$%&'*+/=?^_`{|}~\-]"
    atom = rf"(?:{atext}|[^\x00-\x7f\p{{C}}\p{{Z}}])+" if unicode else rf"{atext}+"
    label = rf"[{letter}{digit}](?:[{letter}{mark}{digit}\-]{{0,61}}[{letter}{mark}{digit}])?"
    top = rf"[{letter}][{letter}{mark}]{{1,62}}"
    return rf"^{atom}(?:\.{atom})*@(?:{label}\.)+(?:{top}|xn--[a-z0-9\-]{{1,59}})$"


_EMAIL_SHAPE = _email_shape(unicode=True)
_EMAIL_SHAPE_ASCII = _email_shape(unicode=False)
# IDNA: `--` in the third and fourth place of a domain label is reserved for `xn--`.
_EMAIL_RESERVED_HYPHENS = r"@(?:[^.]*\.)*(?:[^x.][^.]|[^.][^n.])--"
_EMAIL_MAX_OCTETS = 254  # RFC 5321 path limit less the angle brackets
_EMAIL_LOCAL_MAX_OCTETS = 64


def digits_only(expr: pl.Expr) -> pl.Expr:
    """ASCII digits of a string; `\\d` would also keep other scripts' digits."""
    return expr.str.replace_all(r"[^0-9]", "")


def whole_number_text(expr: pl.Expr) -> pl.Expr:
    """`7707083893.0` read back as `7707083893`: a code typed into a numeric spreadsheet cell or
    stored in a float column comes with a zero fraction."""
    dotted = expr.str.contains(".", literal=True)
    # the pattern searches only the values with a dot, a few: a null is not searched
    return (
        pl.when(dotted).then(pl.when(dotted).then(expr).str.replace(_FLOAT_RENDERING, "${1}")).otherwise(expr)
    )


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


def phone_chars(expr: pl.Expr) -> pl.Expr:
    """Digits and `+` only: the `+` tells `+380…` (foreign) from `8…` (a Russian trunk). A
    number from a float column (`79121234567.0`) is that number."""
    return whole_number_text(expr).str.replace_all(r"[^0-9+]+", "")


def phone_from_chars(chars: pl.Expr) -> pl.Expr:
    return pl.when(chars.str.contains(_PHONE_SHAPE)).then(pl.concat_str([pl.lit("+7"), chars.str.slice(-10)]))


def normalize_phone(expr: pl.Expr) -> pl.Expr:
    """`+7XXXXXXXXXX`, or null when the value cannot be a Russian number: 10 digits, or 11 with a
    leading 7 or 8; a leading `+` must be followed by 7 (SPEC §1)."""
    return phone_from_chars(phone_chars(expr))


def phone_is_russian(normalized: pl.Expr) -> pl.Expr:
    """A normalised phone in Russia's part of +7 (not Kazakhstan's, not an unused range)."""
    return normalized.str.slice(2, 1).is_in(RUSSIAN_NATIONAL_FIRST_DIGITS).fill_null(False)


def phone_is_fictitious(normalized: pl.Expr, placeholders: Placeholders) -> pl.Expr:
    """A normalised phone whose national part is a generated pattern or a listed number."""
    nationals = sorted(fictitious_national_numbers(placeholders.phones))
    return normalized.str.slice(2).is_in(nationals).fill_null(False)


def normalize_email(expr: pl.Expr) -> pl.Expr:
    """Trimmed and lower-cased; null when blank."""
    return blank_to_null(expr).str.to_lowercase()


def email_is_well_formed(normalized: pl.Expr) -> pl.Expr:
    """A normalised address of the shape `_EMAIL_SHAPE` describes, within RFC 5321's lengths."""
    ascii_only = normalized.str.len_bytes() == normalized.str.len_chars()
    shaped = (
        pl.when(ascii_only)
        .then(normalized.str.contains(_EMAIL_SHAPE_ASCII))
        # the Unicode pattern searches only the other addresses: a null is not searched
        .otherwise(pl.when(~ascii_only).then(normalized).str.contains(_EMAIL_SHAPE))
    )
    return (
        shaped
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


def blank_to_null(expr: pl.Expr) -> pl.Expr:
    return expr.str.strip_chars().replace("", None)


def without_spaces(expr: pl.Expr) -> pl.Expr:
    """Drops spaces, no-break ones too: spreadsheets group the digits of codes with them."""
    return expr.str.replace_many([" ", "\u00a0"], ["", ""])


def recode(column: pl.Series, normalise: Callable[[pl.Expr], pl.Expr]) -> pl.Expr:
    """`normalise` evaluated once per distinct value of `column`, then mapped onto its rows: a
    feed spells its products, regions, types and temperatures in a handful of ways."""
    distinct = column.unique().drop_nulls()
    normalised = pl.select(normalise(pl.lit(distinct))).to_series()
    return pl.col(column.name).replace_strict(
        distinct, normalised, default=None, return_dtype=normalised.dtype
    )
