"""Reference lists that contact and region validation read (SPEC §1): data files, not code."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from schemas.rules import DATA

_NORMALISED_PHONE = re.compile(r"\+7[0-9]{10}")
_REGION_CODE = re.compile(r"[0-9]{2}")
_NATIONAL_LENGTH = 10


@dataclass(frozen=True)
class Placeholders:
    """Contact values known to be fictitious; e-mail parts lower-case, phones `+7XXXXXXXXXX`."""

    email_domains: frozenset[str]
    email_locals: frozenset[str]
    phones: frozenset[str]


@cache
def load_placeholders() -> Placeholders:
    """Read `placeholder_contacts.csv`; an unknown kind or a malformed phone is a data error."""
    values: dict[str, set[str]] = {"email_domain": set(), "email_local": set(), "phone": set()}
    with (DATA / "placeholder_contacts.csv").open(encoding="utf-8") as fh:
        for line, row in enumerate(csv.DictReader(fh), start=2):
            kind, value = row["kind"].strip(), row["value"].strip().lower()
            if kind not in values:
                raise ValueError(f"placeholder_contacts.csv:{line}: unknown kind {kind!r}")
            if kind == "phone" and not _NORMALISED_PHONE.fullmatch(value):
                raise ValueError(f"placeholder_contacts.csv:{line}: phone must be +7XXXXXXXXXX")
            values[kind].add(value)
    return Placeholders(
        email_domains=frozenset(values["email_domain"]),
        email_locals=frozenset(values["email_local"]),
        phones=frozenset(values["phone"]),
    )


@cache
def digit_patterns() -> frozenset[str]:
    """Ten-digit national numbers nobody owns: one digit repeated, or a run up or down the
    digit cycle (`1234567890`, `9876543210` and every rotation of them)."""
    repeats = {str(d) * _NATIONAL_LENGTH for d in range(10)}
    ascending = {"".join(str((start + i) % 10) for i in range(_NATIONAL_LENGTH)) for start in range(10)}
    descending = {"".join(str((start - i) % 10) for i in range(_NATIONAL_LENGTH)) for start in range(10)}
    return frozenset(repeats | ascending | descending)


def fictitious_national_numbers(phones: Iterable[str] = ()) -> frozenset[str]:
    """The generated patterns plus the national part (after `+7`) of listed phones."""
    return digit_patterns() | {phone[-_NATIONAL_LENGTH:] for phone in phones}


@cache
def load_regions() -> frozenset[str]:
    """Two-digit region codes from `regions.csv` (INN prefixes and SC service areas)."""
    with (DATA / "regions.csv").open(encoding="utf-8") as fh:
        codes = {row["code"].strip() for row in csv.DictReader(fh)}
    bad = sorted(code for code in codes if not _REGION_CODE.fullmatch(code))
    if bad:
        raise ValueError(f"regions.csv: codes must be two digits, got {bad}")
    return frozenset(codes)


@cache
def load_region_names() -> dict[str, str]:
    """Lower-cased region names from `regions.csv` -> the region's code, for feeds that write
    `Москва` for 77. A name listed under two codes (a region with a second tax-office code,
    like 80 and 93) means the first, the region's own."""
    with (DATA / "regions.csv").open(encoding="utf-8") as fh:
        rows = sorted((row["code"].strip(), row["name"].strip().lower()) for row in csv.DictReader(fh))
    names: dict[str, str] = {}
    for code, name in rows:
        names.setdefault(name, code)
    return names
