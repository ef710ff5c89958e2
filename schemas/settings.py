"""One settings object, read from `PP_*` variables and `.env` when asked for, never at import."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from schemas.enums import Temperature
from schemas.rules import TRANSFERABLE


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PP_", env_file=".env", extra="ignore")

    warehouse: Path = Path("data/pp.duckdb")
    base_url: str = "http://localhost:8080"
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_security: Literal["none", "starttls", "tls"] = "none"
    mail_from: str = "leads@potential-sales.local"
    outbox_dir: Path = Path("data/outbox")
    feed_timezone: str = Field(
        "Europe/Moscow", description="zone of feed timestamps written without an offset"
    )
    batch_rows: int = Field(250_000, gt=0, description="feed rows processed per batch")
    duckdb_memory_limit: str = Field(
        "512MB", description="DuckDB's buffer cap for ingestion; beyond it DuckDB spills to disk"
    )
    # The sanction policy (SPEC §11): what the SLA sweep does by itself, what it proposes.
    transfer_temperatures: Annotated[frozenset[Temperature], NoDecode] = Field(
        TRANSFERABLE,
        description="comma-separated temperatures a breached lead is moved to another SC for; "
        "empty: never move",
    )
    propose_breach_rate: float = Field(
        0.2, ge=0, le=1, description="propose a measure for an SC whose breach share exceeds this"
    )
    propose_min_due: int = Field(10, ge=1, description="leads due in the period before the share counts")
    propose_breach_count: int = Field(
        25, ge=1, description="propose a measure for an SC with at least this many breaches"
    )

    @field_validator("transfer_temperatures", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("transfer_temperatures")
    @classmethod
    def _never_cold(cls, value: frozenset[Temperature]) -> frozenset[Temperature]:
        if not value <= TRANSFERABLE:
            allowed = ", ".join(sorted(TRANSFERABLE))
            raise ValueError(f"only {allowed} leads may be transferred (SPEC §6: cold leads never move)")
        return value


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, with explicit values (e.g. command-line options) on top."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})  # type: ignore[arg-type]
