"""Feed files of every accepted format, header aliases, encodings, and file-level refusals."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from schemas.errors import PipelineError
from tasks.read import inspect_feed, raw_rows, read_batches

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
