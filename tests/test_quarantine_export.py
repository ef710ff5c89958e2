"""`pp quarantine`: the rows a feed refused go back to the file's owner as the file had them,
with their row, reason and what to fix; fixed, the same file loads again."""

from __future__ import annotations

import json
from pathlib import Path
from typing import get_args

import polars as pl
import pytest
import xlsxwriter

from adapters.feeds import inspect_feed, read_batches
from adapters.quarantine_files import CSV_SEPARATOR, EXPORT_FORMATS
from flows import cli
from schemas.enums import ReasonCode
from schemas.feed import (
    BILLING_FEED,
    EXPORT_COLUMNS,
    EXPORT_FIX,
    EXPORT_KEYS,
    EXPORT_REASON,
    EXPORT_ROW,
    LEAD_FEED,
)
from schemas.labels import REASON_FIXES
from tasks.quarantine import raw_rows
from tasks.quarantine_export import LINE_AS_WRITTEN, export_sheet, sheet_row
from tests.support import query, refused, run

AS_OF = "2026-03-03T07:00:00+00:00"
HEADERS = ["ИНН", "Регион", "Продукт", "Телефон", "Комментарий"]
GOOD_INN, BAD_INN = "7707083893", "7707083890"
# Region 39's SC sells extern. The round trip fixes the second and fourth rows; the third and
# fifth stay bad.
ROWS = [
    [GOOD_INN, "39", "extern", "89123456700", "готов"],
    [BAD_INN, "39", "extern", "89123456701", "опечатка в ИНН"],
    ["7736050003", "39", "extern", None, "нет контакта"],
    ["7702070139", "39", "abacus", "89123456703", "не тот продукт"],
    ["7710140679", "39", "extern", "+7 000 000-00-00", "выдуманный номер"],
]


def _feed(path: Path) -> Path:
    frame = pl.DataFrame(ROWS, schema=HEADERS, orient="row")
    if path.suffix == ".xlsx":
        frame.write_excel(path, autofilter=False)
    else:
        frame.write_csv(path)
    return path


def _ingest(monkeypatch, capsys, warehouse: Path, path: Path) -> str:
    args = ["--warehouse", str(warehouse), "ingest", str(path), "--source", "call_base", "--as-of", AS_OF]
    code, out, err = run(monkeypatch, capsys, *args)
    assert code == 0, err
    return out


def _pp(monkeypatch, capsys, warehouse: Path, *args: str) -> str:
    code, out, err = run(monkeypatch, capsys, "--warehouse", str(warehouse), *args)
    assert code == 0, err
    return out


def _read_xlsx(path: Path) -> pl.DataFrame:
    return pl.read_excel(path, sheet_id=1, infer_schema_length=0)


def test_every_reason_code_says_in_russian_what_to_fix():
    assert set(REASON_FIXES) == set(ReasonCode)
    assert all(REASON_FIXES.values())
    assert len(set(REASON_FIXES.values())) == len(REASON_FIXES)  # no two reasons read alike


def test_the_added_columns_cannot_be_taken_for_a_feed_column():
    for spec in (LEAD_FEED, BILLING_FEED):
        assert not EXPORT_KEYS & set(spec.index)
    assert len(EXPORT_KEYS) == len(EXPORT_COLUMNS)


def test_the_command_line_offers_the_formats_the_writer_has():
    assert get_args(cli.ExportFormat) == EXPORT_FORMATS


def test_a_spreadsheet_shows_the_first_data_row_on_row_2():
    numbers = pl.DataFrame({"row_number": [1, 2, 10]})
    assert numbers.select(sheet_row(pl.col("row_number")))["row_number"].to_list() == [2, 3, 11]


def test_the_sheet_has_the_files_headers_in_its_order_then_row_reason_and_fix():
    rows = pl.DataFrame(
        {
            "row_number": [4, 1],
            "reason_code": ["missing_contacts", "bad_inn"],
            "raw": [
                '{"Телефон":null,"ИНН":"7736050003","Комментарий":"нет контакта"}',
                '{"Телефон":"89123456701","ИНН":"7707083890","Комментарий":null}',
            ],
        }
    )
    sheet = export_sheet(rows, "call_base")
    assert sheet.columns == ["Телефон", "ИНН", "Комментарий", EXPORT_ROW, EXPORT_REASON, EXPORT_FIX]
    assert sheet.rows() == [
        ("89123456701", "7707083890", None, 2, "bad_inn", REASON_FIXES[ReasonCode.BAD_INN]),
        (
            None,
            "7736050003",
            "нет контакта",
            5,
            "missing_contacts",
            REASON_FIXES[ReasonCode.MISSING_CONTACTS],
        ),
    ]


