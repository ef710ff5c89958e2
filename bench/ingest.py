"""Ingest speed and memory against DuckDB's own CSV load of the same file.

Generates a call-base feed of N rows (a tenth of them clients that already have open leads)
and a warehouse of M existing leads, then, each in a fresh process, times
(a) the full `ingest_feed` flow as `pp ingest` runs it without a Prefect server: directly,
no run recorded (flows/engine.py); the import of the pipeline is reported apart, and
(b) `CREATE TABLE … AS SELECT * FROM read_csv(…)` on the same file. The last line is
`ingest_vs_duckdb_load_ratio X.XX`. Each also reports the CPU time its process spent (user +
system, all threads): on a machine others share, wall time follows their load, CPU time far
less, so `ingest_vs_duckdb_load_cpu_ratio` is the steadier figure to compare changes by.
With a Prefect server configured the flow would be a recorded run, not what is measured
here: the benchmark refuses to start.

    python bench/ingest.py --rows 1000000 --existing 1000000
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from common import measure_in_child, scratch_folder, server_configured

AS_OF = datetime(2026, 3, 6, 13, 30, tzinfo=UTC)


def _existing_leads(warehouse: Path, existing: int, products: list[str], regions: list[str]) -> Any:
    """M open and closed leads, written straight through DuckDB; returns their clients."""
    import numpy as np
    import polars as pl

    from demo.synthetic import valid_inn10
    from flows.initialise import init_warehouse
    from warehouse import store

    init_warehouse(warehouse)
    if not existing:
        return None
    rng = np.random.default_rng(11)
    region_of = rng.choice(np.array(regions), size=existing)
    inns = valid_inn10(existing, rng, region_of)
    leads = pl.DataFrame(
        {
            "lead_id": np.arange(1, existing + 1, dtype=np.int64),
            "inn": inns,
            "region": region_of,
            "product": rng.choice(np.array(products), size=existing),
            "status": rng.choice(
                np.array(["new", "in_work", "completed", "refused"]), size=existing, p=[0.4, 0.3, 0.2, 0.1]
            ),
            "temperature": rng.choice(np.array(["hot", "warm", "cold"]), size=existing, p=[0.1, 0.3, 0.6]),
        }
    ).with_columns(
        lead_type=pl.lit("connection"),
        source=pl.lit("call_base"),
        created_at=pl.lit(AS_OF),
        kpp=pl.lit(None, pl.String),
    )
    with store.transaction(warehouse) as con:
        store.insert(con, "leads", leads)
        store.insert(
            con,
            "lead_contacts",
            leads.select(
                "lead_id",
                kind=pl.lit("phone"),
                value=pl.format("+7912{}", (pl.col("lead_id") % 10_000_000).cast(pl.String).str.zfill(7)),
            ),
        )
    return leads.filter(pl.col("status").is_in(["new", "in_work"])).select(
        "inn", "kpp", company_name=pl.lit("ООО «Клиент»"), region="region"
    )


def prepare(workdir: Path, rows: int, existing: int) -> tuple[Path, Path]:
    import polars as pl

    from adapters.reference_files import read_reference
    from demo.synthetic import synthetic_feed, write_feed
    from flows.initialise import DEMO_REFERENCE

    reference = read_reference(Path(str(DEMO_REFERENCE)))
    products = reference["products"]["product"].to_list()
    regions = sorted(set(reference["service_centers"]["regions"].explode().to_list()))
    warehouse = workdir / "bench.duckdb"
    clients = _existing_leads(warehouse, existing, products, regions)
    feed = synthetic_feed(
        "call_base",
        rows,
        as_of=AS_OF,
        products=products,
        regions=regions,
        seed=1,
        clients=clients,
        client_share=0.1 if existing else None,
    )
    path = write_feed(feed, workdir / "feed.csv")
    del feed
    assert isinstance(pl.__version__, str)
    return warehouse, path


def peak_mb() -> float:
    """This process's peak resident memory. Not ru_maxrss: that survives exec, so a child
    would report the parent's peak (the feed generator's) instead of its own."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    """User and system time of this process so far, every thread counted."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure_ingest(warehouse: str, feed: str) -> dict[str, float]:
    started = time.perf_counter()
    from flows.ingest import ingest_feed

    imported = time.perf_counter() - started
    started, cpu_before = time.perf_counter(), cpu_seconds()
    summary = ingest_feed(path=feed, source="call_base", as_of=AS_OF, warehouse=warehouse)
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "cpu_seconds": cpu_seconds() - cpu_before,
        "import_seconds": imported,
        "peak_mb": peak_mb(),
        **{k: summary[k] for k in ("rows_read", "created", "merged", "quarantined", "assigned")},
    }


