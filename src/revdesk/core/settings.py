"""Settings from the environment (prefix `REVDESK_`) and an optional `revdesk.toml`.

Environment variables win over the file. The file is `./revdesk.toml` unless `REVDESK_CONFIG`
names another one. Example::

    # revdesk.toml
    database_url = "postgresql+psycopg://revdesk@db.internal/revdesk"
    base_currency = "EUR"
    fiscal_year_start_month = 2
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from revdesk.core.errors import ConfigError, InvalidInput
from revdesk.core.fiscal import FiscalCalendar
from revdesk.core.money import currency_code

ENV_PREFIX = "REVDESK_"


class Settings(BaseSettings):
    """Every knob RevDesk reads at start-up, validated once."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", frozen=True)

    database_url: str = Field(
        default="sqlite:///./revdesk.db",
        description="SQLAlchemy URL: sqlite:///path or postgresql+psycopg://user@host/db",
    )
    base_currency: str = Field(default="USD", description="ISO 4217 reporting currency")
    fiscal_year_start_month: int = Field(default=2, ge=1, le=12)
    fiscal_year_naming: Literal["end", "start"] = "end"
    sql_echo: bool = False
    import_batch_rows: int = Field(
        default=100_000,
        ge=1_000,
        description="history rows an import reads, plans and writes at a time (bounds memory)",
    )

    @field_validator("base_currency")
    @classmethod
    def _known_currency(cls, value: str) -> str:
        try:
            return currency_code(value)
        except InvalidInput as exc:
            raise ValueError(exc.message) from None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Init arguments, then the environment, then the TOML file."""
        toml = TomlConfigSettingsSource(settings_cls, toml_file=config_path())
        return (init_settings, env_settings, toml)

    @property
    def fiscal_calendar(self) -> FiscalCalendar:
        """The fiscal calendar these settings describe."""
        return FiscalCalendar(
            start_month=self.fiscal_year_start_month, naming=self.fiscal_year_naming
        )


def config_path() -> Path:
    """Return the TOML file to read: `$REVDESK_CONFIG` or `./revdesk.toml`."""
    return Path(os.environ.get(f"{ENV_PREFIX}CONFIG", "revdesk.toml"))


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    name = ".".join(str(part) for part in first["loc"]) or "settings"
    value = first.get("input")
    shown = f" (got {value!r})" if not isinstance(value, dict) else ""
    return f"setting {ENV_PREFIX}{name.upper()}: {first['msg']}{shown}"


def load_settings(**overrides: object) -> Settings:
    """Read and validate the settings; a bad value raises ConfigError naming the setting."""
    path = config_path()
    if os.environ.get(f"{ENV_PREFIX}CONFIG") and not path.is_file():
        raise ConfigError(f"config file {path} does not exist", where=f"{ENV_PREFIX}CONFIG")
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigError(_describe(exc)) from None
    except (ValueError, OSError) as exc:  # a malformed TOML file
        raise ConfigError(f"cannot read {path}: {exc}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings, loaded on first use."""
    return load_settings()
