"""The one Settings object: the only place that reads the environment.

Built once at start-up (`Settings()`), then passed down explicitly.  Every
variable is `BERSAMA_<FIELD>`.  Outside development, default or missing
secrets are refused at start-up rather than discovered in production.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bersama.errors import ConfigurationError

DEV_SECRET = "dev-only-insecure-secret"  # noqa: S105 - refused outside development below


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BERSAMA_", extra="ignore", frozen=True)

    environment: Literal["development", "test", "production"] = "development"
    data_dir: Path = Path("bersama-data")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default: SQLite (WAL) in data_dir"
    )
    secret_key: str = DEV_SECRET
    node_name: str = "bersama-node"
    node_url: str = "http://127.0.0.1:8000"
    node_agency: str = Field(default="NODE-ADMIN", description="the operating agency's code")
    node_agency_name: str = "Node operator"
    node_country: str = Field(default="MY", min_length=2, max_length=2)
    admin_email: str = "admin@localhost.localdomain"

    # correlation
    hub_threshold: int = Field(default=50, ge=2, description="reports before a value is a hub")
    list_threshold: int = Field(
        default=50, ge=2, description="identifiers before a report is a list that links nothing"
    )
    decay_half_life_days: float = Field(default=90.0, gt=0)
    cluster_top_observables: int = Field(default=20, ge=1)

    # limits
    bulk_check_max: int = 10_000
    max_body_bytes: int = 64 * 1024 * 1024
    check_rate_per_minute: int = 600
    public_check_enabled: bool = False
    public_check_rate_per_minute: int = 30
    # Refused API tokens audited per client address and minute; beyond it, 429.
    auth_failures_per_minute: int = 30
    cors_origins: list[str] = Field(default_factory=list)

    # federation
    sync_interval_seconds: float = Field(
        default=300.0, ge=0, description="peer sync loop interval in `bersama serve`; 0: off"
    )
    peer_timeout_seconds: float = 30.0
    peer_hold_seconds: float = Field(
        default=3600.0, ge=0,
        description="how long a peer's report waits for objects it references (assemble)",
    )
    peer_hold_max_objects: int = Field(
        default=10_000, ge=0, description="objects held per peer while reports wait"
    )
    peer_kept_days: float = Field(
        default=90.0, gt=0,
        description="how long an observable a refused peer report carried is kept for the "
        "peer's later reports, unless one of them is stored first (assemble, step 6)",
    )
    peer_fetch_max_objects: int = Field(
        default=100, ge=0,
        description="objects a pull sync may fetch by id (TAXII Get An Object) per page "
        "received, for reports that name objects the peer will not send again; 0: none",
    )
    peer_page_size: int = Field(default=1000, ge=1, le=1000, description="TAXII limit asked")

    # privacy-preserving checks
    ask_limit_per_peer_per_day: int = 50_000
    ask_limit_per_agency_per_day: int = 20_000
    psi_timeout_seconds: float = Field(
        default=300.0, gt=0, description="HTTP timeout of one PSI or disclosure call to a peer"
    )
    psi_build_workers: int = Field(
        default=0, ge=0, description="processes for a full PSI answer-set build; 0: one per core"
    )
    psi_warm_interval_seconds: float | None = Field(
        default=None, ge=0,
        description="how often the server rebuilds stale PSI answer sets in the background; "
        "0: never; default 60, but off in the test environment",
    )

    # detection
    model_dir: Path | None = None
    detection_allowlist: Path | None = Field(
        default=None, description="extra registered domains never scored as phishing"
    )
    detection_blocklist: Path | None = Field(
        default=None, description="extra registered domains always scored as phishing"
    )

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> Settings:
        if self.environment == "production" and (
            self.secret_key == DEV_SECRET or len(self.secret_key) < 32
        ):
            raise ConfigurationError(
                "BERSAMA_SECRET_KEY must be set to a random value of at least 32 characters "
                "outside development",
                field="secret_key",
            )
        return self

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'bersama.db').as_posix()}"

    @property
    def psi_warm_interval(self) -> float:
        if self.psi_warm_interval_seconds is not None:
            return self.psi_warm_interval_seconds
        return 0.0 if self.environment == "test" else 60.0

    @property
    def psi_workers(self) -> int:
        return self.psi_build_workers or max(1, min(8, os.cpu_count() or 1))

    @property
    def is_sqlite(self) -> bool:
        return self.effective_database_url.startswith("sqlite")
