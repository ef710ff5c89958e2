"""How far the production calendar is confirmed: recorded by `pp init`, warned about by the
sweep and the report, counted in the results, shown by `pp calendar status`."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import holidays
import polars as pl
import pytest

from flows.initialise import DEMO_REFERENCE, calendar_status, init_warehouse
from schemas.rules import CALENDAR_CONFIRMED_BY_PACKAGE, WORKING_CALENDAR_YEARS
from tasks.calendar_status import calendar_years, confirmed_to, renewal_warning
from tests.support import report_page, run

LAST = CALENDAR_CONFIRMED_BY_PACKAGE


def _decreed(year: int) -> bool:
    """The package carries a decree for the year: transferred days off or working Saturdays."""
    ru = holidays.country_holidays("RU", years=year)
    moved = any("substituted" in name.lower() for name in ru.values())
    return moved or bool(getattr(ru, "weekend_workdays", ()))


def test_the_package_confirms_up_to_the_constant_and_no_further():
    assert _decreed(LAST)
    assert not any(_decreed(year) for year in range(LAST + 1, WORKING_CALENDAR_YEARS[1] + 1))


def test_years_up_to_the_package_year_are_confirmed_the_rest_are_plain_weekdays():
    years = calendar_years(2025, 2030)
    assert years.select("year", "source", "confirmed").rows() == [
        (2025, "package", True),
        (2026, "package", True),
        (2027, "package", True),
        (2028, "weekdays", False),
        (2029, "weekdays", False),
        (2030, "weekdays", False),
    ]
    assert confirmed_to(years) == LAST


def test_a_reference_calendar_extends_the_confirmed_years_without_gaps():
    overrides = pl.DataFrame(
        {"date": [date(2028, 1, 10), date(2028, 5, 8), date(2030, 1, 9)], "kind": ["holiday"] * 3}
    )
    years = calendar_years(2026, 2030, overrides, package_confirmed_to=2027)
    assert years.rows() == [
        (2026, "package", True, 0),
        (2027, "package", True, 0),
        (2028, "reference", True, 2),
        (2029, "weekdays", False, 0),
        (2030, "reference", True, 1),
    ]
    assert confirmed_to(years) == 2028  # 2029 is a gap: 2030's rows do not carry past it


@pytest.mark.parametrize(
    ("as_of", "warned"),
    [
        (datetime(LAST, 9, 30, 23, 59, tzinfo=UTC), False),
        (datetime(LAST, 10, 1, 0, 0, tzinfo=UTC), True),
        (datetime(LAST + 1, 2, 1, tzinfo=UTC), True),
    ],
)
def test_the_warning_starts_on_1_october_of_the_last_confirmed_year(as_of, warned):
    warning = renewal_warning(as_of, LAST)
    assert (warning is not None) == warned
    if warned:
        assert f"confirmed only to {LAST}" in str(warning)
        assert "pp init --reference" in str(warning)


def test_init_records_each_year_and_a_reference_calendar_extends_it(tmp_path):
    reference = tmp_path / "reference"
    shutil.copytree(str(DEMO_REFERENCE), reference)
    (reference / "calendar.csv").write_text(
        f"date,kind\n{LAST + 1}-01-10,holiday\n{LAST + 1}-05-08,holiday\n", encoding="utf-8"
    )
    warehouse = tmp_path / "pp.duckdb"
    init_warehouse(warehouse, reference)
    status = calendar_status(warehouse, datetime(LAST, 10, 1, tzinfo=UTC))
    assert (status["first_year"], status["last_year"]) == WORKING_CALENDAR_YEARS
    assert status["confirmed_to"] == LAST + 1
    assert status["warning"] is None  # 1 October of 2027, but 2028 is confirmed by the file
    years = status["years"]
    assert isinstance(years, pl.DataFrame)
    by_year = {row["year"]: row for row in years.to_dicts()}
    assert by_year[LAST]["source"] == "package"
    assert (by_year[LAST + 1]["source"], by_year[LAST + 1]["override_days"]) == ("reference", 2)
    assert not by_year[LAST + 2]["confirmed"]


def test_the_report_shows_a_banner_only_while_warned():
    as_of = datetime(LAST, 10, 1, tzinfo=UTC)
    warning = renewal_warning(as_of, LAST)
    warned = report_page(period=f"{LAST}-W39", as_of=as_of, calendar_warning=warning)
    assert 'class="banner"' in warned
    assert f"confirmed only to {LAST}" in warned
    assert 'class="banner"' not in report_page(period=f"{LAST}-W39", as_of=as_of)


def _feed(tmp_path: Path, name: str, inn: str, phone: str) -> Path:
    path = tmp_path / name
    path.write_text(f"inn,region,product,phone\n{inn},77,diadoc,{phone}\n", encoding="utf-8")
    return path


def test_sweep_warns_from_1_october_and_deadlines_in_unconfirmed_years_are_counted(warehouse, tmp_path):
    from flows.ingest import ingest_feed
    from flows.sweeps import sweep_sla

    def ingest(path: Path, as_of: datetime) -> dict:
        return ingest_feed(path=str(path), source="connection_request", as_of=as_of, warehouse=str(warehouse))

    confirmed_year = ingest(
        _feed(tmp_path, "a.csv", "7707083893", "89123456789"), datetime(LAST, 6, 1, 7, tzinfo=UTC)
    )
    assert confirmed_year["created"] == 1
    assert confirmed_year["deadlines_in_unconfirmed_years"] == 0
    unconfirmed_year = ingest(
        _feed(tmp_path, "b.csv", "6663003127", "89123456780"), datetime(LAST + 1, 3, 1, 7, tzinfo=UTC)
    )
    assert unconfirmed_year["created"] == 1
    assert unconfirmed_year["deadlines_in_unconfirmed_years"] == 1

    before = sweep_sla(as_of=datetime(LAST, 9, 30, 20, 59, tzinfo=UTC), warehouse=str(warehouse))
    assert before["calendar_warning"] is None
    autumn = datetime(LAST, 9, 30, 21, 0, tzinfo=UTC) + timedelta(hours=3)  # 1 October, 03:00 +03:00
    after = sweep_sla(as_of=autumn, warehouse=str(warehouse))
    assert f"confirmed only to {LAST}" in str(after["calendar_warning"])
    assert after["deadlines_in_unconfirmed_years"] == 1  # the lead of 2028, still new


def test_pp_calendar_status_prints_the_years_and_their_sources(monkeypatch, capsys, warehouse):
    status = ("--warehouse", str(warehouse), "calendar", "status")
    code, out, err = run(monkeypatch, capsys, *status, "--as-of", "2026-06-01T12:00:00+03:00")
    assert code == 0, err
    first, last = WORKING_CALENDAR_YEARS
    assert f"production calendar {first}-{last}; confirmed {first}-{LAST}" in out
    assert "holidays package (decreed)" in out
    assert "plain weekdays, unconfirmed" in out
    assert err == ""

    code, out, err = run(monkeypatch, capsys, *status, "--as-of", f"{LAST}-10-01T09:00:00+03:00", "--json")
    assert code == 0, err
    document = json.loads(out)
    assert document["confirmed_to"] == LAST
    assert f"confirmed only to {LAST}" in document["warning"]
    years = {row["year"]: row for row in document["years"]}
    assert years[LAST] == {"year": LAST, "source": "package", "confirmed": True, "override_days": 0}
    assert years[LAST + 1]["source"] == "weekdays"
    assert not years[LAST + 1]["confirmed"]


def test_pp_sweep_sla_says_the_calendar_warning_on_stderr(monkeypatch, capsys, warehouse):
    late = f"{CALENDAR_CONFIRMED_BY_PACKAGE}-10-02T12:00:00+03:00"
    code, out, err = run(monkeypatch, capsys, "--warehouse", str(warehouse), "sweep", "sla", "--as-of", late)
    assert code == 0, err
    assert "breaches recorded" in out
    assert err.strip().startswith("pp: warning: the production calendar is confirmed only to")
