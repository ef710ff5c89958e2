"""Bulk SC activity speed (SPEC §13) against DuckDB's bare load of the same file.

Generates a warehouse of L leads (new, at their SCs) and an activity file of N actions over
them (per lead a take, then stages, postponements, a manager, some refusals; a few rows bad),
then, each in a fresh process, times (a) the `apply_activity` flow and (b)
`CREATE TABLE … AS SELECT * FROM read_csv(…)` of the file. The last line is
`activity_rows_per_s N`.

    python bench/activity.py --actions 100000 --leads 40000
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from common import measure_in_child, scratch_folder

T0 = datetime(2026, 3, 2, 6, tzinfo=UTC)
AS_OF = datetime(2026, 4, 1, tzinfo=UTC)


def prepare(workdir: Path, actions: int, leads: int) -> tuple[Path, Path]:
    import numpy as np
    import polars as pl

    from flows.initialise import init_warehouse
    from warehouse import store

    warehouse = workdir / "bench.duckdb"
    init_warehouse(warehouse)
    rng = np.random.default_rng(5)
    ids = np.arange(1, leads + 1, dtype=np.int64)
    with store.transaction(warehouse) as con:
        centres = store.frame(con, "SELECT sc_id FROM service_centers ORDER BY sc_id")["sc_id"].to_numpy()
        store.insert(
            con,
            "leads",
            pl.DataFrame(
                {
                    "lead_id": ids,
                    "inn": [f"{7707083893}"] * leads,
                    "product": rng.choice(np.array(["extern", "diadoc", "elba"]), size=leads),
                    "lead_type": pl.Series(["connection"] * leads),
                    "temperature": rng.choice(np.array(["hot", "warm", "cold"]), size=leads),
                    "status": pl.Series(["new"] * leads),
                    "source": pl.Series(["call_base"] * leads),
                    "sc_id": rng.choice(centres, size=leads),
                }
            ).with_columns(
                created_at=pl.lit(T0),
                arrived_at=pl.lit(T0),
                accept_deadline=pl.lit(T0) + pl.duration(days=rng.integers(1, 10, size=leads)),
            ),
        )
    # Every lead's first action is a take; the rest pick among the others, spread over days.
    lead_of = np.concatenate([ids, rng.choice(ids, size=max(actions - leads, 0))])[:actions]
    first = np.arange(actions) < min(leads, actions)
    kinds = np.where(
        first,
        "take",
        rng.choice(np.array(["stage", "postpone", "assign_manager", "refuse", "take"]), size=actions),
    )
    minutes = np.where(first, rng.integers(0, 600, size=actions), rng.integers(600, 20_000, size=actions))
    rows = pl.DataFrame({"lead_id": lead_of, "action": kinds, "minutes": minutes}).with_columns(
        activity_id=pl.format("act-{}", pl.int_range(pl.len())),
        at=(pl.lit(T0) + pl.duration(minutes=pl.col("minutes"))).dt.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
        contact=pl.when(pl.col("action").is_in(["take", "refuse"])).then(pl.lit("call")),
        until=pl.when(pl.col("action") == "postpone").then(
            (pl.lit(T0) + pl.duration(minutes=pl.col("minutes") + 1440)).dt.strftime(
                "%Y-%m-%dT%H:%M:%S+00:00"
            )
        ),
        stage=pl.when(pl.col("action") == "stage").then(pl.lit("offer_made")),
        invoice_id=pl.lit(None, pl.String),
        comment=pl.lit(None, pl.String),
        reason=pl.when(pl.col("action") == "refuse").then(pl.lit("no budget")),
        manager_id=pl.when(pl.col("action") == "assign_manager").then(pl.lit("msk-1-m1")),
    )
    from tasks.activity import ACTIVITY_FEED

    feed = workdir / "activity.csv"
    rows.sample(fraction=1.0, shuffle=True, seed=3).select(ACTIVITY_FEED.columns).write_csv(feed)
    return warehouse, feed


def measure_apply(warehouse: str, feed: str) -> dict[str, float]:
    from flows.activity import apply_activity

    started = time.perf_counter()
    summary = apply_activity(path=feed, as_of=AS_OF, warehouse=warehouse)
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        **{k: summary[k] for k in ("rows_read", "applied", "already_seen", "quarantined")},
    }


def measure_duckdb(feed: str) -> dict[str, float]:
    import duckdb

    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        con = duckdb.connect(str(Path(tmp) / "load.duckdb"))
        con.execute("CREATE TABLE activity AS SELECT * FROM read_csv(?)", [feed])
        con.close()
        seconds = time.perf_counter() - started
    return {"seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--actions", type=int, default=100_000)
    parser.add_argument("--leads", type=int, default=40_000)
    parser.add_argument("--measure", choices=["apply", "duckdb"], help=argparse.SUPPRESS)
    parser.add_argument("--warehouse", help=argparse.SUPPRESS)
    parser.add_argument("--feed", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure == "apply":
        print(json.dumps(measure_apply(args.warehouse, args.feed)))
        return
    if args.measure == "duckdb":
        print(json.dumps(measure_duckdb(args.feed)))
        return

    with scratch_folder("pp-bench-activity-") as workdir:
        started = time.perf_counter()
        warehouse, feed = prepare(workdir, args.actions, args.leads)
        took = time.perf_counter() - started
        print(f"prepared {args.actions:,} actions over {args.leads:,} leads in {took:.1f} s")
        baseline = measure_in_child(__file__, "--measure", "duckdb", "--feed", str(feed))
        applied = measure_in_child(
            __file__, "--measure", "apply", "--warehouse", str(warehouse), "--feed", str(feed)
        )
        print(f"duckdb read_csv load: {baseline['seconds']:.2f} s")
        print(
            f"apply_activity flow: {applied['seconds']:.2f} s; applied {applied['applied']:,}, "
            f"skipped as seen {applied['already_seen']:,}, quarantined {applied['quarantined']:,} "
            f"of {applied['rows_read']:,}"
        )
        print(f"activity_vs_duckdb_load_ratio {applied['seconds'] / baseline['seconds']:.2f}")
        print(f"activity_rows_per_s {applied['rows_read'] / applied['seconds']:.0f}")


if __name__ == "__main__":
    main()
