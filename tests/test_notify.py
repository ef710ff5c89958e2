"""Notifications to SCs (SPEC §8) against a real SMTP server on the loopback interface.

Leads are written straight into a temporary warehouse and announced as the assigning flows
do it (notices planned by `tasks.notices.plan_notices`, queued in their transaction); the
sender is the same function `pp notify` runs. The flow-level tests (ingest, sweep, CLI) are at the end."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from adapters.mail import classify
from flows import notify as notify_module
from flows.notify import deliver
from flows.sweeps import assign_waiting
from schemas.enums import NoticeCause
from schemas.settings import Settings, load_settings
from tasks.notices import plan_notices, unbuildable
from tests.mailserver import MailServer
from tests.support import BOTH_BACKENDS, query
from tests.support import run as cli_run
from warehouse import outbox, store
from warehouse import repository as repo

T0 = datetime(2026, 3, 5, 7, 0, tzinfo=UTC)  # Thursday 10:00 Moscow, 12:00 Yekaterinburg
BASE_URL = "https://pp.example.test"
ADDRESS = {"sc-msk-1": "leads@msk1-partner.ru", "sc-ekb-1": "leads@ekb1-partner.ru"}


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[MailServer]:
    server = MailServer()
    server.start()
    monkeypatch.setenv("PP_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("PP_SMTP_PORT", str(server.port))
    monkeypatch.setenv("PP_BASE_URL", BASE_URL)
    monkeypatch.setenv("PP_SMTP_TIMEOUT_SECONDS", "5")
    yield server
    server.stop()


def queue_notices(
    con: store.Connection,
    assigned: pl.DataFrame,
    *,
    as_of: datetime,
    cause: NoticeCause = NoticeCause.ASSIGNED,
) -> int:
    """Queue the notices of leads (lead_id, sc_id, temperature, accept_deadline) just put at
    their SC, in the caller's transaction; returns how many were new."""
    leads = assigned.join(repo.centre_zones(con), on="sc_id")
    return outbox.insert_notices(con, plan_notices(leads, as_of=as_of, cause=cause, digest_hour=9))


def _hot(*sc_ids: str) -> list[dict[str, Any]]:
    """One hot lead at each of the SCs, for `_assign`."""
    return [{"sc_id": sc_id, "temperature": "hot"} for sc_id in sc_ids]


def _settings(warehouse: Path) -> Settings:
    return load_settings(warehouse=warehouse)


def _assign(
    warehouse: Path,
    leads: list[dict[str, Any]],
    at: datetime,
    cause: NoticeCause = NoticeCause.ASSIGNED,
) -> list[int]:
    """New leads assigned at `at`, their notices queued in the same transaction as the flows do."""
    with store.transaction(warehouse) as con:
        first = repo.next_id(con, "leads", "lead_id")
        rows = pl.DataFrame(
            [
                {
                    "inn": "6663003127",
                    "company_name": "ООО «Урал»",
                    "region": "66",
                    "product": "extern",
                    "lead_type": "connection",
                    "status": "new",
                    "source": "callback_order",
                    **lead,
                }
                for lead in leads
            ]
        ).with_columns(
            lead_id=pl.int_range(pl.len(), dtype=pl.Int64) + first,
            created_at=pl.lit(at),
            arrived_at=pl.lit(at),
            accept_deadline=pl.lit(at + timedelta(hours=3)),
        )
        store.insert(con, "leads", rows)
        queue_notices(con, rows, as_of=at, cause=cause)
    return rows["lead_id"].to_list()


def _links(message: EmailMessage) -> list[str]:
    body = message.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    return [word for word in text.split() if word.startswith(f"{BASE_URL}/leads/")]


def _row(warehouse: Path, notification_id: int = 1) -> dict[str, Any]:
    return query(warehouse, "SELECT * FROM notifications WHERE notification_id = ?", [notification_id]).row(
        0, named=True
    )


def _set_centre(warehouse: Path, sc_id: str, **columns: str) -> None:
    """Reference data as a hand-edited warehouse may hold it, whatever `pp init` accepts."""
    with store.transaction(warehouse) as con:
        for column, value in columns.items():
            con.execute(f"UPDATE service_centers SET {column} = ? WHERE sc_id = ?", [value, sc_id])


