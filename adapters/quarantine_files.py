"""The file `pp quarantine export` writes for the owner of a feed: XLSX or CSV, whole or not at
all, and never over an existing file.

An existing file is refused even when an earlier export wrote it: that file is where its
owner types the fixes, and replacing it would lose them. The file is written beside its
target, then hard-linked into place, which fails if the name was taken in the meantime.

XLSX cells are written as text, never as formulas (polars sets xlsxwriter's
`strings_to_formulas` off), so values go out exactly as read, and an INN or a phone keeps
its digits. A CSV is UTF-8 with a BOM, which Excel needs to read it as UTF-8, and `;`
between fields, the list separator of Excel in a Russian locale: it opens in columns there."""

from __future__ import annotations

import errno
import os
import secrets
from pathlib import Path

import polars as pl

from schemas.errors import PipelineError

EXPORT_FORMATS = ("xlsx", "csv")
CSV_SEPARATOR = ";"
SHEET_NAME = "Карантин"
XLSX_MAX_ROWS = 1_048_575  # a worksheet's 1,048,576 rows, less the header
# Errors of a file system that has no hard links (FAT, some network shares).
NO_HARD_LINKS = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK}


def _taken(target: Path) -> PipelineError:
    return PipelineError(
        f"{target} already exists; pp quarantine export never replaces a file (it may hold "
        "your fixes): pass --out NEW_FILE, or move the file away"
    )


def check_target(target: Path, format: str) -> None:
    """Refuse, before anything is read, a target that cannot take the export: one that
    exists, sits in no folder, or whose name would not load again as its format."""
    if target.suffix.lower() != f".{format}":
        raise PipelineError(f"--out {target} must end in .{format}: pp ingest reads a file by its extension")
    if os.path.lexists(target):
        raise _taken(target)
    if not target.parent.is_dir():
        raise PipelineError(f"--out {target}: folder {target.parent} does not exist; create it first")


def write_export(sheet: pl.DataFrame, target: Path, format: str) -> None:
    """Write the sheet to a new file at `target` (see the module's docstring)."""
    check_target(target, format)
    if format == "xlsx" and sheet.height > XLSX_MAX_ROWS:
        raise PipelineError(
            f"{sheet.height:,} rows do not fit in one worksheet ({XLSX_MAX_ROWS:,} at most); "
            "pass --format csv"
        )
    staged = target.with_name(f".{target.name}.{secrets.token_hex(8)}.partial")
    try:
        # a new name, with the permissions the user's umask gives (mkstemp's are owner-only)
        os.close(os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        try:
            if format == "xlsx":
                sheet.write_excel(staged, worksheet=SHEET_NAME, autofit=True, freeze_panes=(1, 0))
            else:
                sheet.write_csv(staged, separator=CSV_SEPARATOR, include_bom=True)
            _link(staged, target)
        finally:
            staged.unlink(missing_ok=True)
    except OSError as exc:
        raise PipelineError(f"cannot write {target}: {exc.strerror or exc}; choose another --out") from exc


def _link(staged: Path, target: Path) -> None:
    """Give the whole staged file the target's name, unless that name exists."""
    try:
        os.link(staged, target)
    except FileExistsError:
        raise _taken(target) from None
    except OSError as exc:
        if exc.errno not in NO_HARD_LINKS:
            raise
        if os.path.lexists(target):
            raise _taken(target) from None
        os.rename(staged, target)
