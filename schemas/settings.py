"""One settings object, read from `PP_*` variables and `.env` when asked for, never at import."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


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


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, with explicit values (e.g. command-line options) on top."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})  # type: ignore[arg-type]
