from pathlib import Path

import pytest
from pydantic import BaseModel, ValidationError

from storefront.core.config import DEFAULT_SECRET_KEY, Settings

SAFE_PRODUCTION = {
    "ENVIRONMENT": "production",
    "SECRET_KEY": "a-long-random-production-secret-0123456789",
    "DATABASE_URL": "postgresql://app:pw@db.internal/shop",
    "SMTP_HOST": "smtp.internal",
    "DEBUG": "false",
    "CORS_ORIGINS": '["https://shop.example.com"]',
}


def setting_names() -> set[str]:
    """Every environment variable Settings reads: ENVIRONMENT, DATABASE_URL, ..."""
    names = set()
    for name, field in Settings.model_fields.items():
        group = field.annotation
        if isinstance(group, type) and issubclass(group, BaseModel):
            names |= {
                f"{name}_{field.alias or member}".upper()
                for member, field in group.model_fields.items()
            }
        else:
            names.add(name.upper())
    return names


def settings_from(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> Settings:
    """Settings from exactly `env`, whatever the surrounding environment holds."""
    for name in setting_names():
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return Settings(_env_file=None)


def test_nested_groups_are_read_from_flat_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = settings_from(
        monkeypatch,
        {
            "DATABASE_URL": "postgresql://app:pw@db.internal/shop",
            "DATABASE_POOL_SIZE": "3",
            "LOG_LEVEL": "DEBUG",
        },
    )

    assert settings.database.url is not None
    assert settings.database.url.get_secret_value() == "postgresql://app:pw@db.internal/shop"
    assert settings.database.pool_size == 3
    assert settings.log.level == "DEBUG"
    assert "pw" not in repr(settings)


def test_development_starts_with_no_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = settings_from(monkeypatch, {})

    assert settings.environment == "development"
    assert settings.secret_key.get_secret_value() == DEFAULT_SECRET_KEY
    assert settings.database.url is None


def test_production_with_safe_values_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    assert settings_from(monkeypatch, SAFE_PRODUCTION).is_production


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"SECRET_KEY": DEFAULT_SECRET_KEY}, "SECRET_KEY must be set to a random secret"),
        ({"SECRET_KEY": ""}, "SECRET_KEY must be set to a random secret"),
        ({"SECRET_KEY": "s" * 31}, "at least 32 characters"),
        ({"DEBUG": "true"}, "DEBUG must be off in production"),
        ({"METRICS_ENABLED": "true"}, "METRICS_TOKEN must be set"),
        ({"CORS_ORIGINS": '["*"]'}, "CORS_ORIGINS must list explicit origins"),
    ],
    ids=[
        "default-secret",
        "empty-secret",
        "short-secret",
        "debug",
        "metrics-without-token",
        "wildcard-cors",
    ],
)
def test_production_refuses_unsafe_values(
    monkeypatch: pytest.MonkeyPatch, override: dict[str, str], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        settings_from(monkeypatch, SAFE_PRODUCTION | override)


@pytest.mark.parametrize("required", ["SECRET_KEY", "DATABASE_URL", "SMTP_HOST"])
def test_production_refuses_a_missing_required_setting(
    monkeypatch: pytest.MonkeyPatch, required: str
) -> None:
    env = {name: value for name, value in SAFE_PRODUCTION.items() if name != required}

    with pytest.raises(ValidationError, match=f"{required} must be set"):
        settings_from(monkeypatch, env)


def test_every_setting_is_documented_in_env_example(repo_root: Path) -> None:
    env_example = (repo_root / ".env.example").read_text()
    documented = {
        line.removeprefix("#").strip().split("=", 1)[0]
        for line in env_example.splitlines()
        if "=" in line
    }

    assert setting_names() <= documented


def test_trusted_proxies_are_read_comma_separated_as_uvicorn_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = settings_from(monkeypatch, {"FORWARDED_ALLOW_IPS": "10.0.0.0/8, 192.0.2.1"})

    assert [str(network) for network in settings.forwarded_allow_ips] == [
        "10.0.0.0/8",
        "192.0.2.1/32",
    ]
    with pytest.raises(ValidationError):
        settings_from(monkeypatch, {"FORWARDED_ALLOW_IPS": "not-an-address"})
