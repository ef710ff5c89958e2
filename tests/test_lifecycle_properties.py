"""Random sequences of SC actions keep the lifecycle's invariants (SPEC §3)."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flows.initialise import init_warehouse
from flows.lead_actions import close_lead, postpone_lead, refuse_lead, stage_lead, take_lead
from schemas.enums import Contact, Stage
from schemas.errors import PipelineError

T0 = datetime(2026, 3, 10, 6, tzinfo=UTC)
TYPES = ["connection", "service", "activation", "upsell"]


def _fresh(template: Path, folder: Path) -> Path:
    target = folder / "w.duckdb"
    target.write_bytes(template.read_bytes())
    with duckdb.connect(str(target)) as con:
        for lead_id, lead_type in enumerate(TYPES, start=1):
            con.execute(
                "INSERT INTO leads (lead_id, inn, product, lead_type, temperature, status, source, sc_id,"
                " created_at, arrived_at, accept_deadline) VALUES"
                " (?, '7707083893', ?, ?, 'hot', 'new', 'callback_order', 'sc-msk-1', ?, ?, ?)",
                [lead_id, f"p{lead_id}", lead_type, T0, T0, T0 + timedelta(hours=3)],
            )
    return target


ACTS = {
    "take": lambda w, lead, now: take_lead(w, lead, contact=Contact.CALL, note=None, as_of=now),
    "postpone": lambda w, lead, now: postpone_lead(w, lead, until=now + timedelta(days=1), as_of=now),
    "stage": lambda w, lead, now: stage_lead(w, lead, stage=Stage.OFFER_MADE, note=None, as_of=now),
    "close": lambda w, lead, now: close_lead(w, lead, invoice_id=None, comment="done", as_of=now),
    "refuse": lambda w, lead, now: refuse_lead(w, lead, reason="no", contact=None, as_of=now),
    "refuse_in_call": lambda w, lead, now: refuse_lead(w, lead, reason="no", contact=Contact.CALL, as_of=now),
}
ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(sorted(ACTS)),
        st.integers(1, len(TYPES)),
        st.integers(1, 600),  # minutes after the previous action
    ),
    max_size=14,
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=ACTIONS)
def test_random_actions_keep_the_invariants(steps, tmp_path_factory):
    template = tmp_path_factory.getbasetemp() / "lifecycle-template.duckdb"
    if not template.exists():
        init_warehouse(template)
    with tempfile.TemporaryDirectory() as folder:
        warehouse = _fresh(template, Path(folder))
        now, seen_terminal = T0, {}
        for action, lead_id, minutes in steps:
            now += timedelta(minutes=minutes)
            act = ACTS[action]
            try:
                result = act(warehouse, lead_id, now)
            except PipelineError:
                continue
            assert lead_id not in seen_terminal, "a terminal lead changed"
            if result["status"] in ("completed", "refused"):
                seen_terminal[lead_id] = result["status"]
        with duckdb.connect(str(warehouse), read_only=True) as con:
            leads = con.sql("SELECT lead_id, status, taken_at, closed_at FROM leads").fetchall()
            events = con.sql("SELECT lead_id, kind FROM lead_events ORDER BY occurred_at").fetchall()
            open_per_key = con.sql(
                "SELECT max(n) FROM (SELECT count(*) AS n FROM leads WHERE status IN ('new', 'in_work')"
                " GROUP BY inn, product)"
            ).fetchall()[0][0]
    assert (open_per_key or 0) <= 1
    for lead_id, status, taken_at, closed_at in leads:
        kinds = [kind for lead, kind in events if lead == lead_id]
        assert status == seen_terminal.get(lead_id, status)
        if status == "in_work":
            assert kinds, "in_work without any event"
            assert kinds[0] in ("taken", "postponed"), "in_work without a contact or postponement"
        if taken_at is not None and closed_at is not None:
            assert taken_at <= closed_at
        if status in ("completed", "refused"):
            assert closed_at is not None
            assert kinds[-1] in ("closed", "refused")
