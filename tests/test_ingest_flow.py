"""The ingest flow end to end on a temporary warehouse, under the session's Prefect server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest

from demo.synthetic import synthetic_feed, write_feed
from flows.ingest import ingest_feed
from flows.lead_actions import take_lead
from flows.sweeps import sweep_sla
from schemas.enums import ActivityReason, Contact, ReasonCode
from schemas.errors import PipelineError
from tests.support import BOTH_BACKENDS, query

AS_OF = datetime(2026, 3, 6, 13, 30, tzinfo=UTC)  # Friday 16:30 Moscow, Monday 9 March is a holiday
PRODUCTS = ["extern", "diadoc", "elba"]
REGIONS = ["66", "77", "78", "54", "25", "39"]


def _ingest(warehouse: Path, path: Path, source: str, as_of: datetime = AS_OF, **kw) -> dict:
    return ingest_feed(path=str(path), source=source, as_of=as_of, warehouse=str(warehouse), **kw)


def _table_counts(warehouse: Path) -> dict[str, int]:
    tables = ["leads", "lead_contacts", "lead_events", "feeds", "quarantine", "bookings", "source_rows"]
    return {t: query(warehouse, f"SELECT count(*) AS n FROM {t}")["n"][0] for t in tables}


# Table contracts (STYLE: unique, not null, accepted values, invariants): each query counts
# the rows that break one, so every one must be 0.
TABLE_CONTRACTS = {
    "lead_id unique": "SELECT count(*) - count(DISTINCT lead_id) FROM leads",
    "one open lead per client x product": """
        SELECT count(*) FROM (SELECT inn, coalesce(kpp, ''), product FROM leads
        WHERE status IN ('new', 'in_work') AND inn IS NOT NULL GROUP BY ALL HAVING count(*) > 1)""",
    "feed counts reconcile": "SELECT count(*) FROM feeds WHERE rows_read <> created + merged + quarantined",
    "created matches leads": """SELECT count(*) FROM feeds f
        WHERE source NOT IN ('billing', 'activity')
          AND created <> (SELECT count(*) FROM leads l WHERE l.feed_id = f.feed_id)""",
    "assigned leads have arrival and deadline": """SELECT count(*) FROM leads WHERE sc_id IS NOT NULL
        AND (arrived_at IS NULL OR accept_deadline IS NULL OR accept_deadline <= arrived_at)""",
    "accepted temperatures": "SELECT count(*) FROM leads WHERE temperature NOT IN ('hot', 'warm', 'cold')",
    "every lead has a contact": """SELECT count(*) FROM leads l WHERE NOT EXISTS
        (SELECT 1 FROM lead_contacts c WHERE c.lead_id = l.lead_id)""",
    "known reason codes": f"""SELECT count(*) FROM quarantine WHERE reason_code NOT IN
        ({", ".join(repr(r.value) for r in (*ReasonCode, *ActivityReason))})""",
}


def assert_contracts(warehouse: Path, contracts: dict[str, str] = TABLE_CONTRACTS) -> None:
    for name, sql in contracts.items():
        assert query(warehouse, sql).item() == 0, name


@BOTH_BACKENDS
def test_a_feed_lands_every_row_once(warehouse, tmp_path):
    frame = synthetic_feed(
        "callback_order", 600, as_of=AS_OF, products=PRODUCTS, regions=REGIONS, seed=7, labels=True
    )
    path = write_feed(frame.drop("expected_reason", "duplicate_of"), tmp_path / "callbacks.csv")
    summary = _ingest(warehouse, path, "callback_order")

    assert summary["rows_read"] == 600
    assert summary["rows_read"] == summary["created"] + summary["merged"] + summary["quarantined"]
    assert summary["created"] == summary["assigned"] + summary["unassigned"]
    expected = frame.with_row_index("row_number", offset=1).filter(pl.col("expected_reason").is_not_null())
    got = query(warehouse, "SELECT row_number, reason_code FROM quarantine ORDER BY row_number")
    assert got["row_number"].to_list() == expected["row_number"].cast(pl.Int64).to_list()
    assert got["reason_code"].to_list() == expected["expected_reason"].to_list()
    hot = query(warehouse, "SELECT DISTINCT temperature FROM leads")["temperature"].to_list()
    assert hot == ["hot"]
    assert_contracts(warehouse)


def test_the_same_file_twice_changes_nothing(warehouse, tmp_path):
    frame = synthetic_feed("call_base", 200, as_of=AS_OF, products=PRODUCTS, regions=REGIONS, seed=3)
    path = write_feed(frame, tmp_path / "base.csv", russian_headers=True, encoding="cp1251", delimiter=";")
    first = _ingest(warehouse, path, "call_base")
    before = _table_counts(warehouse)
    again = _ingest(warehouse, path, "call_base", as_of=AS_OF + timedelta(days=1))
    assert again["already_loaded"]
    assert again["feed_id"] == first["feed_id"]
    assert _table_counts(warehouse) == before
    # the same rows in another file: every external id was seen, nothing new is created
    copy = write_feed(frame, tmp_path / "copy.jsonl")
    third = _ingest(warehouse, copy, "call_base")
    counts = _table_counts(warehouse)
    assert third["created"] == 0
    assert third["merged"] == 0
    assert counts["leads"] == before["leads"]
    reasons = query(
        warehouse, "SELECT DISTINCT reason_code FROM quarantine WHERE feed_id = ?", [third["feed_id"]]
    )
    assert ReasonCode.ALREADY_INGESTED.value in reasons["reason_code"].to_list()
    assert_contracts(warehouse)


def _feed(tmp_path: Path, name: str, rows: list[dict]) -> Path:
    path = tmp_path / name
    pl.DataFrame(rows).write_csv(path)
    return path


def test_an_external_id_is_known_from_its_lead_from_source_rows_and_from_before_either(warehouse, tmp_path):
    """The id of a lead's first row is kept on the lead, those of the rows that went into it in
    `source_rows`, and a warehouse from before schema version 12 holds every id in
    `source_rows`: an id found in any of them is `already_ingested` again, for its source only."""
    client = {"inn": "7707083893", "region": "77", "product": "extern", "phone": "89123456789"}
    rows = [{**client, "external_id": "first"}, {**client, "external_id": "second"}]
    _ingest(warehouse, _feed(tmp_path, "a.csv", rows), "call_base")
    assert query(warehouse, "SELECT external_id FROM leads").item() == "first"
    assert query(warehouse, "SELECT external_id FROM source_rows").item() == "second"
    with duckdb.connect(str(warehouse)) as con:  # an id as a warehouse before version 12 kept it
        con.execute("INSERT INTO source_rows VALUES ('call_base', 'earlier', 0, 1)")

    other = {**client, "inn": "6663003127", "region": "66"}
    again = [{**other, "external_id": e} for e in ("first", "second", "earlier", "new")]
    summary = _ingest(warehouse, _feed(tmp_path, "b.csv", again), "call_base")
    assert summary["quarantine_reasons"] == {ReasonCode.ALREADY_INGESTED.value: 3}
    assert summary["created"] == 1
    elsewhere = _ingest(warehouse, _feed(tmp_path, "c.csv", again), "demo_order")
    assert elsewhere["quarantined"] == 0
    assert_contracts(warehouse)


def test_a_hotter_duplicate_raises_temperature_tightens_deadline_and_merges_contacts(warehouse, tmp_path):
    client = {"inn": "6663003127", "region": "66", "product": "extern"}
    _ingest(
        warehouse,
        _feed(tmp_path, "reg.csv", [{**client, "email": "buh@ural.ru", "external_id": "r1"}]),
        "registration",
    )
    lead = query(warehouse, "SELECT * FROM leads").row(0, named=True)
    assert lead["temperature"] == "warm"
    assert lead["accept_deadline"] == AS_OF + timedelta(days=7)

    later = AS_OF + timedelta(hours=1)  # Friday 17:30 Yekaterinburg-time +2: 19:30, after hours
    _ingest(
        warehouse,
        _feed(tmp_path, "cb.csv", [{**client, "phone": "+7 343 222-33-44", "external_id": "c1"}]),
        "callback_order",
        as_of=later,
    )
    leads = query(warehouse, "SELECT * FROM leads")
    assert leads.height == 1
    merged = leads.row(0, named=True)
    assert merged["temperature"] == "hot"
    assert merged["accept_deadline"] < lead["accept_deadline"]
    assert merged["sc_id"] == lead["sc_id"]
    assert merged["arrived_at"] == lead["arrived_at"]
    contacts = query(warehouse, "SELECT kind, value FROM lead_contacts ORDER BY kind")
    assert contacts.rows() == [("email", "buh@ural.ru"), ("phone", "+73432223344")]
    kinds = query(warehouse, "SELECT kind FROM lead_events ORDER BY occurred_at, kind")["kind"].to_list()
    assert kinds == ["assigned", "created", "merged"]

    # a cooler duplicate never lowers it back
    _ingest(
        warehouse,
        _feed(tmp_path, "base.csv", [{**client, "phone": "+73432223344", "external_id": "b1"}]),
        "call_base",
        as_of=later,
    )
    assert query(warehouse, "SELECT temperature FROM leads").item() == "hot"


def test_a_client_without_inn_is_matched_by_phone(warehouse, tmp_path):
    row = {"region": "77", "product": "elba"}
    first = {**row, "inn": "7707083893", "phone": "89123456789", "external_id": "a"}
    _ingest(warehouse, _feed(tmp_path, "a.csv", [first]), "demo_order")
    again = {**row, "inn": None, "phone": "+7 912 345-67-89", "external_id": "b"}
    _ingest(warehouse, _feed(tmp_path, "b.csv", [again]), "callback_order")
    assert query(warehouse, "SELECT count(*) FROM leads").item() == 1
    assert query(warehouse, "SELECT temperature FROM leads").item() == "hot"


def test_a_closed_lead_does_not_absorb_a_new_one(warehouse, tmp_path):
    row = {"inn": "7707083893", "region": "77", "product": "elba", "phone": "89123456789"}
    _ingest(warehouse, _feed(tmp_path, "a.csv", [{**row, "external_id": "a"}]), "demo_order")
    with duckdb.connect(str(warehouse)) as con:
        con.execute("UPDATE leads SET status = 'refused', closed_at = ?", [AS_OF])
    _ingest(warehouse, _feed(tmp_path, "b.csv", [{**row, "external_id": "b"}]), "demo_order")
    assert query(warehouse, "SELECT status FROM leads ORDER BY lead_id")["status"].to_list() == [
        "refused",
        "new",
    ]


def test_hot_deadline_follows_the_production_calendar_in_the_sc_zone(warehouse, tmp_path):
    # Friday 2026-03-06 16:30 Moscow; Monday 9 March is a holiday: due Tuesday 10:30 Moscow
    row = {"inn": "7707083893", "region": "77", "product": "diadoc", "phone": "89123456789"}
    _ingest(warehouse, _feed(tmp_path, "a.csv", [{**row, "external_id": "a"}]), "connection_request")
    lead = query(
        warehouse, "SELECT l.accept_deadline, s.timezone FROM leads l JOIN service_centers s USING (sc_id)"
    )
    assert lead["timezone"].item() == "Europe/Moscow"
    assert lead["accept_deadline"].item() == datetime(2026, 3, 10, 7, 30, tzinfo=UTC)


def test_a_connection_lead_books_the_client_for_30_days(warehouse, tmp_path):
    _ingest(
        warehouse,
        _feed(
            tmp_path,
            "a.csv",
            [{"inn": "7707083893", "region": "77", "product": "diadoc", "phone": "89123456789"}],
        ),
        "call_base",
    )
    booking = query(warehouse, "SELECT b.*, l.sc_id AS lead_sc FROM bookings b JOIN leads l USING (lead_id)")
    row = booking.row(0, named=True)
    assert (row["kind"], row["sc_id"]) == ("lead", row["lead_sc"])
    assert row["ends_at"] - row["starts_at"] == timedelta(days=30)


@BOTH_BACKENDS
def test_a_failure_midway_writes_nothing(warehouse, tmp_path, monkeypatch):
    frame = synthetic_feed("call_base", 300, as_of=AS_OF, products=PRODUCTS, regions=REGIONS, seed=5)
    path = write_feed(frame, tmp_path / "base.csv")
    import flows.ingest as ingest_module

    calls = {"n": 0}
    real = ingest_module._write_created

    def fail_on_second_batch(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(ingest_module, "_write_created", fail_on_second_batch)
    monkeypatch.setenv("PP_BATCH_ROWS", "100")
    with pytest.raises(RuntimeError, match="disk full"):
        _ingest(warehouse, path, "call_base")
    assert set(_table_counts(warehouse).values()) == {0}


@BOTH_BACKENDS
def test_sla_breaches_are_recorded_once_and_late_takes_count(warehouse, tmp_path):
    rows = [
        {"inn": inn, "region": "77", "product": "diadoc", "phone": phone, "external_id": inn}
        for inn, phone in (("7707083893", "89123456789"), ("6663003127", "89123456780"))
    ]
    _ingest(warehouse, _feed(tmp_path, "a.csv", rows), "connection_request")
    deadline = datetime(2026, 3, 10, 7, 30, tzinfo=UTC)
    assert (
        sweep_sla(as_of=deadline - timedelta(minutes=1), warehouse=str(warehouse))["breaches_recorded"] == 0
    )
    taken = take_lead(warehouse, 2, contact=Contact.CALL, note=None, as_of=deadline + timedelta(minutes=30))
    assert taken["late"]
    swept = [
        sweep_sla(as_of=deadline + timedelta(hours=h), warehouse=str(warehouse))["breaches_recorded"]
        for h in (1, 2, 3)
    ]
    assert swept == [1, 0, 0]
    breaches = query(warehouse, "SELECT lead_id, late_minutes FROM sla_breaches ORDER BY lead_id")
    assert breaches.rows() == [(1, 60), (2, 30)]
    with pytest.raises(PipelineError, match="lead 2 is in_work"):
        take_lead(warehouse, 2, contact=Contact.CALL, note=None, as_of=deadline + timedelta(hours=4))


@BOTH_BACKENDS
def test_malformed_rows_are_quarantined_and_counts_reconcile(warehouse, tmp_path):
    """Old Mac line endings, a row with a surplus field, one short of a field mid-file and a
    last row cut off inside a quote: nothing is glued, dropped or padded into a lead."""
    rows = [f"7707083893,+7912000000{i},extern,ext-{i}" for i in range(1, 10)]
    rows[2] += ",surplus"
    rows[4] = "7707083893,+79120000005"
    rows[8] = '7707083893,"+79120000009,extern'
    path = tmp_path / "mac.csv"
    path.write_bytes("\r".join(["inn,phone,product,external_id", *rows]).encode())
    summary = _ingest(warehouse, path, "call_base")

    assert summary["rows_read"] == 9
    assert summary["quarantine_reasons"] == {ReasonCode.MALFORMED_ROW.value: 3}
    assert summary["rows_read"] == summary["created"] + summary["merged"] + summary["quarantined"]
    got = query(warehouse, "SELECT row_number, raw FROM quarantine ORDER BY row_number")
    assert got["row_number"].to_list() == [3, 5, 9]
    assert got["raw"].str.json_decode(pl.String).to_list() == [rows[2], rows[4], rows[8]]
    # one client: the lead keeps its first row's id, the rows merged into it are in source_rows
    assert query(warehouse, "SELECT external_id FROM leads")["external_id"].to_list() == ["ext-1"]
    ids = query(warehouse, "SELECT external_id FROM source_rows ORDER BY external_id")["external_id"]
    assert ids.to_list() == [f"ext-{i}" for i in (2, 4, 6, 7, 8)]
    assert_contracts(warehouse)
