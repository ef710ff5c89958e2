"""What `pp` loads before it answers: help needs neither the settings' pydantic nor rich, and a
single-lead command none of polars, pyarrow, Prefect or rich (docs/latency.md)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

HEAVY = ("polars", "pyarrow", "prefect", "rich", "pydantic", "duckdb")
T0 = datetime(2026, 3, 6, 9, 0, tzinfo=UTC)


def _loaded_by(*args: str) -> tuple[list[str], str]:
    """Run `pp ARGS` in a fresh interpreter: the heavy libraries it loaded, and its output."""
    probe = (
        "import json, sys\n"
        "from flows import cli\n"
        f"sys.argv = ['pp', *{list(args)!r}]\n"
        "try:\n    cli.main()\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n"
        f"print(json.dumps(sorted(set({HEAVY!r}) & set(sys.modules))))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    *output, loaded = done.stdout.strip().splitlines()
    return json.loads(loaded), "\n".join(output)


def test_help_loads_neither_settings_nor_rich_nor_the_data_libraries():
    loaded, output = _loaded_by("--help")
    assert loaded == []
    assert "Potential Sales pipeline" in output


def test_a_single_lead_command_loads_neither_polars_nor_prefect_nor_rich(warehouse: Path):
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "INSERT INTO leads (lead_id, inn, product, lead_type, temperature, status, source, sc_id,"
            " created_at, arrived_at, accept_deadline) VALUES"
            " (1, '7707083893', 'extern', 'connection', 'hot', 'new', 'callback_order', 'sc-msk-1', ?, ?, ?)",
            [T0, T0, T0 + timedelta(hours=3)],
        )
    at = (T0 + timedelta(minutes=30)).isoformat()
    args = ("--warehouse", str(warehouse), "lead", "take", "1", "--contact", "call", "--as-of", at)
    loaded, output = _loaded_by(*args)
    assert loaded == ["duckdb", "pydantic"]  # the warehouse, and the settings it is found by
    assert output == "lead 1 is in_work"
