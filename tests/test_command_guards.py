"""Commands refuse what would lose data or rewrite history: one line, exit status 2, nothing
written (SPEC §6, §11, §13; the issue "nothing a user types loses data or stops the pipeline")."""

from __future__ import annotations

import pytest

from flows.cli import parse_counts
from schemas.errors import PipelineError
from tests.test_cli import run


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("m1=2,m1=3", "names manager 'm1' twice"),
        ("m1=2, m1 =3", "names manager 'm1' twice"),
        ("m1=0", "a count of at least 1"),
        ("m1=-2", "expected MANAGER=N pairs"),
        ("m1=²", "expected MANAGER=N pairs"),
        ("m1=٣", "expected MANAGER=N pairs"),
        (" , ", "expected MANAGER=N pairs"),
    ],
)
def test_counts_a_deal_cannot_honour_are_refused(text, message):
    with pytest.raises(PipelineError, match=message):
        parse_counts(text)


def test_counts_keep_the_order_given():
    assert list(parse_counts("vera=1, anna=12")) == ["vera", "anna"]


def test_a_repeated_manager_is_one_line_before_any_flow(monkeypatch, capsys, warehouse):
    before = warehouse.stat().st_mtime_ns
    args = ["managers", "assign", "--sc", "sc-ekb-1", "--counts", "ekb-1-m1=2,ekb-1-m1=3"]
    code, _, err = run(monkeypatch, capsys, "--warehouse", str(warehouse), *args)
    assert code == 2
    assert err.startswith("pp: error: --counts 'ekb-1-m1=2,ekb-1-m1=3' names manager 'ekb-1-m1' twice")
    assert len(err.strip().splitlines()) == 1
    assert warehouse.stat().st_mtime_ns == before
