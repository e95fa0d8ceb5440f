"""Application settings: one class, read from the environment and `.env`."""

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal, Self

from fastapi import Depends, Request
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    IPvAnyNetwork,
    SecretStr,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

API_PREFIX = "/api/v1"

# A placeholder that lets development start without configuration and that
# production refuses.
DEFAULT_SECRET_KEY = "insecure-development-secret-change-me-in-production"  # noqa: S105  gitleaks:allow
# HS256 keys shorter than the hash (32 bytes) weaken the signature (RFC 7518 3.2).
MIN_SECRET_KEY_LENGTH = 32


class DatabaseSettings(BaseModel):
    # When unset, the embedded PostgreSQL in `embedded_dir` is started instead.
    url: SecretStr | None = None
    embedded_dir: Path = Path(".data/postgres")
    # A steady pool: connections opened past pool_size are closed again as soon
    # as they are returned, and under load that churn costs more than it saves.
    pool_size: int = Field(default=20, ge=1)
    max_overflow: int = Field(default=0, ge=0)
    # The hand-written reads' own pool (core.database.RawConnections): each holds a
    # connection for one short statement. As large as the engine's, which served
    # them before: a request waiting for a connection queues behind others unfairly
    # (asyncio's queue), and with 10 the p99 of GET /products/{id} at 32 connections
    # doubled (task bench: 21 -> 47 ms) and a few waited out the pool timeout.
    read_pool_size: int = Field(default=20, ge=1)
    # Every wait on the database is bounded, so a request that cannot be served
    # answers 503 within pool + connect + statement timeouts (4.5 s by default)
    # instead of hanging while the database is down or stalled.
    pool_timeout_seconds: float = Field(default=1.0, gt=0)
    connect_timeout_seconds: float = Field(default=1.5, gt=0)
    statement_timeout_seconds: float = Field(default=2.0, gt=0)
    ready_timeout_seconds: float = Field(default=2.0, gt=0)
    echo: bool = False
    # DATABASE_URL points at PgBouncer in transaction mode: no prepared statements
    # are kept, or named alike, across transactions, and statement_timeout (which
    # PgBouncer refuses as a connection parameter) must be set on the database role.
    pgbouncer: bool = False


class AuthSettings(BaseModel):
    access_token_minutes: int = Field(default=15, ge=1)
    refresh_token_days: int = Field(default=30, ge=1)
    # Argon2id; OWASP's first recommended profile (19 MiB, 2 passes, 1 lane),
    # about 17 ms a hash on a 2-core machine. Hashes made with other values are
    # upgraded on the user's next successful login.
    argon2_time_cost: int = Field(default=2, ge=1)
    argon2_memory_kib: int = Field(default=19_456, ge=8_192)
    argon2_parallelism: int = Field(default=1, ge=1)
    # Failed logins within the window after which further attempts get 429.
    max_failures_per_account: int = Field(default=5, ge=1)
    max_failures_per_address: int = Field(default=20, ge=1)
    throttle_window_minutes: int = Field(default=15, ge=1)
    # An address the owner logged in from within this many days keeps its own
    # account counter, so strangers' failures cannot lock the owner out there.
    known_address_days: int = Field(default=30, ge=1)
    # Password-reset requests per email, and per client address, within the
    # throttle window; more get 429, for known and unknown emails alike.
    max_reset_requests_per_account: int = Field(default=3, ge=1)
    max_reset_requests_per_address: int = Field(default=10, ge=1)
    # Refresh tokens are kept this long after they expired or were revoked, so a
    # reuse is still recognised as one (and revokes its family), then purged.
    refresh_token_retention_days: int = Field(default=7, ge=1)


class CatalogSettings(BaseModel):
    # ISO 4217 code for products created without one.
    default_currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")


class CorsSettings(BaseModel):
    origins: list[str] = []
    allow_credentials: bool = False


class ServerSettings(BaseModel):
    # Where `storefront serve` listens; the image sets SERVER_HOST=0.0.0.0.
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65_535)
    # Larger request bodies get 413 while they stream in, before any parsing.
    max_body_bytes: int = Field(default=1_048_576, ge=1)
    # After SIGTERM, in-flight requests get this long to finish.
    shutdown_timeout_seconds: int = Field(default=20, ge=1, le=30)
    # /docs, /redoc and /openapi.json; unset: on, except in production.
    docs_enabled: bool | None = None


