"""The published INN check-digit algorithm, digit by digit: an oracle independent of the
vectorised checks and of the generator."""

from __future__ import annotations


def inn_is_valid(inn: str) -> bool:
    if not inn.isascii() or not inn.isdigit() or len(inn) not in (10, 12):
        return False
    d = [int(c) for c in inn]

    def check(weights: list[int]) -> int:
        return sum(w * x for w, x in zip(weights, d, strict=False)) % 11 % 10

    if len(d) == 10:
        return check([2, 4, 10, 3, 5, 9, 4, 6, 8]) == d[9]
    return check([7, 2, 4, 10, 3, 5, 9, 4, 6, 8]) == d[10] and (
        check([3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8]) == d[11]
    )
