"""Landing folders: files dropped under ROOT/<source>/ are ingested once, in arrival order, and
moved to done/ or failed/; files still being written wait; two runs never take one file."""

from __future__ import annotations

import errno
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from filelock import FileLock

import flows.landing as landing_flow
from flows.landing import ingest_landing
from schemas.errors import PipelineError
from tasks.landing import (
    CLAIM_GRACE,
    Dropped,
    Entry,
    Outcome,
    Stat,
    arrival_order,
    claim_parts,
    numbered_names,
    settled,
    summary_row,
    survey,
    unexpected_error_line,
    worth_listing,
)
from tests.support import query, run, start

AS_OF = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)  # Monday 09:00 Moscow
SOURCES = ["call_base", "callback_order", "billing"]
INNS = ["7707083893", "7736050003", "7702070139", "7710140679"]
HOUR_NS = 3600 * 10**9


@pytest.fixture(autouse=True)
def _no_settle_wait(monkeypatch):
    monkeypatch.setenv("PP_LANDING_SETTLE_SECONDS", "0")


def _drop(
    folder: Path, name: str, inns: list[str], *, product: bool = True, mtime: int | None = None
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    header = "inn,region,product,phone\n" if product else "inn,region,phone\n"
    lines = [
        f"{inn},77,extern,8912345{n:04d}\n" if product else f"{inn},77,8912345{n:04d}\n"
        for n, inn in enumerate(inns)
    ]
    path = folder / name
    path.write_text(header + "".join(lines), encoding="utf-8")
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def _land(root: Path, warehouse: Path) -> dict:
    return ingest_landing(root=str(root), as_of=AS_OF, warehouse=str(warehouse))


def _rows(summary: dict) -> dict[str, dict]:
    return {row["file"]: row for row in summary["files"]}


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def _count(warehouse: Path, table: str) -> int:
    return query(warehouse, f"SELECT count(*) AS n FROM {table}")["n"][0]


# --- pure functions ---------------------------------------------------------------------------


def _entry(*parts: str, is_dir: bool = False, mtime_ns: int = 0, size: int = 10) -> Entry:
    return Entry(parts, is_dir, Stat(size, mtime_ns))


def test_survey_takes_source_and_product_files_and_names_what_it_leaves():
    found = survey(
        [
            _entry("call_base", is_dir=True),
            _entry("call_base", "b.csv", mtime_ns=2),
            _entry("call_base", "a.csv", mtime_ns=2),
            _entry("call_base", "old.csv", mtime_ns=1),
            _entry("call_base", "extern", is_dir=True),
            _entry("call_base", "extern", "p.xlsx", mtime_ns=3),
            _entry("call_base", "growing.csv.part"),
            _entry("call_base", "~$book.xlsx"),
            _entry("call_base", ".DS_Store"),
            _entry("call_base", "done", is_dir=True),
            _entry("call_base", "failed", is_dir=True),
            _entry("mystery", is_dir=True),
            _entry("stray.csv"),
            _entry("billing", is_dir=True),
            _entry("billing", "extern", is_dir=True),
            _entry("billing", "bills.csv", mtime_ns=4),
        ],
        SOURCES,
        now_ns=10,
        grace=CLAIM_GRACE,
    )
    assert [f.shown for f in found.candidates] == [
        "call_base/old.csv",
        "call_base/a.csv",
        "call_base/b.csv",
        "call_base/extern/p.xlsx",
        "billing/bills.csv",
    ]
    assert found.candidates[3].product == "extern"
    assert [f.shown for f in found.waiting] == ["call_base/growing.csv.part"]
    assert [where for where, _ in found.left_alone] == ["billing/extern/", "mystery/", "stray.csv"]
    assert "expected one of billing, call_base, callback_order" in found.left_alone[1][1]


def test_survey_retakes_only_claims_older_than_the_grace():
    now = 10 * HOUR_NS
    found = survey(
        [
            _entry("call_base", ".processing", "dead-1", is_dir=True, mtime_ns=now - 2 * HOUR_NS),
            _entry("call_base", ".processing", "dead-1", "a.csv", mtime_ns=5),
            _entry("call_base", ".processing", "dead-2", is_dir=True, mtime_ns=now - 2 * HOUR_NS),
            _entry("call_base", ".processing", "dead-2", "extern", is_dir=True, mtime_ns=now - 2 * HOUR_NS),
            _entry("call_base", ".processing", "dead-2", "extern", "b.csv", mtime_ns=6),
            _entry("call_base", ".processing", "busy-1", is_dir=True, mtime_ns=now - 2 * HOUR_NS),
            _entry("call_base", ".processing", "busy-1", "extern", is_dir=True, mtime_ns=now - 60 * 10**9),
            _entry("call_base", ".processing", "busy-1", "extern", "c.csv", mtime_ns=1),
        ],
        SOURCES,
        now_ns=now,
        grace=timedelta(hours=1),
    )
    assert [(f.shown, f.product) for f in found.candidates] == [
        ("call_base/a.csv", None),
        ("call_base/extern/b.csv", "extern"),
    ]
    assert found.stale_claims == [
        ("call_base", ".processing", "dead-1"),
        ("call_base", ".processing", "dead-2"),
    ]


def test_done_and_failed_folders_are_never_listed():
    assert worth_listing(("call_base",), SOURCES)
    assert worth_listing(("call_base", "extern"), SOURCES)
    assert worth_listing(("call_base", ".processing", "run-1", "extern"), SOURCES)
    assert not worth_listing(("call_base", "done"), SOURCES)
    assert not worth_listing(("call_base", "failed"), SOURCES)
    assert not worth_listing(("call_base", "extern", "deeper"), SOURCES)
    assert not worth_listing(("mystery",), SOURCES)


def test_a_file_whose_size_or_mtime_changes_between_looks_is_not_settled():
    still = Dropped("call_base", None, ("call_base", "still.csv"), Stat(100, 1))
    growing = Dropped("call_base", None, ("call_base", "growing.csv"), Stat(100, 1))
    touched = Dropped("call_base", None, ("call_base", "touched.csv"), Stat(100, 1))
    gone = Dropped("call_base", None, ("call_base", "gone.csv"), Stat(100, 1))
    looks = [  # the same files looked at twice more, a settle interval apart
        {still.parts: Stat(100, 1), growing.parts: Stat(100, 1), touched.parts: Stat(100, 1)},
        {still.parts: Stat(100, 1), growing.parts: Stat(180, 1), touched.parts: Stat(100, 2)},
    ]
    ready, moving = settled([still, growing, touched, gone], looks)
    assert ready == [still]
    assert moving == [growing, touched]


def test_arrival_order_is_mtime_then_name():
    files = [Dropped("s", None, ("s", n), Stat(1, t)) for n, t in [("b", 1), ("a", 2), ("c", 1)]]
    assert [f.name for f in arrival_order(files)] == ["b", "c", "a"]


def test_numbered_names_keep_the_suffix():
    names = numbered_names("calls.csv")
    assert [next(names) for _ in range(3)] == ["calls.csv", "calls.2.csv", "calls.3.csv"]
    assert next(iter(numbered_names(".hidden"))) == ".hidden"
    plain = numbered_names("README")
    assert [next(plain) for _ in range(2)] == ["README", "README.2"]


def test_claims_keep_the_product_folder():
    file = Dropped("call_base", "extern", ("call_base", "extern", "a.csv"), Stat(1, 1))
    assert claim_parts(file, "run-1") == ("call_base", ".processing", "run-1", "extern", "a.csv")


def test_an_unexpected_error_line_masks_contacts():
    line = unexpected_error_line(RuntimeError("bad value 'ivan@example.ru' near +7 912 345-67-89\nmore"))
    assert line == "unexpected error RuntimeError: bad value '***@***' near ***"


def test_billing_counts_are_shown_as_the_feeds_table_records_them():
    file = Dropped("billing", None, ("billing", "b.csv"), Stat(1, 1))
    row = summary_row(
        file,
        Outcome.INGESTED,
        result={"feed_id": 3, "rows_read": 5, "applied": 3, "already_known": 1, "quarantined": 1},
    )
    assert (row["created"], row["merged"], row["quarantined"]) == (3, 1, 1)


# --- the flow ---------------------------------------------------------------------------------


def test_dropped_files_are_ingested_oldest_first_and_moved_to_done(warehouse, tmp_path):
    root = tmp_path / "landing"
    _drop(root / "call_base", "second.csv", INNS[2:], mtime=2_000_000_000)
    _drop(root / "call_base", "first.csv", INNS[:2], mtime=1_000_000_000)

    summary = _land(root, warehouse)

    assert [row["file"] for row in summary["files"]] == ["call_base/first.csv", "call_base/second.csv"]
    first = summary["files"][0]
    assert (first["outcome"], first["rows_read"], first["created"], first["quarantined"]) == (
        "ingested",
        2,
        2,
        0,
    )
    feeds = query(warehouse, "SELECT feed_id, file_name, rows_read FROM feeds ORDER BY feed_id")
    assert feeds["file_name"].to_list() == ["first.csv", "second.csv"]
    assert [row["feed_id"] for row in summary["files"]] == feeds["feed_id"].to_list()
    assert _names(root / "call_base") == [".processing", "done"]
    assert _names(root / "call_base" / "done") == ["first.csv", "second.csv"]
    assert _names(root / "call_base" / ".processing") == []
    assert summary["outcomes"] == {"ingested": 2}


def test_a_bad_file_goes_to_failed_with_its_one_line_and_the_others_load(warehouse, tmp_path):
    root = tmp_path / "landing"
    (root / "call_base").mkdir(parents=True)
    (root / "call_base" / "bad.csv").write_text("inn,region\n7707083893,77\n", encoding="utf-8")
    _drop(root / "call_base", "good.csv", INNS[:2])

    rows = _rows(_land(root, warehouse))

    assert rows["call_base/bad.csv"]["outcome"] == "failed"
    assert rows["call_base/good.csv"]["outcome"] == "ingested"
    failed = root / "call_base" / "failed"
    assert _names(failed) == ["bad.csv", "bad.csv.error.txt"]
    assert (failed / "bad.csv.error.txt").read_text(encoding="utf-8") == (
        "bad.csv: required column(s) missing: product (or pass --product); phone or email; "
        "found inn, region\n"
    )
    assert (failed / "bad.csv").read_text(encoding="utf-8") == "inn,region\n7707083893,77\n"
    assert _count(warehouse, "leads") == 2


def test_an_unexpected_failure_is_one_masked_line_and_the_run_goes_on(warehouse, tmp_path, monkeypatch):
    root = tmp_path / "landing"
    _drop(root / "call_base", "a.csv", INNS[:1], mtime=1_000_000_000)
    _drop(root / "call_base", "b.csv", INNS[1:2], mtime=2_000_000_000)
    real = landing_flow.ingest_feed

    def failing_first(**kwargs):
        if kwargs["path"].endswith("a.csv"):
            raise ValueError("cannot parse +7 912 345 67 89")
        return real(**kwargs)

    monkeypatch.setattr(landing_flow, "ingest_feed", failing_first)
    rows = _rows(_land(root, warehouse))

    assert rows["call_base/b.csv"]["outcome"] == "ingested"
    error = (root / "call_base" / "failed" / "a.csv.error.txt").read_text(encoding="utf-8")
    assert error == "unexpected error ValueError: cannot parse ***\n"


def test_files_being_written_are_left_for_the_next_run(warehouse, tmp_path, monkeypatch):
    root = tmp_path / "landing"
    partial = _drop(root / "call_base", "calls.csv.part", INNS[:1])
    growing = _drop(root / "call_base", "growing.csv", INNS[1:2])
    looked = landing_flow._look

    def still_growing(base, files):
        with growing.open("a", encoding="utf-8") as handle:
            handle.write(f"{INNS[2]},77,extern,89123450099\n")
        return looked(base, files)

    monkeypatch.setattr(landing_flow, "_look", still_growing)
    rows = _rows(_land(root, warehouse))

    assert rows["call_base/calls.csv.part"]["outcome"] == "waiting"
    assert rows["call_base/growing.csv"]["outcome"] == "waiting"
    assert partial.exists()
    assert growing.exists()
    assert _count(warehouse, "feeds") == 0


def test_a_product_folder_supplies_the_product(warehouse, tmp_path):
    root = tmp_path / "landing"
    _drop(root / "call_base" / "Diadoc", "calls.csv", INNS[:2], product=False)

    rows = _rows(_land(root, warehouse))

    assert rows["call_base/Diadoc/calls.csv"]["created"] == 2
    assert query(warehouse, "SELECT DISTINCT product FROM leads")["product"].to_list() == ["diadoc"]
    assert query(warehouse, "SELECT product FROM feeds")["product"].to_list() == ["diadoc"]
    assert _names(root / "call_base" / "done") == ["calls.csv"]
    assert _names(root / "call_base" / "Diadoc") == []


def test_the_same_content_dropped_again_is_already_ingested_and_names_never_collide(warehouse, tmp_path):
    root = tmp_path / "landing"
    done = root / "call_base" / "done"
    done.mkdir(parents=True)
    (done / "calls.csv").write_text("someone else's file\n", encoding="utf-8")
    _drop(root / "call_base", "calls.csv", INNS[:2])
    _land(root, warehouse)
    before = {t: _count(warehouse, t) for t in ("leads", "feeds", "lead_events", "quarantine")}

    _drop(root / "call_base", "calls.csv", INNS[:2])
    row = _rows(_land(root, warehouse))["call_base/calls.csv"]

    assert row["outcome"] == "already ingested"
    assert row["feed_id"] == 1
    assert {t: _count(warehouse, t) for t in before} == before
    assert _names(done) == ["calls.2.csv", "calls.3.csv", "calls.csv"]
    assert (done / "calls.csv").read_text(encoding="utf-8") == "someone else's file\n"


def test_a_failed_name_taken_gets_a_number_with_its_error_file(warehouse, tmp_path):
    root = tmp_path / "landing"
    failed = root / "call_base" / "failed"
    failed.mkdir(parents=True)
    (failed / "bad.csv").write_text("earlier\n", encoding="utf-8")
    (root / "call_base" / "bad.csv").write_text("inn,region\n", encoding="utf-8")

    _land(root, warehouse)

    assert _names(failed) == ["bad.2.csv", "bad.2.csv.error.txt", "bad.csv"]
    assert (failed / "bad.csv").read_text(encoding="utf-8") == "earlier\n"


def test_a_billing_file_goes_through_the_billing_flow(warehouse, tmp_path):
    root = tmp_path / "landing"
    (root / "billing").mkdir(parents=True)
    (root / "billing" / "periods.csv").write_text(
        "event,inn,product,sc_id,period_start,period_end\n"
        "period,6663003127,extern,sc-ekb-2,2026-01-01T00:00:00+05:00,2026-12-31T00:00:00+05:00\n",
        encoding="utf-8",
    )

    row = _rows(_land(root, warehouse))["billing/periods.csv"]

    assert (row["outcome"], row["rows_read"], row["created"]) == ("ingested", 1, 1)
    assert query(warehouse, "SELECT source FROM feeds")["source"].to_list() == ["billing"]
    assert _count(warehouse, "paid_periods") == 1


def test_unknown_folders_and_stray_files_are_reported_and_left_alone(warehouse, tmp_path):
    root = tmp_path / "landing"
    stray = _drop(root / "mystery", "x.csv", INNS[:1])
    (root / "loose.csv").write_text("inn\n", encoding="utf-8")

    summary = _land(root, warehouse)

    assert [(r["file"], r["outcome"]) for r in summary["files"]] == [
        ("loose.csv", "left alone"),
        ("mystery/", "left alone"),
    ]
    assert stray.exists()
    assert (root / "loose.csv").exists()
    assert _count(warehouse, "feeds") == 0


def test_a_file_another_run_took_first_is_skipped(warehouse, tmp_path, monkeypatch):
    root = tmp_path / "landing"
    taken = _drop(root / "call_base", "taken.csv", INNS[:1])
    _drop(root / "call_base", "mine.csv", INNS[1:2])
    other_claim = root / "call_base" / ".processing" / "other-run-1"
    looked = landing_flow._look

    def another_run_claims(base, files):
        other_claim.mkdir(parents=True)
        taken.rename(other_claim / "taken.csv")  # as the other run's claim would
        return {**looked(base, files), **{f.parts: f.stat for f in files if f.name == "taken.csv"}}

    monkeypatch.setattr(landing_flow, "_look", another_run_claims)
    summary = _land(root, warehouse)

    assert [row["file"] for row in summary["files"]] == ["call_base/mine.csv"]
    assert (other_claim / "taken.csv").exists()


def test_a_file_left_claimed_by_a_killed_run_is_retaken_after_the_grace(warehouse, tmp_path):
    root = tmp_path / "landing"
    dead = root / "call_base" / ".processing" / "20260302T050000Z-dead-1"
    _drop(dead / "extern", "calls.csv", INNS[:1], product=False)
    fresh = root / "call_base" / ".processing" / "20260302T055900Z-busy-1"
    _drop(fresh, "busy.csv", INNS[1:2])
    long_ago = time.time() - CLAIM_GRACE.total_seconds() - 60
    for folder in (dead, dead / "extern"):
        os.utime(folder, (long_ago, long_ago))

    summary = _land(root, warehouse)

    assert [(r["file"], r["outcome"]) for r in summary["files"]] == [
        ("call_base/extern/calls.csv", "ingested")
    ]
    assert query(warehouse, "SELECT product FROM feeds")["product"].to_list() == ["extern"]
    assert not dead.exists()
    assert (fresh / "busy.csv").exists()
    assert _names(root / "call_base" / "done") == ["calls.csv"]


def test_a_busy_warehouse_leaves_the_files_where_they_were(warehouse, tmp_path, monkeypatch):
    monkeypatch.setenv("PP_LOCK_TIMEOUT_SECONDS", "0")
    root = tmp_path / "landing"
    _drop(root / "call_base", "a.csv", INNS[:1])
    _drop(root / "call_base" / "extern", "b.csv", INNS[1:2], product=False)
    lock = FileLock(f"{warehouse}.lock")
    with lock:
        summary = _land(root, warehouse)

    assert summary["outcomes"] == {"waiting": 2}
    assert "still being written by another run" in summary["files"][0]["detail"]
    assert _names(root / "call_base") == [".processing", "a.csv", "extern"]
    assert _names(root / "call_base" / "extern") == ["b.csv"]
    assert _names(root / "call_base" / ".processing") == []


def _no_hard_links(code: int):
    def link(source, target):
        raise OSError(code, os.strerror(code))

    return link


def test_without_hard_links_a_move_still_never_overwrites(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "link", _no_hard_links(errno.EPERM))  # some network shares
    failed = tmp_path / "failed"
    failed.mkdir()
    (failed / "a.csv").write_text("earlier\n", encoding="utf-8")
    held = tmp_path / "a.csv"
    held.write_text("new\n", encoding="utf-8")

    moved = landing_flow._move_aside(held, failed, "a.csv: why")

    assert moved == failed / "a.2.csv"
    assert _names(failed) == ["a.2.csv", "a.2.csv.error.txt", "a.csv"]
    assert (failed / "a.csv").read_text(encoding="utf-8") == "earlier\n"
    assert (failed / "a.2.csv.error.txt").read_text(encoding="utf-8") == "a.csv: why\n"


def test_a_folder_it_cannot_write_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "link", _no_hard_links(errno.EACCES))
    held = tmp_path / "a.csv"
    held.write_text("new\n", encoding="utf-8")

    with pytest.raises(PipelineError, match=r"cannot move a.csv into .*done \(Permission denied\); check"):
        landing_flow._move_aside(held, tmp_path / "done")
    assert held.exists()


