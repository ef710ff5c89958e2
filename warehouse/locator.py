"""Where the warehouse is: a DuckDB file, or a DuckLake whose catalog is a PostgreSQL database.

Parsed once (`locate`) from `--warehouse` / `PP_WAREHOUSE`. A lake is written
`ducklake:postgres:<libpq conninfo>`, the string DuckDB's ATTACH takes; a conninfo is not a
path (`Path()` would fold its `//`). Its password never travels with the locator: `locate`
keeps it in this process only, so the locator's text, which goes into messages, logs and a
flow run's parameters, has none; `attach_conninfo` puts it back for the connection. Workers
that run deployments take it from their own `PP_WAREHOUSE`, `PGPASSWORD` or libpq's
`.pgpass` / service file. Kept free of DuckDB so that reading the settings loads no engine."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

LAKE_PREFIX = "ducklake:postgres:"
# `password=secret`, `password = 'it''s'` (libpq's key=value form) and the `user:secret@` of a URI
_KEYWORD_PASSWORD = re.compile(r"\s*\bpassword\s*=\s*('(?:[^'\\]|\\.)*'|\S*)", re.IGNORECASE)
_URI_PASSWORD = re.compile(r"(postgres(?:ql)?://[^:/@\s]*):([^@\s]*)@", re.IGNORECASE)
_URI_USER = re.compile(r"(postgres(?:ql)?://[^:/@\s]*)@", re.IGNORECASE)
_passwords: dict[str, str] = {}  # password-less conninfo -> the password it was given with


@dataclass(frozen=True)
class FileWarehouse:
    """The embedded DuckDB file: one writer at a time (the lock file beside it)."""

    path: Path

    def __str__(self) -> str:
        return str(self.path)


@dataclass(frozen=True)
class LakeWarehouse:
    """A DuckLake: its catalog in PostgreSQL (`conninfo`, without a password), its data as
    Parquet files under `PP_LAKE_DATA_PATH`; many writers, each commit optimistic."""

    conninfo: str

    def __str__(self) -> str:
        return LAKE_PREFIX + self.conninfo


Warehouse = FileWarehouse | LakeWarehouse


def locate(where: str | Path | Warehouse) -> Warehouse:
    """The warehouse a setting or an option names."""
    if isinstance(where, FileWarehouse | LakeWarehouse):
        return where
    if isinstance(where, Path):
        return FileWarehouse(where)
    if not where.startswith(LAKE_PREFIX):
        if where.startswith("ducklake:"):
            raise ValueError(
                f"{mask(where)!r}: only a PostgreSQL catalog is supported; write ducklake:postgres:<conninfo>"
            )
        return FileWarehouse(Path(where))
    conninfo, password = _without_password(where.removeprefix(LAKE_PREFIX).strip())
    if not conninfo:
        raise ValueError("ducklake:postgres: needs a conninfo, e.g. ducklake:postgres:dbname=pp host=db1")
    if password is not None:
        _passwords[conninfo] = password
    return LakeWarehouse(conninfo)


def attach_conninfo(lake: LakeWarehouse) -> str:
    """The conninfo to connect with: the locator's, with the password it was given with."""
    password = _passwords.get(lake.conninfo)
    if password is None:
        return lake.conninfo
    if _URI_USER.match(lake.conninfo):
        return _URI_USER.sub(lambda m: f"{m.group(1)}:{password}@", lake.conninfo, count=1)
    quoted = password.replace("\\", "\\\\").replace("'", "\\'")
    return f"{lake.conninfo} password='{quoted}'"


def mask(text: str) -> str:
    """A text (an option, DuckDB's error) with any password in it replaced by `***`."""
    text = _KEYWORD_PASSWORD.sub(" password=***", text)
    return _URI_PASSWORD.sub(lambda m: f"{m.group(1)}:***@", text)


def _without_password(conninfo: str) -> tuple[str, str | None]:
    """The conninfo without its password, and the password (None: it names none)."""
    if uri := _URI_PASSWORD.match(conninfo):
        return conninfo.replace(uri.group(0), uri.group(1) + "@", 1), uri.group(2)
    found = _KEYWORD_PASSWORD.search(conninfo)
    if found is None:
        return conninfo, None
    value = found.group(1)
    if value.startswith("'"):  # quoted: libpq's backslash escapes undone
        value = re.sub(r"\\(.)", r"\1", value[1:-1])
    return (conninfo[: found.start()] + conninfo[found.end() :]).strip(), value
