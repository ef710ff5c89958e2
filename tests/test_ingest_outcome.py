"""The whole outcome of a sequence of small feeds, pinned: every row the ingests write.

The feeds cover each path of the write: several batches, duplicates inside a batch and
across batches, merges into open leads (hotter and not), leads no SC can take, an SC's own
leads, repeated external ids and broken rows. However the write is organised, an ingest
must leave exactly these rows (`golden/ingest_outcome.json`)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl

from demo.synthetic import synthetic_feed, write_feed
from flows.ingest import ingest_feed
from tests.support import query

AS_OF = datetime(2026, 3, 6, 13, 30, tzinfo=UTC)
PRODUCTS = ["extern", "diadoc", "elba"]
REGIONS = ["66", "77", "78", "54", "25", "39", "01"]  # no SC serves 01: its leads wait
GOLDEN = Path(__file__).parent / "golden" / "ingest_outcome.json"

# Each table in a canonical order; `lead_events` with each event's place in its lead's history.
OUTCOME = {
    "leads": "SELECT * FROM leads ORDER BY lead_id",
    "lead_contacts": "SELECT * FROM lead_contacts ORDER BY ALL",
    "lead_events": "SELECT lead_id, row_number() OVER (PARTITION BY lead_id ORDER BY occurred_at, rowid)"
    " AS position, occurred_at, kind, actor, detail FROM lead_events ORDER BY lead_id, position",
    "bookings": "SELECT * FROM bookings ORDER BY ALL",
    "notices": "SELECT * FROM notices ORDER BY ALL",
    "quarantine": "SELECT * FROM quarantine ORDER BY feed_id, row_number",
    "feeds": "SELECT * EXCLUDE (loaded_at) FROM feeds ORDER BY feed_id",
    "seen_external_ids": "SELECT source, external_id FROM leads WHERE external_id IS NOT NULL"
    " UNION ALL SELECT source, external_id FROM source_rows ORDER BY ALL",
}


def _clients(warehouse: Path) -> pl.DataFrame:
    return query(warehouse, "SELECT inn, kpp, company_name, region FROM leads WHERE inn IS NOT NULL")


def _outcome(warehouse: Path) -> dict[str, list[dict[str, object]]]:
    """Every table an ingest writes, as JSON values; an empty value is left out."""
    return {
        table: [
            json.loads(json.dumps({k: v for k, v in row.items() if v is not None}, default=str))
            for row in query(warehouse, sql).iter_rows(named=True)
        ]
        for table, sql in OUTCOME.items()
    }


def _feed(frame: pl.DataFrame, path: Path) -> str:
    return str(write_feed(frame.drop("expected_reason", "duplicate_of"), path))


def _ingest_sequence(warehouse: Path, folder: Path) -> None:
    def feed(source: str, n: int, seed: int, **kw: object) -> pl.DataFrame:
        return synthetic_feed(
            source, n, as_of=AS_OF, products=PRODUCTS, regions=REGIONS, seed=seed, labels=True, **kw
        )

    def ingest(path: str, source: str, hours: int, **kw: object) -> None:
        ingest_feed(
            path=path, source=source, as_of=AS_OF + timedelta(hours=hours), warehouse=str(warehouse), **kw
        )

    registrations = feed("registration", 50, 2, duplicate_share=0.15, bad_share=0.1)
    ingest(_feed(registrations, folder / "registrations.csv"), "registration", 0)
    hotter = feed("connection_request", 40, 3, clients=_clients(warehouse), client_share=0.5)
    ingest(_feed(hotter, folder / "connections.csv"), "connection_request", 1)
    calls = feed("call_base", 40, 4, clients=_clients(warehouse), client_share=0.4)
    ingest(_feed(calls, folder / "calls.csv"), "call_base", 2)
    again = pl.concat([registrations.head(15), feed("registration", 15, 5)])
    ingest(_feed(again, folder / "again.csv"), "registration", 3)
    own = feed("sc_created", 15, 6)
    ingest(_feed(own, folder / "own.csv"), "sc_created", 4, sc_id="sc-msk-1")


def test_a_sequence_of_feeds_writes_exactly_the_pinned_rows(warehouse, tmp_path, monkeypatch):
    monkeypatch.setenv("PP_BATCH_ROWS", "25")
    _ingest_sequence(warehouse, tmp_path)
    outcome = _outcome(warehouse)
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert outcome.keys() == expected.keys()
    for table in OUTCOME:
        assert outcome[table] == expected[table], table


def test_the_pinned_rows_cover_every_path_of_the_write():
    """The pin is worth something only if the feeds reach each path it guards."""
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    events = {e["kind"] for e in golden["lead_events"]}
    assert {"created", "assigned", "merged"} <= events
    merges = [json.loads(e["detail"]) for e in golden["lead_events"] if e["kind"] == "merged"]
    assert any(m["temperature_before"] != m["temperature_after"] for m in merges)
    reasons = {q["reason_code"] for q in golden["quarantine"]}
    assert "already_ingested" in reasons
    assert len(reasons) > 2
    leads = golden["leads"]
    assert any("sc_id" not in lead and "waiting_reason" in lead for lead in leads)
    assert any(lead["source"] == "sc_created" for lead in leads)
    assert golden["bookings"]
    assert golden["notices"]
    feeds = golden["feeds"]
    assert all(f["rows_read"] == f["created"] + f["merged"] + f["quarantined"] for f in feeds)
    assert sum(f["merged"] for f in feeds) > 0
