"""SLA and booking sweep speed against a bare DuckDB scan of the same warehouse.

Builds a warehouse of N leads in every status and temperature, arrived over a year at a
steady rate, as an hourly sweep finds it: breaches of earlier hours recorded, an hour's worth
of new ones due, bookings of every kind starting and ending around `as_of`. Then, in one
fresh process, it times (a) the baseline: open the file, `count(*)` of `status = 'new' AND
accept_deadline < as_of`, close; (b) the `sweep-sla` flow (breaches, transfers, waiting
leads) as users run it, and its body alone on a copy of the same warehouse, which leaves
out Prefect's bookkeeping of the run; (c) the `sweep-bookings` flow, likewise. Prefect's
start-up is measured and reported apart. The last line is `sla_sweep_vs_scan_ratio X.XX`,
of the whole flow run.

    python bench/sweep.py --leads 10000000
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

AS_OF = datetime(2026, 3, 4, 12, 30, tzinfo=UTC)  # a Wednesday, working hours in every zone west of Omsk

# One INSERT … SELECT from range(): the generator is DuckDB itself, so 10M leads take seconds.
# Leads arrive at a steady rate over a year; each one's attributes come from independent
# slices of hash(lead_id). Within its term a lead is `new` half the time; past it, it was
# taken, closed or blocked, except a fifth of those due in the last hour (this sweep's
# breaches) and a few long-overdue cold ones (breached before, never moved: §6).
LEADS = """
INSERT INTO leads (lead_id, inn, region, product, lead_type, temperature, status, source, sc_id,
                   created_at, arrived_at, accept_deadline, taken_at, closed_at)
WITH sc AS (
    SELECT row_number() OVER (ORDER BY sc_id) - 1 AS k, sc_id, regions, products FROM service_centers
),
g AS (
    SELECT i AS lead_id, hash(i) AS h, (SELECT count(*) FROM sc) AS centres FROM range(1, $n + 1) t(i)
),
shaped AS (
    SELECT g.lead_id, g.h, sc.sc_id, sc.regions[1] AS region,
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
)
SELECT lead_id, lpad(CAST(h % 9999999999 AS VARCHAR), 10, '7'), region, product, lead_type, temperature,
       status, 'call_base', sc_id, arrived_at, arrived_at, deadline,
       CASE WHEN status <> 'new' THEN arrived_at + INTERVAL 1 HOUR END,
       CASE WHEN status IN ('completed', 'refused', 'blocked') THEN deadline + INTERVAL 1 DAY END
FROM statused
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
# a few, at another SC, following the lead by a month, so that some are in force at as_of.
BOOKINGS = """
INSERT INTO bookings
SELECT inn, NULL, product, sc_id, 'lead', arrived_at, arrived_at + INTERVAL 30 DAY, lead_id, NULL
FROM leads WHERE lead_type = 'connection'
UNION ALL
SELECT inn, NULL, product,
       CASE WHEN lead_id % 50 = 0 THEN 'sc-msk-1' ELSE sc_id END,
       CASE WHEN lead_id % 2 = 0 THEN 'invoice' ELSE 'paid_period' END,
       arrived_at + INTERVAL 20 DAY, arrived_at + INTERVAL 50 DAY, NULL, NULL
FROM leads WHERE lead_id % 10 = 3
"""

BASELINE = "SELECT count(*) FROM leads WHERE status = 'new' AND accept_deadline < $as_of"


def prepare(warehouse: Path, leads: int) -> dict[str, int]:
    from flows.initialise import init_warehouse
    from warehouse import store

    init_warehouse(warehouse)
    with store.transaction(warehouse) as con:
        store.run(con, LEADS, {"n": leads, "as_of": AS_OF})
        store.run(con, EARLIER_BREACHES, {"as_of": AS_OF})
        store.run(con, BOOKINGS)
        return {
            table: int(store.scalar(con, f"SELECT count(*) FROM {table}"))
            for table in ("leads", "sla_breaches", "bookings")
        }


