"""The landing flow (`pp ingest-landing ROOT`): every file dropped into a source folder is
ingested once, oldest first, then moved to done/, or to failed/ with its one-line error beside it.

What to take and where it goes is decided in `tasks.landing`; the file system is touched
only here. Two runs at once never take the same file: each claims a file by renaming it into
a claim folder of its own (a rename is atomic on one file system), and a run that finds the
file gone leaves it to the run that took it. Nothing is overwritten: a name already taken in
done/ or failed/ gets a number."""

from __future__ import annotations

import errno
import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

from flows.activity import apply_activity, check_activity_file
from flows.billing import check_billing_file, ingest_billing
from flows.engine import pipeline_flow
from flows.ingest import check_feed, ingest_feed
from flows.outcomes import publish_table
from flows.runtime import run_as_of, run_name
from schemas.errors import PipelineError, WarehouseBusy
from schemas.rules import source_rules
from schemas.settings import load_settings
from tasks.landing import (
    ACTIVITY,
    BILLING,
    CLAIM_GRACE,
    DONE,
    ERROR_SUFFIX,
    FAILED,
    Dropped,
    Entry,
    Outcome,
    Parts,
    Stat,
    claim_parts,
    numbered_names,
    outcome_counts,
    settled,
    summary_row,
    survey,
    unexpected_error_line,
    worth_listing,
)
from warehouse import store
from warehouse.locator import Warehouse

# Where a file system has no hard links (some network shares), a move checks the name is
# free and renames: only a run racing for the very same name in the same instant could lose.
_NO_HARD_LINKS = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK, errno.EXDEV}


def landing_sources() -> list[str]:
    """The folder names a landing root may hold: the Appendix 1 source codes, `billing` and
    `activity`."""
    return [*source_rules(), BILLING, ACTIVITY]


def check_landing_root(root: Path) -> Path:
    """The landing folder must exist: a mistyped path is the user's to fix, not an empty run."""
    if not root.is_dir():
        raise PipelineError(
            f"landing folder {root} does not exist or is not a folder; create it with one folder "
            f"per source, e.g. {root / 'call_base'}"
        )
    try:
        os.listdir(root)
    except OSError as exc:
        raise PipelineError(
            f"landing folder {root} cannot be read ({exc.strerror}); check its permissions"
        ) from None
    return root


def _listing(root: Path, sources: list[str]) -> list[Entry]:
    """Every file and folder the survey needs, skipping what vanishes while it looks
    (another run claiming a file). Symbolic links are no one's drop and are not listed."""
    entries: list[Entry] = []
    pending: list[Parts] = [()]
    while pending:
        parts = pending.pop()
        try:
            with os.scandir(root.joinpath(*parts)) as listing:
                items = list(listing)
        except FileNotFoundError:
            continue
        for item in items:
            try:
                if item.is_symlink():
                    continue
                info = item.stat(follow_symlinks=False)
                is_dir = item.is_dir(follow_symlinks=False)
            except FileNotFoundError:
                continue
            child = (*parts, item.name)
            entries.append(Entry(child, is_dir, Stat(info.st_size, info.st_mtime_ns)))
            if is_dir and worth_listing(child, sources):
                pending.append(child)
    return entries


def _look(root: Path, files: list[Dropped]) -> dict[Parts, Stat]:
    """Size and mtime of each file now; a file gone since the listing is absent."""
    stats: dict[Parts, Stat] = {}
    for file in files:
        try:
            info = os.stat(root.joinpath(*file.parts), follow_symlinks=False)
        except FileNotFoundError:
            continue
        stats[file.parts] = Stat(info.st_size, info.st_mtime_ns)
    return stats


def _claim(root: Path, file: Dropped, claim: str) -> Path | None:
    """Take the file for this run, or None when another run took it first."""
    held = root.joinpath(*claim_parts(file, claim))
    held.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.rename(root.joinpath(*file.parts), held)
    except OSError as exc:
        _remove_empty(held.parent, root / file.source)
        if isinstance(exc, FileNotFoundError):
            return None
        raise
    return held


def _remove_empty(folder: Path, stop: Path) -> None:
    """Remove a claim folder left empty, and its empty parents up to `.processing` itself."""
    while folder != stop and folder.parent != stop:
        try:
            folder.rmdir()
        except OSError:  # not empty, or already gone
            return
        folder = folder.parent


def _move_new(source: Path, target: Path) -> bool:
    """Move `source` to `target` unless that name is taken; False, and nothing moved, if it is."""
    try:
        os.link(source, target)
    except FileExistsError:
        return False
    except OSError as exc:
        if exc.errno not in _NO_HARD_LINKS:
            raise
        if target.exists():
            return False
        os.rename(source, target)
        return True
    os.unlink(source)
    return True


