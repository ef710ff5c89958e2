"""The only module that knows DuckDB: connections, transactions, migrations, frame I/O.

Two backends run the same SQL: the embedded DuckDB file (one writer at a time, under the lock
file beside it) and a DuckLake whose catalog is a PostgreSQL database (many writers, each
commit optimistic: a writer whose commit conflicts runs its whole transaction again; see
`write_attempts`). What DuckLake's tables lack (keys, CHECK constraints) is stripped from the
migrations in `lake_ddl` and checked before every lake commit (`broken_constraints`)."""

from __future__ import annotations

import errno
import logging
import os
import random
import re
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from importlib.resources import files
from importlib.util import find_spec
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import duckdb
from filelock import FileLock, Timeout

from schemas.errors import PipelineError, WarehouseBusy
from warehouse import rules
from warehouse.locator import (
    LAKE_PREFIX,
    FileWarehouse,
    LakeWarehouse,
    Warehouse,
    attach_conninfo,
    locate,
    mask,
)

if TYPE_CHECKING:  # frames come and go as values: the single-lead commands never load polars
    import polars as pl

DDL = files("warehouse") / "ddl"
SQL = files("warehouse") / "sql"
_LOCKED = re.compile(r"\block\b|conflicting", re.IGNORECASE)  # a lock, not a "block" of the file

Connection = duckdb.DuckDBPyConnection
WRITE_SLOT = "warehouse-write"  # the Prefect global concurrency limit writers take (limit 1)
LAKE = "pp_lake"  # the name a lake is attached under, and the connection's default catalog
# What the writers that take ids (max + 1) or skip what is already there claim, one row each
# of `write_claims`, in the transaction that does it: on a lake two of them that overlap in
# time both update the table, so the second one's commit conflicts and it runs again, on a
# snapshot that sees the first one's rows (two plain inserts would both commit).
CLAIMS = ("feeds", "leads", "notifications", "sanctions", "sla_breaches")
_CONFLICT = re.compile(r"conflict", re.IGNORECASE)
_NEWER_FILE = re.compile(r"created with an? newer version of DuckDB", re.IGNORECASE)
log = logging.getLogger(__name__)

Where = Warehouse | Path  # a Path is a file warehouse (what tests and benches hold)


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


def _open(
    where: Where, *, read_only: bool, memory_limit: str | None = None, snapshot: int | None = None
) -> Connection:
    """A connection to the warehouse. A lake is opened at once (its readers never wait); a
    file, waiting while another process holds it (DuckDB lets no reader in while a writer
    has it, and no writer while readers do), up to `PP_LOCK_TIMEOUT_SECONDS`."""
    where = locate(where)
    if isinstance(where, LakeWarehouse):
        return _connect_lake(where, read_only=read_only, memory_limit=memory_limit, snapshot=snapshot)
    if snapshot is not None:
        raise PipelineError(
            f"warehouse {where} is a DuckDB file, which keeps no snapshots; "
            "--as-of-snapshot reads a lake (ducklake:postgres:…)"
        )
    path = where.path
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
def write_lock(where: Where) -> Iterator[None]:
    """One writer at a time on a file: a Prefect global concurrency slot (`warehouse-write`)
    inside a flow run a server records, so runs on many workers queue in Prefect, and always a
    lock file beside the warehouse, which every writer takes, so commands queue too. A second
    writer waits its turn and says so, instead of failing on DuckDB's file lock. A server
    without the limit is a setup error: Prefect would otherwise let every writer through.
    A lake needs neither (its writers commit optimistically); it takes the slot only with
    `PP_LAKE_WRITE_SLOT` set, to keep recorded runs one at a time all the same."""
    where = locate(where)
    with ExitStack() as held:
        if isinstance(where, LakeWarehouse):
            if _in_recorded_run() and _settings().lake_write_slot:
                _take_write_slot(held)
            yield
            return
        path = where.path
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
        if _NEWER_FILE.search(str(exc)):
            raise PipelineError(
                f"warehouse {path} was written by a newer DuckDB than this pp's {duckdb.__version__}; "
                "keep using the pp that wrote it, or copy it into this DuckDB's format with that pp's "
                "DuckDB (ATTACH … (STORAGE_VERSION 'v1.5.0') and COPY FROM DATABASE; README, 0.8.0) "
                "and run `pp init`"
            ) from None
        raise PipelineError(f"cannot open warehouse {path}: {exc}") from exc
    run(con, "SET TimeZone = 'UTC'")
    return con