def _scan(warehouse: str) -> tuple[float, int]:
    import duckdb

    started = time.perf_counter()
    con = duckdb.connect(warehouse, read_only=True)
    (found,) = con.execute(BASELINE, {"as_of": AS_OF}).fetchall()[0]
    con.close()
    return time.perf_counter() - started, int(found)


def _timed(call, *args: object, **kwargs: object) -> tuple[float, object]:
    started = time.perf_counter()
    result = call(*args, **kwargs)
    return time.perf_counter() - started, result


def measure(warehouse: str) -> dict[str, object]:
    prefect_start = prefect_start_seconds()
    import numpy  # noqa: F401  (loaded by a process's first frame, as in a long-running worker)
    import pyarrow  # noqa: F401

    from flows.sweeps import sweep_bookings, sweep_sla

    copy = str(Path(warehouse).with_suffix(".copy.duckdb"))
    shutil.copyfile(warehouse, copy)
    os.sync()  # the copy's pages reach the disk now, not in the first sweep's checkpoint
    scan_first, overdue = _scan(warehouse)
    sla_seconds, sla = _timed(sweep_sla, as_of=AS_OF, warehouse=warehouse)
    again_seconds, again = _timed(sweep_sla, as_of=AS_OF, warehouse=warehouse)
    bookings_seconds, bookings = _timed(sweep_bookings, as_of=AS_OF, warehouse=warehouse)
    sla_body_seconds, _ = _timed(sweep_sla.fn, as_of=AS_OF, warehouse=copy)
    bookings_body_seconds, _ = _timed(sweep_bookings.fn, as_of=AS_OF, warehouse=copy)
    scan_last, _ = _scan(warehouse)
    return {
        "prefect_start_seconds": prefect_start,
        "scan_seconds": min(scan_first, scan_last),
        "overdue": overdue,
        "sla_seconds": sla_seconds,
        "sla_body_seconds": sla_body_seconds,
        "sla": sla,
        "sla_again_seconds": again_seconds,
        "sla_again": again,
        "bookings_seconds": bookings_seconds,
        "bookings_body_seconds": bookings_body_seconds,
        "bookings": bookings,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return

    with scratch_folder("pp-bench-sweep-") as workdir:
        warehouse = workdir / "bench.duckdb"
        started = time.perf_counter()
        counts = prepare(warehouse, args.leads)
        print(
            f"prepared {counts['leads']:,} leads, {counts['sla_breaches']:,} earlier breaches, "
            f"{counts['bookings']:,} bookings in {time.perf_counter() - started:.1f} s "
            f"({warehouse.stat().st_size / 2**20:,.0f} MiB)"
        )
        got = measure_in_child(__file__, "--measure", str(warehouse))
        sla, again, bookings = got["sla"], got["sla_again"], got["bookings"]
        scan = got["scan_seconds"]
        print(f"prefect start-up (excluded): {got['prefect_start_seconds']:.2f} s")
        print(f"baseline scan: {scan:.3f} s ({got['overdue']:,} leads new past their deadline)")
        print(
            f"sla sweep: {got['sla_seconds']:.3f} s as a flow run, {got['sla_body_seconds']:.3f} s its body; "
            f"breaches {sla['breaches_recorded']:,}, transferred {sla['transferred']:,}, "
            f"no SC to go to {sla['transfer_no_target']:,}"
        )
        print(
            f"sla sweep again at the same as_of: {got['sla_again_seconds']:.3f} s; "
            f"breaches {again['breaches_recorded']:,}, transferred {again['transferred']:,}"
        )
        print(
            f"booking sweep: {got['bookings_seconds']:.3f} s as a flow run, "
            f"{got['bookings_body_seconds']:.3f} s its body; blocked {bookings['leads_blocked']:,}, "
            f"bookings in force {bookings['bookings_in_force']:,}"
        )
        print(f"booking_sweep_vs_scan_ratio {got['bookings_seconds'] / scan:.2f}")
        print(f"sla_sweep_body_vs_scan_ratio {got['sla_body_seconds'] / scan:.2f}")
        print(f"sla_sweep_vs_scan_ratio {got['sla_seconds'] / scan:.2f}")


if __name__ == "__main__":
    main()