# --- pure: the digest window (SPEC §8) ------------------------------------------------------


def test_the_digest_window_turns_at_nine_local_in_each_zone():
    def at(h: int, m: int) -> datetime:
        return datetime(2026, 3, 5, h, m, tzinfo=UTC)

    cases = [  # (zone, assigned at UTC, digest day, due UTC)
        ("Europe/Moscow", at(5, 59), date(2026, 3, 5), at(6, 0)),  # 08:59 MSK: today's digest
        ("Europe/Moscow", at(6, 0), date(2026, 3, 6), at(6, 0) + timedelta(days=1)),  # 09:00: tomorrow's
        ("Asia/Yekaterinburg", at(3, 59), date(2026, 3, 5), at(4, 0)),  # 08:59 +05
        ("Asia/Yekaterinburg", at(4, 0), date(2026, 3, 6), at(4, 0) + timedelta(days=1)),
        ("Asia/Yekaterinburg", at(20, 0), date(2026, 3, 6), at(4, 0) + timedelta(days=1)),  # 01:00 next day
    ]
    for zone, assigned_at, day, due in cases:
        leads = pl.DataFrame(
            {"lead_id": [1, 2], "sc_id": ["sc"] * 2, "temperature": ["warm", "hot"], "timezone": [zone] * 2}
        ).with_columns(accept_deadline=pl.lit(None, pl.Datetime("us", "UTC")))
        planned = plan_notices(leads, as_of=assigned_at, cause=NoticeCause.ASSIGNED, digest_hour=9)
        warm, hot = planned.row(0, named=True), planned.row(1, named=True)
        assert (warm["channel"], warm["digest_day"], warm["due_at"]) == ("digest", day, due), (
            zone,
            assigned_at,
        )
        assert (hot["channel"], hot["digest_day"], hot["due_at"]) == ("immediate", None, assigned_at)


def test_unbuildable_names_the_header_value_a_message_cannot_carry():
    lines = pl.DataFrame(
        {
            "notification_id": [1, 1, 2, 3, 4],
            "sc_id": ["sc-a", "sc-a", "sc\x07b", "sc-c", "sc-d"],
            "sc_name": ["СЦ А", "СЦ А", "СЦ Б", "СЦ В", "СЦ Г\u2028"],
            "recipient": ["a@a.ru", "a@a.ru", "b@b.ru", None, "d@d.ru"],
            "message_id": ["<1@x>", "<1@x>", "<2@x>", "<3@x>", "<4@x>"],
            "timezone": ["Europe/Moscow"] * 5,
        }
    )
    assert unbuildable(lines).rows() == [
        (2, "cannot build the message: the SC id holds a control character"),
        (3, "cannot build the message: the SC has no notification address"),
        (4, "cannot build the message: the SC name holds a line break"),
    ]


# --- against the SMTP server --------------------------------------------------------------