def _settings() -> Any:
    from schemas.settings import load_settings

    return load_settings()


@cache
def _extension(package: str, name: str) -> str:
    """The extension binary inside its installed wheel: DuckDB never downloads one here."""
    spec = find_spec(package)
    binary = None
    if spec is not None and spec.origin is not None:
        binary = (
            Path(spec.origin).parent / "extensions" / f"v{duckdb.__version__}" / f"{name}.duckdb_extension"
        )
    if binary is None or not binary.is_file():
        wheel = package.replace("_", "-")
        raise PipelineError(
            f"the DuckDB extension {name} for duckdb {duckdb.__version__} is not installed; "
            f"install {wheel}=={duckdb.__version__} (a dependency of pp) to use a lake warehouse"
        )
    return str(binary)


def _connect_lake(
    lake: LakeWarehouse, *, read_only: bool, memory_limit: str | None, snapshot: int | None
) -> Connection:
    """A connection to the lake, in use: its own transactions, on the process's DuckDB that has
    the extensions loaded and the lake attached (`_attached`), which later connections share
    (loading and attaching again costs a tenth of a second each time). At `snapshot`, or in
    `pp init` (`_creating`), a DuckDB of its own, closed with the connection."""
    key = (lake, read_only, memory_limit)
    if snapshot is not None or _creating.get(lake):
        own = _attach_lake(lake, read_only=read_only, memory_limit=memory_limit, snapshot=snapshot)
        try:
            _use_lake(own)
        except BaseException:
            own.close()
            raise
        return own
    with _attaching:
        if (database := _attached.get(key)) is None:
            database = _attach_lake(lake, read_only=read_only, memory_limit=memory_limit, snapshot=None)
            for other in [other for other in _attached if other[0] != lake]:
                del _attached[other]  # a process works on one lake; the other's goes with its last user
            _attached[key] = database
    try:
        con = database.cursor()
        _use_lake(con)
    except duckdb.Error:
        forget_lake(lake)  # the next connection attaches afresh
        raise
    return con


_attached: dict[tuple[LakeWarehouse, bool, str | None], Connection] = {}  # see `_connect_lake`
_attaching = threading.Lock()


def forget_lake(lake: LakeWarehouse | None = None) -> None:
    """The next connection to `lake` (to any, without one) attaches it afresh: after a failure
    that may have left the shared DuckDB unusable, or before its catalog's server stops. The
    connections open on the old one keep it until they close."""
    with _attaching:
        for key in [key for key in _attached if lake is None or key[0] == lake]:
            del _attached[key]


_lake_writers: set[Connection] = set()  # the lake transactions under way in this process


def _done_writing(con: Connection) -> None:
    """A lake transaction ended: the last one under way empties the query log (kept for
    `_written_tables`), which would otherwise grow as long as the process lives."""
    with _attaching:
        _lake_writers.discard(con)
        if not _lake_writers:
            run(con, "CALL truncate_duckdb_logs()")


def _use_lake(con: Connection) -> None:
    run(con, f"USE {LAKE}")
    run(con, "SET TimeZone = 'UTC'")


