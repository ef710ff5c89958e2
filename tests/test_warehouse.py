"""Warehouse set-up: migrations forward and in place, reference data checked before loading."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from flows.initialise import DEMO_REFERENCE, init_warehouse
from schemas.errors import PipelineError
from warehouse import store


def test_init_twice_applies_each_migration_once(tmp_path):
    path = tmp_path / "w.duckdb"
    first = init_warehouse(path)
    second = init_warehouse(path)
    assert first["migrations_applied"] == [version for version, _ in store.migrations()]
    assert second["migrations_applied"] == []
    with duckdb.connect(str(path), read_only=True) as con:
        assert con.sql("SELECT count(*) FROM service_centers").fetchall() == [(25,)]
        zones = con.sql("SELECT count(DISTINCT timezone) FROM service_centers").fetchall()
        assert zones[0][0] >= 6


def test_a_new_migration_upgrades_an_existing_file_in_place(tmp_path, monkeypatch):
    path = tmp_path / "w.duckdb"
    init_warehouse(path)
    with store.transaction(path) as con:
        con.execute("INSERT INTO products VALUES ('kept', 'survives the upgrade')")
    current = store.migrations()[-1][0]
    upgraded = [*store.migrations(), (current + 1, "ALTER TABLE leads ADD COLUMN priority INTEGER;")]
    monkeypatch.setattr(store, "migrations", lambda: upgraded)
    with (
        store.reader(path) as con,
        pytest.raises(PipelineError, match=f"schema version {current}, this pp needs {current + 1}"),
    ):
        store.require_schema(con, path)
    with store.transaction(path) as con:
        assert store.migrate(con) == [current + 1]
        assert store.schema_version(con) == current + 1
        assert "priority" in [row[0] for row in con.execute("DESCRIBE leads").fetchall()]
        assert con.execute("SELECT count(*) FROM products WHERE product = 'kept'").fetchone() == (1,)


def test_an_uninitialised_file_is_refused(tmp_path):
    path = tmp_path / "empty.duckdb"
    duckdb.connect(str(path)).close()
    with store.reader(path) as con, pytest.raises(PipelineError, match="not initialised; run `pp init`"):
        store.require_schema(con, path)


def _reference_copy(tmp_path: Path) -> Path:
    target = tmp_path / "reference"
    shutil.copytree(Path(str(DEMO_REFERENCE)), target)
    return target


@pytest.mark.parametrize(
    ("file_name", "edit", "message"),
    [
        ("service_centers.csv", ("Europe/Kaliningrad", "Europe/Atlantis"), "unknown IANA time zone"),
        ("service_centers.csv", (",8\n", ",0\n"), "capacity"),
        ("managers.csv", ("sc-kgd-1", "sc-nowhere"), "'sc-nowhere' is not in service_centers.csv"),
        ("service_centers.csv", ("extern;", "abacus;"), "product 'abacus' is not in products.csv"),
    ],
)
def test_bad_reference_data_is_refused_with_its_line(tmp_path, file_name, edit, message):
    reference = _reference_copy(tmp_path)
    path = reference / file_name
    text = path.read_text(encoding="utf-8")
    assert edit[0] in text
    path.write_text(text.replace(edit[0], edit[1], 1), encoding="utf-8")
    target = tmp_path / "w.duckdb"
    with pytest.raises(PipelineError, match=message):
        init_warehouse(target, reference)
    assert not target.exists()


def test_the_stored_working_calendar_is_the_production_calendar(warehouse):
    """The sweeps read deadlines' calendar from the warehouse: it must be the one they compute."""
    from polars.testing import assert_frame_equal

    from tasks.calendar import production_calendar
    from warehouse import repository as repo
    from warehouse import store

    with store.reader(warehouse) as con:
        stored = repo.working_calendar(con, 2026, 2027)
    assert_frame_equal(stored, production_calendar(2026, 2027))