@BOTH_BACKENDS
def test_hot_leads_go_out_at_once_one_message_per_sc(warehouse, smtp):
    company = 'ООО "Рога & Копыта" <Урал>'
    hot = _assign(
        warehouse,
        [
            {"sc_id": "sc-ekb-1", "temperature": "hot", "company_name": company, "kpp": "667001001"},
            {"sc_id": "sc-ekb-1", "temperature": "hot", "lead_type": "upsell", "product": "diadoc"},
            {"sc_id": "sc-msk-1", "temperature": "hot", "inn": "7707083893", "region": "77"},
            {"sc_id": "sc-msk-1", "temperature": "warm", "inn": "7707083893", "region": "77"},
        ],
        T0,
    )
    summary = deliver(_settings(warehouse), T0)
    assert (summary.due, summary.sent, summary.retry_later, summary.failed) == (2, 2, 0, 0)
    by_to = {str(r.message["To"]): r for r in smtp.received}
    assert {tuple(r.recipients) for r in smtp.received} == {(ADDRESS["sc-ekb-1"],), (ADDRESS["sc-msk-1"],)}
    ekb = by_to[ADDRESS["sc-ekb-1"]].message
    assert _links(ekb) == [f"{BASE_URL}/leads/{hot[0]}", f"{BASE_URL}/leads/{hot[1]}"]
    assert _links(by_to[ADDRESS["sc-msk-1"]].message) == [f"{BASE_URL}/leads/{hot[2]}"]  # warm waits

    assert "горячие" in str(ekb["Subject"])
    plain = ekb.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = ekb.get_body(("html",)).get_content()  # type: ignore[union-attr]
    for expected in (company, "ИНН 6663003127 / КПП 667001001", "Контур.Экстерн", "Контур.Диадок"):
        assert expected in plain
    assert "Подключение" in plain
    assert "Допродажа" in plain
    assert "горячий (красный)" in plain
    assert "#d32f2f" in html
    assert "05.03.2026 15:00 (UTC+05:00)" in plain  # T0 + 3 h, in the SC's zone
    assert "Рога &amp; Копыта" in html
    assert "&lt;Урал&gt;" in html
    assert "<Урал>" not in html
    stored = query(warehouse, "SELECT recipient, message_id FROM notifications").rows()
    assert sorted(stored) == sorted((to, r.message["Message-ID"]) for to, r in by_to.items())
    assert all(r.message["Message-ID"].endswith("@potential-sales.local>") for r in smtp.received)

    again = deliver(_settings(warehouse), T0 + timedelta(minutes=5))  # nothing is sent twice
    assert (again.due, len(smtp.received)) == (0, 2)
    statuses = query(warehouse, "SELECT status, attempts, sent_at FROM notifications").rows()
    assert statuses == [("sent", 1, T0), ("sent", 1, T0)]


def test_the_digest_lists_the_window_and_turns_at_nine_local_in_two_zones(warehouse, smtp):
    thu = datetime(2026, 3, 5, tzinfo=UTC)
    msk_before = _assign(
        warehouse, [{"sc_id": "sc-msk-1", "temperature": "warm"}], thu.replace(hour=5, minute=59)
    )
    msk_after = _assign(warehouse, [{"sc_id": "sc-msk-1", "temperature": "cold"}], thu.replace(hour=6))
    ekb_before = _assign(
        warehouse, [{"sc_id": "sc-ekb-1", "temperature": "cold"}], thu.replace(hour=3, minute=59)
    )
    ekb_after = _assign(warehouse, [{"sc_id": "sc-ekb-1", "temperature": "warm"}], thu.replace(hour=4))
    settings = _settings(warehouse)

    def sent_at(as_of: datetime) -> dict[str, list[str]]:
        start = len(smtp.received)
        deliver(settings, as_of)
        return {str(r.message["To"]): _links(r.message) for r in smtp.received[start:]}

    def links(ids: list[int]) -> list[str]:
        return [f"{BASE_URL}/leads/{i}" for i in ids]

    # Thursday's digests: [Wed 09:00, Thu 09:00) local, due Thu 09:00 local
    assert sent_at(thu.replace(hour=3, minute=59)) == {}
    assert sent_at(thu.replace(hour=4)) == {ADDRESS["sc-ekb-1"]: links(ekb_before)}
    assert sent_at(thu.replace(hour=5, minute=59)) == {}
    assert sent_at(thu.replace(hour=6)) == {ADDRESS["sc-msk-1"]: links(msk_before)}
    # Friday's, sent late (at 12:00 UTC): the same content as on time
    friday = thu + timedelta(days=1)
    assert sent_at(friday.replace(hour=3, minute=59)) == {}
    assert sent_at(friday.replace(hour=12)) == {
        ADDRESS["sc-ekb-1"]: links(ekb_after),
        ADDRESS["sc-msk-1"]: links(msk_after),
    }
    digest = smtp.received[-1].message
    assert "Сводка ПП на 06.03.2026" in str(digest["Subject"])
    plain = digest.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "с 05.03.2026 по 06.03.2026" in plain
    assert "тёплый (жёлтый)" in plain or "холодный (синий)" in plain
    days = query(warehouse, "SELECT sc_id, digest_day FROM notifications ORDER BY notification_id").rows()
    assert days == [
        ("sc-ekb-1", date(2026, 3, 5)),
        ("sc-msk-1", date(2026, 3, 5)),
        ("sc-ekb-1", date(2026, 3, 6)),
        ("sc-msk-1", date(2026, 3, 6)),
    ]
    assert sent_at(friday + timedelta(days=3)) == {}  # an empty digest is not sent


