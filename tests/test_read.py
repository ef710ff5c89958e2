"""Feed files of every accepted format, header aliases, encodings, and file-level refusals."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from adapters import feeds as read
from adapters.feeds import inspect_feed, read_batches
from schemas.errors import PipelineError
from tasks.quarantine import raw_rows, split_malformed

ROWS = {
    "ИНН": ["7707083893", "0274062111"],
    "Телефон": ["8 (912) 345-67-89", None],
    "Продукт": ["extern", "elba"],
}


def _all(path: Path, batch_rows: int = 1000) -> pl.DataFrame:
    return pl.concat(list(read_batches(inspect_feed(path), batch_rows=batch_rows)))


def _csv(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize(
    ("encoding", "delimiter", "bom"),
    [("utf-8", ",", False), ("utf-8", ";", True), ("cp1251", ";", False), ("cp1251", ",", False)],
)
def test_csv_encodings_and_delimiters(tmp_path, encoding, delimiter, bom):
    text = delimiter.join(["ИНН", "Контактное лицо", "e-mail", "Продукт"]) + "\n"
    text += delimiter.join(["0274062111", "Пётр Ёлкин", "a@b.ru", "extern"]) + "\n"
    path = _csv(tmp_path / "f.csv", ("\ufeff" if bom else "") + text, encoding)
    layout = inspect_feed(path)
    assert layout.encoding == encoding
    assert layout.delimiter == delimiter
    frame = _all(path)
    assert frame.select("row_number", "inn", "contact_name", "email", "product").row(0) == (
        1,
        "0274062111",
        "Пётр Ёлкин",
        "a@b.ru",
        "extern",
    )
    assert frame["kpp"].to_list() == [None]  # absent columns arrive as nulls


def test_inn_keeps_leading_zeros_in_every_format(tmp_path):
    frame = pl.DataFrame(ROWS)
    frame.write_parquet(tmp_path / "f.parquet")
    frame.write_ndjson(tmp_path / "f.jsonl")
    frame.write_excel(tmp_path / "f.xlsx")
    for name in ("f.parquet", "f.jsonl", "f.xlsx"):
        read = _all(tmp_path / name)
        assert read["inn"].to_list() == ["7707083893", "0274062111"], name
        assert read["phone"].to_list() == ["8 (912) 345-67-89", None], name


def test_numbers_in_jsonl_and_parquet_become_strings(tmp_path):
    pl.DataFrame({"inn": [7707083893], "phone": [79123456789], "product": ["extern"]}).write_ndjson(
        tmp_path / "n.jsonl"
    )
    assert _all(tmp_path / "n.jsonl").select("inn", "phone").row(0) == ("7707083893", "79123456789")


def test_batches_are_bounded_and_numbered(tmp_path):
    lines = ["inn,phone,product"] + [f"{i},+7912000{i:04d},extern" for i in range(1, 26)]
    path = _csv(tmp_path / "b.csv", "\n".join(lines) + "\n")
    batches = list(read_batches(inspect_feed(path), batch_rows=10))
    assert [b.height for b in batches] == [10, 10, 5]
    assert pl.concat(batches)["row_number"].to_list() == list(range(1, 26))


def test_raw_keeps_the_files_own_headers_and_extra_columns(tmp_path):
    path = _csv(tmp_path / "r.csv", "ИНН,Телефон,Продукт,Комментарий\n123,+79120000000,extern,срочно\n")
    layout = inspect_feed(path)
    batch = next(read_batches(layout, batch_rows=10))
    raw = raw_rows(batch, layout)["raw"][0]
    assert raw == '{"ИНН":"123","Телефон":"+79120000000","Продукт":"extern","Комментарий":"срочно"}'


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.csv", None, "does not exist"),
        ("empty.csv", b"", "is empty"),
        ("header.csv", "ИНН;Телефон\r\n\r\n".encode("cp1251"), "has a header but no data rows"),
        ("feed.txt", b"inn\n1\n", "unsupported format .txt"),
        ("twice.csv", "ИНН,inn,phone\n1,1,2\n".encode(), "both mean 'inn'"),
        ("bad.parquet", b"not parquet at all", "cannot read bad.parquet"),
    ],
)
def test_file_level_problems_are_one_clear_error(tmp_path, name, content, message):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(PipelineError, match=message):
        inspect_feed(path)


def _feed_of(path: Path, text: str, batch_rows: int = 1000) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(well-formed rows, malformed rows) of a CSV feed, as the flows see them."""
    layout = inspect_feed(_csv(path, text))
    frame = pl.concat(list(read_batches(layout, batch_rows=batch_rows)))
    good, _ = split_malformed(frame)
    bad = frame.filter(pl.col("malformed_line").is_not_null())
    return good, bad.with_columns(raw=raw_rows(bad, layout)["raw"])


NINE = [f"7707083893,+7912000000{i},extern,ext-{i}" for i in range(1, 10)]


@pytest.mark.parametrize(
    "endings",
    [["\r"] * 10, ["\n"] * 10, ["\r\n"] * 10, ["\r", "\n", "\r\n", "\r", "\r", "\n", "\r\n", "\r", "\n", ""]],
    ids=["cr", "lf", "crlf", "mixed"],
)
def test_every_line_ending_splits_rows(tmp_path, endings):
    lines = ["inn,phone,product,external_id", *NINE]
    text = "".join(line + end for line, end in zip(lines, endings, strict=True))
    good, bad = _feed_of(tmp_path / "endings.csv", text)
    assert bad.is_empty()
    assert good["row_number"].to_list() == list(range(1, 10))
    assert good["external_id"].to_list() == [f"ext-{i}" for i in range(1, 10)]


