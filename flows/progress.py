"""A hook through which long flows report progress to whoever shows it (the CLI's bars)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

_listeners: list[Callable[[str, int], None]] = []


def advance(step: str, amount: int) -> None:
    for listener in _listeners:
        listener(step, amount)


@contextmanager
def listening(listener: Callable[[str, int], None]) -> Iterator[None]:
    _listeners.append(listener)
    try:
        yield
    finally:
        _listeners.remove(listener)
