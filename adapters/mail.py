"""Delivering e-mail: SMTP through the standard library, or `.eml` files in an outbox folder.

The only I/O of the notification path besides the warehouse. A failure is classified once,
here: permanent (the server refused the address or the message with a 5xx, or smtplib refused
it before the server saw it: retrying cannot help) or temporary (4xx, a refused or lost
connection, a timeout, a login problem: the next run tries again), and whether the connection
is still usable for the next message."""

from __future__ import annotations

import email.errors
import os
import re
import smtplib
import ssl
import tempfile
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from typing import Literal, Protocol

Security = Literal["none", "starttls", "tls"]
NO_SMTPUTF8 = (
    "the SMTP server takes no non-ASCII addresses (no SMTPUTF8): give the SC an ASCII notification address"
)


@dataclass(frozen=True)
class Failure:
    permanent: bool  # retrying cannot help: the message is failed and reported
    fatal: bool  # the connection is gone: the rest of the run's messages wait for the next run
    reason: str  # the server's code and text, or the error; never the message content


class Unsendable(Exception):
    """smtplib would not send this message as it is, before the server saw it: the text says why."""


class Delivery(Protocol):
    """Where messages go; used as a context manager around one run's messages.

    `repeatable`: delivering a message twice leaves one copy (a file under a fixed name), so
    its outcome may be recorded once for the whole run instead of after every message."""

    target: str
    repeatable: bool

    def __enter__(self) -> Delivery: ...

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    def send(self, message: EmailMessage, *, name: str) -> None: ...


class SmtpDelivery:
    """One SMTP connection per run, opened at the first message, so a run with nothing due
    connects to nothing and an unreachable server costs one timeout, not one per message."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        security: Security,
        user: str | None,
        password: str | None,
        timeout: float,
    ) -> None:
        self.host, self.port, self.security = host, port, security
        self.user, self.password, self.timeout = user, password, timeout
        self.target = f"smtp://{host}:{port} ({security})"
        self.repeatable = False
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpDelivery:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                self._smtp.close()
            self._smtp = None

    def _connect(self) -> smtplib.SMTP:
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if self.security == "tls":
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            if self.security == "starttls":
                smtp.starttls(context=context)
            if self.user:
                smtp.login(self.user, self.password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp

    def send(self, message: EmailMessage, *, name: str) -> None:
        """Returns only once the server accepted the message for its recipient."""
        if self._smtp is None:
            self._smtp = self._connect()
        try:
            self._smtp.send_message(message)
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError):
            raise  # this message was refused; the session goes on (smtplib reset it)
        except smtplib.SMTPNotSupportedError as exc:  # raised before any command: the session goes on
            raise Unsendable(NO_SMTPUTF8) from exc  # the recipient's: the sender is ASCII (`deliver`)
        except OSError:  # smtplib's errors are OSErrors too: anything else ends the session
            self._smtp.close()
            self._smtp = None
            raise
        except (ValueError, email.errors.MessageError) as exc:  # refused locally, maybe midway: start clean
            self._reset()
            raise Unsendable(f"smtplib cannot send the message as built ({type(exc).__name__})") from exc

    def _reset(self) -> None:
        assert self._smtp is not None
        try:
            self._smtp.rset()
        except OSError:
            self._smtp.close()
            self._smtp = None


class OutboxDelivery:
    """`.eml` files in a folder, for a machine with no SMTP server (and for `pp demo`).

    A file appears whole or not at all (written aside, then renamed), under a name fixed by
    the notification, so writing it again replaces it instead of adding a second copy. Of the
    name only ASCII letters, digits, `.`, `-` and `_` are kept, at most `NAME_LIMIT` of them:
    whatever an id holds, the file lands in the folder, under a name the file system takes."""

    NAME_LIMIT = 120

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.target = f"folder {folder}"
        self.repeatable = True

    def __enter__(self) -> OutboxDelivery:
        self.folder.mkdir(parents=True, exist_ok=True)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None

    def send(self, message: EmailMessage, *, name: str) -> None:
        path = self.folder / f"{re.sub(r'[^A-Za-z0-9._-]', '_', name)[: self.NAME_LIMIT]}.eml"
        handle, name_aside = tempfile.mkstemp(dir=self.folder, prefix=".", suffix=".eml.partial")
        partial = Path(name_aside)
        try:
            with os.fdopen(handle, "wb") as aside:
                aside.write(message.as_bytes())
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)


def classify(exc: BaseException) -> Failure:
    """Permanent when the server refused this recipient or this message with a 5xx, or smtplib
    would not send this message as it is; fatal when no other message could go either."""
    if isinstance(exc, Unsendable):
        return Failure(permanent=True, fatal=False, reason=str(exc))
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        text = "; ".join(f"{code} {_text(reply)}" for code, reply in exc.recipients.values())
        return Failure(permanent=bool(codes) and all(code >= 500 for code in codes), fatal=False, reason=text)
    if isinstance(exc, smtplib.SMTPSenderRefused | smtplib.SMTPAuthenticationError):
        # our own configuration: every message would fail alike; wait for it to be fixed
        return Failure(permanent=False, fatal=True, reason=f"{exc.smtp_code} {_text(exc.smtp_error)}")
    if isinstance(exc, smtplib.SMTPDataError):
        return Failure(
            permanent=exc.smtp_code >= 500, fatal=False, reason=f"{exc.smtp_code} {_text(exc.smtp_error)}"
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        return Failure(permanent=False, fatal=True, reason=f"{exc.smtp_code} {_text(exc.smtp_error)}")
    return Failure(permanent=False, fatal=True, reason=_text(f"{type(exc).__name__}: {exc}"))


def _text(reply: bytes | str) -> str:
    """One line, however many the server's reply or the error had, so a report stays one line."""
    return " ".join((reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply).split())[:300]
