"""`pp quarantine`: the rows a feed refused go back to the file's owner as the file had them,
with their row, reason and what to fix; fixed, the same file loads again."""

from __future__ import annotations

import json

import polars as pl
import xlsxwriter

from adapters.feeds import inspect_feed, read_batches
from schemas.feed import BILLING_FEED, EXPORT_COLUMNS, EXPORT_KEYS, LEAD_FEED
from tasks.quarantine import raw_rows


def test_the_added_columns_cannot_be_taken_for_a_feed_column():
    for spec in (LEAD_FEED, BILLING_FEED):
        assert not EXPORT_KEYS & set(spec.index)
    assert len(EXPORT_KEYS) == len(EXPORT_COLUMNS)


def test_the_reader_skips_the_added_columns_even_in_the_raw_copy(tmp_path):
    path = tmp_path / "fixed.csv"
    path.write_text(
        "ИНН,Телефон,PP: Строка,pp: причина,pp:что исправить\n7707083890,89123456701,3,bad_inn,ИНН\n",
        encoding="utf-8",
    )
    layout = inspect_feed(path)
    batch = next(read_batches(layout, batch_rows=10))
    assert len(layout.skipped) == 3
    assert json.loads(raw_rows(batch, layout)["raw"][0]) == {"ИНН": "7707083890", "Телефон": "89123456701"}


def test_blank_sheet_rows_are_no_rows_but_keep_their_number(tmp_path):
    """A workbook row left blank is skipped, like an empty CSV line, and the rows after it
    keep the number the spreadsheet shows (before: they moved up one per blank row)."""
    path = tmp_path / "gaps.xlsx"
    with xlsxwriter.Workbook(path) as book:
        sheet = book.add_worksheet()
        sheet.write_row(0, 0, ["inn", "phone"])
        sheet.write_row(1, 0, ["7707083893", "89123456700"])
        sheet.write_row(4, 0, ["7707083890", "89123456701"])
    rows = pl.concat(list(read_batches(inspect_feed(path), batch_rows=10)))
    assert rows["row_number"].to_list() == [1, 4]
