"""Hot accept deadlines: the vectorized path against the per-row walk, on one million arrivals.

The calendar is the one the flows use: written once by `pp init` into a scratch warehouse and
read back with `repository.working_calendar`, as placement and transfers read it."""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC, date, datetime, timedelta

import polars as pl
from common import scratch_folder

from tasks.calendar import add_accept_deadlines, hot_deadline_one

ZONES = [
    "Europe/Kaliningrad",
    "Europe/Moscow",
    "Europe/Samara",
    "Asia/Yekaterinburg",
    "Asia/Omsk",
    "Asia/Krasnoyarsk",
    "Asia/Irkutsk",
    "Asia/Vladivostok",
]
SEED = 20260309
START = datetime(2024, 1, 1, tzinfo=UTC)
SPAN_US = int((datetime(2027, 1, 1, tzinfo=UTC) - START) / timedelta(microseconds=1))


def arrivals(rows: int) -> pl.DataFrame:
    """Fixed-seed random instants over 2024-2026, each at an SC in one of the zones."""
    rng = random.Random(SEED)
    offsets = [rng.randrange(SPAN_US) for _ in range(rows)]
    zones = [rng.choice(ZONES) for _ in range(rows)]
    return pl.DataFrame(
        {
            "arrived_at": pl.Series(offsets).cast(pl.Duration("us")) + START,
            "timezone": zones,
            "temperature": "hot",
        }
    )


def stored_calendar(first_year: int, last_year: int) -> pl.DataFrame:
    """The production calendar of those years as `pp init` stores it and the flows read it."""
    import pyarrow  # noqa: F401  (loaded by a process's first frame, not by the read timed here)

    from flows.initialise import init_warehouse
    from warehouse import repository as repo
    from warehouse import store

    with scratch_folder("pp-bench-deadlines-") as workdir:
        warehouse = workdir / "bench.duckdb"
        t0 = time.perf_counter()
        init_warehouse(warehouse)
        init_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        with store.reader(warehouse) as con:
            calendar = repo.working_calendar(con, first_year, last_year)
        read_s = time.perf_counter() - t0
    first, last = calendar["day"][0], calendar["day"][-1]
    print(
        f"calendar read from the warehouse ({first}..{last}, {calendar.height} days): {read_s:.3f} s "
        f"(pp init, once per warehouse: {init_s:.1f} s)"
    )
    return calendar


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=20_000, help="rows timed in the loop")
    parser.add_argument("--repeat", type=int, default=3, help="vectorized runs; best is kept")
    args = parser.parse_args()
    rows: int = args.rows
    sample = min(args.sample, rows)

    frame = arrivals(rows)
    print(f"rows: {rows:,} hot arrivals, {len(ZONES)} zones, 2024-2026, seed {SEED}")

    years = frame["arrived_at"].dt.year()
    calendar = stored_calendar(int(years.min()), int(years.max()) + 1)  # type: ignore[arg-type]

    vector_s = float("inf")
    result = frame
    for _ in range(max(1, args.repeat)):
        t0 = time.perf_counter()
        result = add_accept_deadlines(frame, calendar)
        vector_s = min(vector_s, time.perf_counter() - t0)
    vector_row = vector_s / rows
    print(
        f"vectorized add_accept_deadlines: {vector_s:.3f} s for {rows:,} rows "
        f"(best of {max(1, args.repeat)}), {vector_row * 1e6:.3f} us/row"
    )

    flags: dict[date, bool] = dict(zip(calendar["day"], calendar["is_working"], strict=True))
    head = frame.head(sample)
    pairs = list(zip(head["arrived_at"], head["timezone"], strict=True))
    t0 = time.perf_counter()
    looped = [hot_deadline_one(at, zone, flags.__getitem__) for at, zone in pairs]
    loop_s = time.perf_counter() - t0
    loop_row = loop_s / sample
    print(
        f"per-row loop hot_deadline_one: {loop_s:.3f} s for a sample of {sample:,} rows, "
        f"{loop_row * 1e6:.3f} us/row; extrapolated to {rows:,} rows: {loop_row * rows:.1f} s"
    )

    vectorized = result["accept_deadline"].head(sample).to_list()
    agree = sum(v == w for v, w in zip(vectorized, looped, strict=True))
    print(f"sample agreement: {agree:,}/{sample:,}")
    if agree != sample:
        raise SystemExit("vectorized deadlines disagree with the per-row definition")

    speedup = loop_row / vector_row
    print(f"deadline_speedup {speedup:.0f}" if speedup >= 10 else f"deadline_speedup {speedup:.1f}")


if __name__ == "__main__":
    main()