def measure_duckdb(feed: str) -> dict[str, float]:
    import duckdb

    with tempfile.TemporaryDirectory() as tmp:
        started, cpu_before = time.perf_counter(), cpu_seconds()
        con = duckdb.connect(str(Path(tmp) / "load.duckdb"))
        con.execute("CREATE TABLE feed AS SELECT * FROM read_csv(?)", [feed])
        con.close()  # the checkpoint into the file is part of a load, as it is for the ingest
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "cpu_seconds": cpu_seconds() - cpu_before, "peak_mb": peak_mb()}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--existing", type=int, default=1_000_000)
    parser.add_argument("--measure", choices=["ingest", "duckdb"], help=argparse.SUPPRESS)
    parser.add_argument("--warehouse", help=argparse.SUPPRESS)
    parser.add_argument("--feed", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure == "ingest":
        print(json.dumps(measure_ingest(args.warehouse, args.feed)))
        return
    if args.measure == "duckdb":
        print(json.dumps(measure_duckdb(args.feed)))
        return

    if server_configured():
        parser.error(
            "a Prefect server is configured (PREFECT_API_URL or a profile): the flow would run "
            "as a recorded run, not as `pp ingest` runs without one; unset it to measure"
        )
    with scratch_folder("pp-bench-") as workdir:
        started = time.perf_counter()
        warehouse, feed = prepare(workdir, args.rows, args.existing)
        print(
            f"prepared {args.rows:,}-row feed ({feed.stat().st_size / 2**20:.0f} MiB) and "
            f"{args.existing:,} existing leads in {time.perf_counter() - started:.1f} s"
        )
        baseline = measure_in_child(__file__, "--measure", "duckdb", "--feed", str(feed))
        ingest = measure_in_child(
            __file__, "--measure", "ingest", "--warehouse", str(warehouse), "--feed", str(feed)
        )
        print(
            f"duckdb read_csv load: {baseline['seconds']:.2f} s (CPU {baseline['cpu_seconds']:.2f} s), "
            f"peak {baseline['peak_mb']:.0f} MB"
        )
        print(f"pipeline import (excluded): {ingest['import_seconds']:.2f} s; flow run directly, no server")
        print(
            f"ingest_feed flow: {ingest['seconds']:.2f} s (CPU {ingest['cpu_seconds']:.2f} s), "
            f"peak {ingest['peak_mb']:.0f} MB "
            f"({ingest['rows_read'] / ingest['seconds']:,.0f} rows/s); created {ingest['created']:,}, "
            f"merged {ingest['merged']:,}, quarantined {ingest['quarantined']:,}, "
            f"assigned {ingest['assigned']:,}"
        )
        print(f"ingest_peak_mb {ingest['peak_mb']:.0f}")
        print(f"ingest_vs_duckdb_load_cpu_ratio {ingest['cpu_seconds'] / baseline['cpu_seconds']:.2f}")
        print(f"ingest_vs_duckdb_load_ratio {ingest['seconds'] / baseline['seconds']:.2f}")


if __name__ == "__main__":
    main()
