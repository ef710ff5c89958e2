"""The SMTP password is a secret: it never shows in a printed settings object, only where it is used."""

from __future__ import annotations

from flows.notify import _smtp_password
from schemas.settings import load_settings

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
