"""`pp demo` across the New Year holidays: a module of its own, so that this second real demo
runs beside the first one instead of after it."""

from __future__ import annotations

import os
from datetime import datetime

import pytest

from tests.test_demo import assert_a_consistent_world, pp_demo, scalar


@pytest.mark.slow
def test_the_demo_runs_across_the_new_year_holidays(tmp_path):
    """Three weeks whose feeds arrive on 26 December and 2 and 9 January, the last two in the
    days off of 2026: hot deadlines fall on 12 January, and the world still holds together."""
    as_of = "2026-01-13T13:00:00+03:00"
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect-home")}
    pp_demo(tmp_path / "demo", as_of, env, weeks=3)
    warehouse = tmp_path / "demo" / "pp.duckdb"
    assert_a_consistent_world(warehouse, datetime.fromisoformat(as_of))
    assert scalar(warehouse, "SELECT count(*) FROM lead_events WHERE kind = 'taken'") > 0
