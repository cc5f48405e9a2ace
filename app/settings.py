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
    gap_divergence_tolerance_weeks: float = Field(
        default=1.0,
        ge=0.1,
        le=26,
        description="How far (weeks) a specialty's measured Q1-Q5 gap at treatment since a "
        "rule version took effect may sit from the gap its preview or calibration predicted "
        "before the week counts as divergent; four divergent weeks running flag the "
        'specialty for review (docs/calibration.md, "Watching the effect").',
    )
    support_rules_file: Path | None = Field(
        default=None,
        description="JSON support rules for the support list (default: the shipped rules, "
        "app/support/default_rules.json; docs/support-model.md).",
    )
    metrics_token: SecretStr | None = Field(
        default=None,
        description="Bearer token a Prometheus scraper sends to read `/metrics` (at least 32 "
        "characters in production). Unset: `/metrics` is off in production (404) and open "
        "in development and test.",
    )
    workers: int = Field(
        default=1,
        ge=1,
        le=64,
        description="Worker processes of `equiwait serve`; each has its own database pool "
        "and heavy-route slots.",
    )
    db_pool_size: int = Field(
        default=10, ge=1, le=1000, description="Database connections each worker keeps open."
    )
    db_max_overflow: int = Field(
        default=10,
        ge=0,
        le=1000,
        description="Extra connections a worker may open above the pool size under load.",
    )
    db_pool_timeout_seconds: float = Field(
        default=2.0,
        gt=0,
        le=60,
        description="How long a request waits for a free connection before it is refused "
        "with 503 and `Retry-After`.",
    )
    heavy_concurrency: int = Field(
        default=4,
        ge=1,
        le=1000,
        description="Heavy requests (simulations, reports, ranking runs, rule previews, the "
        "support list) each worker serves at once; more are refused with 429 and `Retry-After`.",
    )
    max_in_flight: int = Field(
        default=32,
        ge=1,
        le=100_000,
        description="Requests each worker has in progress at once; more are refused at once "
        "with 503 and `Retry-After` instead of queueing (health, readiness and metrics never "
        "are).",
    )
    retry_after_seconds: int = Field(
        default=5, ge=1, le=3600, description="`Retry-After` of a 429 or 503 refusal."
    )
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

    # Sign-in of people through the trust's identity provider (OpenID Connect): docs/web.md.
    oidc_issuer: str | None = Field(
        default=None,
        description="Issuer URL of the trust's identity provider (NHS CIS2 Authentication, "
        "Microsoft Entra ID); its discovery document is <issuer>/.well-known/openid-configuration.",
    )
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = None
    oidc_scopes: str = "openid profile email"
    oidc_role_claim: str = Field(
        default="roles",
        description="Claim holding the person's roles: a name, or a dotted path into nested "
        "claims (e.g. `nhsid_nrbac_roles.role_code`); strings or lists of them.",
    )
    oidc_role_map: dict[str, str] = Field(
        default_factory=dict,
        description="Claim value -> Equiwait role (JSON); a value equal to a role name maps to it.",
    )
    oidc_name_claim: str = "name"
    oidc_api_audience: str | None = Field(
        default=None,
        description="Audience the API requires of the identity provider's access tokens "
        "(default: the client id).",
    )
    oidc_provider_name: str = "your organisation's account"
    session_idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    session_absolute_minutes: int = Field(default=8 * 60, ge=5, le=7 * 24 * 60)

    job_runner: Literal["in_process", "external"] = Field(
        default="in_process",
        description="`in_process`: the service runs background jobs itself (SQLite's runner, "
        "or a procrastinate worker thread on PostgreSQL); `external`: only `equiwait worker` "
        "processes do.",
    )
    scheduler: Literal["internal", "external"] = Field(
        default="internal",
        description="`internal`: the service queues its scheduled work (recovery sweep, "
        "override expiry, future effective times, weekly equity snapshot) every "
        "`schedule_interval_seconds`; `external`: an outside scheduler runs `equiwait tick`.",
    )
    schedule_interval_seconds: float = Field(default=60.0, ge=1.0, le=86_400.0)
    job_poll_seconds: float = Field(default=2.0, ge=0.05, le=600.0)
    job_heartbeat_timeout_minutes: float = Field(default=10.0, ge=0.1)

    @field_validator("reference_data_dir")
    @classmethod
    def _existing_folder(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_dir():
            raise ValueError(f"EQUIWAIT_REFERENCE_DATA_DIR is not a folder: {value}")
        return value

    @field_validator("oidc_role_map")
    @classmethod
    def _known_roles(cls, value: dict[str, str]) -> dict[str, str]:
        from app.security import Role

        known = {role.value for role in Role}
        unknown = sorted({role for role in value.values() if role not in known})
        if unknown:
            raise ValueError(
                f"EQUIWAIT_OIDC_ROLE_MAP maps to unknown roles {unknown}; "
                f"roles are {', '.join(sorted(known))}"
            )
        return value

    @model_validator(mode="after")
    def _oidc_complete(self) -> Settings:
        if (self.oidc_issuer is None) != (self.oidc_client_id is None):
            raise ValueError("EQUIWAIT_OIDC_ISSUER and EQUIWAIT_OIDC_CLIENT_ID go together")
        if (
            self.oidc_issuer is not None
            and self.environment == "production"
            and not self.oidc_issuer.startswith("https://")
        ):
            raise ValueError("EQUIWAIT_OIDC_ISSUER must be an https:// URL in production")
        if self.session_idle_minutes > self.session_absolute_minutes:
            raise ValueError(
                "EQUIWAIT_SESSION_IDLE_MINUTES cannot exceed EQUIWAIT_SESSION_ABSOLUTE_MINUTES"
            )
        return self

    @property
    def oidc_enabled(self) -> bool:
        """Whether people can sign in through the trust's identity provider."""
        return self.oidc_issuer is not None and self.oidc_client_id is not None

    @property
    def development_sign_in(self) -> bool:
        """The choose-a-role sign-in of `make run`: only ever in development."""
        return self.environment == "development"

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
    def _long_metrics_token(self) -> Settings:
        token = self.metrics_token
        if (
            token is not None
            and self.environment == "production"
            and len(token.get_secret_value()) < 32
        ):
            raise ValueError("EQUIWAIT_METRICS_TOKEN must be at least 32 characters")
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
