"""Service settings, read from the environment with the ``EQUIWAIT_`` prefix."""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Environment = Literal["development", "test", "production"]

#: Prefix of the generated secret only ever accepted outside production.
_DEVELOPMENT_SECRET_PREFIX = "development-only-"


def _development_secret(path: Path) -> str:
    """A per-checkout secret for development, kept in ``var/`` so the CLI and server agree."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = _DEVELOPMENT_SECRET_PREFIX + secrets.token_hex(24)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value


class Settings(BaseSettings):
    """All runtime configuration; production refuses to start without a real secret."""

    model_config = SettingsConfigDict(env_prefix="EQUIWAIT_", env_file=".env", extra="ignore")

    environment: Environment = "production"
    database_url: str = "sqlite:///var/equiwait.db"
    secret_key: SecretStr | None = None
    token_ttl_minutes: int = Field(default=8 * 60, ge=1, le=7 * 24 * 60)
    max_upload_bytes: int = Field(default=512 * 1024 * 1024, ge=1024)
    max_json_entries: int = Field(default=50_000, ge=1)
    max_reported_errors: int = Field(default=10_000, ge=1)
    default_page_size: int = Field(default=100, ge=1, le=10_000)
    max_page_size: int = Field(default=5_000, ge=1, le=100_000)
    log_level: str = "INFO"
    imd_edition: str = Field(
        default="iod2019",
        description="IMD edition used to look deciles up from LSOA codes (iod2019: 2011 LSOAs; "
        "iod2025: 2021 LSOAs, once loaded with `equiwait load-imd`).",
    )
    reference_data_dir: Path | None = Field(
        default=None,
        description="Folder of a trust's reference lists: `<list>.csv` replaces the packaged "
        "list, `<list>.extra.csv` adds to it (loaded by `equiwait migrate`).",
    )
    development_secret_file: Path = Path("var/secret_key")
    audit_keys: SecretStr | None = Field(
        default=None,
        description="`id:key` pairs, newest first, keying the audit chain (HMAC-SHA256); "
        "default: a key derived from the secret key (id `secret`).",
    )
    audit_anchor_file: Path = Field(
        default=Path("var/audit_anchors.jsonl"),
        description="File the signed audit chain heads are appended to (one JSON line each).",
    )
    audit_anchor_interval_seconds: int = Field(
        default=3600,
        ge=0,
        description="How often the serving process anchors the chain head (0: never; "
        "`equiwait audit-anchor` anchors on demand).",
    )
    behind_tls: bool = Field(
        default=False,
        description="The service is reached through a TLS proxy: send HSTS on every answer "
        "(it is sent anyway for requests that arrive over TLS).",
    )

    @field_validator("reference_data_dir")
    @classmethod
    def _existing_folder(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_dir():
            raise ValueError(f"EQUIWAIT_REFERENCE_DATA_DIR is not a folder: {value}")
        return value

    @model_validator(mode="after")
    def _require_secret_in_production(self) -> Settings:
        if self.secret_key is None:
            if self.environment == "production":
                raise ValueError(
                    "EQUIWAIT_SECRET_KEY must be set in production "
                    "(at least 32 random characters, e.g. `openssl rand -hex 32`)"
                )
            self.secret_key = SecretStr(_development_secret(self.development_secret_file))
        elif self.environment == "production":
            value = self.secret_key.get_secret_value()
            if len(value) < 32 or value.startswith(_DEVELOPMENT_SECRET_PREFIX):
                raise ValueError("EQUIWAIT_SECRET_KEY must be at least 32 characters in production")
        return self

    @model_validator(mode="after")
    def _readable_audit_keys(self) -> Settings:
        from app.audit_keys import AuditKeys

        AuditKeys.from_settings(self)  # refuses to start with keys it cannot read
        return self

    @property
    def secret(self) -> str:
        """The signing secret as plain text (never logged)."""
        assert self.secret_key is not None
        return self.secret_key.get_secret_value()


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
