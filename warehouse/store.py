"""The only module that knows DuckDB: connections, transactions, migrations, frame I/O."""

from __future__ import annotations

import errno
import logging
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager, suppress
from datetime import UTC, datetime
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
from filelock import FileLock, Timeout

from schemas.errors import PipelineError, WarehouseBusy
from warehouse import rules

if TYPE_CHECKING:  # frames come and go as values: the single-lead commands never load polars
    import polars as pl

DDL = files("warehouse") / "ddl"
SQL = files("warehouse") / "sql"
_LOCKED = re.compile(r"lock|conflicting", re.IGNORECASE)

Connection = duckdb.DuckDBPyConnection
WRITE_SLOT = "warehouse-write"  # the Prefect global concurrency limit writers take (limit 1)
log = logging.getLogger(__name__)


@cache
def sql(name: str) -> str:
    """The text of `warehouse/sql/<name>.sql`."""
    return (SQL / f"{name}.sql").read_text(encoding="utf-8")


def migrations() -> list[tuple[int, str]]:
    """Forward migrations `ddl/NNN_name.sql`, in order."""
    found = [
        (int(entry.name.split("_", 1)[0]), entry.read_text(encoding="utf-8"))
        for entry in DDL.iterdir()
        if entry.name.endswith(".sql")
    ]
    return sorted(found)


def _lock_timeout() -> float:
    from schemas.settings import load_settings

    return load_settings().lock_timeout_seconds


def _waiting(path: Path, what: str) -> None:
    log.warning("warehouse %s: %s; waiting for it to finish", path, what)


def _open(path: Path, *, read_only: bool, memory_limit: str | None = None) -> Connection:
    """Open the file, waiting while another process holds it (DuckDB lets no reader in while
    a writer has it, and no writer while readers do), up to `PP_LOCK_TIMEOUT_SECONDS`."""
    deadline = time.monotonic() + _lock_timeout()
    pause, told = 0.05, False
    while True:
        try:
            return _connect(path, read_only=read_only, memory_limit=memory_limit)
        except WarehouseBusy:
            if time.monotonic() >= deadline:
                raise
            if not told:
                _waiting(path, "another process has it open")
                told = True
            time.sleep(pause)
            pause = min(pause * 2, 1.0)


@contextmanager
def write_lock(path: Path) -> Iterator[None]:
    """One writer at a time: a Prefect global concurrency slot (`warehouse-write`) inside a
    flow run a server records, so runs on many workers queue in Prefect, and always a lock
    file beside the warehouse, which every writer takes, so commands queue too. A second writer
    waits its turn and says so, instead of failing on DuckDB's file lock. A server without
    the limit is a setup error: Prefect would otherwise let every writer through."""
    with ExitStack() as held:
        if _in_recorded_run():
            _take_write_slot(held)
        lock = FileLock(f"{path}.lock")
        try:
            lock.acquire(timeout=0)
        except Timeout:
            _waiting(path, "another run is writing")
            try:
                lock.acquire(timeout=_lock_timeout())
            except Timeout:
                raise WarehouseBusy(
                    f"warehouse {path} is still being written by another run; retry when it finishes"
                ) from None
        held.callback(lock.release)
        yield


def _in_recorded_run() -> bool:
    """Inside a flow run a Prefect server records. Prefect is loaded by then; a command that is
    not a flow (a single-lead action, a sanction) never loads it, and its write of a few
    milliseconds queues on the lock file alone."""
    context = sys.modules.get("prefect.context")
    return context is not None and context.FlowRunContext.get() is not None


def _take_write_slot(held: ExitStack) -> None:
    """The `warehouse-write` slot for as long as `held` lasts; a limit the server lacks, or a
    server that does not answer, is one line saying how to fix it."""
    from prefect.concurrency.asyncio import ConcurrencySlotAcquisitionError
    from prefect.concurrency.sync import concurrency
    from prefect.settings import PREFECT_API_URL

    server = PREFECT_API_URL.value()

    try:
        held.enter_context(concurrency(WRITE_SLOT, occupy=1, strict=True))
    except ConcurrencySlotAcquisitionError as exc:
        if exc.__cause__ is None:  # the server answered: it has no such limit
            raise PipelineError(
                f"the Prefect server {server} has no global concurrency limit {WRITE_SLOT!r} "
                f"(it keeps writers one at a time); create it with `pp server setup` "
                f"or `prefect gcl create {WRITE_SLOT} --limit 1`"
            ) from None
        raise PipelineError(
            f"cannot take the {WRITE_SLOT!r} slot on the Prefect server {server}: {exc.__cause__}; "
            "start the server, or unset PREFECT_API_URL to work without it"
        ) from None