def _attach_lake(
    lake: LakeWarehouse, *, read_only: bool, memory_limit: str | None, snapshot: int | None
) -> Connection:
    """An in-memory DuckDB with the lake attached: its catalog read from PostgreSQL, its data
    files from their folder; at `snapshot` (read-only) when one is given. A lake the catalog
    does not hold yet is created only by `pp init` (`_creating`), where DATA_PATH is
    `PP_LAKE_DATA_PATH`."""
    config: dict[str, str | bool | int | float | list[str]] = (
        {"memory_limit": memory_limit} if memory_limit else {}
    )
    # DuckDB checks a signed extension by hashing its whole binary (80 MB for these two) on
    # every LOAD, 0.3 s a connection; these come from the wheels the lock file pins (by hash),
    # beside DuckDB's own library, and pp loads no other.
    config["allow_unsigned_extensions"] = True
    con = duckdb.connect(":memory:", config=config)
    try:
        run(con, f"LOAD '{_extension('duckdb_extension_postgres_scanner', 'postgres_scanner')}'")
        run(con, f"LOAD '{_extension('duckdb_extension_ducklake', 'ducklake')}'")
        options = []
        if _creating.get(lake):
            options.append(f"DATA_PATH {_literal(str(_creating[lake]).rstrip('/') + '/')}")
        if read_only or snapshot is not None:
            options.append("READ_ONLY")
        if snapshot is not None:
            options.append(f"SNAPSHOT_VERSION {int(snapshot)}")
        target = _literal(LAKE_PREFIX + attach_conninfo(lake))
        attach = f"ATTACH {target} AS {LAKE}" + (f" ({', '.join(options)})" if options else "")
        try:
            run(con, attach)
        except duckdb.Error as exc:
            raise _lake_open_error(lake, exc, snapshot) from None
        if not read_only:  # what a commit checks (`_written_tables`)
            run(con, "CALL enable_logging('QueryLog')")
    except BaseException:
        con.close()
        raise
    return con


_creating: dict[LakeWarehouse, Path] = {}  # lakes `pp init` may create, with their data folder


@contextmanager
def creating(where: Where) -> Iterator[None]:
    """Within the block (`pp init`), a lake the catalog does not hold yet is created, its
    data files under `PP_LAKE_DATA_PATH`; elsewhere such a lake is "not initialised"."""
    where = locate(where)
    if not isinstance(where, LakeWarehouse):
        yield
        return
    folder = _settings().lake_data_path
    if folder is None:
        raise PipelineError(
            "PP_LAKE_DATA_PATH is not set; name the folder (on storage every worker shares) "
            "that is to hold the lake's data files"
        )
    folder.mkdir(parents=True, exist_ok=True)
    _creating[where] = folder.resolve()
    try:
        yield
    finally:
        _creating.pop(where, None)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _lake_open_error(lake: LakeWarehouse, exc: duckdb.Error, snapshot: int | None) -> PipelineError:
    """DuckLake's and libpq's reasons, as one line that says what to do (and no password)."""
    text = mask(str(exc)).replace("\n", " ")
    if "No snapshot found" in text:
        return PipelineError(
            f"warehouse {lake} has no snapshot {snapshot} (expired, or never taken); "
            "give one the lake still keeps (`pp maintain-lake` expires the old ones)"
        )
    if "data_path is not set" in text or "does not exist - and creating" in text:
        return PipelineError(f"warehouse {lake} is not initialised; run `pp init` first")
    if "does not match existing data path" in text:
        return PipelineError(
            f"PP_LAKE_DATA_PATH does not name the data folder warehouse {lake} was created with; "
            "unset it or give that folder"
        )
    return PipelineError(f"cannot open warehouse {lake}: {text}")


@contextmanager
def transaction(where: Where, *, memory_limit: str | None = None) -> Iterator[Connection]:
    """One writer transaction: everything inside commits together or not at all. On a lake a
    commit may conflict with another writer's (`WriteConflict`): writers use `write_attempts`,
    which runs the transaction again; this is its single attempt.

    `memory_limit` caps DuckDB's buffers (it spills beyond), so a large feed's memory stays
    bounded instead of growing with the uncommitted transaction."""
    where = locate(where)
    with write_lock(where):
        con = _open(where, read_only=False, memory_limit=memory_limit)
        lake = where if isinstance(where, LakeWarehouse) else None
        if lake:
            _lake_writers.add(con)
        try:
            con.begin()
            yield con
            if isinstance(where, LakeWarehouse):
                _refuse_broken_constraints(con, where, _written_tables(con))
            con.commit()
        except BaseException as exc:
            # A failed commit may already have ended the transaction, or DuckDB may have
            # invalidated the database: the cause is what the user must see, not the rollback.
            with suppress(duckdb.Error):
                con.rollback()
            if lake and isinstance(exc, duckdb.Error) and not _is_conflict(exc):
                forget_lake(lake)  # the failure may have invalidated the shared DuckDB
            if _no_space(exc):
                raise PipelineError(
                    f"no space left on the device of warehouse {where} (or of the temporary folder "
                    f"{tempfile.gettempdir()}); nothing was written: free some space and run it again"
                ) from exc
            if isinstance(where, LakeWarehouse) and _is_conflict(exc):
                raise WriteConflict(f"warehouse {where}: {mask(str(exc)).splitlines()[0]}") from exc
            raise
        finally:
            with suppress(duckdb.Error):
                if lake:
                    _done_writing(con)
                con.close()
        if isinstance(where, FileWarehouse):
            _publish_snapshot(where.path)


