"""Text a spreadsheet would run as a formula ("CSV injection", OWASP), defused before the frame
is written as a CSV or XLSX file for people to open.

Pure: one frame in, the same frame out with its risky text cells and headers prefixed."""

from __future__ import annotations

import polars as pl

# A cell starting with = + - @ (after optional blanks, which some importers trim), a tab or a
# carriage return is read as a formula by Excel, LibreOffice or Google Sheets.
FORMULA_START = r"^(?:[\t\r]|\s*[=+\-@])"
# ... unless the whole cell is one decimal number: a spreadsheet reads that as the number.
PLAIN_NUMBER = r"^[+-]?\d+(?:\.\d+)?$"
QUOTE = "'"  # the prefix a spreadsheet shows as text, never evaluates


def _neutralised(text: pl.Expr) -> pl.Expr:
    risky = text.str.contains(FORMULA_START) & ~text.str.contains(PLAIN_NUMBER)
    return pl.when(risky).then(pl.lit(QUOTE) + text).otherwise(text)


def neutralise_formulas(frame: pl.DataFrame) -> pl.DataFrame:
    """Prefix with a single quote every text cell and header a spreadsheet would evaluate.

    Only text is touched: numeric, date and boolean columns are written as values and cannot
    hold a formula. A text cell that is wholly a plain decimal number (`-5`, `+79121234567`,
    `-0.5`) is left as it is, by decision: it names no function, reference or DDE link, so a
    spreadsheet can do no more than read it as the number it spells, while a quote would turn
    figures into text and show a stray character in tools that display it. Anything more after
    the sign (`-2+3+cmd|...`, `+7 912 123-45-67`) is quoted."""
    text = [
        name
        for name, dtype in frame.schema.items()
        if dtype == pl.String or isinstance(dtype, pl.Categorical | pl.Enum)
    ]
    cells = frame.with_columns(_neutralised(pl.col(name).cast(pl.String)).alias(name) for name in text)
    headers = pl.DataFrame({"header": frame.columns}, schema={"header": pl.String})
    renamed = headers.select(_neutralised(pl.col("header")).alias("header"))["header"].to_list()
    return cells.rename(dict(zip(frame.columns, renamed, strict=True)))
