"""A real SMTP server on the loopback interface for the notification tests (aiosmtpd)."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class Received:
    recipients: list[str]
    message: EmailMessage


@dataclass
class Collector:
    """Accepts every message except to the addresses in `refused` (550, as a dead mailbox)."""

    received: list[Received] = field(default_factory=list)
    refused: set[str] = field(default_factory=set)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address in self.refused:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.received.append(Received(list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class MailServer:
    """Start, stop and start again on the same port: an outage and its end. `smtputf8`: whether
    it offers internationalised addresses (set it before `start`)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.collector = Collector()
        self.smtputf8 = True
        self._controller: Controller | None = None

    @property
    def received(self) -> list[Received]:
        return self.collector.received

    def start(self) -> None:
        self._controller = Controller(
            self.collector, hostname="127.0.0.1", port=self.port, enable_SMTPUTF8=self.smtputf8
        )
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