def test_server_down_then_up_delivers_once_with_attempts_counted(warehouse, smtp):
    smtp.stop()
    _assign(warehouse, _hot("sc-msk-1"), T0)
    settings = _settings(warehouse)
    down = deliver(settings, T0)
    assert (down.due, down.sent, down.retry_later) == (1, 0, 1)
    row = _row(warehouse)
    assert (row["status"], row["attempts"], row["next_attempt_at"]) == (
        "pending",
        1,
        T0 + timedelta(minutes=5),
    )
    assert "ConnectionRefusedError" in row["last_error"]

    assert deliver(settings, T0 + timedelta(minutes=4)).due == 0  # backing off
    smtp.start()
    assert deliver(settings, T0 + timedelta(minutes=4)).due == 0
    up = deliver(settings, T0 + timedelta(minutes=5))
    assert (up.due, up.sent) == (1, 1)
    assert deliver(settings, T0 + timedelta(hours=1)).due == 0
    assert len(smtp.received) == 1
    row = _row(warehouse)
    assert (row["status"], row["attempts"], row["sent_at"], row["last_error"]) == (
        "sent",
        2,
        T0 + timedelta(minutes=5),
        None,
    )


def test_back_off_doubles_and_gives_up_after_the_last_attempt(warehouse, smtp, monkeypatch):
    smtp.stop()
    monkeypatch.setenv("PP_NOTIFY_MAX_ATTEMPTS", "3")
    _assign(warehouse, _hot("sc-msk-1"), T0)
    settings = _settings(warehouse)
    deliver(settings, T0)
    deliver(settings, T0 + timedelta(minutes=5))
    assert _row(warehouse)["next_attempt_at"] == T0 + timedelta(minutes=15)  # 5 min, then 10
    last = deliver(settings, T0 + timedelta(minutes=15))
    assert (last.failed, last.failures[0]["sc_id"], last.failures[0]["attempts"]) == (1, "sc-msk-1", 3)
    assert _row(warehouse)["status"] == "failed"
    smtp.start()
    assert deliver(settings, T0 + timedelta(days=1)).due == 0  # not retried forever


def test_a_refused_address_is_failed_and_reported_the_others_delivered(warehouse, smtp):
    smtp.collector.refused.add(ADDRESS["sc-msk-1"])
    _assign(warehouse, _hot("sc-msk-1", "sc-ekb-1"), T0)
    summary = deliver(_settings(warehouse), T0)
    assert (summary.sent, summary.failed, summary.retry_later) == (1, 1, 0)
    (failure,) = summary.failures
    assert failure["sc_id"] == "sc-msk-1"
    assert failure["last_error"].startswith("550")
    assert [r.recipients for r in smtp.received] == [[ADDRESS["sc-ekb-1"]]]
    assert deliver(_settings(warehouse), T0 + timedelta(days=1)).due == 0  # a dead mailbox is not retried
    rows = query(warehouse, "SELECT sc_id, status, attempts FROM notifications ORDER BY sc_id").rows()
    assert rows == [("sc-ekb-1", "sent", 1), ("sc-msk-1", "failed", 1)]


