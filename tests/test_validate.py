"""Feed row validation (SPEC §1, §4, §5; quarantine codes of docs/contract.md)."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from schemas.enums import LeadType, ReasonCode, Temperature
from schemas.feed import FEED_COLUMNS
from schemas.placeholders import (
    digit_patterns,
    fictitious_national_numbers,
    load_placeholders,
    load_regions,
)
from schemas.rules import source_rules
from tasks import fields
from tasks.codes import code_lookup
from tasks.fields import (
    digits_only,
    email_is_placeholder,
    email_is_well_formed,
    inn_is_valid,
    kpp_is_valid,
    normalize_email,
    normalize_phone,
    phone_is_fictitious,
    whole_number_text,
)
from tasks.validate import QUARANTINE_SCHEMA, VALID_SCHEMA, validate_feed_rows
from tests.inn_oracle import inn_is_valid as reference_inn_ok

AS_OF = datetime(2026, 3, 6, 12, 0, tzinfo=UTC)
PRODUCTS = frozenset({"extern", "elba"})
BASE_ROW: dict[str, str | None] = {
    "inn": "7707083893",
    "kpp": None,
    "company_name": "ООО Ромашка",
    "region": None,
    "product": "extern",
    "phone": "+7 912 345-67-89",
    "email": None,
    "contact_name": "Иван Петров",
    "lead_type": None,
    "temperature": None,
    "event_at": None,
    "external_id": None,
}


def feed(*overrides: Mapping[str, str | None]) -> pl.DataFrame:
    """Rows numbered from 1, each a valid base row with some cells replaced."""
    records = [{"row_number": i, **BASE_ROW, **o} for i, o in enumerate(overrides, start=1)]
    return pl.DataFrame(records, schema={"row_number": pl.Int64, **dict.fromkeys(FEED_COLUMNS, pl.String)})


def run(rows: pl.DataFrame, source: str = "call_base", **kwargs: Any) -> tuple[pl.DataFrame, pl.DataFrame]:
    options: dict[str, Any] = {
        "rule": source_rules()[source],
        "known_products": PRODUCTS,
        "default_event_at": AS_OF,
        "naive_timezone": "Asia/Yekaterinburg",
        **kwargs,
    }
    return validate_feed_rows(rows, **options)


def column(values: Sequence[str | None], expr: pl.Expr) -> list[Any]:
    return pl.DataFrame({"x": list(values)}, schema={"x": pl.String}).select(expr).to_series().to_list()


def quarantine(*rows: tuple[int, ReasonCode, str]) -> pl.DataFrame:
    return pl.DataFrame(
        [(n, code.value, detail) for n, code, detail in rows],
        schema=QUARANTINE_SCHEMA,
        orient="row",
    )


# --- INN and KPP ------------------------------------------------------------------------------


@pytest.mark.parametrize("inn", ["7707083893", "6663003127", "7830002293", "0012345673"])
def test_valid_company_inn(inn: str) -> None:
    assert reference_inn_ok(inn)
    assert column([inn], inn_is_valid(pl.col("x"))) == [True]


@pytest.mark.parametrize("inn", ["500100732259", "773370857141"])
def test_valid_entrepreneur_inn(inn: str) -> None:
    assert reference_inn_ok(inn)
    assert column([inn], inn_is_valid(pl.col("x"))) == [True]


@pytest.mark.parametrize(
    "inn",
    ["7707083894", "6663003128", "500100732258", "500100732249", "773370857142",
     "770708389", "77070838931", "7707O83893", "", None],
)  # fmt: skip
def test_invalid_inn(inn: str | None) -> None:
    assert column([inn], inn_is_valid(pl.col("x"))) == [False]


def test_inn_check_agrees_with_reference_on_random_values() -> None:
    rng = random.Random(20260306)
    values = ["".join(rng.choice("0123456789") for _ in range(rng.choice((10, 12)))) for _ in range(3000)]
    # make about a tenth valid by appending the right check digits
    for i in range(0, len(values), 10):
        prefix = values[i][:9]
        values[i] = next(prefix + str(c) for c in range(10) if reference_inn_ok(prefix + str(c)))
    assert column(values, inn_is_valid(pl.col("x"))) == [reference_inn_ok(v) for v in values]


@pytest.mark.parametrize(
    ("kpp", "ok"),
    [("773601001", True), ("7736AB001", True), ("773643001", True), ("77360100", False),
     ("7736010011", False), ("7736ab001", False), ("77360100A", False), ("A73601001", False),
     (None, False)],
)  # fmt: skip
def test_kpp_shape(kpp: str | None, ok: bool) -> None:
    assert column([kpp], kpp_is_valid(pl.col("x"))) == [ok]


# --- Phones and e-mails -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("8 (912) 345-67-89", "+79123456789"),
        ("+7 912 345 67 89", "+79123456789"),
        ("+7(912)345-67-89", "+79123456789"),
        ("79123456789", "+79123456789"),
        ("9123456789", "+79123456789"),
        (" 8-800-555-35-35 ", "+78005553535"),
        ("8\u00a0343\u00a0123-45-67", "+73431234567"),
        ("+380 44 123 4567", None),  # Ukraine
        ("+1 212 555 0100", None),  # another country with 11 digits
        ("+8 912 345 67 89", None),  # `+` then a code that is not 7
        ("+9123456789", None),
        ("12345", None),
        ("19123456789", None),  # 11 digits not starting with 7 or 8
        ("8 912 345 67 89 доб. 12", None),
        ("", None),
        (None, None),
    ],
)
def test_normalize_phone(raw: str | None, normalised: str | None) -> None:
    assert column([raw], normalize_phone(pl.col("x"))) == [normalised]


def test_digits_only_keeps_ascii_digits() -> None:
    assert column(["+7 (912) ٣45-67", None], digits_only(pl.col("x"))) == ["79124567", None]
    assert column(["a1b2 3-4"], digits_only(pl.col("x"))) == ["1234"]


def test_generated_fictitious_patterns() -> None:
    patterns = digit_patterns()
    assert len(patterns) == 30
    assert {"0000000000", "9999999999", "1234567890", "0123456789", "9876543210"} <= patterns
    assert {"2345678901", "0987654321", "5432109876"} <= patterns
    assert all(len(p) == 10 and p.isdigit() for p in patterns)
    assert "9123456789" not in patterns


FICTITIOUS_PHONES = [
    ("+79999999999", True),
    ("+70000000000", True),
    ("+71234567890", True),
    ("+79876543210", True),
    ("+74567890123", True),
    ("+79123456789", False),
    ("+78005553535", False),
    (None, False),
]
PLACEHOLDER_EMAILS = [
    ("ivan@example.com", True),
    ("ivan@mail.example.com", True),  # a subdomain of a placeholder domain
    ("ivan@anything.test", True),  # a reserved top-level domain
    ("test@company.ru", True),
    ("noemail@company.ru", True),
    ("test+1@company.ru", True),
    ("ivan@notexample.com", False),
    ("ivan@mail.ru", False),
    ("tester@company.ru", False),
    ("ivan.test@company.ru", False),
    (None, False),
]


@pytest.mark.parametrize(
    ("is_placeholder", "contact", "expected"),
    [(phone_is_fictitious, *case) for case in FICTITIOUS_PHONES]
    + [(email_is_placeholder, *case) for case in PLACEHOLDER_EMAILS],
)
def test_placeholder_contacts_are_caught(is_placeholder, contact: str | None, expected: bool) -> None:
    assert column([contact], is_placeholder(pl.col("x"), load_placeholders())) == [expected]


def test_listed_placeholder_phones_are_fictitious() -> None:
    listed = sorted(load_placeholders().phones)
    assert "+79001234567" in listed
    assert {p[2:] for p in listed} <= fictitious_national_numbers(listed)
    expr = phone_is_fictitious(pl.col("x"), load_placeholders())
    assert all(column(listed, expr))


@pytest.mark.parametrize(
    ("raw", "normalised", "well_formed"),
    [
        (" Ivan.Petrov@Mail.RU ", "ivan.petrov@mail.ru", True),
        ("info@компания.рф", "info@компания.рф", True),
        ("a_b+tag@sub.domain-1.com", "a_b+tag@sub.domain-1.com", True),
        ("ivan@mail", "ivan@mail", False),
        ("ivan@@mail.ru", "ivan@@mail.ru", False),
        ("ivan.@mail.ru", "ivan.@mail.ru", False),
        ("ivan@mail..ru", "ivan@mail..ru", False),
        ("иван@mail.ru", "иван@mail.ru", True),
        ("ivan petrov@mail.ru", "ivan petrov@mail.ru", False),
        ("   ", None, False),
    ],
)
def test_email_normalisation_and_syntax(raw: str, normalised: str | None, well_formed: bool) -> None:
    assert column([raw], normalize_email(pl.col("x"))) == [normalised]
    assert column([raw], email_is_well_formed(normalize_email(pl.col("x")))) == [well_formed]


def test_every_listed_placeholder_is_caught() -> None:
    placeholders = load_placeholders()
    emails = [f"ivan@{domain}" for domain in sorted(placeholders.email_domains)]
    emails += [f"{local}@company.ru" for local in sorted(placeholders.email_locals)]
    assert all(column(emails, email_is_placeholder(pl.col("x"), placeholders)))


def test_reference_lists_load() -> None:
    placeholders = load_placeholders()
    assert {"example.com", "test.ru", "localhost"} <= placeholders.email_domains
    assert {"test", "noemail", "no"} <= placeholders.email_locals
    regions = load_regions()
    assert {"01", "66", "77", "79", "83", "86", "87", "89", "91", "92", "99"} <= regions
    assert {"90", "93", "94", "95"} <= regions
    assert {"00", "82", "88", "98"}.isdisjoint(regions)


# --- validate_feed_rows -----------------------------------------------------------------------


def test_a_clean_row_is_normalised() -> None:
    rows = feed(
        {
            "inn": " 7707 083 893 ",
            "kpp": "773601001",
            "company_name": "  ПАО Сбербанк ",
            "product": " Extern ",
            "phone": "8 (912) 345-67-89",
            "email": " Ivan@Mail.RU",
            "contact_name": " Иван ",
            "lead_type": "Подключение",
            "temperature": "hot",  # not sc_created: the source decides, the column is ignored
            "event_at": "2026-03-05T10:00:00+03:00",
            "external_id": " A-1 ",
        }
    )
    valid, quarantined = run(rows)
    expected = pl.DataFrame(
        {
            "row_number": [1],
            "inn": ["7707083893"],
            "kpp": ["773601001"],
            "company_name": ["ПАО Сбербанк"],
            "region": ["77"],
            "product": ["extern"],
            "phone": ["+79123456789"],
            "email": ["ivan@mail.ru"],
            "contact_name": ["Иван"],
            "lead_type": ["connection"],
            "temperature": [None],
            "event_at": [datetime(2026, 3, 5, 7, 0, tzinfo=UTC)],
            "external_id": ["A-1"],
        },
        schema=VALID_SCHEMA,
    )
    assert_frame_equal(valid, expected)
    assert_frame_equal(quarantined, quarantine())


def test_each_reason_code() -> None:
    rows = feed(
        {"event_at": "вчера"},
        {"event_at": "2026-03-07"},
        {"inn": None},
        {"inn": "77070838"},
        {"inn": "7707083894"},
        {"kpp": "7736010"},
        {"inn": "500100732259", "kpp": "773601001"},
        {"product": None},
        {"product": "Kontur.Bank"},
        {"region": "00"},
        {"inn": "8212345675"},
        {"lead_type": "продажа"},
        {"phone": None, "email": "  "},
        {"phone": "+380 44 123 4567"},
        {"phone": "+7 999 999-99-99"},
        {"phone": None, "email": "ivan@mail"},
        {"phone": None, "email": "noreply@company.ru"},
    )
    valid, quarantined = run(rows)
    assert valid.is_empty()
    expected = quarantine(
        (1, ReasonCode.BAD_DATE, "event_at 'вчера' is not a recognised date and time"),
        (2, ReasonCode.BAD_DATE, "event_at '2026-03-07' is later than the time of the run"),
        (3, ReasonCode.MISSING_INN, "INN is required for source call_base"),
        (4, ReasonCode.BAD_INN, "INN has 8 characters; expected 10 or 12 digits"),
        (5, ReasonCode.BAD_INN, "INN check digits do not match"),
        (6, ReasonCode.BAD_KPP,
         "KPP must be 9 characters: 4 digits, 2 digits or capital letters, 3 digits"),
        (7, ReasonCode.BAD_KPP, "KPP given with a 12-digit INN; an entrepreneur has no KPP"),
        (8, ReasonCode.UNKNOWN_PRODUCT, "product is missing"),
        (9, ReasonCode.UNKNOWN_PRODUCT, "product 'kontur.bank' is not a known product"),
        (10, ReasonCode.UNKNOWN_REGION, "region '00' is not a known region code"),
        (11, ReasonCode.UNKNOWN_REGION,
         "region '82' taken from the INN is not a known region code"),
        (12, ReasonCode.BAD_LEAD_TYPE, "lead type 'продажа' is not recognised"),
        (13, ReasonCode.MISSING_CONTACTS, "neither a phone nor an e-mail is given"),
        (14, ReasonCode.FICTITIOUS_PHONE, "phone is not a Russian number (+7 and 10 digits)"),
        (15, ReasonCode.FICTITIOUS_PHONE, "phone is a fictitious number"),
        (16, ReasonCode.FICTITIOUS_EMAIL, "e-mail is not a valid address"),
        (17, ReasonCode.FICTITIOUS_EMAIL, "e-mail uses a placeholder domain or mailbox name"),
    )  # fmt: skip
    assert_frame_equal(quarantined, expected)


def test_temperature_is_required_and_checked_for_sc_created() -> None:
    rows = feed(
        {"temperature": None},
        {"temperature": "тёпленькая"},
        {"temperature": "Горячая"},
        {"temperature": "теплая"},
        {"temperature": "ТЁПЛАЯ"},
        {"temperature": "холодная"},
        {"temperature": " Warm "},
    )
    valid, quarantined = run(rows, source="sc_created")
    assert_frame_equal(
        quarantined,
        quarantine(
            (1, ReasonCode.BAD_TEMPERATURE, "temperature is required for source sc_created"),
            (2, ReasonCode.BAD_TEMPERATURE, "temperature 'тёпленькая' is not recognised"),
        ),
    )
    assert valid["temperature"].to_list() == [
        Temperature.HOT,
        Temperature.WARM,
        Temperature.WARM,
        Temperature.COLD,
        Temperature.WARM,
    ]


def test_temperature_column_is_ignored_when_the_source_fixes_it() -> None:
    valid, quarantined = run(feed({"temperature": "garbage"}, {"temperature": "hot"}))
    assert quarantined.is_empty()
    assert valid["temperature"].to_list() == [None, None]


def test_lead_type_aliases() -> None:
    spelled = ["Подключение", "ПРОДЛЕНИЕ", "допродажа", "Обслуживание", "активация",
               "Connection", "RENEWAL", " upsell ", "service", "Activation", None]  # fmt: skip
    valid, quarantined = run(feed(*({"lead_type": v} for v in spelled)))
    assert quarantined.is_empty()
    assert valid["lead_type"].to_list() == [*LeadType, *LeadType, None]


def test_first_failing_check_wins() -> None:
    everything_wrong = {
        "inn": "123",
        "kpp": "x",
        "product": "nope",
        "region": "00",
        "lead_type": "?",
        "phone": "1",
        "email": "test@example.com",
    }
    rows = feed(
        {**everything_wrong, "event_at": "2026-13-01"},
        everything_wrong,
        {**everything_wrong, "inn": "7707083893"},
        {**everything_wrong, "inn": "7707083893", "kpp": None},
        {**everything_wrong, "inn": "7707083893", "kpp": None, "product": "elba"},
        {"region": "00", "lead_type": "?", "phone": "1", "email": "test@example.com"},
        {"lead_type": "?", "phone": "1", "email": "test@example.com"},
        {"phone": "1", "email": "test@example.com"},
        {"email": "test@example.com"},
    )
    _, quarantined = run(rows)
    assert quarantined["reason_code"].to_list() == [
        ReasonCode.BAD_DATE,
        ReasonCode.BAD_INN,
        ReasonCode.BAD_KPP,
        ReasonCode.UNKNOWN_PRODUCT,
        ReasonCode.UNKNOWN_REGION,
        ReasonCode.UNKNOWN_REGION,
        ReasonCode.BAD_LEAD_TYPE,
        ReasonCode.FICTITIOUS_PHONE,
        ReasonCode.FICTITIOUS_EMAIL,
    ]


def test_inn_is_optional_for_client_initiated_sources() -> None:
    valid, quarantined = run(feed({"inn": None}, {"inn": "  "}), source="callback_order")
    assert quarantined.is_empty()
    assert valid.select("inn", "region").to_dicts() == [
        {"inn": None, "region": None},
        {"inn": None, "region": None},
    ]


def test_region_defaults_to_the_inn_prefix_and_is_zero_padded() -> None:
    rows = feed(
        {"inn": "6663003127"},
        {"inn": "6663003127", "region": "77"},
        {"inn": "7707083893", "region": "6"},
        {"inn": "0012345673", "region": "01"},
        {"inn": "500100732259"},
        {"inn": None, "region": " 92 "},
    )
    valid, quarantined = run(rows, source="callback_order")
    assert quarantined.is_empty()
    assert valid["region"].to_list() == ["66", "77", "06", "01", "50", "92"]


def test_unknown_given_regions() -> None:
    rows = feed({"region": "Свердловск"}, {"region": "666"}, {"region": "0"})
    _, quarantined = run(rows)
    assert quarantined["detail"].to_list() == [
        "region 'Свердловск' is not a known region code",
        "region '666' is not a known region code",
        "region '00' is not a known region code",
    ]


EVENT_AT_CASES: list[tuple[str | None, datetime]] = [
    ("2026-03-05T10:00:00+03:00", datetime(2026, 3, 5, 7, 0)),
    ("2026-03-05T10:00:00Z", datetime(2026, 3, 5, 10, 0)),
    ("2026-03-05T10:00:00.250+0530", datetime(2026, 3, 5, 4, 30, 0, 250000)),
    ("2026-03-05 10:00-02", datetime(2026, 3, 5, 12, 0)),
    ("2026-03-05 10:00:00 +05:00", datetime(2026, 3, 5, 5, 0)),
    ("2026-03-05T10:00", datetime(2026, 3, 5, 5, 0)),  # naive: Asia/Yekaterinburg, +05
    ("2026-03-05 10:00", datetime(2026, 3, 5, 5, 0)),
    ("2026-03-05 10:00:30", datetime(2026, 3, 5, 5, 0, 30)),
    ("2026-03-05 10:00:30.5", datetime(2026, 3, 5, 5, 0, 30, 500000)),
    ("2026-03-05", datetime(2026, 3, 4, 19, 0)),
    ("05.03.2026", datetime(2026, 3, 4, 19, 0)),
    ("05.03.2026 10:00", datetime(2026, 3, 5, 5, 0)),
    (" 05.03.2026 10:00:30 ", datetime(2026, 3, 5, 5, 0, 30)),
    ("2026-03-06T17:00:00+05:00", datetime(2026, 3, 6, 12, 0)),  # exactly the as-of
    (None, datetime(2026, 3, 6, 12, 0)),  # absent: the as-of
    ("", datetime(2026, 3, 6, 12, 0)),
]
BAD_EVENT_AT: list[str] = [
    "2026-02-30", "31.02.2026", "2026-02-30T10:00:00+03:00", "2026-03-05T25:00", "2026-03-05 10:61",
    "2026/03/05", "5.3.2026", "2026-3-5", "20260305", "2026-03-05T10:00:00+15:00",
    "2026-03-05T10:00:00+05:60", "2026-03-05X10:00", "завтра", "2026-03-05 10",
    "2026-03-05T10:00:00+05:00 extra", "2026-03-05T10:00:00z",
]  # fmt: skip


@pytest.mark.parametrize(("text", "utc"), EVENT_AT_CASES)
def test_event_at_formats(text: str | None, utc: datetime) -> None:
    valid, quarantined = run(feed({"event_at": text}))
    assert quarantined.is_empty()
    assert valid["event_at"].to_list() == [utc.replace(tzinfo=UTC)]


def test_event_at_formats_mixed_in_one_feed() -> None:
    """A feed's dominant layout is parsed in one go and every other row by the general parser:
    both must agree, and both must refuse the same values."""
    texts = [text for text, _ in EVENT_AT_CASES]
    dominant = ["2026-03-05 09:00"] * 20
    valid, quarantined = run(feed(*({"event_at": t} for t in [*dominant, *texts, *BAD_EVENT_AT])))
    expected = [datetime(2026, 3, 5, 4, 0, tzinfo=UTC)] * 20 + [
        utc.replace(tzinfo=UTC) for _, utc in EVENT_AT_CASES
    ]
    assert valid["event_at"].to_list() == expected
    first_bad = len(expected) + 1
    assert quarantined["row_number"].to_list() == list(range(first_bad, first_bad + len(BAD_EVENT_AT)))
    assert set(quarantined["reason_code"]) == {ReasonCode.BAD_DATE.value}


@pytest.mark.parametrize("text", BAD_EVENT_AT)
def test_unparseable_event_at(text: str) -> None:
    _, quarantined = run(feed({"event_at": text}))
    assert quarantined["reason_code"].to_list() == [ReasonCode.BAD_DATE]


def test_an_impossible_date_in_a_uniform_feed() -> None:
    rows = feed(
        {"event_at": "2026-03-01T10:00:00+03:00"},
        {"event_at": "2026-02-29T10:00:00+03:00"},  # 2026 is not a leap year
        {"event_at": "2026-03-02T10:00:00+03:00"},
    )
    valid, quarantined = run(rows)
    assert valid["row_number"].to_list() == [1, 3]
    assert_frame_equal(
        quarantined,
        quarantine(
            (2, ReasonCode.BAD_DATE, "event_at '2026-02-29T10:00:00+03:00' is not a recognised date and time")
        ),
    )


def test_naive_event_at_uses_the_given_zone() -> None:
    rows = feed({"event_at": "2026-03-05 10:00"})
    valid, _ = run(rows, naive_timezone="Europe/Kaliningrad")
    assert valid["event_at"].to_list() == [datetime(2026, 3, 5, 8, 0, tzinfo=UTC)]
    valid, _ = run(rows, naive_timezone="Asia/Kamchatka")
    assert valid["event_at"].to_list() == [datetime(2026, 3, 4, 22, 0, tzinfo=UTC)]


def test_future_is_measured_against_the_as_of_in_any_zone() -> None:
    as_of = datetime(2026, 3, 6, 17, 0, tzinfo=timezone(timedelta(hours=5)))  # 12:00 UTC
    rows = feed({"event_at": "2026-03-06T12:00:00Z"}, {"event_at": "2026-03-06T12:00:01Z"})
    valid, quarantined = run(rows, default_event_at=as_of)
    assert valid["row_number"].to_list() == [1]
    assert quarantined["reason_code"].to_list() == [ReasonCode.BAD_DATE]


def test_a_naive_as_of_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        run(feed({}), default_event_at=datetime(2026, 3, 6, 12, 0))


def test_missing_columns_count_as_empty() -> None:
    rows = pl.DataFrame(
        {"row_number": [1], "inn": ["7707083893"], "product": ["extern"], "phone": ["9123456789"]}
    )
    valid, quarantined = run(rows)
    assert quarantined.is_empty()
    assert valid.schema == pl.Schema(VALID_SCHEMA)
    assert valid.row(0, named=True)["event_at"] == AS_OF


def test_an_empty_feed() -> None:
    valid, quarantined = run(feed().clear())
    assert valid.schema == pl.Schema(VALID_SCHEMA)
    assert quarantined.schema == pl.Schema(QUARANTINE_SCHEMA)
    assert valid.is_empty()
    assert quarantined.is_empty()


def test_every_row_lands_exactly_once() -> None:
    rng = random.Random(7)
    pools: dict[str, list[str | None]] = {
        "inn": ["7707083893", "500100732259", "7707083894", "123", None, " 6663003127 "],
        "kpp": [None, "773601001", "bad"],
        "region": [None, "66", "6", "00", "Москва"],
        "product": ["extern", "Elba", "other", None],
        "phone": ["89123456789", "+7 999 999-99-99", "+380441234567", None],
        "email": ["ivan@mail.ru", "test@example.com", "bad@", None],
        "lead_type": [None, "renewal", "Активация", "???"],
        "temperature": [None, "hot", "тёплая", "?"],
        "event_at": [None, "2026-03-01", "01.03.2026 10:00", "2027-01-01", "x"],
    }
    rows = feed(*({k: rng.choice(v) for k, v in pools.items()} for _ in range(2000)))
    for source in ("call_base", "callback_order", "sc_created"):
        valid, quarantined = run(rows, source=source)
        assert valid.height + quarantined.height == rows.height
        valid_ids, quarantined_ids = set(valid["row_number"]), set(quarantined["row_number"])
        assert valid_ids.isdisjoint(quarantined_ids)
        assert valid_ids | quarantined_ids == set(rows["row_number"])
        assert quarantined["detail"].null_count() == 0
        assert set(quarantined["reason_code"]) <= {code.value for code in ReasonCode}
        assert valid.height > 0
        assert quarantined.height > 0


def test_details_do_not_echo_contacts() -> None:
    rows = feed(
        {"phone": "+7 999 999-99-99", "contact_name": "Иван Петров"},
        {"phone": "+44 20 7946 0958"},
        {"phone": None, "email": "ivan.petrov@mail"},
        {"phone": None, "email": "test@company.ru"},
    )
    _, quarantined = run(rows)
    for detail in quarantined["detail"]:
        assert not any(s in detail for s in ("999", "7946", "ivan", "test@", "Иван"))


# --- Codes and numbers a spreadsheet turned into numbers -------------------------------------


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("274051582", "0274051582"),  # region 02, the leading zero lost in a numeric cell
        ("274051582.0", "0274051582"),
        ("27405158231", "027405158231"),  # an entrepreneur's INN
        ("27405158231.0", "027405158231"),
        ("7707083893.0", "7707083893"),
        ("0274051582", "0274051582"),
    ],
)
def test_inn_with_a_lost_leading_zero_is_restored(given: str, stored: str) -> None:
    valid, quarantined = run(feed({"inn": given}))
    assert quarantined.is_empty()
    assert valid["inn"].to_list() == [stored]
    assert valid["region"].to_list() == [stored[:2]]


def test_inn_restored_only_when_its_check_digits_then_match() -> None:
    valid, quarantined = run(feed({"inn": "274051583"}, {"inn": "27405158232"}, {"inn": "12345678.0"}))
    assert valid.is_empty()
    restored = "expected 10 or 12, and with a leading zero restored its check digits do not match"
    expected = quarantine(
        (1, ReasonCode.BAD_INN, f"INN has 9 digits; {restored}"),
        (2, ReasonCode.BAD_INN, f"INN has 11 digits; {restored}"),
        (3, ReasonCode.BAD_INN, "INN has 8 characters; expected 10 or 12 digits"),
    )
    assert_frame_equal(quarantined, expected)


@pytest.mark.parametrize(
    ("given", "stored"),
    [("27401001", "027401001"), ("27401001.0", "027401001"), ("773601001.0", "773601001")],
)
def test_kpp_with_a_lost_leading_zero_is_restored(given: str, stored: str) -> None:
    valid, quarantined = run(feed({"inn": "0274051582", "kpp": given}))
    assert quarantined.is_empty()
    assert valid["kpp"].to_list() == [stored]


@pytest.mark.parametrize("kpp", ["2740100", "2740100A", "27401001.5"])
def test_other_short_kpps_stay_refused(kpp: str) -> None:
    _, quarantined = run(feed({"inn": "0274051582", "kpp": kpp}))
    assert quarantined["reason_code"].to_list() == [ReasonCode.BAD_KPP.value]


@pytest.mark.parametrize("phone", ["79121234567.0", "89121234567.0", "9121234567.0", "79121234567"])
def test_a_phone_from_a_numeric_cell_is_the_number_it_shows(phone: str) -> None:
    valid, quarantined = run(feed({"phone": phone}))
    assert quarantined.is_empty()
    assert valid["phone"].to_list() == ["+79121234567"]


def test_numeric_columns_of_a_parquet_feed_are_read_as_numbers() -> None:
    """Parquet and XLSX keep number types: an integer INN, float and integer phones."""
    rows = pl.DataFrame(
        {
            "row_number": [1, 2],
            "inn": [274051582, 7707083893],
            "kpp": [27401001, 773601001],
            "product": ["extern", "extern"],
            "phone": [79121234567.0, 89121234567.0],
        }
    )
    valid, quarantined = run(rows)
    assert quarantined.is_empty()
    assert valid.select("inn", "kpp", "phone").rows() == [
        ("0274051582", "027401001", "+79121234567"),
        ("7707083893", "773601001", "+79121234567"),
    ]
    integer_phones, _ = run(rows.with_columns(pl.col("phone").cast(pl.Int64)))
    assert integer_phones["phone"].to_list() == ["+79121234567", "+79121234567"]


# --- Russian numbers only ---------------------------------------------------------------------


@pytest.mark.parametrize("first_digit", ["0", "1", "2", "5", "6", "7"])
def test_phones_outside_russia_s_part_of_plus_7_are_refused(first_digit: str) -> None:
    _, quarantined = run(feed({"phone": f"+7 {first_digit}01 234-57-68"}))
    assert quarantined.select("reason_code", "detail").rows() == [
        (
            ReasonCode.FICTITIOUS_PHONE.value,
            f"phone is not a Russian number: after +7 it starts with {first_digit}; "
            "Russian numbers start with 3, 4, 8, 9 (+7 7… is Kazakhstan)",
        )
    ]


# Numbers as people write them, with what the phone must come to: a Russian number, or refused.
PHONE_CORPUS = [
    "+7 912 345-67-89", "8 (495) 223-45-67", "+7 343 212-34-56", "8 800 555-35-35", "+7 812 345-67-89",
    "+7 401 234-56-78", "+7 301 212-34-56", "+7 383 123-45-67", "+7 900 123-45-68", "+7 (423) 245-67-89",
    "+7 701 123-45-67", "+7 727 123-45-67", "+7 777 123-45-67", "8 705 123-45-67", "+7 600 123-45-67",
    "+7 012 345-67-88", "+7 112 345-67-88", "+7 212 345-67-88", "+7 512 345-67-88", "+7 612 345-67-88",
]  # fmt: skip


def test_phone_acceptance_agrees_with_phonenumbers() -> None:
    phonenumbers = pytest.importorskip("phonenumbers")
    rows = feed(*({"phone": phone} for phone in PHONE_CORPUS))
    valid, _ = run(rows)
    accepted = set(valid["row_number"])
    for row, phone in enumerate(PHONE_CORPUS, start=1):
        parsed = phonenumbers.parse(phone, "RU")
        russian = phonenumbers.is_valid_number(parsed) and phonenumbers.region_code_for_number(parsed) == "RU"
        assert (row in accepted) == russian, phone


# --- E-mail addresses against an independent implementation ----------------------------------

EMAIL_CORPUS = [
    # accepted
    "ivan@mail.ru", "o'brien@mail.ru", "a!b@mail.ru", "иван@почта.рф", "info@компания.рф",
    "ivan.petrov@mail.ru", "user+tag@gmail.com", "a{b}@x.ru", "a/b=c@x.ru", "-@x.ru", "#1@x.ru",
    "ä@x.de", "a@münchen.de", "a@x.онлайн", "a@xn--80a1acny.xn--p1ai", "a@sub.domain-1.com",
    "a@a--b.ru", "a@xn--d1acufc.ru", "x@" + "a" * 63 + ".ru", "a" * 64 + "@mail.ru",
    "a@" + ".".join(["b" * 60] * 4) + ".ru",
    # refused
    "ivan@mail", "ivan@@mail.ru", "ivan.@mail.ru", ".ivan@mail.ru", "iv..an@mail.ru", "ivan@mail..ru",
    "ivan petrov@mail.ru", '"ivan"@mail.ru', "ivan@[1.2.3.4]", "ivan@1.2.3.4", "ivan@mail.ru1",
    "ivan@-mail.ru", "ivan@mail-.ru", "ivan@ab--cd.ru", "ivan@mail_box.ru", "ivan@mail.ru.",
    "a\u200b@mail.ru", "a\tb@mail.ru", "ivan", "@mail.ru", "ivan@",
    "x@" + "a" * 64 + ".ru", "a" * 65 + "@mail.ru", "a@" + ".".join(["b" * 62] * 4) + ".ru",
]  # fmt: skip


def test_email_syntax_agrees_with_email_validator() -> None:
    email_validator = pytest.importorskip("email_validator")

    def valid_by_reference(address: str) -> bool:
        try:
            email_validator.validate_email(address, check_deliverability=False, strict=True)
        except email_validator.EmailNotValidError:
            return False
        return True

    ours = column(EMAIL_CORPUS, email_is_well_formed(normalize_email(pl.col("x"))))
    assert {a: ok for a, ok in zip(EMAIL_CORPUS, ours, strict=True)} == {
        a: valid_by_reference(a) for a in EMAIL_CORPUS
    }


def test_ascii_and_other_addresses_in_one_column_get_the_answer_of_the_one_pattern() -> None:
    """ASCII addresses are checked against the ASCII form of the pattern (many times faster),
    the others against the Unicode one: mixed in one column, every address gets the answer
    the Unicode pattern alone gives."""
    addresses = [*EMAIL_CORPUS, "IVAN@MAIL.RU", "a@b.c", None]
    normalised = normalize_email(pl.col("x"))
    reference = (
        normalised.str.contains(fields._EMAIL_SHAPE)
        & ~normalised.str.contains(fields._EMAIL_RESERVED_HYPHENS)
        & (normalised.str.len_bytes() <= 254)
        & (normalised.str.find("@", literal=True) <= 64)
    ).fill_null(False)
    assert column(addresses, email_is_well_formed(normalised)) == column(addresses, reference)


@pytest.mark.parametrize(
    ("given", "read"),
    [("7707083893.0", "7707083893"), ("7707083893.00", "7707083893"), ("77.07", "77.07"),
     ("7707083893.5", "7707083893.5"), (".0", ".0"), ("7707083893", "7707083893"), (None, None)],
)  # fmt: skip
def test_only_a_zero_fraction_is_dropped_from_a_number(given: str | None, read: str | None) -> None:
    assert column([given, "1.0", "2"], whole_number_text(pl.col("x"))) == [read, "1", "2"]


@pytest.mark.parametrize("email", ["o'brien@mail.ru", "a!b@mail.ru", "иван@почта.рф"])
def test_unusual_but_valid_addresses_make_leads(email: str) -> None:
    valid, quarantined = run(feed({"phone": None, "email": email}))
    assert quarantined.is_empty()
    assert valid["email"].to_list() == [email]


def test_a_domain_label_over_63_characters_is_refused() -> None:
    _, quarantined = run(feed({"phone": None, "email": "ivan@" + "a" * 64 + ".ru"}))
    assert quarantined["reason_code"].to_list() == [ReasonCode.FICTITIOUS_EMAIL.value]


def test_a_one_letter_top_level_domain_is_refused() -> None:
    """Deliberately stricter than RFC syntax: no top-level domain has one letter, so
    `ivan@mail.r` is a typo, not an address."""
    assert column(["ivan@mail.r"], email_is_well_formed(pl.col("x"))) == [False]


# --- Reference codes as users write them (SPEC §16) -------------------------------------------


@pytest.mark.parametrize(
    ("region", "code"),
    [("Москва", "77"), (" свердловская ОБЛАСТЬ ", "66"), ("Донецкая Народная Республика", "80"), ("6", "06")],
)
def test_a_region_may_be_given_by_its_name(region: str, code: str) -> None:
    valid, quarantined = run(feed({"region": region}))
    assert quarantined.is_empty()
    assert valid["region"].to_list() == [code]


def test_a_product_may_be_given_in_any_case_or_by_its_name() -> None:
    products = code_lookup(
        pl.Series(["EXTERN", "elba"]),
        pl.Series(["Контур.Экстерн — отчётность через интернет", "Контур.Эльба"]),
    )
    given = ["extern", "EXTERN", "Extern", "контур.экстерн", "Контур.Экстерн — отчётность через интернет",
             "ELBA", "Контур.Эльба", "Контур.Банк"]  # fmt: skip
    valid, quarantined = run(feed(*({"product": p} for p in given)), known_products=products)
    assert valid["product"].to_list() == ["EXTERN"] * 5 + ["elba"] * 2
    assert quarantined.select("row_number", "detail").rows() == [
        (8, "product 'контур.банк' is not a known product")
    ]