def _connect(path: Path, *, read_only: bool, memory_limit: str | None = None) -> Connection:
    if read_only and not path.exists():
        raise PipelineError(f"warehouse {path} does not exist; create it with `pp init`")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        config: dict[str, str | bool | int | float | list[str]] = (
            {"memory_limit": memory_limit} if memory_limit else {}
        )
        con = duckdb.connect(str(path), read_only=read_only, config=config)
    except duckdb.IOException as exc:
        if _LOCKED.search(str(exc)):
            raise WarehouseBusy(
                f"warehouse {path} is in use by another process; retry when it finishes"
            ) from exc
        raise PipelineError(f"cannot open warehouse {path}: {exc}") from exc
    run(con, "SET TimeZone = 'UTC'")
    return con


@contextmanager
def transaction(path: Path, *, memory_limit: str | None = None) -> Iterator[Connection]:
    """One writer transaction: everything inside commits together or not at all.

    `memory_limit` caps DuckDB's buffers (it spills beyond), so a large feed's memory stays
    bounded instead of growing with the uncommitted transaction."""
    with write_lock(path):
        con = _open(path, read_only=False, memory_limit=memory_limit)
        try:
            con.begin()
            yield con
            con.commit()
        except BaseException as exc:
            # A failed commit may already have ended the transaction, or DuckDB may have
            # invalidated the database: the cause is what the user must see, not the rollback.
            with suppress(duckdb.Error):
                con.rollback()
            if _no_space(exc):
                raise PipelineError(
                    f"no space left on the device of warehouse {path} (or of the temporary folder "
                    f"{tempfile.gettempdir()}); nothing was written: free some space and run it again"
                ) from exc
            raise
        finally:
            with suppress(duckdb.Error):
                con.close()
        _publish_snapshot(path)


SNAPSHOT_SUFFIX = ".snapshot"  # the analysts' copy beside the warehouse: pp.duckdb.snapshot


def snapshot_path(path: Path) -> Path:
    return path.with_name(path.name + SNAPSHOT_SUFFIX)


def _publish_snapshot(path: Path) -> None:
    """After a committed write, still holding the write lock: refresh the analysts' snapshot
    when it is older than `PP_SNAPSHOT_SECONDS` (never, when that is unset). A snapshot that
    cannot be written is logged; the write it follows has committed all the same."""
    from schemas.settings import load_settings

    every = load_settings().snapshot_seconds
    target = snapshot_path(path)
    if every is None or (target.exists() and time.time() - target.stat().st_mtime < every):
        return
    try:
        refresh_snapshot(path)
    except (OSError, duckdb.Error) as exc:
        log.warning("warehouse %s: snapshot for readers not refreshed (%s)", path, type(exc).__name__)


def refresh_snapshot(path: Path) -> Path:
    """Copy the warehouse, whole and checkpointed, to its snapshot; call it under the write
    lock. Readers of the snapshot never hold the warehouse: a writer never waits for them, and
    one that has the old snapshot open keeps reading it (the new one replaces it by rename)."""
    if Path(f"{path}.wal").exists():  # what the last writer left in the WAL goes into the file
        con = _open(path, read_only=False)  # waits for a reader of the live file, then one line
        try:
            run(con, "CHECKPOINT")
        finally:
            con.close()
    target = snapshot_path(path)
    handle, aside = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    os.close(handle)
    try:
        shutil.copyfile(path, aside)
        os.replace(aside, target)
    finally:
        Path(aside).unlink(missing_ok=True)
    return target


@contextmanager
def analyst_reader(path: Path) -> Iterator[tuple[Connection, datetime]]:
    """A read-only connection to the snapshot, made fresh first if the warehouse changed since,
    and the instant the snapshot was taken. Without snapshots (`PP_SNAPSHOT_SECONDS` unset)
    the warehouse itself is read, as of now."""
    from schemas.settings import load_settings

    if load_settings().snapshot_seconds is None:
        with reader(path) as con:
            yield con, datetime.now(UTC)
        return
    if not path.exists():
        raise PipelineError(f"warehouse {path} does not exist; create it with `pp init`")
    target = snapshot_path(path)
    if not target.exists() or target.stat().st_mtime < path.stat().st_mtime:
        with write_lock(path):
            try:
                refresh_snapshot(path)
            except OSError as exc:
                raise PipelineError(
                    f"cannot refresh the snapshot {target} for readers: {exc.strerror or exc}; "
                    "free some space or set PP_SNAPSHOT_SECONDS= (empty) to read the warehouse itself"
                ) from None
    taken = datetime.fromtimestamp(target.stat().st_mtime, UTC)
    with reader(target) as con:
        yield con, taken