def test_a_crash_between_send_and_mark_resends_with_the_same_message_id(warehouse, smtp, monkeypatch):
    _assign(warehouse, _hot("sc-msk-1"), T0)
    settings = _settings(warehouse)

    def crash(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("killed after the server accepted the message")

    with monkeypatch.context() as patched:
        patched.setattr(notify_module.outbox, "mark_sent", crash)
        with pytest.raises(RuntimeError, match="killed"):
            deliver(settings, T0)
    assert len(smtp.received) == 1
    assert _row(warehouse)["status"] == "pending"  # not lost
    # another sender meanwhile leaves it alone: the crashed one's claim still stands
    assert deliver(settings, T0 + timedelta(minutes=1)).due == 0
    with store.transaction(warehouse) as con:  # the claim lapses (PP_NOTIFY_CLAIM_SECONDS)
        con.execute("UPDATE notifications SET claimed_until = now() - INTERVAL 1 SECOND")
    again = deliver(settings, T0 + timedelta(minutes=2))
    assert again.sent == 1
    assert _row(warehouse)["status"] == "sent"
    first, second = (r.message for r in smtp.received)
    assert first["Message-ID"] == second["Message-ID"] == _row(warehouse)["message_id"]  # receivers dedupe


def test_a_hundred_scs_in_one_run(warehouse, smtp, monkeypatch):
    monkeypatch.setattr(notify_module, "CLAIM_BATCH", 30)  # taken 30 at a time: 4 claims, one run
    zones = ["Europe/Kaliningrad", "Europe/Moscow", "Asia/Yekaterinburg", "Asia/Vladivostok"]
    centres = pl.DataFrame(
        {
            "sc_id": [f"sc-t-{i:03d}" for i in range(100)],
            "name": [f"СЦ {i}" for i in range(100)],
            "timezone": [zones[i % 4] for i in range(100)],
            "notify_email": [f"leads@t{i:03d}.partner.ru" for i in range(100)],
            "regions": [["66"]] * 100,
            "products": [["extern"]] * 100,
            "capacity": [1.0] * 100,
        }
    )
    with store.transaction(warehouse) as con:
        store.insert(con, "service_centers", centres)
    sc_ids = centres["sc_id"].to_list()
    _assign(warehouse, [{"sc_id": sc, "temperature": t} for sc in sc_ids for t in ("hot", "hot", "warm")], T0)
    summary = deliver(_settings(warehouse), T0)
    assert (summary.due, summary.sent) == (100, 100)
    assert sorted(r.recipients[0] for r in smtp.received) == sorted(centres["notify_email"])
    assert {len(_links(r.message)) for r in smtp.received} == {2}  # the warm lead waits for the digest


def test_without_smtp_the_messages_are_eml_files_in_the_outbox(warehouse, monkeypatch):
    monkeypatch.setenv("PP_BASE_URL", BASE_URL)
    ids = _assign(warehouse, _hot("sc-ekb-1"), T0)
    settings = _settings(warehouse)
    assert settings.smtp_host is None
    assert settings.outbox == warehouse.parent / "outbox"
    summary = deliver(settings, T0)
    assert summary.sent == 1
    assert summary.target.startswith("folder")
    (path,) = sorted(settings.outbox.glob("*.eml"))
    assert path.name == "000001-sc-ekb-1-immediate.eml"
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert isinstance(message, EmailMessage)
    assert message.get_content_type() == "multipart/alternative"
    assert _links(message) == [f"{BASE_URL}/leads/{ids[0]}"]
    assert message["To"] == ADDRESS["sc-ekb-1"]
    assert message["Message-ID"] == _row(warehouse)["message_id"]
    deliver(settings, T0 + timedelta(hours=1))
    assert len(list(settings.outbox.glob("*.eml"))) == 1


def test_queueing_is_idempotent_and_a_transfer_is_announced_to_the_new_sc(warehouse, smtp):
    (lead_id,) = _assign(warehouse, _hot("sc-msk-1"), T0)
    deadline = T0 + timedelta(hours=3)
    assigned = pl.DataFrame(
        {"lead_id": [lead_id], "sc_id": ["sc-msk-1"], "temperature": ["hot"], "accept_deadline": [deadline]}
    )
    with store.transaction(warehouse) as con:
        assert queue_notices(con, assigned, as_of=T0) == 0  # the same assignment again
    later = T0 + timedelta(hours=1)
    with store.transaction(warehouse) as con:  # a transfer (SPEC §5.2) as the sanction flow makes it
        con.execute("UPDATE leads SET sc_id = 'sc-msk-2', arrived_at = ? WHERE lead_id = ?", [later, lead_id])
        moved = assigned.with_columns(sc_id=pl.lit("sc-msk-2"))
        assert queue_notices(con, moved, as_of=later, cause=NoticeCause.TRANSFERRED) == 1
    deliver(_settings(warehouse), later)
    assert [r.recipients for r in smtp.received] == [[ADDRESS["sc-msk-1"]], ["pp@msk2-partner.ru"]]
    plain = smtp.received[1].message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "передана из другого СЦ" in plain


def test_a_lead_the_sla_sweep_assigns_is_announced(warehouse):
    with store.transaction(warehouse) as con:
        store.insert(
            con,
            "leads",
            pl.DataFrame(
                {
                    "lead_id": [1],
                    "inn": ["6663003127"],
                    "region": ["66"],
                    "product": ["extern"],
                    "lead_type": ["connection"],
                    "temperature": ["hot"],
                    "status": ["new"],
                    "source": ["callback_order"],
                    "created_at": [T0],
                }
            ),
        )
        assert assign_waiting(con, T0, digest_hour=9)[0].height == 1
    notices = query(warehouse, "SELECT lead_id, sc_id, channel, cause, due_at FROM notices").rows()
    sc_id = query(warehouse, "SELECT sc_id FROM leads").item()
    assert notices == [(1, sc_id, "immediate", "assigned", T0)]


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("name", "ООО «Урал-Контур\nСервис»", "the SC name holds a line break"),
        ("name", "ООО «Урал-Контур\r\nBcc: all@example.test»", "the SC name holds a line break"),
        ("name", "ООО «Урал\x00Контур»", "the SC name holds a control character"),
        ("notify_email", "leads@ekb1-partner.ru\n", "the SC's notification address holds a line break"),
        ("notify_email", "leads at ekb1", "the SC's notification address is not one e-mail address"),
        (
            "notify_email",
            "a@ekb1-partner.ru, b@ekb1-partner.ru",
            "the SC's notification address is not one e-mail address",
        ),
        ("timezone", "Asia/Ekaterinburg", "the SC's time zone is not a known IANA zone"),
    ],
)
def test_a_message_that_cannot_be_built_fails_alone_and_the_others_go_out(
    warehouse, smtp, column, value, reason
):
    _assign(warehouse, _hot("sc-ekb-1", "sc-msk-1"), T0)
    _set_centre(warehouse, "sc-ekb-1", **{column: value})  # sorted first: taken before the good one
    summary = deliver(_settings(warehouse), T0)
    assert (summary.due, summary.sent, summary.retry_later, summary.failed) == (2, 1, 0, 1)
    assert [r.recipients for r in smtp.received] == [[ADDRESS["sc-msk-1"]]]
    (failure,) = summary.failures
    assert (failure["sc_id"], failure["last_error"]) == ("sc-ekb-1", f"cannot build the message: {reason}")
    rows = query(warehouse, "SELECT sc_id, status, attempts, last_error FROM notifications ORDER BY sc_id")
    assert rows.rows() == [
        ("sc-ekb-1", "failed", 1, f"cannot build the message: {reason}"),
        ("sc-msk-1", "sent", 1, None),
    ]
    assert deliver(_settings(warehouse), T0 + timedelta(days=1)).due == 0  # retrying cannot help


