"""`pp --version` names the installed release and needs no settings, warehouse or Prefect."""

from __future__ import annotations

from importlib.metadata import version

from tests.support import run


def test_version_prints_the_installed_package_version(monkeypatch, capsys):
    code, out, err = run(monkeypatch, capsys, "--version")
    assert (code, out, err) == (0, f"pp {version('potential-sales')}\n", "")


def test_version_answers_even_when_a_setting_is_wrong(monkeypatch, capsys):
    monkeypatch.setenv("PP_FEED_TIMEZONE", "Mars/Olympus")
    code, out, _ = run(monkeypatch, capsys, "--version")
    assert code == 0
    assert out.startswith("pp ")
