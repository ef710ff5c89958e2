"""Landing folders (`pp ingest-landing ROOT`): which dropped files to take, in which order, and
where each goes afterwards. Pure functions over listings; the flow does the file system.

A landing root holds one folder per source (`ROOT/<source>/`, optionally with product
folders `ROOT/<source>/<product>/`). A run claims a file by renaming it into a folder of its
own under `ROOT/<source>/.processing/`, and afterwards moves it to `done/` or `failed/`."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from pathlib import PurePosixPath
from typing import Any

from schemas.text import printable

BILLING = "billing"
ACTIVITY = "activity"
WHOLE_FOLDERS = (BILLING, ACTIVITY)  # sources without product folders: their rows say it all
DONE, FAILED, PROCESSING = "done", "failed", ".processing"
ERROR_SUFFIX = ".error.txt"
# Names writers give a file until it is whole (browsers, rsync, editors), and Office's lock files.
TEMPORARY_SUFFIXES = (".part", ".partial", ".tmp")
LOCK_PREFIX = "~$"
# A claim older than this belongs to a run that was killed: the next run takes its file again
# (ingest is idempotent by SHA-256, so a file loaded before the kill changes nothing).
CLAIM_GRACE = timedelta(hours=1)


class Outcome(StrEnum):
    INGESTED = "ingested"
    ALREADY_INGESTED = "already ingested"
    FAILED = "failed"
    WAITING = "waiting"  # left for the next run
    LEFT_ALONE = "left alone"  # no feed: never taken


Parts = tuple[str, ...]  # a path relative to the landing root, one name per level


@dataclass(frozen=True)
class Stat:
    """What two looks at a file compare: a file still being written changes one of them."""

    size: int
    mtime_ns: int


@dataclass(frozen=True)
class Entry:
    """One file or folder of a landing listing."""

    parts: Parts
    is_dir: bool
    stat: Stat


@dataclass(frozen=True)
class Dropped:
    """A file to ingest: where it lies now, and the source and product its folders say."""

    source: str
    product: str | None
    parts: Parts
    stat: Stat

    @property
    def name(self) -> str:
        return self.parts[-1]

    @property
    def shown(self) -> str:
        """The file as a person finds it: `source/[product/]name`, wherever it is claimed."""
        return "/".join(p for p in (self.source, self.product, self.name) if p is not None)


@dataclass
class Survey:
    """What a listing of the landing root holds."""

    candidates: list[Dropped] = field(default_factory=list)  # in arrival order
    waiting: list[Dropped] = field(default_factory=list)  # temporary names: still being written
    left_alone: list[tuple[str, str]] = field(default_factory=list)  # (folder or file, why)
    stale_claims: list[Parts] = field(default_factory=list)  # claim folders of killed runs


def is_hidden(name: str) -> bool:
    """Hidden files (`.DS_Store`) and Office lock files (`~$book.xlsx`) are never feeds."""
    return name.startswith((".", LOCK_PREFIX))


def is_temporary(name: str) -> bool:
    return name.lower().endswith(TEMPORARY_SUFFIXES)


def worth_listing(parts: Parts, sources: Iterable[str]) -> bool:
    """The folders whose contents the survey needs: never done/ and failed/, which only grow."""
    if parts[0] not in set(sources) or len(parts) > 4:
        return False
    if len(parts) == 1:
        return True
    if parts[1] == PROCESSING:
        return True
    return (
        len(parts) == 2
        and parts[0] not in WHOLE_FOLDERS
        and not is_hidden(parts[1])
        and parts[1] not in (DONE, FAILED)
    )


def survey(entries: Iterable[Entry], sources: Iterable[str], *, now_ns: int, grace: timedelta) -> Survey:
    """Sort a listing into files to take, files to leave for the next run, and what is no feed.

    `sources` are the folder names taken: the Appendix 1 source codes, `billing` and `activity`."""
    known = set(sources)
    listed = list(entries)
    found = Survey()
    claim_age = _claim_ages(listed, now_ns)
    stale = {claim for claim, age in claim_age.items() if age > grace.total_seconds() * 1e9}
    found.stale_claims = sorted(stale)
    for entry in listed:
        parts, name = entry.parts, entry.parts[-1]
        if len(parts) == 1:
            if entry.is_dir and name not in known and not is_hidden(name):
                expected = ", ".join(sorted(known))
                found.left_alone.append((f"{name}/", f"not a source folder; expected one of {expected}"))
            elif not entry.is_dir and not is_hidden(name):
                found.left_alone.append((name, "not in a source folder; move it into ROOT/<source>/"))
            continue
        if parts[1] == PROCESSING:
            claim = parts[:3]
            if not entry.is_dir and len(parts) in (4, 5) and claim in stale and not is_hidden(name):
                product = parts[3] if len(parts) == 5 else None
                found.candidates.append(Dropped(parts[0], product, parts, entry.stat))
            continue
        if parts[1] in (DONE, FAILED) or any(is_hidden(p) for p in parts[1:]):
            continue
        if entry.is_dir:
            if len(parts) == 2 and parts[0] in WHOLE_FOLDERS:
                found.left_alone.append(
                    (
                        "/".join(parts) + "/",
                        f"{parts[0]} files have no product folders; put them in {parts[0]}/ itself",
                    )
                )
            continue
        if len(parts) > 3:
            continue
        dropped = Dropped(parts[0], parts[1] if len(parts) == 3 else None, parts, entry.stat)
        (found.waiting if is_temporary(name) else found.candidates).append(dropped)
    found.candidates = arrival_order(found.candidates)
    found.waiting = arrival_order(found.waiting)
    found.left_alone.sort()
    return found


def _claim_ages(entries: list[Entry], now_ns: int) -> dict[Parts, int]:
    """Nanoseconds since each claim folder last changed (its own or a product folder's mtime)."""
    newest: dict[Parts, int] = {}
    for entry in entries:
        parts = entry.parts
        if entry.is_dir and len(parts) in (3, 4) and parts[1] == PROCESSING:
            newest[parts[:3]] = max(newest.get(parts[:3], 0), entry.stat.mtime_ns)
    return {claim: now_ns - mtime for claim, mtime in newest.items()}


def arrival_order(files: Iterable[Dropped]) -> list[Dropped]:
    """Oldest first (mtime), then by name, so a run is reproducible on a given listing."""
    return sorted(files, key=lambda f: (f.stat.mtime_ns, f.name, f.parts))


def settled(
    files: Iterable[Dropped], looks: Iterable[Mapping[Parts, Stat]]
) -> tuple[list[Dropped], list[Dropped]]:
    """Split files into (settled, still being written): settled when every later look finds
    the file with the size and mtime of the listing; a file gone from a look is neither."""
    later = list(looks)
    still: list[Dropped] = []
    moving: list[Dropped] = []
    for file in files:
        seen = [look.get(file.parts) for look in later]
        if any(s is None for s in seen):
            continue
        (still if all(s == file.stat for s in seen) else moving).append(file)
    return still, moving


def claim_parts(file: Dropped, claim: str) -> Parts:
    """Where a run that holds the claim folder `claim` keeps the file while ingesting it."""
    product = () if file.product is None else (file.product,)
    return (file.source, PROCESSING, claim, *product, file.name)


def numbered_names(name: str) -> Iterator[str]:
    """`calls.csv`, `calls.2.csv`, `calls.3.csv`, …: the names a file may take in done/ or
    failed/ without overwriting another."""
    path = PurePosixPath(name)
    stem, suffix = (path.stem, path.suffix) if path.stem else (name, "")
    yield name
    number = 2
    while True:
        yield f"{stem}.{number}{suffix}"
        number += 1


_EMAIL = re.compile(r"[^\s@'\"]+@[^\s@'\"]+")
_DIGITS = re.compile(r"\+?\d[\d\s()-]{5,}\d")


def unexpected_error_line(exc: BaseException) -> str:
    """An unexpected failure in one line for `<file>.error.txt`: its type and message, with
    anything shaped like an e-mail address or a phone number masked."""
    message = str(exc).splitlines()[0] if str(exc) else ""
    message = _DIGITS.sub("***", _EMAIL.sub("***@***", message))
    text = f"unexpected error {type(exc).__name__}: {message}" if message else type(exc).__name__
    return printable(text[:300])


COLUMNS = ("source", "file", "feed_id", "rows_read", "created", "merged", "quarantined", "outcome", "detail")


def summary_row(
    file: Dropped | None,
    outcome: Outcome,
    *,
    result: Mapping[str, Any] | None = None,
    detail: str = "",
    shown: str | None = None,
) -> dict[str, Any]:
    """One line of the run's summary. A billing load's `applied` and `already_known` (an
    activity load's `already_seen`) count as created and merged, as the feeds table records them."""
    counts = dict(result or {})
    if "applied" in counts:  # a billing or an activity load
        skipped = counts["already_known"] if "already_known" in counts else counts["already_seen"]
        counts = {**counts, "created": counts["applied"], "merged": skipped}
    return {
        "source": file.source if file else "",
        "file": printable(file.shown if file else shown or ""),
        "feed_id": counts.get("feed_id"),
        **{k: counts.get(k) for k in ("rows_read", "created", "merged", "quarantined")},
        "outcome": outcome.value,
        "detail": printable(detail),
    }


def outcome_counts(rows: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """How many files ended how: the run's one-line tally."""
    return dict(Counter(str(row["outcome"]) for row in rows))
