"""What marks a folder as the demo's, readable before Prefect loads: `pp demo` gives the demo
a Prefect home inside its folder, and must know the folder is the demo's before it creates one."""

from __future__ import annotations

from pathlib import Path

from adapters.markers import read_marker
from schemas.errors import PipelineError

DEMO_MARKER = ".pp-demo.json"  # marks a demo folder and lists what the demo wrote there
DEMO_GENERATOR = "Potential Sales demo"
# The demo's own Prefect home, inside its folder: its runs never reach the user's Prefect
# database or server, and it is kept from run to run (a fresh one takes a while to migrate).
PREFECT_HOME_DIR = ".prefect"
# Weeks of simulated work a run may take (the mass actions follow the second week's feeds):
# known here so that `pp demo --weeks` is checked before the folder is touched.
DEFAULT_WEEKS, MIN_WEEKS, MAX_WEEKS = 6, 2, 12


def recorded(root: Path) -> set[str] | None:
    """The files earlier runs wrote into `root`, or None when no demo marked it as its own."""
    found = read_marker(root / DEMO_MARKER, DEMO_GENERATOR)
    if found is None:
        return None
    files = found.get("files")
    inside = (f for f in files if isinstance(f, str)) if isinstance(files, list) else ()
    return {f for f in inside if not Path(f).is_absolute() and ".." not in Path(f).parts}


def claim_folder(root: Path) -> set[str]:
    """What earlier runs wrote into `root`, once it is sure the demo may use it: a new or empty
    folder (but for the demo's Prefect home), or one an earlier run marked."""
    if root.exists() and not root.is_dir():
        raise PipelineError(f"--dir {root} is a file; name a folder for the demo")
    earlier = recorded(root) if root.is_dir() else set()
    if earlier is None:
        if any(entry.name != PREFECT_HOME_DIR for entry in root.iterdir()):
            raise PipelineError(
                f"--dir {root} is not empty and is not a demo folder (it has no {DEMO_MARKER}); "
                "name a new or empty folder"
            )
        earlier = set()
    return earlier
