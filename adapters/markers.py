"""The small JSON records commands leave beside what they wrote (the report's table manifest,
the demo folder's marker), so a later run replaces only its own files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def read_marker(path: Path, generator: str) -> dict[str, Any] | None:
    """The JSON record a command left at `path` about what it wrote, or None when there is
    none of `generator`'s: a link, a folder, an unreadable or foreign file counts as none."""
    if path.is_symlink() or not path.is_file():
        return None
    try:
        recorded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(recorded, dict) or recorded.get("generator") != generator:
        return None
    return recorded