def _no_space(exc: BaseException | None) -> bool:
    """A full disk, however it surfaced: an OS error, or DuckDB's or polars' text of it."""
    while exc is not None:
        if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
            return True
        if "No space left on device" in str(exc):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


@contextmanager
def reader(path: Path) -> Iterator[Connection]:
    """A read-only connection, held only as long as the block."""
    con = _open(path, read_only=True)
    try:
        yield con
    finally:
        con.close()


def schema_version(con: Connection) -> int:
    exists = scalar(con, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'")
    if not exists:
        return 0
    return int(scalar(con, "SELECT coalesce(max(version), 0) FROM schema_version"))


def migrate(con: Connection) -> list[int]:
    """(Re)create the rule macros, which the migrations' views call, then apply the
    migrations the file has not seen yet; returns the versions applied."""
    run(
        con,
        "CREATE TABLE IF NOT EXISTS schema_version "
        "(version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)",
    )
    for statement in rules.macro_statements():
        run(con, statement)
    current = schema_version(con)
    applied = []
    for version, text in migrations():
        if version <= current:
            continue
        run(con, text)
        run(con, "INSERT INTO schema_version VALUES (?, ?)", [version, datetime.now(UTC)])
        applied.append(version)
    return applied


def require_schema(con: Connection, path: Path) -> None:
    """Refuse to work on a file `pp init` has not prepared or has not migrated yet."""
    latest = migrations()[-1][0]
    current = schema_version(con)
    if current == 0:
        raise PipelineError(f"warehouse {path} is not initialised; run `pp init` first")
    if current < latest:
        raise PipelineError(
            f"warehouse {path} is at schema version {current}, this pp needs {latest}; "
            "run `pp init` to migrate it"
        )
    if _rules_digest(con) != rules.DIGEST:
        raise PipelineError(
            f"warehouse {path} holds the rules of another pp version; run `pp init` to update them"
        )


def _rules_digest(con: Connection) -> str | None:
    """The digest of the rule macros `pp init` last wrote into the file."""
    try:
        return str(scalar(con, "SELECT rules_digest()"))
    except duckdb.CatalogException:
        return None


def run(con: Connection, statement: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> None:
    """Execute a statement to completion (DuckDB refuses new work while a result is unread)."""
    con.execute(statement, params).fetchall()


def run_script(con: Connection, script: str, params: Mapping[str, Any] | None = None) -> None:
    """Run a `;`-separated SQL file statement by statement (DuckDB binds parameters only in a
    single statement), each with the named parameters it uses."""
    params = params or {}
    code = "\n".join(line for line in script.splitlines() if not line.lstrip().startswith("--"))
    for statement in (part.strip() for part in code.split(";\n")):
        if statement.strip(";").strip():
            used = {k: v for k, v in params.items() if f"${k}" in statement}
            run(con, statement, used)


def frame(con: Connection, query: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> pl.DataFrame:
    """Run a parameterised query and return a polars frame."""
    return con.sql(query, params=params or None).pl()


def scalar(con: Connection, query: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> Any:
    rows = con.execute(query, params).fetchall()
    return rows[0][0] if rows else None


def insert(con: Connection, table: str, rows: pl.DataFrame) -> int:
    """Append a frame to a table by column name; returns the rows written.

    The frame goes through a temporary Parquet file: DuckDB keeps Arrow data registered into
    a transaction alive until commit, so a big feed's batches would pile up in memory, while
    rows read from a file live in DuckDB's own (spillable) buffers."""
    if rows.is_empty():
        return 0
    with staged(incoming=rows) as files:
        run(con, f'INSERT INTO "{table}" BY NAME SELECT * FROM read_parquet($incoming)', files)
    return rows.height


@contextmanager
def staged(**frames: pl.DataFrame) -> Iterator[dict[str, str]]:
    """Frames as temporary Parquet files, for queries to read with `read_parquet($name)`.

    DuckDB keeps Arrow data registered into a transaction alive until it commits, even
    after a read-only query; a file read by the query itself leaves nothing behind."""
    with tempfile.TemporaryDirectory(prefix="pp-stage-") as folder:
        paths = {}
        for name, data in frames.items():
            path = Path(folder) / f"{name}.parquet"
            data.write_parquet(path, compression="uncompressed", statistics=False)
            paths[name] = str(path)
        yield paths
