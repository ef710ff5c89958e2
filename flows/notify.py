"""Notifications to SCs (SPEC §8): the sender of what the assigning flows queued.

1. The notices are queued inside the transaction that assigns or transfers leads
   (`tasks.placement.place` plans them, `warehouse.outbox.insert_notices` writes them): they
   commit with the assignment or not at all, so no assignment goes unannounced.
2. `deliver` (the `notify` flow, `pp notify`; and `send_immediate` right after an ingest or
   sweep commits) groups the due notices into messages in one short transaction, sends them
   outside any transaction (the warehouse is never held during SMTP), and records each
   outcome in its own short transaction: `sent` only after the server accepted the message.

A crash after the server accepted a message but before it was marked leaves the message
claimed; once the claim lapses (`PP_NOTIFY_CLAIM_SECONDS`) it is sent again with the same
Message-ID, which mail clients and servers use to recognise the duplicate."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from functools import partial
from typing import Any, TypeVar

import polars as pl

from adapters.mail import Delivery, Failure, OutboxDelivery, SmtpDelivery, classify
from flows.engine import pipeline_flow, server_configured
from flows.outcomes import publish_counts, publish_table
from flows.runtime import run_as_of, run_name
from schemas.enums import Channel, DeliveryStatus
from schemas.errors import PipelineError, WarehouseBusy
from schemas.settings import Settings, load_settings
from tasks.notices import (
    CANNOT_BUILD,
    Letter,
    Unbuildable,
    render,
    unbuildable,
)
from warehouse import outbox, store

log = logging.getLogger(__name__)
T = TypeVar("T")
_BUSY_WAITS = (0.2, 0.5, 1.0, 2.0, 4.0)  # seconds between tries when another process writes
CLAIM_BATCH = 200  # messages taken at a time: sent well within PP_NOTIFY_CLAIM_SECONDS
GONE = Failure(permanent=True, fatal=False, reason="its leads no longer exist")


@dataclass
class NotifySummary:
    target: str
    due: int = 0  # messages this run took to send
    sent: int = 0
    retry_later: int = 0
    failed: int = 0  # given up this run: refused for good, or out of attempts
    failures: list[dict[str, object]] = field(default_factory=list)


def deliver(
    settings: Settings, as_of: datetime, *, channels: tuple[Channel, ...] = tuple(Channel)
) -> NotifySummary:
    """Send everything of `channels` due at `as_of`; every outcome is recorded as it happens."""
    delivery = _delivery(settings)
    summary = NotifySummary(target=delivery.target)
    ids, letters, unbuilt = _claim(settings, as_of, channels, group=True)
    with delivery:
        while ids:
            summary.due += len(ids)
            if not unbuilt.is_empty():  # each fails alone, for good; the others go out
                _record_failures(settings, summary, unbuilt, as_of)
            if not _send(settings, delivery, letters, summary, as_of):
                break  # the server is out of reach: the rest waits for a later run
            if len(ids) < CLAIM_BATCH:
                break  # a short batch: nothing else due was left to claim
            ids, letters, unbuilt = _claim(settings, as_of, channels)
    if summary.retry_later or summary.failed:
        log.warning(
            "notifications: %d sent, %d to retry later, %d failed (to %s)",
            summary.sent,
            summary.retry_later,
            summary.failed,
            summary.target,
        )
    return summary


def _claim(
    settings: Settings, as_of: datetime, channels: tuple[Channel, ...], *, group: bool = False
) -> tuple[list[int], list[tuple[Letter, EmailMessage]], pl.DataFrame]:
    """Take the next batch of due messages for this run and render them; the third part holds
    those that cannot be sent at all (notification_id, permanent, reason). `group`: first turn
    the notices due at `as_of` into messages, in the same transaction (one open of the
    warehouse for a run's first batch, which after an ingest is all there is)."""
    now = datetime.now(UTC)
    for attempt in store.write_attempts(settings.warehouse):
        with attempt as con:
            if group:
                store.require_schema(con, settings.warehouse)
                outbox.group_due_notices(con, as_of, channels, _domain(settings.mail_from))
            ids = outbox.claim(
                con,
                as_of=as_of,
                kinds=channels,
                now=now,
                claim_until=now + timedelta(seconds=settings.notify_claim_seconds),
                batch=CLAIM_BATCH,
            )
            lines = outbox.letter_lines(con, ids) if ids else pl.DataFrame()
    if not ids:
        return ids, [], _failures([], GONE)
    gone = sorted(set(ids) - set(lines["notification_id"]))
    letters, unbuilt = _letters(lines, settings, as_of)
    return ids, letters, pl.concat([_failures(gone, GONE), unbuilt])


def _send(
    settings: Settings,
    delivery: Delivery,
    letters: list[tuple[Letter, EmailMessage]],
    summary: NotifySummary,
    as_of: datetime,
) -> bool:
    """Deliver a batch, recording each outcome; False when the connection is gone."""
    delivered: list[int] = []  # a repeatable delivery's messages, recorded once for the batch
    try:
        for position, (letter, message) in enumerate(letters):
            failure = _attempt(delivery, letter, message)
            if failure is None:
                summary.sent += 1
                if delivery.repeatable:
                    delivered.append(letter.notification_id)
                else:  # the server accepted it: recorded before the next message goes
                    _write(settings, partial(outbox.mark_sent, ids=[letter.notification_id], as_of=as_of))
                continue
            rest = [later.notification_id for later, _ in letters[position:]]
            _record_failures(
                settings, summary, _failures(rest if failure.fatal else rest[:1], failure), as_of
            )
            if failure.fatal:
                return False
        return True
    finally:
        if delivered:
            _write(settings, partial(outbox.mark_sent, ids=delivered, as_of=as_of))


def send_immediate(settings: Settings, as_of: datetime) -> NotifySummary | None:
    """Right after a run that assigned leads commits, its hot leads' messages go out (SPEC §8).

    Never fails the caller: whatever goes wrong is logged (counts and ids only) and the
    scheduled `pp notify` retries. SMTP connects with a short timeout and only once."""
    try:
        return deliver(settings, as_of, channels=(Channel.IMMEDIATE,))
    except Exception as exc:  # a PipelineError says what to fix, without personal data
        cause = str(exc) if isinstance(exc, PipelineError) else type(exc).__name__
        log.warning("immediate notifications not sent now (%s); `pp notify` retries", cause)
        return None


@pipeline_flow(name="notify", flow_run_name=run_name("notify"), timeout_seconds=900)
def notify(as_of: datetime | None = None, warehouse: str | None = None) -> dict[str, Any]:
    """Send what is due (SPEC §8): hot leads not announced yet, each SC's digest from D 09:00
    SC-local, and retries whose back-off has passed. Safe to run every few minutes."""
    settings = load_settings(warehouse=warehouse)
    summary = deliver(settings, run_as_of(as_of))
    counts = {k: getattr(summary, k) for k in ("due", "sent", "retry_later", "failed")}
    description = f"Notifications to {summary.target}: " + ", ".join(f"{n} {k}" for k, n in counts.items())
    publish_counts("notify", counts, description)
    if summary.failures:  # given up for good, with the server's reply
        publish_table("notify-failed", summary.failures, "notifications given up, with the server's reply")
    return asdict(summary)


def _attempt(delivery: Delivery, letter: Letter, message: EmailMessage) -> Failure | None:
    """Deliver one message; None when it was accepted."""
    try:
        delivery.send(message, name=f"{letter.notification_id:06d}-{letter.sc_id}-{letter.kind.value}")
    except Exception as exc:  # every failure is classified and recorded, none is swallowed
        return classify(exc)
    return None


def _letters(
    lines: pl.DataFrame, settings: Settings, as_of: datetime
) -> tuple[list[tuple[Letter, EmailMessage]], pl.DataFrame]:
    """The messages of `lines`, and the failures of those that cannot be built: whatever one
    message's data holds, it fails alone (its reason free of client data) and the rest go out."""
    unbuilt = unbuildable(lines)
    letters, reasons = [], dict(unbuilt.iter_rows())
    for leads in lines.join(unbuilt, on="notification_id", how="anti").partition_by(
        "notification_id", maintain_order=True
    ):
        head = leads.row(0, named=True)
        try:
            letter = Letter(
                notification_id=int(head["notification_id"]),
                kind=Channel(head["kind"]),
                sc_id=head["sc_id"],
                sc_name=head["sc_name"],
                timezone=head["timezone"],
                recipient=head["recipient"],
                message_id=head["message_id"],
                digest_day=head["digest_day"],
                mail_from=settings.mail_from,
                base_url=settings.base_url,
            )
            letters.append((letter, render(letter, leads, as_of=as_of)))
        except Unbuildable as exc:
            reasons[int(head["notification_id"])] = CANNOT_BUILD + str(exc)
        except Exception as exc:  # the error's text may quote client data: its kind only
            reasons[int(head["notification_id"])] = f"{CANNOT_BUILD}{type(exc).__name__} while rendering it"
    failed = pl.DataFrame(
        {"notification_id": list(reasons), "reason": list(reasons.values())},
        schema={"notification_id": pl.Int64, "reason": pl.String},
    )
    return letters, failed.select("notification_id", permanent=pl.lit(True), reason="reason")


def _failures(ids: list[int], failure: Failure) -> pl.DataFrame:
    """notification_id, permanent, reason: `ids` failed alike."""
    return pl.DataFrame({"notification_id": ids}, schema={"notification_id": pl.Int64}).with_columns(
        permanent=pl.lit(failure.permanent), reason=pl.lit(failure.reason, pl.String)
    )


def _record_failures(
    settings: Settings, summary: NotifySummary, failed: pl.DataFrame, as_of: datetime
) -> None:
    """One attempt of each message of `failed` (notification_id, permanent, reason) failed."""
    rows = _write(
        settings,
        lambda con: outbox.mark_failed(
            con,
            failed,
            as_of=as_of,
            max_attempts=settings.notify_max_attempts,
            base_seconds=settings.notify_retry_base_seconds,
            max_seconds=settings.notify_retry_max_seconds,
        ),
    )
    given_up = rows.filter(pl.col("status") == DeliveryStatus.FAILED.value)
    summary.failed += given_up.height
    summary.retry_later += rows.height - given_up.height
    summary.failures += given_up.select("notification_id", "sc_id", "kind", "attempts", "last_error").rows(
        named=True
    )


def _write(settings: Settings, action: Callable[[store.Connection], T]) -> T:
    """One short transaction; if another process holds the file, wait a little and retry, so
    that a message the server accepted is not left unmarked (and later sent twice)."""
    for wait in (*_BUSY_WAITS, None):
        try:
            for attempt in store.write_attempts(settings.warehouse):
                with attempt as con:
                    done = action(con)
            return done
        except WarehouseBusy:
            if wait is None:
                raise
            time.sleep(wait)
    raise AssertionError("unreachable")


def _delivery(settings: Settings) -> Delivery:
    """SMTP when a host is set; otherwise `.eml` files in the outbox folder."""
    if settings.smtp_host:
        return SmtpDelivery(
            host=settings.smtp_host,
            port=settings.smtp_port,
            security=settings.smtp_security,
            user=settings.smtp_user,
            password=_smtp_password(settings),
            timeout=settings.smtp_timeout_seconds,
        )
    return OutboxDelivery(settings.outbox)


def _smtp_password(settings: Settings) -> str | None:
    """`PP_SMTP_PASSWORD`, else the Prefect Secret block `PP_SMTP_PASSWORD_BLOCK` names."""
    if settings.smtp_password is not None:
        return settings.smtp_password.get_secret_value()
    if not settings.smtp_password_block:
        return None
    if not server_configured():
        raise PipelineError(
            "PP_SMTP_PASSWORD_BLOCK names a Prefect Secret block, which lives on a Prefect server; "
            "set PREFECT_API_URL, or give the password in PP_SMTP_PASSWORD"
        )
    from prefect.blocks.system import Secret

    secret: Secret = Secret.load(settings.smtp_password_block)  # type: ignore[assignment]
    return str(secret.get())


def _domain(address: str) -> str:
    return address.rpartition("@")[2].strip(" >") or "potential-sales.local"
