"""`pp demo` removes only what an earlier demo wrote: a user's files in its folder survive,
and a folder no demo wrote is refused before anything is touched."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from demo import flow as demo_flow
from demo.flow import demo_files, prepare_demo_folder
from demo.marker import DEFAULT_WEEKS, DEMO_GENERATOR, DEMO_MARKER
from schemas.errors import PipelineError
from tests.support import run


def recorded(root: Path) -> set[str]:
    return set(json.loads((root / DEMO_MARKER).read_text(encoding="utf-8"))["files"])


def fake_run(root: Path, rows: int, start: object, weeks: int, kept: set[str]) -> dict[str, object]:
    """What a run leaves behind, without running the pipeline."""
    for name in ("pp.duckdb", "report.html", "feeds/call_base.csv", "outbox/0001.eml"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("written by the demo", encoding="utf-8")
    return {"kept": kept}


def test_pp_demo_refuses_a_folder_no_demo_wrote(monkeypatch, capsys, tmp_path):
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "thesis.txt").write_text("years of work", encoding="utf-8")
    code, _, err = run(monkeypatch, capsys, "demo", "--dir", str(folder))
    assert code == 2
    assert err.startswith(f"pp: error: --dir {folder} is not empty and is not a demo folder")
    assert len(err.strip().splitlines()) == 1
    assert [p.name for p in folder.iterdir()] == ["thesis.txt"]


@pytest.mark.parametrize("weeks", [1, 13])
def test_weeks_outside_the_simulation_are_one_line_before_the_folder_is_touched(
    monkeypatch, capsys, tmp_path, weeks
):
    folder = tmp_path / "demo"
    code, _, err = run(monkeypatch, capsys, "demo", "--dir", str(folder), "--weeks", str(weeks))
    assert code == 2
    assert err.startswith("pp: error: Invalid value for '--weeks'")
    assert len(err.splitlines()) == 1
    assert not folder.exists()


def test_the_demo_flow_refuses_weeks_outside_the_simulation(tmp_path):
    with pytest.raises(PipelineError, match="--weeks must be from 2 to 12, not 13"):
        demo_flow.run_demo(workdir=str(tmp_path / "demo"), weeks=13)
    assert not (tmp_path / "demo").exists()


def test_a_shorter_demo_writes_fewer_weeks_of_feeds():
    assert demo_files(3) < demo_files(DEFAULT_WEEKS)
    assert "feeds/week-3/callbacks.csv" in demo_files(3)
    assert "feeds/week-4/callbacks.csv" not in demo_files(3)


def test_the_demo_flow_refuses_it_too(monkeypatch, tmp_path):
    """The flow checks for itself (a deployment or a script calls it without the CLI)."""
    monkeypatch.setattr(demo_flow, "_run_demo", fake_run)
    (tmp_path / "thesis.txt").write_text("years of work", encoding="utf-8")
    with pytest.raises(PipelineError, match="is not a demo folder"):
        demo_flow.run_demo.fn(workdir=str(tmp_path))
    assert (tmp_path / "thesis.txt").read_text(encoding="utf-8") == "years of work"


def test_a_rerun_removes_only_what_the_demo_wrote(monkeypatch, tmp_path):
    monkeypatch.setattr(demo_flow, "_run_demo", fake_run)
    root = tmp_path / "demo"
    demo_flow.run_demo.fn(workdir=str(root))  # a new folder
    assert {"pp.duckdb", "report.html", "feeds/call_base.csv", "outbox/0001.eml"} <= recorded(root)
    (root / "w10.html").write_text("a report I saved", encoding="utf-8")
    (root / "outbox" / "mine.eml").write_text("a message I kept", encoding="utf-8")
    result = demo_flow.run_demo.fn(workdir=str(root))
    assert result["kept"] == {"w10.html", "outbox/mine.eml"}
    assert (root / "w10.html").read_text(encoding="utf-8") == "a report I saved"
    assert (root / "outbox" / "mine.eml").read_text(encoding="utf-8") == "a message I kept"
    assert "w10.html" not in recorded(root)
    assert "outbox/mine.eml" not in recorded(root)


def test_earlier_files_are_gone_before_the_run_starts(tmp_path):
    (tmp_path / "feeds").mkdir()
    for name in ("pp.duckdb", "feeds/call_base.csv", "notes.txt"):
        (tmp_path / name).write_text("x", encoding="utf-8")
    (tmp_path / DEMO_MARKER).write_text(
        json.dumps({"generator": DEMO_GENERATOR, "files": ["pp.duckdb", "feeds/call_base.csv"]}),
        encoding="utf-8",
    )
    assert prepare_demo_folder(tmp_path, DEFAULT_WEEKS) == {"notes.txt"}
    assert not (tmp_path / "pp.duckdb").exists()
    assert not (tmp_path / "feeds" / "call_base.csv").exists()
    assert recorded(tmp_path) == demo_files(DEFAULT_WEEKS)


def test_a_file_of_someone_else_where_the_demo_writes_is_refused(tmp_path):
    (tmp_path / "pp.duckdb").write_text("x", encoding="utf-8")
    (tmp_path / "report.html").write_text("my page", encoding="utf-8")
    (tmp_path / DEMO_MARKER).write_text(
        json.dumps({"generator": DEMO_GENERATOR, "files": ["pp.duckdb"]}), encoding="utf-8"
    )
    with pytest.raises(PipelineError, match=r"report\.html was not written by the demo"):
        prepare_demo_folder(tmp_path, DEFAULT_WEEKS)
    assert (tmp_path / "pp.duckdb").exists()
    assert (tmp_path / "report.html").read_text() == "my page"


def test_a_marker_never_removes_a_file_outside_its_folder(tmp_path):
    outside = tmp_path / "precious.txt"
    outside.write_text("keep", encoding="utf-8")
    root = tmp_path / "demo"
    root.mkdir()
    (root / DEMO_MARKER).write_text(
        json.dumps({"generator": DEMO_GENERATOR, "files": ["../precious.txt", str(outside)]}),
        encoding="utf-8",
    )
    prepare_demo_folder(root, DEFAULT_WEEKS)
    assert outside.read_text(encoding="utf-8") == "keep"


def test_a_file_as_the_folder_is_refused(tmp_path):
    path = tmp_path / "demo"
    path.write_text("not a folder", encoding="utf-8")
    with pytest.raises(PipelineError, match="is a file; name a folder for the demo"):
        prepare_demo_folder(path, DEFAULT_WEEKS)
