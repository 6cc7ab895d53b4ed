"""Typed errors. Library code raises these; only the CLI turns them into exit codes.

A message never carries a secret value: callers name fields, never their contents.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FINDINGS = 1
    USAGE = 2
    LOCKED = 3
    INTEGRITY = 4
    EXTERNAL = 5


class SeskeysError(Exception):
    """Base error: one clear line, an exit code and an optional hint."""

    exit_code: ExitCode = ExitCode.USAGE

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class InputError(SeskeysError):
    """Bad input from the user or a file (exit 2)."""


class ValidationFailed(InputError):
    """A record or value does not satisfy the template's rules."""


class NotFound(InputError):
    """A record, file or other named thing does not exist."""


class Conflict(InputError):
    """The change would break a uniqueness or state rule."""


class VaultLocked(SeskeysError):
    """Wrong master password, or no password available (exit 3)."""

    exit_code = ExitCode.LOCKED


class PasswordUnavailable(VaultLocked):
    """No master password source at all (no file, no variable, no terminal) — exit 3.

    Distinct from a wrong password, so a command that can run without the vault may do so.
    """


class IntegrityError(SeskeysError):
    """Stored data failed authentication or consistency checks (exit 4)."""

    exit_code = ExitCode.INTEGRITY


class VaultBusy(SeskeysError):
    """Another process holds the vault's write lock for too long (exit 5)."""

    exit_code = ExitCode.EXTERNAL


class ExternalError(SeskeysError):
    """AWS, lpass, git or another external system failed (exit 5)."""

    exit_code = ExitCode.EXTERNAL
