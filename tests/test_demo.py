"""`pp demo` end to end at a small size: the main job must keep working."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from demo.flow import run_demo
from demo.queries import SUMMARIES
from schemas.rules import source_rules
from tests.test_ingest_flow import assert_contracts

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_server")]


def test_the_demo_runs_every_step(tmp_path):
    result = run_demo(workdir=str(tmp_path / "demo"), rows=60, as_of=datetime(2026, 3, 6, 13, 30, tzinfo=UTC))
    assert set(result["tables"]) == set(SUMMARIES)
    sources = {row["source"] for row in result["tables"]["feeds"]}
    assert sources == {*source_rules(), "billing"}  # every Appendix 1 source, SC-created, billing
    assert result["reingest_changed_nothing"]
    assert result["breaches_recorded"] > 0
    assert result["billing"]["leads_completed"] > 0
    assert result["planned"] > 0 and sum(result["managers_dealt"].values()) > 0
    assert result["tables"]["quarantine"] and result["tables"]["merges"]
    notes = result["notifications"]  # SPEC §8: written as .eml files, there being no SMTP server
    assert notes["immediate"] > 0 and notes["digest"] > 0 and notes["not_sent"] == 0
    assert notes["eml_files"] == notes["immediate"] + notes["digest"]
    assert Path(notes["outbox"]) == tmp_path / "demo" / "outbox"
    assert_contracts(Path(result["warehouse"]))
