"""Feed file columns: canonical names, accepted header aliases, what each source requires."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

# canonical column -> header aliases accepted besides the canonical name (docs/contract.md)
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "inn": ("ИНН",),
    "kpp": ("КПП",),
    "company_name": ("Наименование", "Компания", "Название"),
    "region": ("Регион", "Код региона"),
    "product": ("Продукт",),
    "phone": ("Телефон", "Тел"),
    "email": ("Email", "E-mail", "Почта", "Электронная почта"),
    "contact_name": ("Контактное лицо", "Контакт", "ФИО"),
    "lead_type": ("Тип", "Тип ПП"),
    "temperature": ("Температура",),
    "event_at": ("Дата", "Дата события"),
    "external_id": ("Внешний ID", "ID"),
}
FEED_COLUMNS: tuple[str, ...] = tuple(COLUMN_ALIASES)
CONTACT_COLUMNS: tuple[str, ...] = ("phone", "email")
FORMATS: tuple[str, ...] = (".csv", ".xlsx", ".parquet", ".jsonl")
FORMAT_NAMES: dict[str, str] = {
    ".csv": "CSV",
    ".xlsx": "an Excel workbook",
    ".parquet": "Parquet",
    ".jsonl": "JSON lines",
}


def header_key(name: str) -> str:
    """Headers compare case-, space-, dash- and underscore-insensitively: 'E-mail' ~ 'email'."""
    return re.sub(r"[\s_\-]+", "", name).casefold()


@dataclass(frozen=True)
class ColumnSpec:
    """A file kind's canonical columns and the header aliases that name them."""

    aliases: dict[str, tuple[str, ...]]

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(self.aliases)

    @cached_property
    def index(self) -> dict[str, str]:
        return {
            header_key(alias): canonical
            for canonical, aliases in self.aliases.items()
            for alias in (canonical, *aliases)
        }


LEAD_FEED = ColumnSpec(COLUMN_ALIASES)

# Billing files (`pp billing`, docs/contract.md): invoices issued and paid, paid service periods.
BILLING_FEED = ColumnSpec(
    {
        "event": ("Событие",),
        "invoice_id": ("Счёт", "Счет", "Номер счёта", "Номер счета"),
        "inn": ("ИНН",),
        "kpp": ("КПП",),
        "product": ("Продукт",),
        "sc_id": ("СЦ",),
        "event_at": ("Дата",),
        "valid_until": ("Действителен до",),
        "period_start": ("Начало периода",),
        "period_end": ("Конец периода",),
    }
)

# Columns the reader adds to every batch: the row's number in the file (header = 0, first data
# row = 1), and for a row that does not split into the header's fields, its line and why.
ROW_NUMBER = "row_number"
MALFORMED_LINE = "malformed_line"
MALFORMED_DETAIL = "malformed_detail"
# A spreadsheet shows the header on row 1, so a data row's ROW_NUMBER n is its row n + 1 there.
SHEET_ROW_OFFSET = 1

# Columns `pp quarantine export` adds after a refused row's own (docs/contract.md): its row in
# the file it came from, the reason code, and what to fix. The reader skips them, so the file
# loads again once fixed; the `pp:` prefix keeps them apart from any header a feed has.
EXPORT_ROW = "pp: строка"
EXPORT_REASON = "pp: причина"
EXPORT_FIX = "pp: что исправить"
EXPORT_COLUMNS: tuple[str, ...] = (EXPORT_ROW, EXPORT_REASON, EXPORT_FIX)
EXPORT_KEYS: frozenset[str] = frozenset(header_key(name) for name in EXPORT_COLUMNS)


@dataclass(frozen=True)
class FeedLayout:
    """What a file looks like: format, encoding, delimiter, and how its headers map."""

    path: Path
    suffix: str
    encoding: str | None  # CSV only: "utf-8" or "cp1251"
    delimiter: str | None  # CSV only
    headers: tuple[str, ...]  # as written in the file
    mapping: dict[str, str]  # file header -> canonical column
    spec: ColumnSpec = LEAD_FEED
    skipped: tuple[str, ...] = ()  # headers the reader drops: EXPORT_COLUMNS of a fixed export

    @property
    def present(self) -> frozenset[str]:
        return frozenset(self.mapping.values())
