"""Children of a `pp` process die with it.

Without a server configured, Prefect starts a temporary server as a child process and stops
it when the process exits normally. A `pp` killed with SIGKILL never reaches its exit
handlers, so the server would live on as an orphan (about 200 MB each). On Linux the
parent-death signal ends such a child together with its parent instead."""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
from typing import Any

PR_SET_PDEATHSIG = 1  # prctl(2)


def _die_with(parent: int) -> None:
    """Runs in the child between fork and exec."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)


class _ChildDyingWithUs(subprocess.Popen):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if kwargs.get("preexec_fn") is None:
            parent = os.getpid()
            kwargs["preexec_fn"] = lambda: _die_with(parent)
        super().__init__(*args, **kwargs)


def tie_children_to_this_process() -> None:
    """Every child this process starts from now on gets SIGTERM when the process dies.

    The signal follows the thread that started the child; Prefect starts its temporary
    server from threads that live as long as the process (its client and event workers)."""
    if sys.platform.startswith("linux"):
        subprocess.Popen = _ChildDyingWithUs  # type: ignore[misc]