def test_a_message_whose_rendering_raises_fails_alone_without_client_data(warehouse, smtp, monkeypatch):
    real_render = notify_module.render

    def render(letter: Any, leads: pl.DataFrame, *, as_of: datetime) -> EmailMessage:
        if letter.sc_id == "sc-ekb-1":
            raise KeyError(leads["company_name"][0])  # an error text holding a client's name
        return real_render(letter, leads, as_of=as_of)

    monkeypatch.setattr(notify_module, "render", render)
    _assign(warehouse, _hot("sc-ekb-1", "sc-msk-1"), T0)
    summary = deliver(_settings(warehouse), T0)
    assert (summary.sent, summary.failed) == (1, 1)
    assert summary.failures[0]["last_error"] == "cannot build the message: KeyError while rendering it"
    assert "Урал" not in str(query(warehouse, "SELECT * FROM notifications").rows())


def test_an_address_smtplib_refuses_before_the_server_fails_alone(warehouse, smtp):
    smtp.stop()
    smtp.smtputf8 = False
    smtp.start()
    _set_centre(warehouse, "sc-ekb-1", notify_email="заявки@урал-контур.рф")
    _assign(warehouse, _hot("sc-ekb-1", "sc-msk-1"), T0)
    summary = deliver(_settings(warehouse), T0)
    assert (summary.sent, summary.retry_later, summary.failed) == (1, 0, 1)
    assert [r.recipients for r in smtp.received] == [[ADDRESS["sc-msk-1"]]]  # the same session goes on
    (failure,) = summary.failures
    assert failure["sc_id"] == "sc-ekb-1"
    assert failure["last_error"] == (
        "the SMTP server takes no non-ASCII addresses (no SMTPUTF8): "
        "give the SC an ASCII notification address"
    )


