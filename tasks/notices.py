"""Notifications to SCs (SPEC §8), pure: which message a notice belongs to, and what it says.

A *notice* is one lead an SC must hear of; a *notification* is one e-mail listing notices.
Hot leads go out at once; warm and cold ones wait for the SC's digest of day D, which lists
what was assigned in `[D−1 hh:00, D hh:00)` SC-local (hh = the digest hour, 09 by default)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from zoneinfo import available_timezones

import polars as pl

from schemas.enums import Channel, NoticeCause, Temperature
from schemas.instants import UTC_US
from schemas.labels import LEAD_TYPE_LABELS, TEMPERATURE_LABELS
from schemas.text import CONTROL_CHARACTERS, LINE_BREAKS, address_problem
from tasks.templating import render_template

NOTICE_COLUMNS = (
    "lead_id",
    "sc_id",
    "cause",
    "assigned_at",
    "temperature",
    "accept_deadline",
    "channel",
    "digest_day",
    "due_at",
)
# The letter's values that go into headers, as a reason names them (no client data there).
HEADER_VALUES = {
    "sc_name": "the SC name",
    "sc_id": "the SC id",
    "recipient": "the SC's notification address",
    "message_id": "the Message-ID",
}
CANNOT_BUILD = "cannot build the message: "


class Unbuildable(ValueError):
    """This message cannot be built from what the warehouse holds; the text names the value."""


def plan_notices(
    assigned: pl.DataFrame, *, as_of: datetime, cause: NoticeCause, digest_hour: int
) -> pl.DataFrame:
    """Notice rows for leads just assigned (lead_id, sc_id, temperature, accept_deadline, timezone).

    Hot: due at once. Warm and cold: due at `digest_hour` SC-local on the day D whose window
    `[D−1 hh:00, D hh:00)` holds the assignment (SPEC §8). One pass per distinct zone (a
    handful, from the reference data); never one per lead."""
    base = assigned.select(
        "lead_id",
        "sc_id",
        "temperature",
        pl.col("accept_deadline").cast(UTC_US),
        "timezone",
        cause=pl.lit(cause.value),
        assigned_at=pl.lit(as_of, UTC_US),
    )
    parts = [
        part.with_columns(digest_windows(part["assigned_at"], zone, digest_hour))
        for (zone,), part in base.partition_by("timezone", as_dict=True, maintain_order=True).items()
    ]
    windows = (
        pl.concat(parts)
        if parts
        else base.with_columns(digest_day=pl.lit(None, pl.Date), digest_due=pl.lit(None, UTC_US))
    )
    hot = pl.col("temperature") == Temperature.HOT.value
    return windows.select(
        *NOTICE_COLUMNS[:6],
        channel=pl.when(hot).then(pl.lit(Channel.IMMEDIATE.value)).otherwise(pl.lit(Channel.DIGEST.value)),
        digest_day=pl.when(hot).then(None).otherwise("digest_day"),
        due_at=pl.when(hot).then("assigned_at").otherwise("digest_due"),
    )


def digest_windows(instants: pl.Series, zone: str, digest_hour: int) -> list[pl.Series]:
    """The digest day D (SC-local) whose window holds each instant, and D hh:00 local in UTC."""
    local = instants.dt.convert_time_zone(zone).dt.replace_time_zone(None)
    day = (local - timedelta(hours=digest_hour)).dt.date() + timedelta(days=1)
    due = (
        (day.cast(pl.Datetime("us")) + timedelta(hours=digest_hour))
        .dt.replace_time_zone(zone, non_existent="null", ambiguous="earliest")
        .dt.convert_time_zone("UTC")
    )
    return [day.alias("digest_day"), due.alias("digest_due")]


def unbuildable(lines: pl.DataFrame) -> pl.DataFrame:
    """notification_id, reason of the messages of `lines` (`letter_lines`) whose header values
    or zone cannot make an e-mail: each is failed alone, for good, and the others go out."""
    checks = [
        pl.when(pl.col("recipient").fill_null("") == "").then(pl.lit("the SC has no notification address"))
    ]
    for column, label in HEADER_VALUES.items():
        value = pl.col(column).fill_null("")
        checks += [
            pl.when(value.str.contains_any(list(LINE_BREAKS))).then(pl.lit(f"{label} holds a line break")),
            pl.when(value.str.contains_any(list(CONTROL_CHARACTERS))).then(
                pl.lit(f"{label} holds a control character")
            ),
        ]
    zones = sorted(available_timezones())
    checks.append(
        pl.when(~pl.col("timezone").is_in(zones)).then(pl.lit("the SC's time zone is not a known IANA zone"))
    )
    return (
        lines.unique("notification_id", keep="first", maintain_order=True)
        .select("notification_id", reason=pl.lit(CANNOT_BUILD) + pl.coalesce(checks))
        .drop_nulls("reason")
    )


@dataclass(frozen=True)
class Letter:
    """What `render` needs besides the leads: the notification row and where links point."""

    notification_id: int
    kind: Channel
    sc_id: str
    sc_name: str
    timezone: str
    recipient: str
    message_id: str
    digest_day: date | None
    mail_from: str
    base_url: str


def render(letter: Letter, leads: pl.DataFrame, *, as_of: datetime) -> EmailMessage:
    """One e-mail in Russian, plain text and HTML, listing the notification's leads.

    `leads`: lead_id, cause, temperature, accept_deadline, company_name, inn, kpp,
    product, product_name, lead_type. Only the client's name and INN appear: contacts stay
    behind the link. The Message-ID is the notification's own, so a re-send is recognisable.
    Raises `Unbuildable` when the recipient is not one e-mail address; the message returned
    is known to serialise, so a delivery cannot fail on its content."""
    subject, intro = _headline(letter, leads.height)
    content = {"intro": intro, "leads": _lead_lines(leads, letter), "footer": _footer(letter)}
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = letter.mail_from
    message["To"] = letter.recipient
    message["Date"] = format_datetime(as_of)
    message["Message-ID"] = letter.message_id
    message["X-PP-Notification"] = f"{letter.notification_id} {letter.kind.value} {letter.sc_id}"
    message.set_content(render_template("letter.txt.j2", **content))
    message.add_alternative(render_template("letter.html.j2", **content), subtype="html")
    if address_problem(str(message["To"])):
        raise Unbuildable("the SC's notification address is not one e-mail address")
    message.as_bytes()  # written out once here: what cannot be written fails now, not in delivery
    return message


def _lead_lines(leads: pl.DataFrame, letter: Letter) -> list[dict[str, object]]:
    """The display values of every lead, formatted column-wise (the SC's zone for the deadline)."""
    deadline = (
        pl.col("accept_deadline")
        .cast(UTC_US)
        .dt.convert_time_zone(letter.timezone)
        .dt.strftime("%d.%m.%Y %H:%M (UTC%:z)")
    )
    labels = {t.value: label for t, label in TEMPERATURE_LABELS.items()}
    temperature = pl.col("temperature").cast(pl.String)
    return leads.select(
        "lead_id",
        cause=pl.when(pl.col("cause") == NoticeCause.TRANSFERRED.value)
        .then(pl.lit("передана из другого СЦ"))
        .otherwise(pl.lit("назначена")),
        link=pl.format("{}/leads/{}", pl.lit(letter.base_url.rstrip("/")), "lead_id"),
        client=pl.coalesce("company_name", pl.lit("клиент без наименования")),
        inn=pl.coalesce(pl.concat_str("inn", pl.lit(" / КПП "), "kpp"), "inn", pl.lit("не указан")),
        product=pl.coalesce("product_name", "product"),
        lead_type=pl.col("lead_type").replace_strict(
            {t.value: label for t, label in LEAD_TYPE_LABELS.items()}, default=pl.col("lead_type")
        ),
        temperature=temperature.replace_strict({t: label.name_ru for t, label in labels.items()}),
        colour=temperature.replace_strict({t: label.colour_ru for t, label in labels.items()}),
        colour_hex=temperature.replace_strict({t: label.colour_hex for t, label in labels.items()}),
        deadline=pl.coalesce(deadline, pl.lit("не установлен")),
    ).to_dicts()


def _headline(letter: Letter, count: int) -> tuple[str, str]:
    if letter.kind is Channel.IMMEDIATE:
        return (
            f"Новые горячие ПП: {count} — {letter.sc_name}",
            f"{letter.sc_name} назначены горячие потенциальные продажи (ПП): {count}. "
            "Горячую ПП нужно взять в работу в течение 3 рабочих часов.",
        )
    assert letter.digest_day is not None
    day = letter.digest_day
    start = f"{day - timedelta(days=1):%d.%m.%Y}"
    return (
        f"Сводка ПП на {day:%d.%m.%Y}: {count} тёплых и холодных — {letter.sc_name}",
        f"{letter.sc_name} назначены тёплые и холодные потенциальные продажи (ПП) "
        f"с {start} по {day:%d.%m.%Y} (окно суточной сводки, местное время): {count}.",
    )


def _footer(letter: Letter) -> str:
    return (
        f"Уведомление {letter.notification_id} для {letter.sc_id}. "
        "Сроки указаны по местному времени СЦ. Письмо отправлено автоматически."
    )
