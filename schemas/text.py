"""Text that came from users, in one place: which characters no name, header or message line
may hold, how such text is quoted back safely, and what one e-mail address is."""

from __future__ import annotations

from email import policy
from email.errors import NonASCIILocalPartDefect
from email.headerregistry import AddressHeader, BaseHeader

# What `str.splitlines` breaks a line at: a name or header value holding one is two lines.
LINE_BREAKS = ("\n", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")
# C0 and C1 controls and DEL (Unicode category Cc) that are not line breaks.
CONTROL_CHARACTERS = tuple(
    c for c in (*map(chr, range(0x20)), *map(chr, range(0x7F, 0xA0))) if c not in LINE_BREAKS
)
# Bidirectional embeddings, overrides and isolates: they reorder what a terminal shows.
BIDI_CONTROLS = (*map(chr, range(0x202A, 0x202F)), *map(chr, range(0x2066, 0x206A)))

# White space becomes a space, the others a visible U+FFFD, so "found \x00phone" does not
# read as a plain "phone".
_UNPRINTABLE: dict[int, str] = {
    ord(c): (" " if c in "\t\n\r\v\f" else "\ufffd")
    for c in (*LINE_BREAKS, *CONTROL_CHARACTERS, *BIDI_CONTROLS)
}
_CHARACTER_NAMES = {
    "\n": "a line break",
    "\r": "a carriage return",
    "\u2028": "a line separator",
    "\u2029": "a paragraph separator",
    "\t": "a tab",
    "\x1b": "an ESC",
}


def printable(text: object) -> str:
    """`text` safe to quote back to a user: terminal control characters (ESC sequences,
    line breaks, bidirectional overrides) replaced, so a file name, header or value taken
    from a feed can neither drive the terminal nor break a message into several lines."""
    return str(text).translate(_UNPRINTABLE)


def control_character(value: str) -> str | None:
    """The first line break or control character `value` holds, named for a person
    (`a tab (U+0009)`), or None."""
    for char in value:
        if char in LINE_BREAKS or char in CONTROL_CHARACTERS:
            return f"{_CHARACTER_NAMES.get(char, 'a control character')} (U+{ord(char):04X})"
    return None


def address_problem(value: str) -> str | None:
    """What keeps `value` from being one whole e-mail address in a header, or None (a non-ASCII
    mailbox name is allowed: servers offering SMTPUTF8 take it)."""
    if any(c in value for c in LINE_BREAKS):
        return "holds a line break"
    if any(c in value for c in CONTROL_CHARACTERS):
        return "holds a control character"
    header = policy.default.header_factory("To", value)
    assert isinstance(header, AddressHeader)
    assert isinstance(header, BaseHeader)
    defects = [d for d in header.defects if not isinstance(d, NonASCIILocalPartDefect)]
    if (
        defects
        or len(header.addresses) != 1
        or not (header.addresses[0].username and header.addresses[0].domain)
    ):
        return "is not one e-mail address"
    return None


def sender_problem(mail_from: str) -> str | None:
    """What keeps `mail_from` from being the sender of every message (it also gives the
    Message-ID its domain, which must be ASCII), or None."""
    if problem := address_problem(mail_from):
        return problem
    return None if mail_from.isascii() else "is not ASCII (the Message-IDs take its domain)"
