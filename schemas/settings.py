"""One settings object, read from `PP_*` variables and `.env` when asked for, never at import."""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, PlainSerializer, PlainValidator, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from schemas.enums import Temperature
from schemas.rules import TRANSFERABLE
from schemas.text import sender_problem
from warehouse.locator import FileWarehouse, LakeWarehouse, Warehouse, locate

_MEMORY_SIZE = re.compile(r"\d+(\.\d+)?\s*([KMGT]i?B|B)|\d+(\.\d+)?%", re.IGNORECASE)


class Settings(BaseSettings):
    # Frozen: `load_settings` hands the same object to every caller of one command.
    model_config = SettingsConfigDict(env_prefix="PP_", env_file=".env", extra="ignore", frozen=True)

    warehouse: Annotated[Warehouse, PlainValidator(locate), PlainSerializer(str, return_type=str)] = Field(
        FileWarehouse(Path("data/pp.duckdb")),
        description="a DuckDB file, or a lake: ducklake:postgres:<libpq conninfo> (warehouse/locator.py)",
    )
    lake_data_path: Path | None = Field(
        None, description="the folder of a lake's Parquet files, on storage every worker shares (`pp init`)"
    )
    lake_write_retries: int = Field(
        12, ge=0, description="how often a lake writer runs its transaction again after a commit conflict"
    )
    lake_write_slot: bool = Field(
        False, description="lake writers in recorded runs take the `warehouse-write` slot all the same"
    )
    lake_keep_snapshots_days: float = Field(
        7, gt=0, description="`maintain-lake` expires the lake's snapshots older than this"
    )
    base_url: str = "http://localhost:8080"
    smtp_host: str | None = None
    smtp_port: int = Field(25, ge=1, le=65535)
    smtp_user: str | None = None
    smtp_password: SecretStr | None = Field(None, description="kept out of repr, logs and error lines")
    smtp_security: Literal["none", "starttls", "tls"] = "none"
    smtp_password_block: str | None = Field(
        None, description="a Prefect Secret block holding the SMTP password, when PP_SMTP_PASSWORD is unset"
    )
    smtp_timeout_seconds: float = Field(10.0, gt=0, description="SMTP connect and reply timeout")
    mail_from: str = "leads@potential-sales.local"
    outbox_dir: Path | None = Field(
        None, description="where .eml files go without an SMTP host; default `outbox` beside the warehouse"
    )
    digest_hour: int = Field(9, ge=0, le=23, description="SC-local hour of the daily digest (SPEC §8)")
    notify_max_attempts: int = Field(8, gt=0, description="delivery attempts before a message is failed")
    notify_retry_base_seconds: int = Field(300, gt=0, description="first retry delay; doubles per attempt")
    notify_retry_max_seconds: int = Field(6 * 3600, gt=0, description="longest retry delay")
    notify_claim_seconds: int = Field(
        900, ge=0, description="how long a sender owns the messages it took before another may resend them"
    )
    feed_timezone: str = Field(
        "Europe/Moscow", description="zone of feed timestamps written without an offset"
    )
    batch_rows: int = Field(250_000, gt=0, description="feed rows processed per batch")
    duckdb_memory_limit: str = Field(
        "512MB", description="DuckDB's buffer cap for ingestion; beyond it DuckDB spills to disk"
    )
    snapshot_seconds: int | None = Field(
        300,
        ge=0,
        description="refresh the analysts' read-only copy beside the warehouse (`pp.duckdb.snapshot`) "
        "after a write at most this often; unset: no snapshot, readers open the warehouse",
    )
    lock_timeout_seconds: float = Field(
        600, ge=0, description="how long a run waits for another to finish with the warehouse"
    )
    landing_settle_seconds: float = Field(
        2.0, ge=0, description="a landing file whose size or mtime changes within this is still being written"
    )
    sla_goal: float = Field(
        0.9, ge=0, le=1, description="the share of leads to take in time; the report's compliance goal"
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

    @field_validator(
        "smtp_host",
        "smtp_user",
        "smtp_password",
        "smtp_password_block",
        "outbox_dir",
        "snapshot_seconds",
        "lake_data_path",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        """`PP_SMTP_HOST=` in the environment switches SMTP off, whatever a `.env` file says."""
        return None if value == "" else value

    @field_validator("feed_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone; use e.g. Europe/Moscow") from None
        return value

    @field_validator("duckdb_memory_limit")
    @classmethod
    def _memory_size(cls, value: str) -> str:
        if not _MEMORY_SIZE.fullmatch(value.strip()):
            raise ValueError(f"{value!r} is not a memory size; use e.g. 512MB or 2GB")
        return value.strip()

    @field_validator("mail_from")
    @classmethod
    def _one_sender(cls, value: str) -> str:
        if problem := sender_problem(value):  # every message would fail alike
            raise ValueError(f"{value!r} {problem}; set it to the one ASCII address notices come from")
        return value

    @field_validator("base_url")
    @classmethod
    def _web_address(cls, value: str) -> str:
        if not re.fullmatch(r"https?://[^\s/]+(/\S*)?", value):
            raise ValueError(f"{value!r} is not an http(s) address; use e.g. https://crm.example.com")
        return value.rstrip("/")

    @property
    def outbox(self) -> Path:
        """`PP_OUTBOX_DIR`; by default `outbox` beside a file warehouse, and for a lake (whose
        data folder DuckLake's clean-up owns) `data/outbox`, where a file warehouse's would be."""
        if self.outbox_dir is not None:
            return self.outbox_dir
        if isinstance(self.warehouse, LakeWarehouse):
            return Path("data/outbox")
        return self.warehouse.path.parent / "outbox"


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, with explicit values (e.g. command-line options) on top.

    Read once per environment: a command asks for them at every step, and each read parses
    the environment and `.env` again. The key is what they are read from (the `PP_*`
    variables, the `.env` file's text, the overrides), so a changed variable is seen at once."""
    given = tuple(sorted((k, v) for k, v in overrides.items() if v is not None))
    return _settings(given, _environment())


def _environment() -> tuple[tuple[tuple[str, str], ...], str | None]:
    """What `Settings` reads: the `PP_*` variables (in any case, as pydantic-settings matches
    them) and the text of `.env` in the working directory."""
    variables = tuple(sorted((k, v) for k, v in os.environ.items() if k.upper().startswith("PP_")))
    try:
        dotenv = Path(".env").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):  # none, or unreadable: Settings says so when it reads it
        dotenv = None
    return variables, dotenv


@lru_cache(maxsize=16)
def _settings(overrides: tuple[tuple[str, object], ...], environment: object) -> Settings:
    """One `Settings` per overrides and `environment` (`_environment()`, the cache's key only)."""
    return Settings(**dict(overrides))  # type: ignore[arg-type]
