"""Creating, migrating and loading the warehouse (`pp init`): quick, so no flow is needed."""

from __future__ import annotations

from datetime import datetime
from importlib.resources import as_file, files
from pathlib import Path

from adapters.reference_files import read_reference
from schemas.rules import WORKING_CALENDAR_YEARS
from tasks.calendar import production_calendar
from tasks.calendar_status import calendar_years, confirmed_to, renewal_warning
from warehouse import repository as repo
from warehouse import store
from warehouse.locator import Warehouse

DEMO_REFERENCE = files("schemas") / "demo_reference"


def init_warehouse(warehouse: Warehouse, reference: Path | None = None) -> dict[str, object]:
    """Create or migrate the warehouse and (re)load reference data; safe to repeat."""
    if reference is None:
        with as_file(DEMO_REFERENCE) as bundled:
            tables = read_reference(Path(bundled))
    else:
        tables = read_reference(reference)
    with store.creating(warehouse):  # a new lake's catalog and data folder
        for attempt in store.write_attempts(warehouse):
            with attempt as con:
                applied = store.migrate(con)
                counts = repo.load_reference(con, tables)
                overrides = tables.get("calendar")
                repo.replace_working_calendar(con, production_calendar(*WORKING_CALENDAR_YEARS, overrides))
                repo.replace_calendar_years(con, calendar_years(*WORKING_CALENDAR_YEARS, overrides))
                version = store.schema_version(con)
    return {"schema_version": version, "migrations_applied": applied, "loaded": counts}


def calendar_status(warehouse: Warehouse, as_of: datetime) -> dict[str, object]:
    """`pp calendar status`: the years `pp init` recorded, how far they are confirmed, and
    the warning sweeps give at `as_of` (None when there is none)."""
    with store.reader(warehouse) as con:
        store.require_schema(con, warehouse)
        years = repo.calendar_years(con)
    confirmed = confirmed_to(years)
    return {
        "first_year": years["year"].min(),
        "last_year": years["year"].max(),
        "confirmed_to": confirmed,
        "warning": renewal_warning(as_of, confirmed),
        "years": years,
    }
