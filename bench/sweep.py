"""SLA and booking sweep speed against a bare DuckDB scan of the same warehouse.

Builds a warehouse of N leads in every status and temperature, arrived over a year at a
steady rate, as an hourly sweep finds it: breaches of earlier hours recorded, an hour's worth
of new ones due, bookings of every kind starting and ending around `as_of`. Then, in one
fresh process, it times (a) the baseline: open the file, `count(*)` of `status = 'new' AND
accept_deadline < as_of`, close; (b) the `sweep-sla` flow (breaches, transfers, waiting
leads) as users run it: a flow run when a Prefect server is configured, else the direct call
the flows make without one (flows/engine.py), as the line says; and its body alone on a copy
of the same warehouse, which leaves out Prefect's bookkeeping of a run; (c) the
`sweep-bookings` flow, likewise. Prefect's start-up, paid only with a server, is measured and
reported apart; so is the measuring process's peak memory. Each time is given in wall-clock
and CPU seconds: with other work on the machine, the CPU figures move much less. The rows
are stored in the order the pipeline writes them (`--scattered`: in one unrelated to time).

Given several sizes it builds and measures each in turn, and ends with how much longer the
sweeps take at the largest than at the smallest: `sweep_10m_vs_1m_ratio X.XX` for
`--leads 1000000 10000000`. The last line of one size is `sla_sweep_vs_scan_ratio X.XX`, of
the sweep as users run it.

    python bench/sweep.py --leads 10000000
    python bench/sweep.py --leads 1000000 10000000
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

from common import measure_in_child, prefect_start_seconds, scratch_folder

SIZE_NAMES = {1_000_000: "1m", 10_000_000: "10m", 50_000_000: "50m", 100_000_000: "100m"}

AS_OF = datetime(2026, 3, 4, 12, 30, tzinfo=UTC)  # a Wednesday, working hours in every zone west of Omsk

# One INSERT … SELECT from range(): the generator is DuckDB itself, so 10M leads take seconds.
# Leads arrive at a steady rate over a year; each one's attributes come from independent
# slices of hash(i) for i in 1..N. Within its term a lead is `new` half the time; past it, it
# was taken, closed or blocked, except a fifth of those due in the last hour (this sweep's
# breaches) and a few long-overdue cold ones (breached before, never moved: §6). The table
# is in the order the pipeline writes it: ingest appends leads as they arrive, with rising
# ids, and a move appends the moved lead anew; `$scattered` instead numbers and stores them in
# the order of i, so that any lead's arrival is as likely in any row group (the worst case
# for DuckDB's zone maps, which let a query skip the row groups whose range cannot match).
LEADS = """
INSERT INTO leads (lead_id, inn, region, product, lead_type, temperature, status, source, sc_id,
                   created_at, arrived_at, accept_deadline, taken_at, closed_at)
WITH sc AS (
    SELECT row_number() OVER (ORDER BY sc_id) - 1 AS k, sc_id, regions, products FROM service_centers
),
g AS (
    SELECT i AS seed, hash(i) AS h, (SELECT count(*) FROM sc) AS centres FROM range(1, $n + 1) t(i)
),
shaped AS (
    SELECT g.seed, g.h, sc.sc_id, sc.regions[1] AS region,
           sc.products[1 + CAST((g.h >> 8) % len(sc.products) AS INTEGER)] AS product,
           ['connection', 'connection', 'renewal', 'upsell', 'service'][1 + CAST((g.h >> 16) % 5 AS INTEGER)]
               AS lead_type,
           CASE WHEN (g.h >> 20) % 10 < 1 THEN 'hot' WHEN (g.h >> 20) % 10 < 5 THEN 'warm' ELSE 'cold' END
               AS temperature,
           ((g.h >> 24) % 1000) / 1000.0 AS pick,
           $as_of - to_microseconds(CAST(((g.h >> 34) % 1000000) / 1000000.0 * 365 * 86400e6 AS BIGINT))
               AS arrived_at
    FROM g JOIN sc ON sc.k = g.h % g.centres
),
timed AS (
    SELECT *,
           arrived_at + CASE temperature WHEN 'hot' THEN INTERVAL 3 HOUR WHEN 'warm' THEN INTERVAL 7 DAY
                             ELSE INTERVAL 30 DAY END AS deadline
    FROM shaped
),
statused AS (
    SELECT *,
           CASE WHEN deadline >= $as_of THEN (CASE WHEN pick < 0.5 THEN 'new' ELSE 'in_work' END)
                WHEN deadline >= $as_of - INTERVAL 1 HOUR AND pick < 0.2 THEN 'new'
                WHEN temperature = 'cold' AND pick < 0.02 THEN 'new'
                WHEN pick < 0.4 THEN 'in_work' WHEN pick < 0.75 THEN 'completed'
                WHEN pick < 0.95 THEN 'refused' ELSE 'blocked' END AS status
    FROM timed
),
numbered AS (
    SELECT *, CASE WHEN $scattered THEN seed ELSE row_number() OVER (ORDER BY arrived_at, seed) END AS lead_id
    FROM statused
)
SELECT lead_id, lpad(CAST(h % 9999999999 AS VARCHAR), 10, '7'), region, product, lead_type, temperature,
       status, 'call_base', sc_id, arrived_at, arrived_at, deadline,
       CASE WHEN status <> 'new' THEN arrived_at + INTERVAL 1 HOUR END,
       CASE WHEN status IN ('completed', 'refused', 'blocked') THEN deadline + INTERVAL 1 DAY END