# --- the command line -------------------------------------------------------------------------


def _ingest_landing(warehouse: Path, root: Path) -> tuple[str, ...]:
    """The arguments of `pp ingest-landing` over `root` at the tests' instant."""
    as_of = "2026-03-02T09:00:00+03:00"
    return ("--warehouse", str(warehouse), "ingest-landing", str(root), "--as-of", as_of)


def test_the_command_prints_the_table(monkeypatch, capsys, warehouse, tmp_path):
    root = tmp_path / "landing"
    _drop(root / "call_base", "calls.csv", INNS[:2])
    (root / "call_base" / "bad.csv").write_text("inn,region\n", encoding="utf-8")

    code, out, err = run(monkeypatch, capsys, *_ingest_landing(warehouse, root))

    assert code == 0, err
    assert "1 ingested, 1 failed" in out
    assert "call_base/calls.csv" in out
    assert "moved to done/calls.csv" in out


def test_a_missing_landing_folder_is_one_line(monkeypatch, capsys, warehouse, tmp_path):
    code, _, err = run(
        monkeypatch, capsys, "--warehouse", str(warehouse), "ingest-landing", str(tmp_path / "nowhere")
    )
    assert code == 2
    assert err.startswith("pp: error: landing folder ")
    assert err.count("\n") == 1


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_server")
def test_two_runs_at_once_take_each_file_once(warehouse, tmp_path):
    from prefect.settings import PREFECT_API_URL

    root = tmp_path / "landing"
    for n, inn in enumerate(INNS):
        _drop(root / "call_base", f"calls-{n}.csv", [inn])
    env = {
        **os.environ,
        "PREFECT_API_URL": str(PREFECT_API_URL.value()),
        "PP_OUTBOX_DIR": str(tmp_path),
        "COLUMNS": "250",
        "PP_LANDING_SETTLE_SECONDS": "3",  # both runs list the files before either claims them
    }
    runs = [start(*_ingest_landing(warehouse, root), env=env) for _ in range(2)]
    printed = []
    for process in runs:
        out, err = process.communicate(timeout=240)
        assert process.returncode == 0, err
        printed.append(out)

    for n in range(4):  # each file is in exactly one run's table
        assert sum(f"call_base/calls-{n}.csv" in out for out in printed) == 1, printed

    assert _count(warehouse, "feeds") == 4
    assert _count(warehouse, "leads") == 4
    assert _names(root / "call_base" / "done") == [f"calls-{n}.csv" for n in range(4)]