@pytest.mark.parametrize(
    ("sender", "problem"),
    [
        ("leads@potential-sales.local\nBcc: all@example.test", "holds a line break"),
        ("leads at example", "is not one e-mail address"),
        ("заявки@потенциальные-продажи.рф", "is not ASCII"),
    ],
)
def test_a_sender_no_message_could_carry_is_one_error_and_fails_nothing(
    warehouse, monkeypatch, capsys, sender, problem
):
    _assign(warehouse, _hot("sc-msk-1"), T0)
    monkeypatch.setenv("PP_MAIL_FROM", sender)
    code, _out, err = cli_run(monkeypatch, capsys, "--warehouse", str(warehouse), "notify")
    assert code == 2
    assert err.startswith("pp: error: setting PP_MAIL_FROM: ")
    assert problem in err
    assert len(err.strip().splitlines()) == 1
    assert query(warehouse, "SELECT count(*) FROM notifications").item() == 0
    assert query(warehouse, "SELECT count(*) FROM notices WHERE notification_id IS NULL").item() == 1


def test_a_reply_of_several_lines_is_recorded_as_one():
    refused = smtplib.SMTPRecipientsRefused({"a@b.ru": (550, b"5.1.1 no such mailbox\n5.1.1 try another")})
    assert classify(refused).reason == "550 5.1.1 no such mailbox 5.1.1 try another"
    assert classify(OSError("lost\r\nconnection")).reason == "OSError: lost connection"


def test_an_sc_id_never_leads_an_outbox_file_out_of_the_folder(warehouse, monkeypatch):
    centres = pl.DataFrame(
        {
            "sc_id": ["../x", "a/b", "c\\d"],
            "name": ["СЦ 1", "СЦ 2", "СЦ 3"],
            "timezone": ["Europe/Moscow"] * 3,
            "notify_email": ["leads@x.partner.ru", "leads@b.partner.ru", "leads@d.partner.ru"],
            "regions": [["77"]] * 3,
            "products": [["extern"]] * 3,
            "capacity": [1.0] * 3,
        }
    )
    with store.transaction(warehouse) as con:
        store.insert(con, "service_centers", centres)
    _assign(warehouse, [{"sc_id": sc, "temperature": "hot"} for sc in centres["sc_id"]], T0)
    settings = _settings(warehouse)
    summary = deliver(settings, T0)
    assert (summary.sent, summary.failed, summary.retry_later) == (3, 0, 0)
    written = sorted(p.relative_to(warehouse.parent).as_posix() for p in warehouse.parent.rglob("*.eml"))
    assert written == [
        "outbox/000001-.._x-immediate.eml",
        "outbox/000002-a_b-immediate.eml",
        "outbox/000003-c_d-immediate.eml",
    ]
    assert not list(warehouse.parent.rglob("*.partial"))


# --- flows and the command line -------------------------------------------------------------


def _ingest_two_callbacks(warehouse: Path, tmp_path: Path) -> None:
    """Two hot callback orders, one from region 66 and one from 77, both assigned at T0."""
    from flows.ingest import ingest_feed

    feed = tmp_path / "callbacks.csv"
    feed.write_text(
        "inn,region,product,phone,external_id\n"
        "6663003127,66,extern,+73432223344,a\n"
        "7707083893,77,extern,+74956623311,b\n",
        encoding="utf-8",
    )
    summary = ingest_feed(path=str(feed), source="callback_order", as_of=T0, warehouse=str(warehouse))
    assert summary["assigned"] == 2