class WriteConflict(WarehouseBusy):
    """Another writer committed to the lake what this transaction also touched: run it again."""


def _is_conflict(exc: BaseException) -> bool:
    return isinstance(exc, duckdb.TransactionException) and bool(_CONFLICT.search(str(exc)))


@dataclass
class WriteAttempt:
    """One run of a writer's transaction (`with attempt as con:`); a conflict at its commit
    is kept, not raised, so that `write_attempts` runs the body again."""

    where: Warehouse
    memory_limit: str | None
    conflict: WriteConflict | None = None
    _held: ExitStack = field(default_factory=ExitStack)

    def __enter__(self) -> Connection:
        return self._held.enter_context(transaction(self.where, memory_limit=self.memory_limit))

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, trace: TracebackType | None
    ) -> bool:
        try:
            self._held.__exit__(kind, exc, trace)
        except WriteConflict as conflict:
            self.conflict = conflict
            return True
        return False


def write_attempts(where: Where, *, memory_limit: str | None = None) -> Iterator[WriteAttempt]:
    """A writer's transaction, as often as it takes:

        for attempt in store.write_attempts(where):
            with attempt as con:
                ...  # the whole transaction

    A file has one attempt (its writers take turns). On a lake, an attempt whose commit
    conflicts with another writer's is rolled back and the body runs again on the newer
    snapshot, after a growing pause with jitter, up to `PP_LAKE_WRITE_RETRIES` times; the
    body must be a transaction and nothing else (what it wrote is gone with the rollback).
    It may `return` only before it wrote anything (a transaction that wrote nothing cannot
    conflict); after a write, a conflict at the commit would be lost with the return."""
    where = locate(where)
    retries = _settings().lake_write_retries if isinstance(where, LakeWarehouse) else 0
    pause = 0.05
    for number in range(retries + 1):
        attempt = WriteAttempt(where, memory_limit)
        yield attempt
        if attempt.conflict is None:
            return
        if number == retries:
            raise WriteConflict(
                f"{attempt.conflict}; gave up after {retries} retries (PP_LAKE_WRITE_RETRIES): "
                "other writers keep changing the same tables, run it again"
            ) from attempt.conflict
        log.info("warehouse %s: commit conflicted with another writer's; retry %d", where, number + 1)
        time.sleep(pause * random.uniform(0.5, 1.5))
        pause = min(pause * 2, 2.0)