def test_a_malformed_row_goes_out_as_written_in_the_first_column():
    rows = pl.DataFrame(
        {
            "row_number": [2, 1],
            "reason_code": ["malformed_row", "bad_inn"],
            "raw": ['"7702070139,39,\\"extern\\",x,лишнее"', '{"ИНН":"7707083890","Продукт":"extern"}'],
        }
    )
    sheet = export_sheet(rows, "call_base")
    assert sheet.select("ИНН", "Продукт", EXPORT_ROW).rows() == [
        ("7707083890", "extern", 2),
        ('7702070139,39,"extern",x,лишнее', None, 3),
    ]
    alone = export_sheet(rows.head(1), "call_base")
    assert alone.columns == [LINE_AS_WRITTEN, EXPORT_ROW, EXPORT_REASON, EXPORT_FIX]


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


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_fixed_and_saved_the_export_loads_again(monkeypatch, capsys, tmp_path, warehouse, suffix):
    """The round trip: a feed with bad rows, its quarantine exported, two cells fixed, the same
    file ingested: the fixed rows become leads, the others come back with the same reasons."""
    monkeypatch.chdir(tmp_path)
    summary = _ingest(monkeypatch, capsys, warehouse, _feed(tmp_path / f"calls{suffix}"))
    assert summary.rstrip().endswith("pp quarantine export --feed 1")

    out = _pp(monkeypatch, capsys, warehouse, "quarantine", "export", "--feed", "1")
    exported = tmp_path / "quarantine-feed-1.xlsx"
    assert "4 quarantined rows written to quarantine-feed-1.xlsx" in out
    assert "pp ingest quarantine-feed-1.xlsx --source call_base" in out
    sheet = _read_xlsx(exported)
    assert sheet.columns == [*HEADERS, EXPORT_ROW, EXPORT_REASON, EXPORT_FIX]
    assert sheet.select(EXPORT_ROW, EXPORT_REASON).rows() == [
        ("3", "bad_inn"),
        ("4", "missing_contacts"),
        ("5", "unknown_product"),
        ("6", "fictitious_phone"),
    ]
    assert sheet.row(0)[:5] == tuple(ROWS[1])  # values as they came in
    assert sheet[EXPORT_FIX][0] == REASON_FIXES[ReasonCode.BAD_INN]

    fixed = sheet.with_columns(
        pl.when(pl.col(EXPORT_ROW) == "3").then(pl.lit("7704211201")).otherwise("ИНН").alias("ИНН"),
        pl.when(pl.col(EXPORT_ROW) == "5").then(pl.lit("extern")).otherwise("Продукт").alias("Продукт"),
    )
    exported.unlink()
    fixed.write_excel(exported)  # saved under the same name, as the owner would
    second = _ingest(monkeypatch, capsys, warehouse, exported)
    assert "feed 2" in second

    feeds = query(warehouse, "SELECT feed_id, rows_read, created, quarantined FROM feeds ORDER BY feed_id")
    assert feeds.rows() == [(1, 5, 1, 4), (2, 4, 2, 2)]
    leads = query(warehouse, "SELECT inn, product FROM leads WHERE feed_id = 2 ORDER BY inn")
    assert leads.rows() == [("7702070139", "extern"), ("7704211201", "extern")]
    again = query(
        warehouse, "SELECT row_number, reason_code, raw FROM quarantine WHERE feed_id = 2 ORDER BY 1"
    )
    assert dict(zip(again["row_number"] + 1, again["reason_code"], strict=True)) == {
        3: "missing_contacts",
        5: "fictitious_phone",
    }
    assert all(list(json.loads(raw)) == HEADERS for raw in again["raw"])  # the added columns stayed out


