"""Configuration: TOML in the platform config dir, overridden by SESKEYS_* variables and flags.

One immutable object, passed down; nothing reads the environment below the CLI.
"""

from __future__ import annotations

import getpass
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from platformdirs import user_config_path, user_data_path
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from seskeys.errors import InputError

APP = "seskeys"
CONFIG_FORMAT_VERSION = 1


class Config(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    format_version: int = CONFIG_FORMAT_VERSION
    vault: Path | None = None
    ticket_pattern: str = r"\S.*"
    actor: str | None = None
    max_key_age_days: int = Field(90, ge=1)
    due_soon_days: int = Field(14, ge=0)
    unused_key_days: int = Field(45, ge=1)
    clipboard_clear_seconds: int = Field(30, ge=0)
    lastpass_note_type: str | None = None
    # Your own LastPass labels where they differ from the template's: field id -> label.
    lastpass_labels: dict[str, str] = Field(default_factory=dict)

    @field_validator("ticket_pattern")
    @classmethod
    def _compiles(cls, pattern: str) -> str:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression ({exc})") from None
        return pattern

    def vault_path(self) -> Path:
        return self.vault or default_vault_path()

    def who(self) -> str:
        return self.actor or default_actor()


def default_vault_path() -> Path:
    return user_data_path(APP) / "vault.db"


def default_config_path() -> Path:
    return user_config_path(APP) / "config.toml"


def default_actor() -> str:
    import socket  # only when no actor is configured; slow to import

    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


_ENV = {
    "SESKEYS_VAULT": "vault",
    "SESKEYS_TICKET_PATTERN": "ticket_pattern",
    "SESKEYS_ACTOR": "actor",
    "SESKEYS_MAX_KEY_AGE_DAYS": "max_key_age_days",
    "SESKEYS_DUE_SOON_DAYS": "due_soon_days",
    "SESKEYS_UNUSED_KEY_DAYS": "unused_key_days",
    "SESKEYS_CLIPBOARD_CLEAR_SECONDS": "clipboard_clear_seconds",
    "SESKEYS_LASTPASS_NOTE_TYPE": "lastpass_note_type",
}


def load(path: Path | None = None, environ: Mapping[str, str] | None = None,
         overrides: Mapping[str, Any] | None = None) -> Config:
    environ = os.environ if environ is None else environ
    named = path or (Path(environ["SESKEYS_CONFIG"]) if environ.get("SESKEYS_CONFIG") else None)
    if named is not None and not named.exists():  # a mistyped path must not drop the settings
        raise InputError(f"config {named}: no such file",
                         hint="create it, or leave out --config / SESKEYS_CONFIG for the "
                              "default location")
    path = named or default_config_path()
    values: dict[str, Any] = {}
    if path.exists():
        try:
            values.update(tomllib.loads(path.read_text("utf-8")))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise InputError(f"config {path}: {exc}") from None
        except OSError as exc:
            raise InputError(f"config {path}: {exc.strerror}") from None
    values.update({field: environ[var] for var, field in _ENV.items() if environ.get(var)})
    values.update({k: v for k, v in (overrides or {}).items() if v is not None})
    try:
        return Config.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InputError(f"configuration: {where}: {first['msg']}") from None
