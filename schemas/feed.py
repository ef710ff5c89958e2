"""Feed file columns: canonical names, accepted header aliases, what each source requires."""

from __future__ import annotations

import re

# canonical column -> header aliases accepted besides the canonical name (CONTRACT.md)
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


def header_key(name: str) -> str:
    """Headers compare case-, space-, dash- and underscore-insensitively: 'E-mail' ~ 'email'."""
    return re.sub(r"[\s_\-]+", "", name).casefold()


HEADER_INDEX: dict[str, str] = {
    header_key(alias): canonical
    for canonical, aliases in COLUMN_ALIASES.items()
    for alias in (canonical, *aliases)
}
