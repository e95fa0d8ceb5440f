"""Application settings: one class, read from the environment and `.env`."""

from functools import lru_cache
from pathlib import Path
from typing import Literal, Self

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# A placeholder that lets development start without configuration and that
# production refuses.
DEFAULT_SECRET_KEY = "change-me-in-production"  # noqa: S105 - a known placeholder


class DatabaseSettings(BaseModel):
    # When unset, the embedded PostgreSQL in `embedded_dir` is started instead.
    url: SecretStr | None = None
    embedded_dir: Path = Path(".data/postgres")
    pool_size: int = Field(default=10, ge=1)
    max_overflow: int = Field(default=10, ge=0)
    pool_timeout_seconds: float = Field(default=10.0, gt=0)
    ready_timeout_seconds: float = Field(default=2.0, gt=0)
    echo: bool = False


class CorsSettings(BaseModel):
    origins: list[str] = []
    allow_credentials: bool = False


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
    api_prefix: str = "/api/v1"
    migrations_dir: Path = Path("migrations")
    database: DatabaseSettings = DatabaseSettings()
    cors: CorsSettings = CorsSettings()
    log: LogSettings = LogSettings()

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @model_validator(mode="after")
    def refuse_unsafe_production_values(self) -> Self:
        if not self.is_production:
            return self
        problems = []
        if self.secret_key.get_secret_value() in ("", DEFAULT_SECRET_KEY):
            problems.append("SECRET_KEY must be set to a random secret in production")
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
