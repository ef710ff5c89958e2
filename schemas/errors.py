"""Errors a user can fix: the command line prints them as one line, without a traceback."""

from __future__ import annotations

# C0 and C1 control characters (Unicode category Cc) and the bidirectional embeddings,
# overrides and isolates that reorder what a terminal shows: white space becomes a space,
# the others a visible U+FFFD, so "found \x00phone" does not read as a plain "phone".
_UNPRINTABLE: dict[int, str] = {
    code: (" " if chr(code) in "\t\n\r\v\f" else "\ufffd")
    for code in (*range(0x20), *range(0x7F, 0xA0), *range(0x202A, 0x202F), *range(0x2066, 0x206A))
}


def printable(text: object) -> str:
    """`text` safe to quote back to a user: terminal control characters (ESC sequences,
    line breaks, bidirectional overrides) replaced, so a file name, header or value taken
    from a feed can neither drive the terminal nor break a message into several lines."""
    return str(text).translate(_UNPRINTABLE)


class PipelineError(Exception):
    """A problem with the user's input or setup; the message says what is wrong and how to fix it.

    The message is made printable here, once, because it usually quotes user text."""

    def __init__(self, message: str) -> None:
        super().__init__(printable(message))


class WarehouseBusy(PipelineError):
    """Another process holds the warehouse file (DuckDB admits one writer): retry later."""
