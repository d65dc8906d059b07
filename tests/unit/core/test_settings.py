"""Settings: defaults, environment, TOML file, and one clear error per bad value."""

from __future__ import annotations

from pathlib import Path

import pytest

from revdesk.core.errors import ConfigError
from revdesk.core.settings import load_settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (
        "DATABASE_URL",
        "BASE_CURRENCY",
        "FISCAL_YEAR_START_MONTH",
        "CONFIG",
        "FISCAL_YEAR_NAMING",
        "SQL_ECHO",
    ):
        monkeypatch.delenv(f"REVDESK_{name}", raising=False)
    monkeypatch.chdir(tmp_path)


def test_defaults_are_sqlite_in_the_working_folder_usd_and_a_february_fiscal_year() -> None:
    settings = load_settings()

    assert settings.database_url == "sqlite:///./revdesk.db"
    assert settings.base_currency == "USD"
    assert settings.fiscal_calendar.start_month == 2


def test_the_environment_wins_over_the_toml_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "revdesk.toml").write_text(
        'base_currency = "eur"\nfiscal_year_start_month = 7\n', encoding="utf-8"
    )
    monkeypatch.setenv("REVDESK_FISCAL_YEAR_START_MONTH", "10")

    settings = load_settings()

    assert settings.base_currency == "EUR"
    assert settings.fiscal_year_start_month == 10


def test_revdesk_config_points_at_another_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    other = tmp_path / "prod.toml"
    other.write_text('database_url = "postgresql://db/revdesk"\n', encoding="utf-8")
    monkeypatch.setenv("REVDESK_CONFIG", str(other))

    assert load_settings().database_url == "postgresql://db/revdesk"


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("BASE_CURRENCY", "EURO", "REVDESK_BASE_CURRENCY"),
        ("FISCAL_YEAR_START_MONTH", "0", "greater than or equal to 1"),
        ("FISCAL_YEAR_START_MONTH", "May", "REVDESK_FISCAL_YEAR_START_MONTH"),
        ("FISCAL_YEAR_NAMING", "middle", "REVDESK_FISCAL_YEAR_NAMING"),
        ("SQL_ECHO", "perhaps", "REVDESK_SQL_ECHO"),
    ],
)
def test_a_bad_value_names_the_setting(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(f"REVDESK_{name}", value)

    with pytest.raises(ConfigError, match=expected) as raised:
        load_settings()

    assert repr(value) in str(raised.value)


def test_an_unknown_key_in_the_toml_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "revdesk.toml").write_text('databse_url = "x"\n', encoding="utf-8")

    with pytest.raises(ConfigError, match="REVDESK_DATABSE_URL: Extra inputs are not permitted"):
        load_settings()


def test_the_import_batch_size_comes_from_the_environment_and_has_a_floor(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("REVDESK_IMPORT_BATCH_ROWS", raising=False)
    assert load_settings().import_batch_rows == 100_000

    monkeypatch.setenv("REVDESK_IMPORT_BATCH_ROWS", "50000")
    assert load_settings().import_batch_rows == 50_000

    monkeypatch.setenv("REVDESK_IMPORT_BATCH_ROWS", "10")
    with pytest.raises(
        ConfigError, match=r"REVDESK_IMPORT_BATCH_ROWS: .*greater than or equal to 1000"
    ):
        load_settings()