def claim_writes(con: Connection, name: str) -> None:
    """Claim `name` (one of `CLAIMS`) for this transaction: on a lake a concurrent one that
    claims too conflicts at commit and runs again (see `CLAIMS`)."""
    if name not in CLAIMS:
        raise ValueError(f"{name!r} is not one of the write claims {CLAIMS}")
    run(con, "UPDATE write_claims SET serial = serial + 1 WHERE claim = ?", [name])


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
def analyst_reader(where: Where, *, snapshot: int | None = None) -> Iterator[tuple[Connection, datetime]]:
    """A read-only connection for analysts and the instant its data is of. On a lake: the lake
    itself (its snapshots make a copy needless, a reader never holds up a writer), as now, or
    as of its `snapshot` when one is given. On a file: the snapshot copy, made fresh first if
    the warehouse changed since; without snapshots (`PP_SNAPSHOT_SECONDS` unset) the
    warehouse itself, as of now."""
    from schemas.settings import load_settings

    where = locate(where)
    if isinstance(where, LakeWarehouse) or snapshot is not None:
        con = _open(where, read_only=True, snapshot=snapshot)
        try:
            taken = scalar(
                con,
                f"SELECT snapshot_time FROM {LAKE}.snapshots() WHERE snapshot_id = "
                f"coalesce(?, (SELECT id FROM {LAKE}.current_snapshot()))",
                [snapshot],
            )
            yield con, taken if snapshot is not None else datetime.now(UTC)
        finally:
            con.close()
        return
    path = where.path
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
def reader(where: Where) -> Iterator[Connection]:
    """A read-only connection, held only as long as the block."""
    con = _open(where, read_only=True)
    try:
        yield con
    finally:
        con.close()


