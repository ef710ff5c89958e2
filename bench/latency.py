"""How long a person waits for `pp`: the medians of a few everyday commands, each run as a
fresh process the way a user types it, against `pp --help` (the floor: Python and the CLI).

    python bench/latency.py [--repeat 5]

Prints each command's median and, last, `interactive_latency_s X.XX`: the one-row ingest."""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PP = str(Path(sys.executable).with_name("pp"))
AS_OF = "2026-03-06T16:30:00+03:00"


def _timed(args: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run([PP, *args], env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"pp {' '.join(args)} failed: {done.stderr.strip()}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    repeat = parser.parse_args().repeat
    with tempfile.TemporaryDirectory(prefix="pp-latency-") as folder:
        root = Path(folder)
        env = {
            **{k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"},
            "PREFECT_HOME": str(root / "prefect"),
            "PP_WAREHOUSE": str(root / "pp.duckdb"),
        }
        _timed(["init"], env)
        feeds = []
        for n in range(repeat + 1):
            feed = root / f"one-row-{n}.csv"
            feed.write_text(f"inn,phone,product\n7707083893,8912345{n:04d},extern\n", encoding="utf-8")
            feeds.append(feed)
        _timed(["ingest", str(feeds[0]), "--source", "call_base", "--as-of", AS_OF], env)
        _timed(["lead", "take", "1", "--contact", "call", "--as-of", AS_OF], env)
        cases = {
            "pp --help": lambda n: ["--help"],
            "pp sanction list": lambda n: ["sanction", "list", "--as-of", AS_OF],
            "pp lead stage (single-lead action)": lambda n: [
                "lead", "stage", "1", "--stage", "offer_made", "--as-of", AS_OF
            ],
            "pp ingest, one row (batch command)": lambda n: [
                "ingest", str(feeds[n + 1]), "--source", "call_base", "--as-of", AS_OF
            ],
        }
        medians = {}
        for name, args in cases.items():
            times = [_timed(args(n), env) for n in range(repeat)]
            medians[name] = statistics.median(times)
            spread = f"min {min(times):.2f}, max {max(times):.2f}"
            print(f"{name}: median {medians[name]:.2f} s over {repeat} ({spread})")
        print(f"interactive_latency_s {medians['pp ingest, one row (batch command)']:.2f}")


if __name__ == "__main__":
    main()