def test_a_csv_export_opens_in_excel_defuses_formulas_and_loads_again(
    monkeypatch, capsys, tmp_path, warehouse
):
    feed = tmp_path / "calls.csv"
    feed.write_text(
        'inn,phone,product,note\n7707083890,89123456701,extern,"=HYPERLINK(""http://x"")"\n', encoding="utf-8"
    )
    _ingest(monkeypatch, capsys, warehouse, feed)
    target = tmp_path / "back.csv"
    _pp(monkeypatch, capsys, warehouse, "quarantine", "export", "--feed", "1", "--out", str(target))
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    header, row = data.decode("utf-8-sig").splitlines()
    assert header.split(CSV_SEPARATOR) == ["inn", "phone", "product", "note", *EXPORT_COLUMNS]
    assert row.split(CSV_SEPARATOR)[:6] == [
        "7707083890",
        "89123456701",
        "extern",
        '"\'=HYPERLINK(""http://x"")"',
        "2",
        "bad_inn",
    ]
    _ingest(monkeypatch, capsys, warehouse, target)  # and it loads again as it is
    again = query(warehouse, "SELECT reason_code, raw FROM quarantine WHERE feed_id = 2")
    assert again["reason_code"].to_list() == ["bad_inn"]
    assert list(json.loads(again["raw"][0])) == ["inn", "phone", "product", "note"]


def test_the_row_is_the_one_the_spreadsheet_shows_past_empty_lines(monkeypatch, capsys, tmp_path, warehouse):
    feed = tmp_path / "gaps.csv"
    feed.write_text(f"inn,phone,product\n{GOOD_INN},89123456700,extern\n\n\n{BAD_INN},89123456701,extern\n")
    _ingest(monkeypatch, capsys, warehouse, feed)
    _pp(
        monkeypatch,
        capsys,
        warehouse,
        "quarantine",
        "export",
        "--feed",
        "1",
        "--out",
        str(tmp_path / "q.xlsx"),
    )
    assert _read_xlsx(tmp_path / "q.xlsx")[EXPORT_ROW].to_list() == ["5"]


def test_a_malformed_row_is_exported_with_its_line(monkeypatch, capsys, tmp_path, warehouse):
    feed = tmp_path / "cut.csv"
    feed.write_text(
        f"inn,phone,product\n{BAD_INN},89123456701,extern\n7702070139,89123456703,extern,лишнее\n"
    )
    _ingest(monkeypatch, capsys, warehouse, feed)
    _pp(
        monkeypatch,
        capsys,
        warehouse,
        "quarantine",
        "export",
        "--feed",
        "1",
        "--out",
        str(tmp_path / "q.xlsx"),
    )
    sheet = _read_xlsx(tmp_path / "q.xlsx")
    assert sheet.rows() == [
        (BAD_INN, "89123456701", "extern", "2", "bad_inn", REASON_FIXES[ReasonCode.BAD_INN]),
        (
            "7702070139,89123456703,extern,лишнее",
            None,
            None,
            "3",
            "malformed_row",
            REASON_FIXES[ReasonCode.MALFORMED_ROW],
        ),
    ]


def test_list_counts_the_quarantine_by_reason(monkeypatch, capsys, tmp_path, warehouse):
    _ingest(monkeypatch, capsys, warehouse, _feed(tmp_path / "calls.csv"))
    other = tmp_path / "more.csv"
    other.write_text(f"inn,phone,product\n{BAD_INN},89123456709,extern\n7707083891,89123456708,extern\n")
    _ingest(monkeypatch, capsys, warehouse, other)

    document = json.loads(_pp(monkeypatch, capsys, warehouse, "quarantine", "list", "--json"))
    assert [(r["feed_id"], r["reason_code"], r["rows"]) for r in document["reasons"]] == [
        (1, "bad_inn", 1),
        (1, "fictitious_phone", 1),
        (1, "missing_contacts", 1),
        (1, "unknown_product", 1),
        (2, "bad_inn", 2),
    ]
    assert document["reasons"][0]["fix"] == REASON_FIXES[ReasonCode.BAD_INN]
    one = _pp(monkeypatch, capsys, warehouse, "quarantine", "list", "--feed", "2")
    assert "2 quarantined rows in 1 feed" in one
    assert "more.csv" in one
    assert "calls.csv" not in one
    assert "pp quarantine export --feed 2" in one


def test_a_feed_without_quarantine_says_so(monkeypatch, capsys, tmp_path, warehouse):
    feed = tmp_path / "clean.csv"
    feed.write_text(f"inn,phone,product\n{GOOD_INN},89123456700,extern\n")
    summary = _ingest(monkeypatch, capsys, warehouse, feed)
    assert "pp quarantine export" not in summary
    assert _pp(monkeypatch, capsys, warehouse, "quarantine", "list", "--feed", "1").strip() == (
        "feed 1: no quarantined rows"
    )
    _, err = refused(monkeypatch, capsys, warehouse, "quarantine", "export", "--feed", "1")
    assert "feed 1 (clean.csv) has no quarantined rows" in err


