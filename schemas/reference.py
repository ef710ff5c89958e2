"""Typed reference rows (docs/contract.md, reference data directory), validated on load."""

from __future__ import annotations

from datetime import date
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, field_validator

from schemas.text import control_character


def control_character_problem(value: str) -> str | None:
    """What is wrong with a reference cell holding a line break or a control character (it
    breaks every CSV, letter and screen that shows the name), or None."""
    found = control_character(value)
    return f"holds {found}; remove it: names and codes are one line of text" if found else None


class ReferenceRow(BaseModel):
    """A row of a reference file; every cell is checked before its own field's rules."""

    @field_validator("*", mode="before")
    @classmethod
    def _no_control_characters(cls, value: object) -> object:
        problem = control_character_problem(value) if isinstance(value, str) else None
        if problem:
            raise ValueError(problem)
        return value


def _split(value: object) -> object:
    """List-valued cells are `;`-separated."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(";") if part.strip()]
    return value


class ServiceCentre(ReferenceRow):
    sc_id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    timezone: str
    notify_email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    regions: list[str] = Field(min_length=1)
    products: list[str] = Field(min_length=1)
    capacity: float = Field(gt=0)

    _split_lists = field_validator("regions", "products", mode="before")(_split)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA time zone {value!r}") from exc
        return value

    @field_validator("regions")
    @classmethod
    def _two_digits(cls, value: list[str]) -> list[str]:
        return [code.zfill(2) for code in value]


class Manager(ReferenceRow):
    manager_id: str = Field(min_length=1)
    sc_id: str = Field(min_length=1)
    name: str = Field(min_length=1)


class Product(ReferenceRow):
    product: str = Field(min_length=1, pattern=r"^[\w\-.]+$")  # the user's code, in any case
    name: str = Field(min_length=1)


class CalendarDay(ReferenceRow):
    date: date
    kind: Literal["holiday", "workday"]


REFERENCE_FILES: dict[str, tuple[type[BaseModel], bool]] = {
    # file name -> (row model, required)
    "service_centers.csv": (ServiceCentre, True),
    "managers.csv": (Manager, True),
    "products.csv": (Product, True),
    "calendar.csv": (CalendarDay, False),
}
