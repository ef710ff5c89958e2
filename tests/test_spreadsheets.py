"""Formula-leading text is defused before a CSV or XLSX is written for people to open."""

from __future__ import annotations

from datetime import date

import polars as pl

from tasks.spreadsheets import neutralise_formulas


def test_text_a_spreadsheet_would_evaluate_is_quoted():
    frame = pl.DataFrame(
        {
            "value": [
                '=HYPERLINK("http://evil.example","open")',
                "+cmd|' /C calc'!A0",
                "-2+3+cmd|' /C calc'!A0",
                "@SUM(A1:A9)",
                "\t=1+1",
                "\r=1+1",
                "  =1+1",
                "+7 912 123-45-67",
                "extern",
                "a=b",
                None,
            ]
        }
    )
    assert neutralise_formulas(frame)["value"].to_list() == [
        '\'=HYPERLINK("http://evil.example","open")',
        "'+cmd|' /C calc'!A0",
        "'-2+3+cmd|' /C calc'!A0",
        "'@SUM(A1:A9)",
        "'\t=1+1",
        "'\r=1+1",
        "'  =1+1",
        "'+7 912 123-45-67",
        "extern",
        "a=b",
        None,
    ]


def test_plain_numbers_and_typed_columns_are_left_as_they_are():
    frame = pl.DataFrame(
        {
            "as_text": ["-5", "+79121234567", "-0.5", "12"],
            "number": [-5, 3, -1, 0],
            "share": [-0.5, 1.0, 2.5, 0.0],
            "day": [date(2026, 3, 2)] * 4,
        }
    )
    assert neutralise_formulas(frame).equals(frame)


def test_headers_and_categorical_text_are_defused_too():
    frame = pl.DataFrame({"=cmd": ["@x"], "sc_id": ["=1"]}).with_columns(
        pl.col("sc_id").cast(pl.Categorical)
    )
    safe = neutralise_formulas(frame)
    assert safe.columns == ["'=cmd", "sc_id"]
    assert safe.row(0) == ("'@x", "'=1")