@pytest.mark.parametrize("command", [["list"], ["export"]])
def test_an_unknown_feed_is_one_line(monkeypatch, capsys, tmp_path, warehouse, command):
    monkeypatch.chdir(tmp_path)
    _, err = refused(monkeypatch, capsys, warehouse, "quarantine", *command, "--feed", "42")
    assert "feed 42 does not exist; `pp quarantine list` shows the feeds" in err
    assert list(tmp_path.glob("quarantine-*")) == []


def test_an_existing_file_is_never_replaced(monkeypatch, capsys, tmp_path, warehouse):
    monkeypatch.chdir(tmp_path)
    _ingest(monkeypatch, capsys, warehouse, _feed(tmp_path / "calls.csv"))
    _pp(monkeypatch, capsys, warehouse, "quarantine", "export", "--feed", "1")
    mine = tmp_path / "quarantine-feed-1.xlsx"
    before = mine.read_bytes()
    _, err = refused(monkeypatch, capsys, warehouse, "quarantine", "export", "--feed", "1")
    assert "quarantine-feed-1.xlsx already exists" in err
    assert "--out" in err
    assert mine.read_bytes() == before  # an earlier export may hold the owner's fixes
    theirs = tmp_path / "notes.csv"
    theirs.write_text("someone else's\n")
    refused(monkeypatch, capsys, warehouse, "quarantine", "export", "--feed", "1", "--out", str(theirs))
    assert theirs.read_text() == "someone else's\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # nothing left aside


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--out", "{tmp}/q.txt"], "must end in .xlsx"),
        (["--format", "csv", "--out", "{tmp}/q.xlsx"], "must end in .csv"),
        (["--out", "{tmp}/nowhere/q.xlsx"], "does not exist; create it first"),
        (["--format", "ods"], "'ods' is not one of 'xlsx', 'csv'"),
    ],
)
def test_a_target_that_cannot_take_the_export_is_one_line(
    monkeypatch, capsys, tmp_path, warehouse, args, message
):
    _ingest(monkeypatch, capsys, warehouse, _feed(tmp_path / "calls.csv"))
    args = [a.format(tmp=tmp_path) for a in args]
    _, err = refused(monkeypatch, capsys, warehouse, "quarantine", "export", "--feed", "1", *args)
    assert message in err


def test_the_format_follows_the_out_files_extension(monkeypatch, capsys, tmp_path, warehouse):
    _ingest(monkeypatch, capsys, warehouse, _feed(tmp_path / "calls.csv"))
    target = tmp_path / "fix me.csv"
    out = _pp(
        monkeypatch, capsys, warehouse, "quarantine", "export", "--feed", "1", "--out", str(target), "--json"
    )
    document = json.loads(out)
    assert (document["format"], document["rows"]) == ("csv", 4)
    assert document["reload"] == f"pp ingest '{target}' --source call_base"
    assert target.read_bytes().startswith(b"\xef\xbb\xbf")


def test_more_rows_than_a_worksheet_holds_ask_for_csv(monkeypatch, capsys, tmp_path, warehouse):
    from adapters import quarantine_files

    _ingest(monkeypatch, capsys, warehouse, _feed(tmp_path / "calls.csv"))
    monkeypatch.setattr(quarantine_files, "XLSX_MAX_ROWS", 3)
    target = tmp_path / "q.xlsx"
    _, err = refused(
        monkeypatch, capsys, warehouse, "quarantine", "export", "--feed", "1", "--out", str(target)
    )
    assert "4 rows do not fit in one worksheet (3 at most); pass --format csv" in err
    assert not target.exists()


def test_a_billing_files_quarantine_loads_again_with_pp_billing(monkeypatch, capsys, tmp_path, warehouse):
    billing = tmp_path / "billing.csv"
    billing.write_text(
        "Событие,Счёт,ИНН,Продукт,СЦ,Дата\nrefund,INV-1,7707083893,extern,sc-kgd-1,2026-03-02\n",
        encoding="utf-8",
    )
    _pp(monkeypatch, capsys, warehouse, "billing", str(billing), "--as-of", AS_OF)
    target = tmp_path / "billing-fix.xlsx"
    out = _pp(monkeypatch, capsys, warehouse, "quarantine", "export", "--feed", "1", "--out", str(target))
    assert f"pp billing {target}" in out
    sheet = _read_xlsx(target)
    assert sheet.columns == ["Событие", "Счёт", "ИНН", "Продукт", "СЦ", "Дата", *EXPORT_COLUMNS]
    assert sheet.row(0)[-3:] == ("2", "bad_event", REASON_FIXES[ReasonCode.BAD_EVENT])
