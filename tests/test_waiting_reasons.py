"""SPEC §6 rule 4, §15: a lead that waits without an SC says why, from the moment it is placed,
and every SLA sweep that still finds no SC for it says why again, as the reference is now."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from importlib.resources import as_file, files
from pathlib import Path

import polars as pl
import pytest

from flows.sanctions import lift_sanction
from schemas.enums import WaitingReason
from tasks.assign import waiting_reasons, waiting_sentence
from tests.support import query, run

T0 = datetime(2026, 3, 2, 6, tzinfo=UTC)  # Monday 09:00 in Moscow
AS_OF = T0.isoformat()
# The demo reference: no SC serves region 01; region 14's only SC (sc-ykt-1) does not sell
# market; region 39's only SC is sc-kgd-1, excluded below.
FEED = (
    "inn,region,product,phone\n"
    "7707083893,01,focus,89123456781\n"
    "7736050003,14,market,89123456782\n"
    "7710140679,39,extern,89123456783\n"
)
OFFERS = pl.DataFrame(
    {
        "region": ["66", "66", "77"],
        "product": ["extern", "extern", "diadoc"],
        "sc_id": ["ekb-1", "ekb-2", "msk-1"],
        "excluded": [True, True, False],
    }
)


def test_each_reason_is_decided_from_what_the_scs_offer():
    leads = pl.DataFrame(
        {
            "lead_id": [1, 2, 3, 4, 5],
            "region": [None, "01", "77", "66", "77"],
            "product": ["extern", "extern", "extern", "extern", "diadoc"],
        }
    )
    reasons = waiting_reasons(leads, OFFERS)
    assert reasons.rows() == [
        (1, WaitingReason.NO_REGION.value),
        (2, WaitingReason.NO_SC_IN_REGION.value),
        (3, WaitingReason.NO_SC_SELLS_PRODUCT.value),
        (4, WaitingReason.ALL_EXCLUDED.value),
        (5, None),  # msk-1 may take it: it does not wait for want of an SC
    ]


def test_the_sentence_names_the_region_and_the_product():
    frame = pl.DataFrame(
        {
            "waiting_reason": ["no_sc_in_region", "no_sc_sells_product", "all_excluded", None],
            "region": ["54", "25", "39", "77"],
            "product": ["extern", "diadoc", "extern", "extern"],
        }
    )
    said = frame.select(waiting_sentence())["reason"].to_list()
    assert said[0] == "no SC serves region 54"
    assert said[1] == "no SC in region 25 sells diadoc"
    assert said[2].startswith("every eligible SC is excluded: each SC in region 39 selling extern")
    assert said[3].startswith("not decided yet")


@pytest.fixture
def feed(tmp_path: Path) -> Path:
    path = tmp_path / "feed.csv"
    path.write_text(FEED, encoding="utf-8")
    return path


def _pp(monkeypatch, capsys, warehouse: Path, *args: str) -> str:
    code, out, err = run(monkeypatch, capsys, "--warehouse", str(warehouse), *args)
    assert code == 0, out + err
    return out


def _exclude_kgd(monkeypatch, capsys, warehouse: Path) -> None:
    _pp(
        monkeypatch,
        capsys,
        warehouse,
        "sanction",
        "exclude",
        "--sc",
        "sc-kgd-1",
        "--forever",
        "--as-of",
        AS_OF,
    )


def _reasons(warehouse: Path) -> dict[str, tuple]:
    found = query(
        warehouse, "SELECT region, sc_id, waiting_reason, waiting_checked_at FROM leads ORDER BY lead_id"
    )
    return {region: rest for region, *rest in found.rows()}


def test_ingest_says_why_each_lead_waits(monkeypatch, capsys, warehouse, feed):
    _exclude_kgd(monkeypatch, capsys, warehouse)
    shown = _pp(
        monkeypatch, capsys, warehouse, "ingest", str(feed), "--source", "call_base", "--as-of", AS_OF
    )
    for code in ("no_sc_in_region", "no_sc_sells_product", "all_excluded"):
        assert any(
            f"unassigned: {code}" in line and line.rstrip(" │").endswith("1") for line in shown.splitlines()
        )
    assert _reasons(warehouse) == {
        "01": [None, "no_sc_in_region", T0],
        "14": [None, "no_sc_sells_product", T0],
        "39": [None, "all_excluded", T0],
    }

    listed = json.loads(_pp(monkeypatch, capsys, warehouse, "leads", "waiting", "--json"))
    assert listed["waiting"] == 3
    assert listed["by_reason"] == {"all_excluded": 1, "no_sc_in_region": 1, "no_sc_sells_product": 1}
    assert [lead["reason"].split(":")[0] for lead in listed["leads"]] == [
        "no SC serves region 01",
        "no SC in region 14 sells market",
        "every eligible SC is excluded",
    ]
    table = _pp(monkeypatch, capsys, warehouse, "leads", "waiting")
    assert "3 leads waiting for an SC" in table
    assert "no SC in region 14 sells market" in table


def test_the_ingest_json_counts_the_unassigned_by_reason(monkeypatch, capsys, warehouse, feed):
    summary = json.loads(
        _pp(
            monkeypatch,
            capsys,
            warehouse,
            "ingest",
            str(feed),
            "--source",
            "call_base",
            "--as-of",
            AS_OF,
            "--json",
        )
    )
    # sc-kgd-1 is not excluded here: the region 39 lead goes to it
    assert summary["unassigned_reasons"] == {"no_sc_in_region": 1, "no_sc_sells_product": 1}
    assert summary["unassigned"] == sum(summary["unassigned_reasons"].values())


def _changed_reference(tmp_path: Path) -> Path:
    """The demo reference, where sc-khv-1 also serves region 01 (it does not sell focus) and
    sc-ykt-1 also sells market."""
    target = tmp_path / "reference"
    with as_file(files("schemas") / "demo_reference") as bundled:
        shutil.copytree(bundled, target)
    centres = target / "service_centers.csv"
    text = centres.read_text(encoding="utf-8")
    text = text.replace(
        "Asia/Yakutsk,leads@ykt1-partner.ru,14;28,extern;",
        "Asia/Yakutsk,leads@ykt1-partner.ru,14;28,market;extern;",
    )
    text = text.replace("pp@khv1-partner.ru,27;25,", "pp@khv1-partner.ru,27;25;01,")
    centres.write_text(text, encoding="utf-8")
    return target


def test_a_sweep_retries_and_keeps_each_reason_current(monkeypatch, capsys, warehouse, feed, tmp_path):
    _exclude_kgd(monkeypatch, capsys, warehouse)
    _pp(monkeypatch, capsys, warehouse, "ingest", str(feed), "--source", "call_base", "--as-of", AS_OF)
    _pp(monkeypatch, capsys, warehouse, "init", "--reference", str(_changed_reference(tmp_path)))

    later = T0 + timedelta(hours=1)
    result = json.loads(
        _pp(monkeypatch, capsys, warehouse, "sweep", "sla", "--as-of", later.isoformat(), "--json")
    )
    assert (result["waiting_assigned"], result["still_waiting"]) == (1, 2)
    assert result["still_waiting_by_reason"] == {"all_excluded": 1, "no_sc_sells_product": 1}
    assert _reasons(warehouse) == {
        "01": [None, "no_sc_sells_product", later],  # served now, but no SC of 01 sells focus
        "14": ["sc-ykt-1", None, None],  # placed: it no longer waits
        "39": [None, "all_excluded", later],
    }

    (sanction_id,) = query(warehouse, "SELECT sanction_id FROM sanctions").row(0)
    lift_sanction(warehouse, sanction_id, by="principal", as_of=later + timedelta(minutes=1))
    shown = _pp(
        monkeypatch, capsys, warehouse, "sweep", "sla", "--as-of", (later + timedelta(hours=1)).isoformat()
    )
    assert "waiting leads assigned: 1" in shown
    assert "still waiting for an SC: 1 (no_sc_sells_product 1); see `pp leads waiting`" in shown
    assert _reasons(warehouse)["39"][:2] == ["sc-kgd-1", None]
