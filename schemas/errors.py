"""Errors a user can fix: the command line prints them as one line, without a traceback."""

from __future__ import annotations

from schemas.text import printable


class PipelineError(Exception):
    """A problem with the user's input or setup; the message says what is wrong and how to fix it.

    The message is made printable here, once, because it usually quotes user text."""

    def __init__(self, message: str) -> None:
        super().__init__(printable(message))


class WarehouseBusy(PipelineError):
    """Another process holds the warehouse file (DuckDB admits one writer): retry later."""