FROM numbered
ORDER BY lead_id
"""

# Breaches the earlier sweeps recorded: open leads overdue by more than an hour, and a share
# of the leads taken or closed late.
EARLIER_BREACHES = """
INSERT INTO sla_breaches
SELECT lead_id, sc_id, temperature, accept_deadline, accept_deadline + INTERVAL 30 MINUTE, 30
FROM leads
WHERE (status = 'new' AND accept_deadline < $as_of - INTERVAL 1 HOUR)
   OR (status <> 'new' AND lead_id % 20 = 0 AND accept_deadline < $as_of)
"""

# Bookings: each connection lead's own, and invoices and paid periods at the lead's SC or, for
# a few, at another SC, following the lead by a month, so that some are in force at as_of;
# written in the order they start, as the pipeline writes them, unless `$scattered`.
BOOKINGS = """
INSERT INTO bookings
SELECT * FROM (
    SELECT inn, NULL, product, sc_id, 'lead', arrived_at AS starts_at, arrived_at + INTERVAL 30 DAY,
           lead_id, NULL
    FROM leads WHERE lead_type = 'connection'
    UNION ALL
    SELECT inn, NULL, product,
           CASE WHEN lead_id % 50 = 0 THEN 'sc-msk-1' ELSE sc_id END,
           CASE WHEN lead_id % 2 = 0 THEN 'invoice' ELSE 'paid_period' END,
           arrived_at + INTERVAL 20 DAY, arrived_at + INTERVAL 50 DAY, NULL, NULL
    FROM leads WHERE lead_id % 10 = 3
)
ORDER BY CASE WHEN $scattered THEN lead_id END, starts_at
"""

BASELINE = "SELECT count(*) FROM leads WHERE status = 'new' AND accept_deadline < $as_of"


def prepare(warehouse: Path, leads: int, *, scattered: bool) -> dict[str, int]:
    from flows.initialise import init_warehouse
    from warehouse import store

    init_warehouse(warehouse)
    with store.transaction(warehouse) as con:
        store.run(con, LEADS, {"n": leads, "as_of": AS_OF, "scattered": scattered})
        store.run(con, EARLIER_BREACHES, {"as_of": AS_OF})
        store.run(con, BOOKINGS, {"scattered": scattered})
        return {
            table: int(store.scalar(con, f"SELECT count(*) FROM {table}"))
            for table in ("leads", "sla_breaches", "bookings")
        }


def _scan(warehouse: str) -> tuple[tuple[float, float], int]:
    import duckdb

    def count() -> int:
        con = duckdb.connect(warehouse, read_only=True)
        (found,) = con.execute(BASELINE, {"as_of": AS_OF}).fetchall()[0]
        con.close()
        return int(found)

    took, found = _timed(count)
    return took, found


def _timed(call, *args: object, **kwargs: object) -> tuple[tuple[float, float], object]:
    """Wall-clock and CPU seconds of a call (CPU of every thread of this process: DuckDB's
    too), and its result. CPU time barely changes when other work shares the machine."""
    started, cpu = time.perf_counter(), time.process_time()
    result = call(*args, **kwargs)
    return (time.perf_counter() - started, time.process_time() - cpu), result


def peak_mb() -> float:
    """This process's peak resident memory (VmHWM: ru_maxrss would survive exec and report
    the parent's, the warehouse generator's)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def measure(warehouse: str) -> dict[str, object]:
    from flows.engine import server_configured

    on_server = server_configured()
    prefect_start = prefect_start_seconds() if on_server else None  # a direct call starts none
    import numpy  # noqa: F401  (loaded by a process's first frame, as in a long-running worker)
    import pyarrow  # noqa: F401

    from flows.sweeps import sweep_bookings, sweep_sla

    copy = str(Path(warehouse).with_suffix(".copy.duckdb"))
    shutil.copyfile(warehouse, copy)
    os.sync()  # the copy's pages reach the disk now, not in the first sweep's checkpoint
    scan_first, overdue = _scan(warehouse)
    (sla_seconds, sla_cpu), sla = _timed(sweep_sla, as_of=AS_OF, warehouse=warehouse)
    (again_seconds, _), again = _timed(sweep_sla, as_of=AS_OF, warehouse=warehouse)
    (bookings_seconds, bookings_cpu), bookings = _timed(sweep_bookings, as_of=AS_OF, warehouse=warehouse)
    (sla_body_seconds, _), _ = _timed(sweep_sla.fn, as_of=AS_OF, warehouse=copy)
    (bookings_body_seconds, _), _ = _timed(sweep_bookings.fn, as_of=AS_OF, warehouse=copy)
    scan_last, _ = _scan(warehouse)
    scan = min(scan_first, scan_last)
    return {
        "mode": "a flow run on the configured Prefect server" if on_server else "a direct call: no server",
        "prefect_start_seconds": prefect_start,
        "scan_seconds": scan[0],
        "scan_cpu_seconds": scan[1],
        "overdue": overdue,
        "sla_seconds": sla_seconds,
        "sla_cpu_seconds": sla_cpu,
        "sla_body_seconds": sla_body_seconds,
        "sla": sla,
        "sla_again_seconds": again_seconds,
        "sla_again": again,
        "bookings_seconds": bookings_seconds,
        "bookings_cpu_seconds": bookings_cpu,
        "bookings_body_seconds": bookings_body_seconds,
        "bookings": bookings,
        "peak_mb": peak_mb(),
    }


