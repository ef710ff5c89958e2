"""How long a person waits for `pp`: the medians of a few everyday commands, each run as a
fresh process the way a user types it, against `pp --help` (the floor: Python and the CLI);
first with no Prefect server configured, then against a local server (started here, on a
free loopback port, set up with `pp server setup`), where every flow run is recorded.

    python bench/latency.py [--repeat 5] [--no-server]

Prints whether the libraries start from compiled bytecode (the figures depend on it: see
docs/latency.md), each command's median in each mode, `single_lead_latency_s` (`pp lead
stage`), `server_single_lead_latency_s` and `server_interactive_latency_s` (the same, a
server configured) and, last, `interactive_latency_s X.XX`: the one-row ingest with no
server configured."""

from __future__ import annotations

import argparse
import importlib.util
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

BIN = Path(sys.executable).parent
PP = str(BIN / "pp")
AS_OF = "2026-03-06T16:30:00+03:00"
SERVER_START_SECONDS = 180


def _timed(args: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run([PP, *args], env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"pp {' '.join(args)} failed: {done.stderr.strip()}")
    return elapsed


@contextmanager
def local_server(home: Path) -> Iterator[str]:
    """`prefect server start` on a free loopback port; its API URL, until the block ends."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/api"
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    env.pop("PREFECT_API_URL", None)
    with (home.parent / "server.log").open("w") as log:
        server = subprocess.Popen(
            [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + SERVER_START_SECONDS
            while True:
                try:
                    with urllib.request.urlopen(f"{url}/health", timeout=2):
                        break
                except OSError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        raise SystemExit("the local Prefect server did not start") from None
                    time.sleep(0.5)
            yield url
        finally:
            server.terminate()
            server.wait(timeout=60)


def _medians(
    mode: str, env: dict[str, str], feeds: Iterator[Path], repeat: int, lead: int
) -> dict[str, float]:
    """The cases in one mode, each `repeat` times: {case: median seconds}."""
    cases: dict[str, Callable[[], list[str]]] = {
        "pp --help": lambda: ["--help"],
        "pp sanction list": lambda: ["sanction", "list", "--as-of", AS_OF],
        "pp lead stage (single-lead action)": lambda: [
            *("lead", "stage", str(lead), "--stage", "offer_made", "--as-of", AS_OF)
        ],
        "pp ingest, one row (batch command)": lambda: [
            *("ingest", str(next(feeds)), "--source", "call_base", "--as-of", AS_OF)
        ],
    }
    medians = {}
    for name, args in cases.items():
        times = [_timed(args(), env) for _ in range(repeat)]
        medians[name] = statistics.median(times)
        spread = f"min {min(times):.2f}, max {max(times):.2f}"
        print(f"{mode}: {name}: median {medians[name]:.2f} s over {repeat} ({spread})", flush=True)
    return medians


def _bytecode(env: dict[str, str]) -> str:
    """Whether a `pp` process starts from compiled bytecode, or compiles every library first
    (looked up before anything here imports a library, which would compile it)."""
    spec = importlib.util.find_spec("typer")
    origin = spec.origin if spec is not None else None
    if origin is not None and Path(importlib.util.cache_from_source(origin)).exists():
        return "compiled bytecode present"
    if env.get("PYTHONDONTWRITEBYTECODE") and not env.get("PYTHONPYCACHEPREFIX"):
        return "none installed and PYTHONDONTWRITEBYTECODE set: every command compiles its libraries"
    return "none yet: the set-up commands below compile and keep it"


def _one_row_feeds(root: Path) -> Iterator[Path]:
    """One-row feeds, each with a new phone: every ingest reads, validates, deduplicates and
    merges into the open lead; none is skipped as a file loaded before."""
    n = 0
    while True:
        n += 1
        feed = root / f"one-row-{n}.csv"
        feed.write_text(f"inn,phone,product\n7707083893,8912{n:07d},extern\n", encoding="utf-8")
        yield feed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-server", action="store_true", help="skip the local-server mode")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pp-latency-") as folder:
        root = Path(folder)
        env = {
            **{k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"},
            "PREFECT_HOME": str(root / "prefect"),
            "PP_WAREHOUSE": str(root / "pp.duckdb"),
        }
        feeds = _one_row_feeds(root)
        print(f"bytecode: {_bytecode(env)}", flush=True)
        _timed(["init"], env)
        _timed(["ingest", str(next(feeds)), "--source", "call_base", "--as-of", AS_OF], env)
        _timed(["lead", "take", "1", "--contact", "call", "--as-of", AS_OF], env)
        batch = "pp ingest, one row (batch command)"
        single = "pp lead stage (single-lead action)"
        direct = _medians("no server", env, feeds, options.repeat, lead=1)
        if not options.no_server:
            home = root / "server-home"
            home.mkdir()
            with local_server(home) as url:
                recorded = {**env, "PREFECT_API_URL": url}
                _timed(["server", "setup"], recorded)
                _timed(["ingest", str(next(feeds)), "--source", "call_base", "--as-of", AS_OF], recorded)
                on_server = _medians("server", recorded, feeds, options.repeat, lead=1)
            print(f"server_single_lead_latency_s {on_server[single]:.2f}")
            print(f"server_interactive_latency_s {on_server[batch]:.2f}")
        print(f"single_lead_latency_s {direct[single]:.2f}")
        print(f"interactive_latency_s {direct[batch]:.2f}")


if __name__ == "__main__":
    main()
