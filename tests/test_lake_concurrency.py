"""Many writers at once on a lake, each a `pp` process of its own: two ingests of different
feeds (with clients in common), an SLA sweep and a bulk activity load all succeed, retrying
their conflicting commits; no lead is duplicated, every breach is recorded once, the counts
reconcile. One of them killed with SIGKILL leaves the lake consistent, and running it again
completes."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from demo.synthetic import valid_inn10
from flows.ingest import ingest_feed
from tasks.activity import ACTIVITY_FEED
from tests.support import query, start
from tests.test_ingest_flow import TABLE_CONTRACTS
from warehouse import store

pytestmark = pytest.mark.slow

BASE_AS_OF = "2026-03-02T09:00:00+03:00"
LATER = "2026-03-04T12:00:00+03:00"  # the hot base leads are long overdue by then
INNS = sorted(set(valid_inn10(400, np.random.default_rng(11), np.array([77])).tolist()))
BASE_INNS, SHARED, ONLY_B, ONLY_C = (
    INNS[:40],
    INNS[40:50],
    INNS[50:80],
    INNS[80:110],
)  # SHARED: in both new feeds


def _feed(folder: Path, name: str, inns: list[str], seed: int) -> Path:
    path = folder / name
    path.write_text(
        "inn,region,product,phone\n"
        + "".join(f"{inn},77,extern,89{seed}{n:07d}\n" for n, inn in enumerate(inns)),
        encoding="utf-8",
    )
    return path


def _activity(folder: Path, lead_ids: list[int]) -> Path:
    path = folder / "activity.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=ACTIVITY_FEED.columns)
        writer.writeheader()
        for lead_id in lead_ids:
            at = "2026-03-02T10:00:00+03:00"
            row = {"activity_id": f"take-{lead_id}", "lead_id": lead_id, "action": "take", "at": at}
            writer.writerow({**row, "contact": "call"})
    return path


def _prepared(lake, tmp_path: Path) -> dict[str, list[str]]:
    """The base leads (hot callbacks, at their SCs), and the four jobs' command lines."""
    base = _feed(tmp_path, "base.csv", BASE_INNS, 1)
    ingest_feed(path=str(base), source="callback_order", as_of=BASE_AS_OF, warehouse=str(lake))
    taken = query(lake, "SELECT lead_id FROM leads WHERE sc_id IS NOT NULL ORDER BY lead_id LIMIT 15")
    feed_b = _feed(tmp_path, "b.csv", SHARED + ONLY_B, 2)
    feed_c = _feed(tmp_path, "c.csv", SHARED + ONLY_C, 3)
    where = ["--warehouse", str(lake)]
    return {
        "ingest b": [*where, "ingest", str(feed_b), "--source", "call_base", "--as-of", LATER],
        "ingest c": [*where, "ingest", str(feed_c), "--source", "call_base", "--as-of", LATER],
        "sweep": [*where, "sweep", "sla", "--as-of", LATER],
        "activity": [
            *where,
            "activity",
            str(_activity(tmp_path, taken["lead_id"].to_list())),
            "--as-of",
            LATER,
        ],
    }


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}  # flows run in each process
    return {**env, "PP_OUTBOX_DIR": str(tmp_path / "outbox")}


def _finish(runs: dict[str, subprocess.Popen[str]]) -> dict[str, tuple[int, str]]:
    return {name: (run.wait(timeout=300), run.communicate()[1]) for name, run in runs.items()}


def _assert_consistent(lake) -> None:
    for name, sql in TABLE_CONTRACTS.items():
        assert query(lake, sql).item() == 0, name
    with store.reader(lake) as con:
        assert store.broken_constraints(con) == []  # feeds' ids and digests, breaches once per deadline


def _assert_everything_landed(lake) -> None:
    _assert_consistent(lake)
    clients = query(lake, "SELECT count(DISTINCT inn) AS n, count(*) AS leads FROM leads").row(0)
    assert clients == (110, 110)  # one lead per client x product: the shared ones once
    feeds = query(lake, "SELECT file_name, created, merged FROM feeds ORDER BY file_name").rows()
    assert [name for name, *_ in feeds] == ["activity.csv", "b.csv", "base.csv", "c.csv"]
    new = {name: (created, merged) for name, created, merged in feeds if name in ("b.csv", "c.csv")}
    assert sorted(created for created, _ in new.values()) == [30, 40]  # whichever came second
    assert sum(merged for _, merged in new.values()) == 10  # merged the ten shared clients
    taken = query(lake, "SELECT count(*) AS n FROM leads WHERE taken_at IS NOT NULL")["n"].item()
    applied, refused = query(lake, "SELECT created, quarantined FROM feeds WHERE source = 'activity'").row(0)
    assert (taken, applied + refused) == (applied, 15)  # a take after the sweep moved its lead is refused
    breached = query(lake, "SELECT count(*) AS n, count(DISTINCT lead_id) AS leads FROM sla_breaches").row(0)
    assert breached[0] == breached[1] > 0


def test_four_writers_at_once_all_succeed_and_the_counts_reconcile(lake, tmp_path):
    jobs = _prepared(lake, tmp_path)
    env = _env(tmp_path)
    outcomes = _finish({name: start(*args, env=env) for name, args in jobs.items()})
    assert {name: code for name, (code, _) in outcomes.items()} == dict.fromkeys(jobs, 0), outcomes
    _assert_everything_landed(lake)


def test_a_writer_killed_mid_commit_leaves_the_lake_consistent_and_a_rerun_completes(lake, tmp_path):
    jobs = _prepared(lake, tmp_path)
    env = _env(tmp_path)
    runs = {name: start(*args, env=env) for name, args in jobs.items()}
    time.sleep(3.5)  # the ingests are importing, reading or committing by now
    runs["ingest b"].send_signal(signal.SIGKILL)
    outcomes = _finish(runs)
    assert outcomes["ingest b"][0] == -signal.SIGKILL
    assert all(code == 0 for name, (code, _) in outcomes.items() if name != "ingest b"), outcomes
    _assert_consistent(lake)
    files = query(lake, "SELECT file_name FROM feeds")["file_name"].to_list()
    assert "c.csv" in files  # and b.csv all or nothing, whichever the kill left
    rerun = start(*jobs["ingest b"], env=env)
    code, err = rerun.wait(timeout=300), rerun.communicate()[1]
    assert code == 0, err
    _assert_everything_landed(lake)