def bench(leads: int, *, scattered: bool) -> dict[str, object]:
    """Build a warehouse of `leads` leads, measure it in a fresh process, print the figures."""
    with scratch_folder("pp-bench-sweep-") as workdir:
        warehouse = workdir / "bench.duckdb"
        started = time.perf_counter()
        counts = prepare(warehouse, leads, scattered=scattered)
        print(
            f"prepared {counts['leads']:,} leads, {counts['sla_breaches']:,} earlier breaches, "
            f"{counts['bookings']:,} bookings in {time.perf_counter() - started:.1f} s "
            f"({warehouse.stat().st_size / 2**20:,.0f} MiB)"
        )
        got = measure_in_child(__file__, "--measure", str(warehouse))
    sla, again, bookings = got["sla"], got["sla_again"], got["bookings"]
    scan = got["scan_seconds"]
    mode = got["mode"]
    if got["prefect_start_seconds"] is None:
        print("prefect start-up: none (no Prefect server configured: the flows run as direct calls)")
    else:
        print(f"prefect start-up (excluded): {got['prefect_start_seconds']:.2f} s")
    print(
        f"baseline scan: {scan:.3f} s, {got['scan_cpu_seconds']:.3f} s CPU "
        f"({got['overdue']:,} leads new past their deadline)"
    )
    print(
        f"sla sweep: {got['sla_seconds']:.3f} s ({mode}), {got['sla_body_seconds']:.3f} s its body; "
        f"breaches {sla['breaches_recorded']:,}, transferred {sla['transferred']:,}, "
        f"no SC to go to {sla['transfer_no_target']:,}"
    )
    print(
        f"sla sweep again at the same as_of: {got['sla_again_seconds']:.3f} s; "
        f"breaches {again['breaches_recorded']:,}, transferred {again['transferred']:,}"
    )
    print(
        f"booking sweep: {got['bookings_seconds']:.3f} s ({mode}), "
        f"{got['bookings_body_seconds']:.3f} s its body; blocked {bookings['leads_blocked']:,}, "
        f"bookings in force {bookings['bookings_in_force']:,}"
    )
    print(
        f"CPU: sla sweep {got['sla_cpu_seconds']:.3f} s, booking sweep {got['bookings_cpu_seconds']:.3f} s "
        f"(sla_sweep_vs_scan_cpu_ratio {got['sla_cpu_seconds'] / got['scan_cpu_seconds']:.2f}, "
        f"booking_sweep_vs_scan_cpu_ratio {got['bookings_cpu_seconds'] / got['scan_cpu_seconds']:.2f})"
    )
    print(f"peak memory of the measuring process: {got['peak_mb']:,.0f} MiB")
    print(f"booking_sweep_vs_scan_ratio {got['bookings_seconds'] / scan:.2f}")
    print(f"booking_sweep_body_vs_scan_ratio {got['bookings_body_seconds'] / scan:.2f}")
    print(f"sla_sweep_body_vs_scan_ratio {got['sla_body_seconds'] / scan:.2f}")
    print(f"sla_sweep_vs_scan_ratio {got['sla_seconds'] / scan:.2f}")
    return got


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--leads", type=int, nargs="+", default=[1_000_000])
    parser.add_argument(
        "--scattered",
        action="store_true",
        help="store leads and bookings in an order unrelated to time (the worst case for zone maps)",
    )
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return

    sizes = sorted(set(args.leads))
    measured = {}
    for leads in sizes:
        order = "scattered" if args.scattered else "in the order the pipeline writes them"
        print(f"--- {leads:,} leads, {order}")
        measured[leads] = bench(leads, scattered=args.scattered)
    if len(sizes) > 1:
        small, large = measured[sizes[0]], measured[sizes[-1]]
        name = "_vs_".join(SIZE_NAMES.get(n, str(n)) for n in (sizes[-1], sizes[0]))
        print(f"booking_sweep_{name}_ratio {large['bookings_seconds'] / small['bookings_seconds']:.2f}")
        print(f"sweep_{name}_ratio {large['sla_seconds'] / small['sla_seconds']:.2f}")


if __name__ == "__main__":
    main()
