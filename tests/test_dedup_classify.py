"""SPEC §4 (type inference, new-sale rule) and §5.3 (collapse, merge planning)."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
from polars.testing import assert_frame_equal

from schemas.instants import UTC_US
from schemas.rules import source_rules
from tasks.classify import USAGE_SCHEMA, classify_rows
from tasks.dedup import collapse_batch, plan_merges, with_client_key

AS_OF = datetime(2026, 3, 6, 12, tzinfo=UTC)


def _rows(**columns: list) -> pl.DataFrame:
    n = len(next(iter(columns.values())))
    base = {
        c: [None] * n
        for c in (
            "inn",
            "kpp",
            "company_name",
            "region",
            "phone",
            "email",
            "contact_name",
            "lead_type",
            "temperature",
            "external_id",
        )
    }
    base.update(row_number=list(range(1, n + 1)), product=["extern"] * n, event_at=[AS_OF] * n)
    base.update(columns)
    return pl.DataFrame(base).with_columns(
        pl.col("row_number").cast(pl.Int64),
        pl.col("event_at").cast(UTC_US),
        *(pl.col(c).cast(pl.String) for c in base if c not in ("row_number", "event_at")),
    )


def _usage(*rows: tuple[str, datetime, bool]) -> pl.DataFrame:
    return pl.DataFrame(
        [(inn, "extern", end, active) for inn, end, active in rows], schema=USAGE_SCHEMA, orient="row"
    )


def test_type_inferred_from_usage_and_base():
    rows = _rows(inn=["1", "2", "3", None])
    usage = _usage(
        ("1", datetime(2025, 1, 1, tzinfo=UTC), False),  # lapsed 14 months ago: new sale
        ("2", datetime(2026, 6, 1, tzinfo=UTC), True),  # active: upsell
        ("3", datetime(2026, 1, 1, tzinfo=UTC), False),  # lapsed 2 months ago: renewal
    )
    classified, refused = classify_rows(rows, usage, rule=source_rules()["call_base"], as_of=AS_OF)
    assert refused.is_empty()
    assert classified["lead_type"].to_list() == ["connection", "upsell", "renewal", "connection"]
    assert classified["temperature"].to_list() == ["cold"] * 4
    renewal, _ = classify_rows(rows, usage, rule=source_rules()["renewal_base"], as_of=AS_OF)
    assert renewal["lead_type"].to_list() == ["renewal"] * 4


def test_connection_for_a_recent_client_and_upsell_without_period_are_refused():
    rows = _rows(inn=["3", "1", "1"], lead_type=["connection", "upsell", "connection"])
    usage = _usage(("3", datetime(2026, 1, 1, tzinfo=UTC), False))
    classified, refused = classify_rows(rows, usage, rule=source_rules()["principal_created"], as_of=AS_OF)
    assert refused.select("row_number", "reason_code").to_dicts() == [
        {"row_number": 1, "reason_code": "not_new_sale"},
        {"row_number": 2, "reason_code": "no_active_period"},
    ]
    assert classified["row_number"].to_list() == [3]


def test_sc_created_keeps_the_rows_temperature():
    rows = _rows(inn=["1", "2"], temperature=["hot", "cold"])
    classified, _ = classify_rows(rows, _usage(), rule=source_rules()["sc_created"], as_of=AS_OF)
    assert classified["temperature"].to_list() == ["hot", "cold"]


def test_client_key_is_inn_kpp_then_phone_then_email():
    keyed = with_client_key(
        _rows(
            inn=["7707083893", "7707083893", None, None],
            kpp=["770701001", None, None, None],
            phone=[None, None, "+79123456789", None],
            email=[None, None, "a@b.ru", "c@d.ru"],
        )
    )
    assert keyed["client_key"].to_list() == [
        "inn:7707083893/770701001",
        "inn:7707083893/",
        "phone:+79123456789",
        "email:c@d.ru",
    ]


def test_collapse_takes_the_hottest_and_unions_contacts():
    rows = _rows(
        inn=["7707083893", "7707083893", "6663003127"],
        temperature=["cold", "hot", "warm"],
        phone=["+79123456789", "+79123456780", None],
        email=[None, "a@b.ru", "x@y.ru"],
        company_name=[None, "ПАО Банк", "ООО Урал"],
        source=["call_base"] * 3,
        external_id=["e1", "e2", "e3"],
    )
    candidates, contacts, members = collapse_batch(rows)
    assert candidates.select("client_key", "temperature", "company_name", "rows", "first_row").to_dicts() == [
        {
            "client_key": "inn:7707083893/",
            "temperature": "hot",
            "company_name": "ПАО Банк",
            "rows": 2,
            "first_row": 1,
        },
        {
            "client_key": "inn:6663003127/",
            "temperature": "warm",
            "company_name": "ООО Урал",
            "rows": 1,
            "first_row": 3,
        },
    ]
    assert contacts.filter(pl.col("client_key") == "inn:7707083893/").sort("kind", "value")[
        "value"
    ].to_list() == ["a@b.ru", "+79123456780", "+79123456789"]
    assert members["external_id"].to_list() == ["e1", "e2", "e3"]


def test_merge_never_cools_a_lead():
    matched = pl.DataFrame(
        {
            "temperature": ["hot", "cold", "warm"],
            "lead_temperature": ["warm", "hot", "warm"],
        }
    )
    planned = plan_merges(matched)
    expected = matched.with_columns(
        merged_temperature=pl.Series(["hot", "hot", "warm"]),
        hotter=pl.Series([True, False, False]),
    )
    assert_frame_equal(planned, expected)
