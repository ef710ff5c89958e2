"""SC activity in bulk ends where the same actions one by one with `pp lead …` end (SPEC §13):
a property test, in a module of its own so that it runs beside the other activity tests."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flows.lead_actions import act_on_lead
from schemas.errors import PipelineError
from tasks.lifecycle import Action
from tests.test_activity import T0, _apply, _at, _file, _leads

STEPS = st.lists(
    st.tuples(
        st.sampled_from([*Action, "refuse_in_call"]),
        st.sampled_from([1, 2, 3, 5]),
        st.integers(0, 300),  # minutes after T0: rows of one lead may share an instant
    ),
    max_size=12,
)
FIELDS = {
    "take": {"contact": "call"},
    "postpone": {"until": (T0 + timedelta(days=2)).isoformat()},
    "stage": {"stage": "offer_made"},
    "close": {"comment": "done", "invoice_id": ""},
    "refuse": {"reason": "no"},
    "refuse_in_call": {"reason": "no", "contact": "call"},
    "assign_manager": {"manager_id": "msk-1-m2"},
}


def _state(warehouse: Path) -> tuple[list, list, list]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return (
            con.sql("SELECT * FROM leads ORDER BY lead_id").fetchall(),
            con.sql("SELECT * FROM lead_events ORDER BY ALL").fetchall(),
            con.sql("SELECT * FROM sla_breaches ORDER BY ALL").fetchall(),
        )


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=STEPS)
def test_a_file_ends_where_the_same_actions_one_by_one_end(steps, warehouse_template):
    with tempfile.TemporaryDirectory() as folder:
        bulk, single = Path(folder) / "bulk.duckdb", Path(folder) / "single.duckdb"
        for target in (bulk, single):
            shutil.copyfile(warehouse_template, target)
            _leads(target)
        rows = [
            {
                "activity_id": f"a{n}",
                "lead_id": str(lead),
                "action": action.replace("_in_call", ""),
                "at": _at(minutes),
                **FIELDS[action],
            }
            for n, (action, lead, minutes) in enumerate(steps)
        ]
        if rows:
            _apply(bulk, _file(Path(folder), rows))
        for row in sorted(rows, key=lambda r: (r["at"], int(r["activity_id"][1:]))):
            fields = {
                k: v or None for k, v in row.items() if k not in ("activity_id", "lead_id", "action", "at")
            }
            if "until" in fields:
                fields["until_utc"] = datetime.fromisoformat(fields.pop("until"))
            with contextlib.suppress(PipelineError):
                act_on_lead(
                    single,
                    int(row["lead_id"]),
                    Action(row["action"]),
                    datetime.fromisoformat(row["at"]),
                    **fields,
                )
        assert _state(bulk) == _state(single)
