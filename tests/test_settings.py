"""Settings: the SMTP password is a secret (it never shows in a printed settings object, only
where it is used), they are read once per environment, and `.env.example` lists them all."""

from __future__ import annotations

import re
from pathlib import Path

from flows.notify import _smtp_password
from schemas.settings import Settings, load_settings

PASSWORD = "s3cret-Passw0rd"


def test_repr_and_str_of_settings_hide_the_smtp_password(monkeypatch):
    monkeypatch.setenv("PP_SMTP_PASSWORD", PASSWORD)
    settings = load_settings()
    assert PASSWORD not in repr(settings)
    assert PASSWORD not in str(settings)
    assert PASSWORD not in settings.model_dump_json()


def test_the_smtp_login_still_gets_the_password_in_clear(monkeypatch):
    monkeypatch.setenv("PP_SMTP_PASSWORD", PASSWORD)
    assert _smtp_password(load_settings()) == PASSWORD


def test_an_empty_smtp_password_is_no_password(monkeypatch):
    monkeypatch.setenv("PP_SMTP_PASSWORD", "")
    assert _smtp_password(load_settings()) is None


def test_settings_are_read_once_per_environment(monkeypatch):
    monkeypatch.setenv("PP_DIGEST_HOUR", "7")
    first = load_settings(warehouse=Path("a.duckdb"))
    assert load_settings(warehouse=Path("a.duckdb")) is first  # read once, not at every step
    assert load_settings(warehouse=Path("b.duckdb")).warehouse.path == Path("b.duckdb")


def test_a_changed_variable_or_env_file_is_seen_at_once(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PP_DIGEST_HOUR", "7")
    assert load_settings().digest_hour == 7
    monkeypatch.setenv("PP_DIGEST_HOUR", "8")
    assert load_settings().digest_hour == 8
    monkeypatch.delenv("PP_DIGEST_HOUR")
    (tmp_path / ".env").write_text("PP_DIGEST_HOUR=10\n", encoding="utf-8")
    assert load_settings().digest_hour == 10
    (tmp_path / ".env").write_text("PP_DIGEST_HOUR=11\n", encoding="utf-8")
    assert load_settings().digest_hour == 11


def test_the_example_env_file_lists_every_setting_with_its_default():
    """`.env.example` is where users look up a setting: each one is there, with its default."""
    text = (Path(__file__).parents[1] / ".env.example").read_text(encoding="utf-8")
    listed = dict(re.findall(r"^# PP_([A-Z0-9_]+)=(.*)$", text, flags=re.MULTILINE))
    for name, field in Settings.model_fields.items():
        assert name.upper() in listed, f"PP_{name.upper()} is missing from .env.example"
        default = field.default
        if isinstance(default, bool):
            assert listed[name.upper()] == str(default).lower(), name
        elif isinstance(default, int | float) and not isinstance(default, bool):
            assert float(listed[name.upper()]) == default, name
