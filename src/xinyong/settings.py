"""Deployment settings from XINYONG_* environment variables and an optional xinyong.toml; every field documented."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from xinyong.errors import ConfigError


class Settings(BaseSettings):
    """Every setting a deployment may change; the README table is checked against these fields."""

    model_config = SettingsConfigDict(env_prefix="XINYONG_", toml_file="xinyong.toml", extra="ignore")

    database_url: str = Field(
        "sqlite:///./xinyong.db",
        description="SQLAlchemy URL of the store; `postgresql+psycopg://…` in production.",
    )
    home: Path = Field(Path(".xinyong"), description="Folder for quarantine files, reports, keys and caches.")
    now: str | None = Field(None, description="ISO date or time that fixes the clock (tests, demos, replays).")
    engine: Literal["duckdb", "spark"] = Field(
        "duckdb", description="Batch engine for linkage, rating and reading Parquet feeds."
    )
    spark_master: str = Field("local[*]", description="Spark master URL when the engine is spark.")
    link_upper: float = Field(0.95, description="Match probability at or above which a record links (`model`).")
    link_lower: float = Field(0.50, description="Match probability below which a record becomes a new subject.")
    audit_flush_ms: int = Field(200, description="How long screening audit entries may wait before a bulk write.")
    audit_writer: Literal["process", "thread"] = Field(
        "process",
        description="Where the server writes screening audit entries: a child process of its own, or a thread.",
    )
    index_poll_ms: int = Field(1000, description="How often a screening replica reads store changes into its index.")
    log_level: str = Field("INFO", description="Log level of the service's JSON logs.")
    catalog_extra: Path | None = Field(None, description="Folder of extra catalog YAML a deployment adds.")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))


def load_settings() -> Settings:
    """Read the settings, turning a bad value into one ConfigError line."""
    try:
        return Settings()
    except ValidationError as exc:
        err = exc.errors()[0]
        name = "XINYONG_" + str(err["loc"][0]).upper() if err["loc"] else "settings"
        raise ConfigError(f"{name}: {err['msg']}") from None