class SmtpSettings(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    # Unset: mails are logged and written as .eml files to `outbox_dir` instead of
    # being sent (refused in production).
    host: str | None = None
    port: int = Field(default=587, ge=1, le=65_535)
    username: str | None = None
    password: SecretStr | None = None
    # starttls upgrades a plain connection (port 587), tls starts with TLS (port 465).
    security: Literal["none", "starttls", "tls"] = "starttls"
    from_address: str = Field(default="Storefront <no-reply@localhost>", alias="from")
    timeout_seconds: float = Field(default=10.0, gt=0)
    outbox_dir: Path = Path(".data/mail")


class JobsSettings(BaseModel):
    # Where the worker's queue connections go (unset: DATABASE_URL). They LISTEN for
    # new jobs, which needs a session of its own: behind PgBouncer in transaction
    # mode, point this at PostgreSQL itself (or a session-mode pool).
    database_url: SecretStr | None = None
    # Jobs one worker process runs at once (at least 2).
    concurrency: int = Field(default=10, ge=2)
    # A job whose worker stopped beating for this long is handed to another worker.
    heartbeat_timeout_seconds: float = Field(default=30.0, gt=0)
    # Runs of a failing job, with exponential backoff between them, before it is
    # kept as failed with its error.
    max_attempts: int = Field(default=5, ge=1)
    retry_delay_seconds: float = Field(default=1.0, gt=0)
    # Rows each periodic purge deletes per run at most; the next run goes on.
    purge_batch_size: int = Field(default=10_000, ge=1)
    # How long finished jobs stay in the queue's log (`task jobs` shows recent ones),
    # and sent mails are remembered so a job run again does not mail twice.
    log_retention_days: int = Field(default=7, ge=1)


class MetricsSettings(BaseModel):
    # GET /metrics (Prometheus); unset: on, except in production.
    enabled: bool | None = None
    # When set, a scrape must carry it: `Authorization: Bearer <token>`. Production
    # refuses metrics without one.
    token: SecretStr | None = None


class LogSettings(BaseModel):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        # DATABASE_URL -> database.url, DATABASE_POOL_SIZE -> database.pool_size
        env_nested_delimiter="_",
        env_nested_max_split=1,
        extra="ignore",
    )

    environment: Literal["development", "test", "production"] = "development"
    debug: bool = False
    secret_key: SecretStr = SecretStr(DEFAULT_SECRET_KEY)
    migrations_dir: Path = Path("migrations")
    database: DatabaseSettings = DatabaseSettings()
    auth: AuthSettings = AuthSettings()
    catalog: CatalogSettings = CatalogSettings()
    cors: CorsSettings = CorsSettings()
    server: ServerSettings = ServerSettings()
    smtp: SmtpSettings = SmtpSettings()
    jobs: JobsSettings = JobsSettings()
    metrics: MetricsSettings = MetricsSettings()
    log: LogSettings = LogSettings()
    # Proxies whose X-Forwarded-For is believed (addresses or networks, as a JSON
    # list); the same name uvicorn reads. Empty: the peer is the client.
    forwarded_allow_ips: Annotated[list[IPvAnyNetwork], NoDecode] = []
    # Server processes `storefront serve` starts; the name platforms and uvicorn use.
    web_concurrency: int = Field(default=1, ge=1)
    # Where password-reset mails link to, with `?token=...` appended: the page of
    # your front end that asks for the new password.
    password_reset_url: str = "http://localhost:3000/reset-password"  # noqa: S105 - a URL
    password_reset_token_minutes: int = Field(default=30, ge=1)

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def docs_enabled(self) -> bool:
        if self.server.docs_enabled is None:
            return not self.is_production
        return self.server.docs_enabled

    @property
    def metrics_enabled(self) -> bool:
        if self.metrics.enabled is None:
            return not self.is_production
        return self.metrics.enabled

    @field_validator("forwarded_allow_ips", mode="before")
    @classmethod
    def split_addresses(cls, value: object) -> object:
        # Comma-separated, as uvicorn reads the same variable.
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @model_validator(mode="after")
    def refuse_unsafe_production_values(self) -> Self:
        if not self.is_production:
            return self
        problems = []
        secret_key = self.secret_key.get_secret_value()
        if secret_key == DEFAULT_SECRET_KEY or len(secret_key) < MIN_SECRET_KEY_LENGTH:
            problems.append(
                "SECRET_KEY must be set to a random secret of at least "
                f"{MIN_SECRET_KEY_LENGTH} characters in production"
            )
        if self.database.url is None:
            problems.append("DATABASE_URL must be set in production")
        if self.smtp.host is None:
            problems.append("SMTP_HOST must be set in production")
        if self.metrics_enabled and self.metrics.token is None:
            problems.append("METRICS_TOKEN must be set in production when METRICS_ENABLED")
        if self.debug:
            problems.append("DEBUG must be off in production")
        if "*" in self.cors.origins:
            problems.append("CORS_ORIGINS must list explicit origins in production, not '*'")
        if problems:
            raise ValueError("; ".join(problems))
        return self


@lru_cache
def get_settings() -> Settings:
    return Settings()


async def get_app_settings(request: Request) -> Settings:
    """The settings the running app was created with (tests create apps with their own)."""
    settings: Settings = request.app.state.settings
    return settings


AppSettings = Annotated[Settings, Depends(get_app_settings)]
