"""The rules of `schemas/` reach SQL only through the macros `warehouse/rules.py` renders:
no SQL file or view re-types them, and the macros say what the Python definitions say."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from enum import StrEnum
from importlib.resources import files
from pathlib import Path

import duckdb
import pytest

from flows.initialise import init_warehouse
from schemas.enums import OPEN_STATUSES, BookingKind, Status, Temperature
from schemas.errors import PipelineError
from schemas.rules import (
    HOTTEST_FIRST,
    NEW_SALE_GAP_MONTHS,
    PINNING_BOOKINGS,
    SLA_TERMS,
    WORKDAY_MINUTES,
    WORKDAY_START_MINUTE,
)
from tasks.classify import TYPE_PRECONDITIONS
from warehouse import rules, store

SQL_FILES = sorted((Path(str(files("warehouse") / "sql"))).glob("*.sql"))
_IN_LIST = re.compile(r"\bIN\s*\(([^()]*)\)", re.IGNORECASE)
_COMMENT = re.compile(r"--[^\n]*")


def _lists_all_of(values: Iterable[StrEnum]):
    """A finder of `IN (...)` lists that hold every one of the values: a copy of the rule."""
    wanted = {value.value for value in values}

    def find(text: str) -> list[str]:
        return [
            found.group(0)
            for found in _IN_LIST.finditer(text)
            if wanted <= set(re.findall(r"'([^']*)'", found.group(1)))
        ]

    return find


def _pattern(regex: str):
    compiled = re.compile(regex, re.IGNORECASE)
    return lambda text: [found.group(0) for found in compiled.finditer(text)]


# What a re-typed rule looks like, in the source text and in DuckDB's rendering of a macro.
COPIES = {
    "open statuses (use is_open)": _lists_all_of(OPEN_STATUSES),
    "pinning bookings (use pinning_booking)": _lists_all_of(PINNING_BOOKINGS),
    "hot-first order (use hotness)": _pattern(rf"WHEN\W*(?:[\w.]+\s*=\s*)?'{HOTTEST_FIRST[0].value}'"),
    "working day (use workday_start_seconds, workday_seconds)": _pattern(
        rf"\b(?:{WORKDAY_START_MINUTE // 60}|{WORKDAY_MINUTES // 60})\s*\*\s*3600\b"
        rf"|\b(?:{WORKDAY_START_MINUTE * 60}|{WORKDAY_MINUTES * 60})\b"
    ),
    "sanction in force (use sanction_in_force)": _pattern(r"ends_at\)?\s+IS\s+NULL\)?\s+OR"),
    "booking in force (use booking_in_force)": _pattern(
        r"starts_at\s*<=\s*\$?as_of\)?\s+AND\s+\(?\$?as_of\s*<"
    ),
    "client identity (use same_client)": _pattern(
        r"coalesce\(\s*[\w.]*kpp\s*,\s*''\s*\)|kpp\s+IS\s+NOT\s+DISTINCT\s+FROM"
    ),
}


def _copies_in(texts: dict[str, str]) -> list[str]:
    return [
        f"{name}: {rule}: {copy}"
        for name, text in texts.items()
        for rule, find in COPIES.items()
        for copy in find(_COMMENT.sub("", text))
    ]


def test_the_patterns_find_the_copies_they_are_meant_to_find():
    copies = _copies_in(
        {
            "sample": "WHERE status IN ('in_work', 'new') AND b.kind IN ('invoice', 'paid_period')\n"
            "ORDER BY CASE temperature WHEN 'hot' THEN 0 END, 9 * 3600\n"
            "AND (ends_at IS NULL OR $as_of < ends_at) AND starts_at <= $as_of AND $as_of < ends_at\n"
            "ON coalesce(l.kpp, '') = coalesce(c.kpp, '') AND b.kpp IS NOT DISTINCT FROM k.kpp"
        }
    )
    assert {copy.split(": ")[1] for copy in copies} == set(COPIES)
    assert (
        _copies_in({"sample": "status = 'in_work' AND kind = 'paid_period' -- IN ('new', 'in_work')"}) == []
    )


def test_no_sql_file_retypes_a_rule():
    assert SQL_FILES
    assert _copies_in({path.name: path.read_text(encoding="utf-8") for path in SQL_FILES}) == []


def test_the_latest_views_and_macros_call_the_rule_macros(warehouse):
    own = {signature.split("(", 1)[0] for signature in rules.MACROS} | {"rules_digest"}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        views = dict(con.execute("SELECT view_name, sql FROM duckdb_views() WHERE NOT internal").fetchall())
        macros = dict(
            con.execute(
                "SELECT function_name, macro_definition FROM duckdb_functions()"
                " WHERE function_type IN ('macro', 'table_macro') AND NOT internal"
            ).fetchall()
        )
    assert {"metric_conversion", "metric_backlog"} <= set(views)
    assert {"working_seconds_at", "metric_backlog_at"} | own <= set(macros)
    others = {name: text for name, text in macros.items() if name not in own}
    assert _copies_in(views | others) == []


def _ask(con: duckdb.DuckDBPyConnection, query: str, *params: object) -> object:
    row = con.execute(query, list(params)).fetchone()
    assert row is not None
    return row[0]


def test_the_rule_macros_say_what_the_python_definitions_say(warehouse):
    as_of = datetime(2026, 3, 4, 12, tzinfo=UTC)
    before, after = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 10, tzinfo=UTC)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert {s: _ask(con, "SELECT is_open(?)", s.value) for s in Status} == {
            s: s in OPEN_STATUSES for s in Status
        }
        assert {k: _ask(con, "SELECT pinning_booking(?)", k.value) for k in BookingKind} == {
            k: k in PINNING_BOOKINGS for k in BookingKind
        }
        assert [_ask(con, "SELECT hotness(?)", t.value) for t in HOTTEST_FIRST] == list(
            range(len(Temperature))
        )
        assert _ask(con, "SELECT workday_start_seconds()") == WORKDAY_START_MINUTE * 60
        assert _ask(con, "SELECT workday_seconds()") == WORKDAY_MINUTES * 60

        def sanction(starts_at, ends_at, lifted_at):
            return _ask(con, "SELECT sanction_in_force(?, ?, ?, ?)", starts_at, ends_at, lifted_at, as_of)

        assert sanction(before, None, None) is True
        assert sanction(before, after, None) is True
        assert sanction(before, as_of, None) is False  # the end is not in force
        assert sanction(as_of, None, None) is True  # the start is
        assert sanction(after, None, None) is False
        assert sanction(before, None, before) is False  # lifted

        def booking(starts_at, ends_at):
            return _ask(con, "SELECT booking_in_force(?, ?, ?)", starts_at, ends_at, as_of)

        assert [booking(before, after), booking(as_of, after), booking(before, as_of)] == [True, True, False]

        def same_client(kpp_a, kpp_b):
            return _ask(con, "SELECT same_client('7707083893', ?, '7707083893', ?)", kpp_a, kpp_b)

        assert same_client(None, None) is True
        assert same_client("770701001", "770701001") is True
        assert same_client("770701001", None) is False
        assert same_client("770701001", "770743001") is False
        assert _ask(con, "SELECT same_inn('7707083893', '7707083893')") is True
        # Friday 13 March 2026, 17:00 Yekaterinburg, to Monday 16 March 10:00: 2 working hours
        minutes = _ask(
            con,
            "SELECT (working_seconds_at('Asia/Yekaterinburg', TIMESTAMPTZ '2026-03-16 05:00:00+00')"
            " - working_seconds_at('Asia/Yekaterinburg', TIMESTAMPTZ '2026-03-13 12:00:00+00')) / 60",
        )
        assert minutes == 120


def test_a_warehouse_holding_other_rules_is_refused_until_pp_init(warehouse):
    with store.transaction(warehouse) as con:
        con.execute("CREATE OR REPLACE MACRO rules_digest() AS 'older'")
    with store.reader(warehouse) as con, pytest.raises(PipelineError, match="run `pp init` to update them"):
        store.require_schema(con, warehouse)
    init_warehouse(warehouse)
    with store.reader(warehouse) as con:
        store.require_schema(con, warehouse)


def test_messages_state_the_terms_of_the_rules():
    assert [SLA_TERMS[t].wording for t in Temperature] == ["3 working hours", "7 days", "30 days"]
    not_new_sale = next(message for *_, message in TYPE_PRECONDITIONS if "new sale" in message)
    assert f"within {NEW_SALE_GAP_MONTHS} months" in not_new_sale