def test_a_line_break_inside_quotes_stays_in_the_field(tmp_path):
    text = 'inn,company_name,phone\r1,"ООО\rРомашка",+79120000001\r2,"a\r\nb",+79120000002\r3,c,+79120000003'
    good, bad = _feed_of(tmp_path / "quoted.csv", text)
    assert bad.is_empty()
    assert good["company_name"].to_list() == ["ООО\rРомашка", "a\r\nb", "c"]
    assert good["row_number"].to_list() == [1, 2, 3]


def test_rows_that_do_not_split_into_the_header_are_malformed_and_the_rest_loads(tmp_path):
    text = (
        "inn,phone,product\n"
        "7707083893,+79120000001,extern,surplus\n"  # more fields than the header
        "7707083893,+79120000002\n"  # fewer, mid-file
        "7707083893,+79120000003,extern\n"
        '7707083893,"+79120000004,extern'  # cut off inside a quote, no final newline
    )
    good, bad = _feed_of(tmp_path / "ragged.csv", text)
    assert good.select("row_number", "phone").rows() == [(3, "+79120000003")]
    assert bad["row_number"].to_list() == [1, 2, 4]
    assert bad["raw"].to_list() == [
        '"7707083893,+79120000001,extern,surplus"',
        '"7707083893,+79120000002"',
        '"7707083893,\\"+79120000004,extern"',
    ]
    assert bad["malformed_detail"].to_list()[:2] == [
        "4 fields where the header has 3",
        "2 fields where the header has 3",
    ]
    assert "never closed" in bad["malformed_detail"][2]
    assert bad.select("inn", "phone", "product").null_count().row(0) == (3, 3, 3)


def test_a_last_line_cut_short_is_malformed_not_padded(tmp_path):
    good, bad = _feed_of(tmp_path / "cut.csv", "inn,phone,product\n7707083893,+79120000001,extern\n77070")
    assert good["row_number"].to_list() == [1]
    assert bad.select("row_number", "raw").rows() == [(2, '"77070"')]


def test_a_stray_quote_does_not_glue_the_rows_after_it(tmp_path):
    text = 'inn,company_name,phone\n1,Экран 5" дюймов,+79120000001\n2,b,+79120000002\n3,c,+79120000003\n'
    good, bad = _feed_of(tmp_path / "stray.csv", text)
    assert good["row_number"].to_list() == [2, 3]
    assert bad["row_number"].to_list() == [1]


def test_empty_lines_are_no_rows_and_rows_keep_their_line_numbers(tmp_path):
    good, bad = _feed_of(tmp_path / "gaps.csv", "inn,phone\n1,+79120000001\n\n\r\n2,+79120000002\n\n")
    assert bad.is_empty()
    assert good["row_number"].to_list() == [1, 4]


def test_windows_1251_with_old_mac_line_endings(tmp_path):
    text = "ИНН;Телефон;Продукт\r7707083893;+79120000001;Экстерн\r7707083893;+79120000002\r"
    layout = inspect_feed(_csv(tmp_path / "mac.csv", text, "cp1251"))
    frame = pl.concat(list(read_batches(layout, batch_rows=10)))
    assert frame.select("row_number", "product", "malformed_line").rows() == [
        (1, "Экстерн", None),
        (2, None, "7707083893;+79120000002"),
    ]


def test_reading_in_small_pieces_gives_the_same_rows(tmp_path, monkeypatch):
    """Piece boundaries fall everywhere: inside CRLF, inside quotes, inside a malformed row."""
    text = 'inn,company_name,phone\r\n1,"a\r\nb",+79120000001\r2,x,+79120000002,extra\r\n3,"c,d",+7\n4,e'
    expected = _feed_of(tmp_path / "whole.csv", text)
    for size in range(1, 12):
        monkeypatch.setattr(read, "SCAN_BYTES", size)
        pieces = _feed_of(tmp_path / f"p{size}.csv", text)
        assert pieces[0].equals(expected[0]), size
        assert pieces[1].equals(expected[1]), size


def test_batches_hold_malformed_rows_after_the_well_formed_ones(tmp_path):
    text = "inn,phone\n" + "".join(f"{i},+7912000000{i}\n" if i % 2 else f"{i}\n" for i in range(1, 8))
    layout = inspect_feed(_csv(tmp_path / "half.csv", text))
    batches = list(read_batches(layout, batch_rows=2))
    assert [b.height for b in batches] == [2, 2, 2, 1]
    assert all(b.columns == batches[0].columns for b in batches)
    rows = pl.concat(batches)
    assert rows.filter(pl.col("malformed_line").is_null())["row_number"].to_list() == [1, 3, 5, 7]
    assert rows.filter(pl.col("malformed_line").is_not_null())["row_number"].to_list() == [2, 4, 6]


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_a_file_name_with_glob_characters_is_read_as_the_file_it_names(tmp_path, suffix):
    rows = pl.DataFrame({"inn": ["7707083893"], "phone": ["89123456789"], "product": ["extern"]})
    path = tmp_path / f"calls [2] *march?{suffix}"
    {".csv": rows.write_csv, ".jsonl": rows.write_ndjson, ".parquet": rows.write_parquet}[suffix](path)
    decoy = rows.with_columns(inn=pl.lit("500100732259"))  # a file the name, read as a glob, matches
    {".csv": decoy.write_csv, ".jsonl": decoy.write_ndjson, ".parquet": decoy.write_parquet}[suffix](
        tmp_path / f"calls 2 xmarchx{suffix}"
    )
    batches = list(read_batches(inspect_feed(path), batch_rows=10))
    assert sum(batch.height for batch in batches) == 1
    assert batches[0]["inn"].to_list() == ["7707083893"]
