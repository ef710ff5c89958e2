"""Billing (issue: lifecycle): invoices book, payments complete leads, periods record usage."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from flows.billing import ingest_billing
from flows.ingest import ingest_feed
from flows.initialise import init_warehouse
from flows.lead_actions import take_lead
from schemas.enums import Contact
from tests.support import BOTH_BACKENDS
from tests.test_reference import _upper_case_products
from warehouse import store

AS_OF = datetime(2026, 3, 6, 13, 30, tzinfo=UTC)
BUYER, SUBSCRIBER, STRANGER = "7707083893", "6663003127", "500100732259"


def _query(warehouse: Path, sql: str) -> list[tuple]:
    with store.reader(warehouse) as con:
        return con.sql(sql).fetchall()


def _csv(path: Path, rows: list[dict]) -> Path:
    pl.DataFrame(rows, infer_schema_length=None).write_csv(path)
    return path


def _ingest(warehouse: Path, feed: Path, rows: list[dict], **options: Any) -> dict:
    """A feed of `rows` written to `feed` and ingested into the warehouse."""
    return ingest_feed(path=str(_csv(feed, rows)), warehouse=str(warehouse), **options)


@BOTH_BACKENDS
def test_billing_completes_leads_books_clients_and_is_idempotent(warehouse, tmp_path):
    base = {"inn": BUYER, "region": "77", "product": "extern", "phone": "89123456789", "external_id": "1"}
    _ingest(warehouse, tmp_path / "base.csv", [base], source="call_base", as_of=AS_OF)
    ((lead_id, sc_id),) = _query(warehouse, "SELECT lead_id, sc_id FROM leads")
    take_lead(warehouse, lead_id, contact=Contact.CALL, note=None, as_of=AS_OF + timedelta(hours=1))

    day = AS_OF + timedelta(days=2)
    events = [
        {
            "event": "invoice_issued",
            "invoice_id": "INV-1",
            "inn": BUYER,
            "product": "extern",
            "sc_id": sc_id,
            "event_at": day.isoformat(),
            "valid_until": (day + timedelta(days=10)).isoformat(),
        },
        {
            "event": "invoice_paid",
            "invoice_id": "INV-1",
            "inn": BUYER,
            "product": "extern",
            "sc_id": sc_id,
            "event_at": (day + timedelta(days=3)).isoformat(),
        },
        {
            "event": "period",
            "inn": SUBSCRIBER,
            "product": "extern",
            "sc_id": "sc-ekb-2",
            "period_start": (AS_OF - timedelta(days=100)).isoformat(),
            "period_end": (AS_OF + timedelta(days=265)).isoformat(),
        },
        {
            "event": "invoice_paid",
            "invoice_id": "INV-2",
            "inn": STRANGER,
            "product": "elba",
            "sc_id": sc_id,
            "event_at": day.isoformat(),
        },
        {"event": "refund", "invoice_id": "INV-3", "inn": BUYER, "product": "extern", "sc_id": sc_id},
        {
            "event": "period",
            "inn": "1234567890",
            "product": "extern",
            "sc_id": sc_id,
            "period_start": AS_OF.isoformat(),
            "period_end": (AS_OF + timedelta(days=1)).isoformat(),
        },
    ]
    path = _csv(tmp_path / "billing.csv", events)
    at = AS_OF + timedelta(days=7)
    summary = ingest_billing(path=str(path), as_of=at, warehouse=str(warehouse))

    assert summary["rows_read"] == 6
    assert summary["rows_read"] == summary["applied"] + summary["already_known"] + summary["quarantined"]
    assert summary["quarantine_reasons"] == {"bad_event": 1, "bad_inn": 1}
    assert (summary["leads_completed"], summary["payments_without_lead"]) == (1, 1)
    paid_at = day + timedelta(days=3)
    assert _query(warehouse, "SELECT status, invoice_id, closed_at FROM leads") == [
        ("completed", "INV-1", paid_at)
    ]
    assert _query(
        warehouse, "SELECT ends_at FROM bookings WHERE kind = 'invoice' AND invoice_id = 'INV-1'"
    ) == [(paid_at,)]
    assert _query(warehouse, "SELECT sc_id FROM bookings WHERE kind = 'paid_period'") == [("sc-ekb-2",)]
    assert _query(warehouse, "SELECT kind FROM lead_events ORDER BY occurred_at")[-1] == ("closed",)

    tables = (
        "SELECT (SELECT count(*) FROM invoices), (SELECT count(*) FROM bookings),"
        " (SELECT count(*) FROM paid_periods)"
    )
    before = _query(warehouse, tables)
    again = ingest_billing(path=str(path), as_of=at, warehouse=str(warehouse))
    assert again["already_loaded"]
    assert _query(warehouse, tables) == before
    reordered = _csv(tmp_path / "billing-again.csv", list(reversed(events)))
    repeat = ingest_billing(path=str(reordered), as_of=at, warehouse=str(warehouse))
    assert (repeat["applied"], repeat["already_known"]) == (0, 4)
    assert _query(warehouse, tables) == before

    # from now on the subscriber's active period shapes new leads: upsell, at the period's SC
    late = {
        "inn": SUBSCRIBER,
        "region": "66",
        "product": "extern",
        "phone": "89123456780",
        "external_id": "2",
    }
    _ingest(warehouse, tmp_path / "late.csv", [late], source="call_base", as_of=at)
    assert _query(warehouse, f"SELECT lead_type, sc_id FROM leads WHERE inn = '{SUBSCRIBER}'") == [
        ("upsell", "sc-ekb-2")
    ]

    # an SC's own lead (§8.1.3): the SC's temperature and type; a connection for a client
    # with an active period is "connection without a sale" (§8.2.1); fictitious contacts refused
    own = _ingest(
        warehouse,
        tmp_path / "own.csv",
        [
            {
                "inn": SUBSCRIBER,
                "product": "extern",
                "phone": "+79161234567",
                "lead_type": "Подключение",
                "temperature": "горячая",
                "external_id": "o1",
            },
            {
                "inn": STRANGER,
                "product": "extern",
                "phone": "+79161234568",
                "lead_type": "service",
                "temperature": "cold",
                "external_id": "o2",
            },
            {
                "inn": STRANGER,
                "product": "elba",
                "phone": "+7 999 999-99-99",
                "lead_type": "service",
                "temperature": "warm",
                "external_id": "o3",
            },
        ],
        source="sc_created",
        sc_id="sc-kgd-1",
        as_of=at,
    )
    assert own["quarantine_reasons"] == {"fictitious_phone": 1, "not_new_sale": 1}
    assert _query(warehouse, f"SELECT sc_id, temperature, lead_type FROM leads WHERE inn = '{STRANGER}'") == [
        ("sc-kgd-1", "cold", "service")
    ]


def _period(inn: str, product: str, sc_id: str, kpp: str | None = None) -> dict:
    return {
        "event": "period",
        "inn": inn,
        "kpp": kpp,
        "product": product,
        "sc_id": sc_id,
        "period_start": (AS_OF - timedelta(days=10)).isoformat(),
        "period_end": (AS_OF + timedelta(days=355)).isoformat(),
    }


def test_billing_matches_product_and_sc_codes_in_any_case_and_product_names(tmp_path):
    target = tmp_path / "w.duckdb"
    init_warehouse(target, _upper_case_products(tmp_path))  # products.csv spells EXTERN
    rows = [
        _period(BUYER, "extern", "SC-MSK-1"),
        _period(SUBSCRIBER, "Контур.Экстерн", "Sc-Ekb-2"),
        {
            "event": "invoice_issued",
            "invoice_id": "INV-1",
            "inn": STRANGER,
            "product": " EXTERN ",
            "sc_id": "sc-msk-1",
            "event_at": AS_OF.isoformat(),
        },
        _period(BUYER, "Контур.Банк", "sc-msk-1"),
        _period(BUYER, "extern", "sc-msk-9"),
    ]
    summary = ingest_billing(
        path=str(_csv(tmp_path / "billing.csv", rows)), as_of=AS_OF, warehouse=str(target)
    )

    assert (summary["applied"], summary["quarantined"]) == (3, 2)
    assert summary["quarantine_reasons"] == {"unknown_product": 1, "unknown_sc": 1}
    assert _query(target, "SELECT inn, product, sc_id FROM paid_periods ORDER BY inn") == [
        (SUBSCRIBER, "EXTERN", "sc-ekb-2"),
        (BUYER, "EXTERN", "sc-msk-1"),
    ]
    assert _query(target, "SELECT inn, product, sc_id FROM invoices") == [(STRANGER, "EXTERN", "sc-msk-1")]


def test_billing_restores_inns_and_kpps_from_numeric_cells(warehouse, tmp_path):
    rows = [
        _period(f"{BUYER}.0", "extern", "sc-msk-1", kpp="773601001.0"),
        _period("274051582", "extern", "sc-msk-1", kpp="27401001"),  # 0274051582, 027401001
        _period("274051583", "extern", "sc-msk-1"),  # 0274051583 fails its check digits
    ]
    summary = ingest_billing(
        path=str(_csv(tmp_path / "billing.csv", rows)), as_of=AS_OF, warehouse=str(warehouse)
    )

    assert (summary["applied"], summary["quarantined"]) == (2, 1)
    assert summary["quarantine_reasons"] == {"bad_inn": 1}
    assert _query(warehouse, "SELECT inn, kpp FROM paid_periods ORDER BY inn") == [
        ("0274051582", "027401001"),
        (BUYER, "773601001"),
    ]