def schema_version(con: Connection) -> int:
    exists = scalar(con, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'")
    if not exists:
        return 0
    return int(scalar(con, "SELECT coalesce(max(version), 0) FROM schema_version"))


def is_lake(con: Connection) -> bool:
    """The connection works on a lake (`_connect_lake` put it there)."""
    return scalar(con, "SELECT current_database()") == LAKE


def migrate(con: Connection) -> list[int]:
    """(Re)create the rule macros, which the migrations' views call, then apply the
    migrations the warehouse has not seen yet (on a lake as `lake_ddl` translates them);
    returns the versions applied. Every write claim gets its row."""
    ddl = lake_ddl if is_lake(con) else (lambda text: text)
    run(
        con,
        ddl(
            "CREATE TABLE IF NOT EXISTS schema_version "
            "(version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)"
        ),
    )
    for statement in rules.macro_statements():
        run(con, statement)
    current = schema_version(con)
    applied = []
    for version, text in migrations():
        if version <= current:
            continue
        run(con, ddl(text))
        run(con, "INSERT INTO schema_version VALUES (?, ?)", [version, datetime.now(UTC)])
        applied.append(version)
    run(
        con,
        "INSERT INTO write_claims SELECT name, 0 FROM unnest(?) AS c(name)"
        " WHERE name NOT IN (SELECT claim FROM write_claims)",
        [list(CLAIMS)],
    )
    return applied


# What DuckLake's tables cannot hold, as the migrations write it: a column's PRIMARY KEY or
# UNIQUE, a table's PRIMARY KEY (…) or UNIQUE (…), a CHECK (…) of either.
_KEY_WORDS = re.compile(r"\s+(PRIMARY\s+KEY|UNIQUE)\b(?!\s*\()", re.IGNORECASE)
_TABLE_KEY = re.compile(r",\s*(PRIMARY\s+KEY|UNIQUE)\s*\(([^)]*)\)", re.IGNORECASE)
_CHECK = re.compile(r"\bCHECK\s*\(", re.IGNORECASE)
_CREATE_TABLE = re.compile(r"CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)\s*\(", re.IGNORECASE)


def lake_ddl(text: str) -> str:
    """A migration as a lake takes it: without the keys and CHECK constraints DuckLake lacks
    (`lake_constraints` keeps them, for `broken_constraints` to check instead). Views,
    macros, NOT NULL and defaults are DuckLake's as they are DuckDB's."""
    text = _TABLE_KEY.sub("", text)
    text = _KEY_WORDS.sub("", text)
    while found := _CHECK.search(text):
        end = _closing(text, found.end() - 1)
        before = text[: found.start()].rstrip()
        start = len(before) - 1 if before.endswith(",") else len(before)  # a table's CHECK: its comma too
        text = text[:start] + text[end + 1 :]
    return text


def _closing(text: str, opening: int) -> int:
    """The index of the parenthesis that closes the one at `opening`."""
    depth = 0
    for index in range(opening, len(text)):
        depth += {"(": 1, ")": -1}.get(text[index], 0)
        if depth == 0:
            return index
    raise ValueError("unbalanced parentheses in a migration")


@cache
def lake_constraints() -> tuple[tuple[str, str, str], ...]:
    """Every key and CHECK of the migrations, as (table, kind, columns or condition): what a
    lake's tables do not enforce. Read from the migrations themselves, so nothing is re-typed."""
    found: list[tuple[str, str, str]] = []
    texts = [
        "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)",
        *(text for _, text in migrations()),
    ]
    for text in texts:
        code = "\n".join(line.split("--", 1)[0] for line in text.splitlines())
        for table in _CREATE_TABLE.finditer(code):
            body = code[table.end() : _closing(code, table.end() - 1)]
            name = table.group(1)
            for part in _columns(body):
                column = part.split()[0]
                if _CHECK.search(part):
                    check = _CHECK.search(part)
                    assert check is not None
                    found.append((name, "check", part[check.end() : _closing(part, check.end() - 1)]))
                if (key := _TABLE_KEY.match("," + part)) is not None:
                    found.append((name, "key", key.group(2).strip()))
                elif re.search(r"\b(PRIMARY\s+KEY|UNIQUE)\b", part, re.IGNORECASE):
                    found.append((name, "key", column))
    return tuple(found)


def _columns(body: str) -> list[str]:
    """The comma-separated parts of a CREATE TABLE's body (commas inside parentheses kept)."""
    parts, depth, start = [], 0, 0
    for index, char in enumerate(body):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(body[start:index].strip())
            start = index + 1
    parts.append(body[start:].strip())
    return [part for part in parts if part]


def broken_constraints(con: Connection, tables: set[str] | None = None) -> list[str]:
    """The keys and CHECK constraints of `lake_constraints` the warehouse's rows break, each
    said once (empty: none), on `tables` only when given. A file enforces them itself; on a
    lake every commit asks this of the tables it wrote, in one query."""
    checks = [
        (table, kind, what) for table, kind, what in lake_constraints() if tables is None or table in tables
    ]
    counts = [
        f'(SELECT count(*) FROM (SELECT 1 FROM "{table}" GROUP BY {what} HAVING count(*) > 1))'
        if kind == "key"
        else f'(SELECT count(*) FROM "{table}" WHERE NOT ({what}))'
        for table, kind, what in checks
    ]
    if not counts:
        return []
    found = con.execute(f"SELECT {', '.join(counts)}").fetchall()[0]
    return [
        f"{table}: {'duplicate ' + what if kind == 'key' else 'CHECK (' + what + ')'}"
        for (table, kind, what), count in zip(checks, found, strict=True)
        if count
    ]


_WRITES = re.compile(r"\b(INSERT|UPDATE|MERGE|COPY|CREATE|ALTER)\b", re.IGNORECASE)


@cache
def _constrained_table() -> re.Pattern[str]:
    """A name of a table that has a key or a CHECK, as a whole word of a statement."""
    names = sorted({table for table, _, _ in lake_constraints()})
    return re.compile(r"\b(" + "|".join(names) + r")\b", re.IGNORECASE)


def _written_tables(con: Connection) -> set[str]:
    """The constrained tables a lake transaction may have written: every one named by a
    statement that can write, of all its connection ran (DuckDB's query log, which
    `_connect_lake` keeps however a statement was sent). A table is written only by a
    statement that names it; a read that names one too only adds a check."""
    statements = con.execute(
        "SELECT message FROM duckdb_logs() JOIN duckdb_log_contexts() USING (context_id)"
        " WHERE type = 'QueryLog' AND connection_id = current_connection_id()"
        " AND transaction_id = current_transaction_id()"
    ).fetchall()
    return {
        name.lower()
        for (statement,) in statements
        if _WRITES.search(statement)
        for name in _constrained_table().findall(statement)
    }


def _refuse_broken_constraints(con: Connection, lake: LakeWarehouse, tables: set[str]) -> None:
    """Before a lake commit: a transaction that would break a key or a CHECK writes nothing."""
    if broken := broken_constraints(con, tables):
        raise PipelineError(
            f"warehouse {lake}: the transaction would break {'; '.join(broken)}; nothing was written"
        )


def require_schema(con: Connection, path: Where) -> None:
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
