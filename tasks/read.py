"""Reading feed files of any accepted format into bounded batches of canonical string columns."""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import polars as pl

from schemas.errors import PipelineError
from schemas.feed import FORMATS, LEAD_FEED, ColumnSpec, header_key

SNIFF_BYTES = 1 << 20
ROW_NUMBER = "row_number"


@dataclass(frozen=True)
class FeedLayout:
    """What a file looks like: format, encoding, delimiter, and how its headers map."""

    path: Path
    suffix: str
    encoding: str | None  # CSV only: "utf-8" or "cp1251"
    delimiter: str | None  # CSV only
    headers: tuple[str, ...]  # as written in the file
    mapping: dict[str, str]  # file header -> canonical column
    spec: ColumnSpec = LEAD_FEED

    @property
    def present(self) -> frozenset[str]:
        return frozenset(self.mapping.values())


def file_sha256(path: Path) -> str:
    """The file's identity for idempotent loads; computed once per file version per process."""
    stat = path.stat()
    return _sha256(path.resolve(), stat.st_size, stat.st_mtime_ns)


@cache
def _sha256(path: Path, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def _decodes(sample: bytes, encoding: str) -> bool:
    try:
        codecs.getincrementaldecoder(encoding)().decode(sample, final=False)
    except UnicodeDecodeError:
        return False
    return True


def _sniff_csv(path: Path) -> tuple[str, str, list[str]]:
    with path.open("rb") as fh:
        sample = fh.read(SNIFF_BYTES)
    sample = sample.removeprefix(codecs.BOM_UTF8)
    encoding = "utf-8" if _decodes(sample, "utf-8") else "cp1251"
    text = sample.decode(encoding, errors="ignore")
    first_line = text.splitlines()[0] if text.strip() else ""
    if not first_line.strip():
        raise PipelineError(f"{path.name} is empty; a feed needs a header row and data rows")
    if not any(line.strip() for line in text.splitlines()[1:]):
        raise PipelineError(f"{path.name} has a header but no data rows")
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    headers = next(csv.reader(io.StringIO(first_line), delimiter=delimiter))
    return encoding, delimiter, [h.strip() for h in headers]


def _headers(path: Path, suffix: str) -> list[str]:
    try:
        if suffix == ".xlsx":
            return list(pl.read_excel(path, sheet_id=1, infer_schema_length=0).columns)
        if suffix == ".parquet":
            return pl.scan_parquet(path).collect_schema().names()
        return pl.scan_ndjson(path).collect_schema().names()
    except Exception as exc:  # any reader failure is a file the user must fix
        raise PipelineError(f"cannot read {path.name} as {suffix[1:]}: {exc}") from exc


def inspect_feed(path: Path, spec: ColumnSpec = LEAD_FEED) -> FeedLayout:
    """Check that a file exists, has an accepted format and map its headers; nothing is loaded."""
    if not path.is_file():
        raise PipelineError(f"feed file {path} does not exist; check the path")
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise PipelineError(
            f"{path.name}: unsupported format {suffix or '(none)'}; use one of {', '.join(FORMATS)}"
        )
    if path.stat().st_size == 0:
        raise PipelineError(f"{path.name} is empty; a feed needs a header row and data rows")
    encoding = delimiter = None
    if suffix == ".csv":
        encoding, delimiter, headers = _sniff_csv(path)
    else:
        headers = _headers(path, suffix)
    mapping: dict[str, str] = {}
    for header in headers:
        canonical = spec.index.get(header_key(header))
        if canonical is None:
            continue
        if canonical in mapping.values():
            raise PipelineError(
                f"{path.name}: columns {header!r} and another both mean {canonical!r}; keep one"
            )
        mapping[header] = canonical
    return FeedLayout(path, suffix, encoding, delimiter, tuple(headers), mapping, spec)


@contextmanager
def _utf8_copy(layout: FeedLayout) -> Iterator[Path]:
    """polars reads UTF-8 only: a Windows-1251 file is transcoded in streaming chunks."""
    if layout.encoding != "cp1251":
        yield layout.path
        return
    fd, name = tempfile.mkstemp(suffix=".csv", prefix="pp-feed-")
    try:
        with (
            open(fd, "w", encoding="utf-8", newline="") as out,
            layout.path.open(encoding="cp1251", newline="") as src,
        ):
            while chunk := src.read(1 << 22):
                out.write(chunk)
        yield Path(name)
    finally:
        os.unlink(name)


def _scan(layout: FeedLayout, source_path: Path) -> pl.LazyFrame:
    if layout.suffix == ".csv":
        return pl.scan_csv(
            source_path,
            separator=layout.delimiter or ",",
            infer_schema=False,
            truncate_ragged_lines=True,
        ).rename(lambda name: name.strip())
    if layout.suffix == ".xlsx":
        return pl.read_excel(layout.path, sheet_id=1, infer_schema_length=0).lazy()
    if layout.suffix == ".parquet":
        return pl.scan_parquet(layout.path)
    return pl.scan_ndjson(layout.path, infer_schema_length=None)


def _canonical(batch: pl.DataFrame, layout: FeedLayout) -> pl.DataFrame:
    """Strings under canonical names, trimmed, empty as null; absent columns as nulls."""
    return (
        batch.select(pl.all().cast(pl.String))
        .rename(layout.mapping)
        .with_columns(
            [pl.lit(None, pl.String).alias(c) for c in layout.spec.columns if c not in layout.present]
        )
        .with_columns([pl.col(c).str.strip_chars().replace("", None) for c in layout.spec.columns])
    )


def read_batches(layout: FeedLayout, *, batch_rows: int) -> Iterator[pl.DataFrame]:
    """Yield the file as batches: `row_number` (1-based data row), every canonical column as
    a string (null when absent or empty), and the file's unmapped columns as they are.

    Only the plain scan streams: per-row clean-up runs on each collected batch, since some
    string expressions in the query make polars collect the whole file first."""
    offset = 1
    with _utf8_copy(layout) as source_path:
        scan = _scan(layout, source_path)
        try:
            for batch in scan.collect_batches(chunk_size=batch_rows):
                if not batch.height:
                    continue
                numbered = _canonical(batch, layout).with_columns(
                    pl.int_range(offset, offset + batch.height, dtype=pl.Int64).alias(ROW_NUMBER)
                )
                offset += batch.height
                yield numbered.select(ROW_NUMBER, pl.exclude(ROW_NUMBER))
        except pl.exceptions.PolarsError as exc:
            raise PipelineError(f"cannot read {layout.path.name}: {exc}") from exc


def raw_rows(batch: pl.DataFrame, layout: FeedLayout) -> pl.DataFrame:
    """`row_number` and the row's original content as JSON under the file's own headers."""
    back = {canonical: header for header, canonical in layout.mapping.items()}
    originals = [c for c in batch.columns if c != ROW_NUMBER and (c in back or c not in layout.spec.columns)]
    return batch.select(
        ROW_NUMBER,
        pl.struct([pl.col(c).alias(back.get(c, c)) for c in originals]).struct.json_encode().alias("raw"),
    )