def _move_aside(held: Path, folder: Path, error: str | None = None) -> Path:
    """Move a file into `folder` under its name or the first numbered one free; with `error`,
    `<name>.error.txt` beside it holds that line. Neither overwrites anything."""
    note: Path | None = None
    try:
        folder.mkdir(exist_ok=True)
        if error is not None:
            with tempfile.NamedTemporaryFile(
                "w", encoding="utf-8", dir=folder, prefix=".", suffix=".tmp", delete=False
            ) as handle:
                note = Path(handle.name)
                handle.write(error + "\n")
        current = held
        for name in numbered_names(held.name):
            error_file = folder / f"{name}{ERROR_SUFFIX}"
            if (note is not None and error_file.exists()) or not _move_new(current, folder / name):
                continue
            current = folder / name
            if note is None or _move_new(note, error_file):
                return current
        raise AssertionError("numbered names never run out")
    except OSError as exc:  # every later file would fail alike: the run stops, the file stays claimed
        raise PipelineError(
            f"cannot move {held.name} into {folder} ({exc.strerror}); check the landing folder's permissions"
        ) from None
    finally:
        if note is not None:
            note.unlink(missing_ok=True)


def _ingest(held: Path, file: Dropped, as_of: datetime, warehouse: Warehouse) -> dict[str, Any]:
    """The file's own flow as a sub-flow, after the same checks the CLI makes."""
    if file.source == BILLING:
        check_billing_file(held, warehouse=warehouse)
        return ingest_billing(path=str(held), as_of=as_of, warehouse=str(warehouse))
    if file.source == ACTIVITY:
        check_activity_file(held, warehouse=warehouse)
        return apply_activity(path=str(held), as_of=as_of, warehouse=str(warehouse))
    check_feed(held, source=file.source, product=file.product, sc_id=None, warehouse=warehouse)
    return ingest_feed(
        path=str(held), source=file.source, product=file.product, as_of=as_of, warehouse=str(warehouse)
    )


def _land(root: Path, file: Dropped, held: Path, as_of: datetime, warehouse: Warehouse) -> dict[str, Any]:
    """Ingest one claimed file and move it on; its failure is its own, never the run's."""
    error: str
    try:
        result = _ingest(held, file, as_of, warehouse)
    except WarehouseBusy:
        raise
    except PipelineError as exc:
        error = str(exc)
    except Exception as exc:
        error = unexpected_error_line(exc)
    else:
        moved = _move_aside(held, root / file.source / DONE)
        if result["already_loaded"]:
            return summary_row(
                file,
                Outcome.ALREADY_INGESTED,
                result={"feed_id": result["feed_id"]},
                detail=f"nothing changed; moved to {DONE}/{moved.name}",
            )
        return summary_row(file, Outcome.INGESTED, result=result, detail=f"moved to {DONE}/{moved.name}")
    moved = _move_aside(held, root / file.source / FAILED, error)
    return summary_row(file, Outcome.FAILED, detail=f"{error} (moved to {FAILED}/{moved.name})")


def _put_back(root: Path, file: Dropped, held: Path) -> None:
    """A claimed file the run could not load (the warehouse was busy) returns to its folder."""
    home = root.joinpath(file.source, *(() if file.product is None else (file.product,)))
    home.mkdir(exist_ok=True)
    _move_aside(held, home)


@pipeline_flow(name="ingest-landing", flow_run_name=run_name("landing", "root"), timeout_seconds=3600)
def ingest_landing(root: str, as_of: datetime | None = None, warehouse: str | None = None) -> dict[str, Any]:
    """Ingest every settled file under ROOT/<source>/[<product>/] once, oldest first; move each
    to done/ or failed/; publish the summary as the `landing` table artifact."""
    settings = load_settings(warehouse=warehouse)
    when = run_as_of(as_of)  # one instant for every file of the run
    base = check_landing_root(Path(root))
    with store.reader(settings.warehouse) as con:  # an unprepared warehouse fails the run, not each file
        store.require_schema(con, settings.warehouse)
    sources = landing_sources()
    found = survey(_listing(base, sources), sources, now_ns=time.time_ns(), grace=CLAIM_GRACE)
    if found.candidates:
        time.sleep(settings.landing_settle_seconds)
    ready, moving = settled(found.candidates, [_look(base, found.candidates)])
    rows = [summary_row(None, Outcome.LEFT_ALONE, shown=where, detail=why) for where, why in found.left_alone]
    rows += [summary_row(f, Outcome.WAITING, detail="still being written") for f in found.waiting + moving]
    run = f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{uuid4().hex[:8]}"
    for number, file in enumerate(ready, start=1):
        try:
            held = _claim(base, file, f"{run}-{number}")
        except OSError as exc:
            rows.append(summary_row(file, Outcome.LEFT_ALONE, detail=f"cannot take it: {exc.strerror}"))
            continue
        if held is None:  # another run took it: that run reports it
            continue
        try:
            rows.append(_land(base, file, held, when, settings.warehouse))
        except WarehouseBusy as exc:  # every later file would wait as long: all are left for the next run
            _put_back(base, file, held)
            _remove_empty(held.parent, base / file.source)
            rows += [summary_row(f, Outcome.WAITING, detail=str(exc)) for f in ready[number - 1 :]]
            break
        _remove_empty(held.parent, base / file.source)
    for claim in found.stale_claims:
        for product_folder in base.joinpath(*claim).glob("*/"):
            _remove_empty(product_folder, base / claim[0])
        _remove_empty(base.joinpath(*claim), base / claim[0])
    tally = outcome_counts(rows)
    if rows:
        publish_table(
            "landing", rows, f"Landing {base}: " + ", ".join(f"{n} {what}" for what, n in tally.items())
        )
    return {"root": str(base), "files": rows, "outcomes": tally}
