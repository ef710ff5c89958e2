"""What the benchmarks share: a scratch folder, a measurement in a fresh process, whether a
Prefect server would record the flows measured, Prefect's own start-up timed apart."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def scratch_folder(prefix: str) -> Iterator[Path]:
    """A temporary folder for the benchmark's warehouse and feeds, Prefect's home inside it
    unless one is set; removed afterwards, whatever happened."""
    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    os.environ.setdefault("PREFECT_HOME", str(workdir / "prefect"))
    try:
        yield workdir
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def measure_in_child(script: str, *args: str) -> dict:
    """Run `script` again in a fresh process (so memory and imports start from nothing) and
    return the JSON object its last line prints."""
    env = {**os.environ, "PREFECT_LOGGING_LEVEL": "WARNING"}
    out = subprocess.run([sys.executable, script, *args], check=True, capture_output=True, text=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def server_configured() -> bool:
    """A Prefect server the pipeline's flows would run on (flows/engine.py); without one they
    run directly, as a `pp` command runs them."""
    from flows.engine import server_configured as configured

    return configured()


def prefect_start_seconds() -> float:
    """Run an empty plain Prefect flow: without a server it starts a temporary one, which the
    pipeline's own flows skip (flows/engine.py), so this start-up is no part of a `pp`
    command; a measurement that reports it reports it apart."""
    from prefect import flow

    import flows  # noqa: F401  (Prefect's offline defaults)

    @flow(name="bench-warm-up")
    def warm_up() -> None:
        return None

    started = time.perf_counter()
    warm_up()
    return time.perf_counter() - started