def test_an_ingest_announces_its_hot_leads_after_commit_and_survives_an_outage(warehouse, smtp, tmp_path):
    from flows.ingest import ingest_feed

    _ingest_two_callbacks(warehouse, tmp_path)
    holders = dict(query(warehouse, "SELECT sc_id, notify_email FROM service_centers").rows())
    expected = sorted(holders[sc] for sc in query(warehouse, "SELECT sc_id FROM leads")["sc_id"])
    assert sorted(r.recipients[0] for r in smtp.received) == expected  # sent before the flow returned

    smtp.stop()  # an outage: the feed still lands, the message waits
    own = tmp_path / "own.csv"
    own.write_text("inn,region,product,phone,temperature\n6663003127,66,diadoc,+73432220000,hot\n", "utf-8")
    other = tmp_path / "more.csv"
    other.write_text("inn,region,product,phone\n7707083893,77,elba,+74956623312\n", "utf-8")
    assert ingest_feed(path=str(other), source="callback_order", as_of=T0, warehouse=str(warehouse))[
        "created"
    ]
    ingest_feed(path=str(own), source="sc_created", sc_id="sc-ekb-2", as_of=T0, warehouse=str(warehouse))
    rows = query(warehouse, "SELECT status, attempts FROM notifications ORDER BY notification_id").rows()
    assert rows[:2] == [("sent", 1), ("sent", 1)]
    assert rows[2:] == [("pending", 1)]  # the SC's own lead is not announced to it
    sc_created = query(
        warehouse, "SELECT count(*) FROM notices n JOIN leads USING (lead_id) WHERE source = 'sc_created'"
    ).item()
    assert sc_created == 0


def test_pp_notify_prints_its_counts(warehouse, monkeypatch, capsys):
    from tests.support import run

    _assign(warehouse, [{"sc_id": "sc-msk-1", "temperature": "warm"}], T0)
    args = ["--warehouse", str(warehouse), "notify", "--as-of", "2026-03-06T09:00:00+03:00"]
    code, out, _ = run(monkeypatch, capsys, *args)
    assert code == 0
    assert "due 1, sent 1, to retry later 0, failed 0" in out
    assert str(warehouse.parent / "outbox") in out
    code, out, _ = run(monkeypatch, capsys, *args)
    assert code == 0
    assert "due 0, sent 0" in out


def test_pp_notify_reports_a_message_it_cannot_build_in_one_line_and_sends_the_rest(
    warehouse, smtp, monkeypatch, capsys
):
    from tests.support import run

    _set_centre(warehouse, "sc-ekb-1", name="ООО «Урал-Контур\nСервис»")
    _assign(warehouse, _hot("sc-ekb-1", "sc-msk-1"), T0)
    code, out, err = run(
        monkeypatch, capsys, "--warehouse", str(warehouse), "notify", "--as-of", T0.isoformat()
    )
    assert code == 0
    assert "Traceback" not in err
    assert "due 2, sent 1, to retry later 0, failed 1" in out
    (line,) = [line for line in out.splitlines() if "failed for good" in line]
    assert line.strip() == (
        "failed for good: notification 1 (immediate) to sc-ekb-1 after 1 attempt(s): "
        "cannot build the message: the SC name holds a line break"
    )
    assert [r.recipients for r in smtp.received] == [[ADDRESS["sc-msk-1"]]]


def test_the_immediate_send_after_an_ingest_is_not_stopped_by_one_bad_sc(warehouse, smtp, tmp_path):
    for sc_id in ("sc-msk-1", "sc-msk-2"):  # every SC of region 77
        _set_centre(warehouse, sc_id, name=f"{sc_id}\nwith a line break")
    _ingest_two_callbacks(warehouse, tmp_path)
    good = query(
        warehouse, "SELECT notify_email FROM leads JOIN service_centers USING (sc_id) WHERE region = '66'"
    )
    assert [r.recipients for r in smtp.received] == [[good.item()]]
    rows = query(warehouse, "SELECT sc_id, status, last_error FROM notifications ORDER BY sc_id").rows()
    assert [(status, error) for sc_id, status, error in rows if sc_id.startswith("sc-msk")] == [
        ("failed", "cannot build the message: the SC name holds a line break")
    ]


def test_an_immediate_send_opens_the_warehouse_twice(warehouse, monkeypatch):
    """Right after an ingest, its hot lead's message: grouped and claimed in one transaction,
    marked sent in a second, and no empty claim after a short batch."""
    from flows.notify import send_immediate

    _assign(warehouse, _hot("sc-msk-1"), T0)
    opened = []
    transaction = store.transaction

    def counted(path: Path, **options: Any) -> Any:
        opened.append(path)
        return transaction(path, **options)

    monkeypatch.setattr(store, "transaction", counted)
    summary = send_immediate(_settings(warehouse), T0)
    assert summary is not None
    assert (summary.due, summary.sent) == (1, 1)
    assert len(opened) == 2
    assert _row(warehouse)["status"] == "sent"
