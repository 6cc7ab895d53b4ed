"""What every command needs: configuration, streams, the master password and the open vault.

Built once per invocation from the root options and handed to commands via ``typer.Context``.
"""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import typer

from seskeys import config as cfg
from seskeys.errors import InputError, PasswordUnavailable, VaultLocked
from seskeys.formats.terminal import visible
from seskeys.lifecycle import Actor
from seskeys.vault import Vault
from seskeys.vault.local import LocalVault

if TYPE_CHECKING:
    from rich.console import Console, RenderableType


def _read_secret_file(path: Path, what: str) -> str:
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise InputError(f"cannot read {what} file {path}: {exc.strerror}") from None
    value = text.rstrip("\r\n")
    if not value:
        raise InputError(f"{what} file {path} is empty")
    return value


def _tty_prompt(prompt: str) -> str:
    """Ask on the controlling terminal; never read a password from a piped stdin."""
    try:
        with open("/dev/tty"):
            pass
    except OSError:
        raise PasswordUnavailable("no master password: there is no terminal to ask on",
                                  hint="use --password-file PATH or SESKEYS_PASSWORD") from None
    return getpass.getpass(prompt)


def _stdout_console() -> Console:
    """Results: on a terminal as wide as it is; piped, wide enough that tables do not fold.
    Markup is off: text from records and files is shown as written, never read as styling."""
    from rich.console import Console

    console = Console(soft_wrap=False, markup=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console = Console(soft_wrap=False, markup=False, width=160)
    return console


def _stderr_console() -> Console:
    from rich.console import Console

    return Console(stderr=True, markup=False)


@dataclass
class AppContext:
    config: cfg.Config
    password_file: Path | None = None
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    stdin: IO[str] = field(default_factory=lambda: sys.stdin)
    # The consoles are made on first use (rich costs start-up time a one-line command need not
    # pay); tests and the demo hand in their own.
    out: Console | None = None
    err: Console | None = None
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    prompt: Callable[[str], str] = field(default=_tty_prompt)
    _vault: Vault | None = None

    # -- output ---------------------------------------------------------------------------

    def stdout(self) -> Console:
        if self.out is None:
            self.out = _stdout_console()
        return self.out

    def stderr(self) -> Console:
        if self.err is None:
            self.err = _stderr_console()
        return self.err

    def emit(self, value: RenderableType) -> None:
        """Results to stdout: plain text as is, rich renderables through the console."""
        if isinstance(value, str):
            stream = self.out.file if self.out is not None else sys.stdout
            stream.write(value)
            stream.flush()
        else:
            from rich.text import Text

            # A line of text is never folded (piped, the console is 160 wide); tables fold.
            self.stdout().print(value, soft_wrap=isinstance(value, Text))

    def say(self, message: str | RenderableType) -> None:
        """Progress and summaries go to stderr, so stdout stays machine-readable. Text is
        written as it is (a key name like ``[/x]`` is not markup, control characters are
        shown escaped); styled text comes as a rich ``Text``."""
        if isinstance(message, str):
            stream = self.err.file if self.err is not None else sys.stderr
            stream.write(visible(message) + "\n")
            stream.flush()
        else:
            self.stderr().print(message, highlight=False)

    @property
    def interactive(self) -> bool:
        return self.err.is_terminal if self.err is not None else sys.stderr.isatty()

    # -- identity and time ---------------------------------------------------------------------

    def actor(self) -> Actor:
        return Actor(name=self.config.who(), today=self.clock().date(),
                     ticket_pattern=self.config.ticket_pattern)

    # -- secrets ------------------------------------------------------------------------------

    def master_password(self, *, confirm: bool = False) -> str:
        if self.password_file:
            return _read_secret_file(self.password_file, "password")
        if self.environ.get("SESKEYS_PASSWORD"):
            return self.environ["SESKEYS_PASSWORD"]
        first = self.prompt("Master password: ")
        if confirm and self.prompt("Repeat master password: ") != first:
            raise InputError("the passwords do not match")
        if not first:
            raise VaultLocked("an empty master password is not accepted")
        return first

    def new_password(self, file: Path | None) -> str:
        if file:
            return _read_secret_file(file, "new password")
        if self.environ.get("SESKEYS_NEW_PASSWORD"):
            return self.environ["SESKEYS_NEW_PASSWORD"]
        first = self.prompt("New master password: ")
        if self.prompt("Repeat new master password: ") != first:
            raise InputError("the passwords do not match")
        if not first:
            raise InputError("an empty master password is not accepted")
        return first

    def secret_from_stdin(self, what: str = "secret access key") -> str:
        value = self.stdin.readline().strip()
        if not value:
            raise InputError(f"no {what} on stdin")
        return value

    def secret_from_prompt(self, what: str = "Secret access key") -> str:
        try:
            value = self.prompt(f"{what}: ").strip()
        except VaultLocked:  # no terminal: the secret, not the vault, is what is missing
            raise InputError(f"no {what.lower()}: there is no terminal to ask on",
                             hint="pipe it in with --secret-stdin") from None
        if not value:
            raise InputError(f"no {what.lower()} given")
        return value

    # -- the vault ---------------------------------------------------------------------------

    def vault_path(self) -> Path:
        return self.config.vault_path()

    def open_vault(self) -> Vault:
        if self._vault is None:
            self._vault = LocalVault.open(self.vault_path(), self.master_password(),
                                          clock=self.clock)
        return self._vault

    def close_vault(self) -> None:
        """Close the open vault, so the next command in this process opens it afresh."""
        if self._vault is not None:
            self._vault.close()
            self._vault = None

    @contextmanager
    def vault(self) -> Iterator[Vault]:
        vault = self.open_vault()
        try:
            yield vault
        finally:
            self.close_vault()


def app_context(ctx: typer.Context) -> AppContext:
    obj: Any = ctx.find_root().obj
    if not isinstance(obj, AppContext):  # pragma: no cover - the root callback always sets it
        raise RuntimeError("seskeys context missing")
    return obj
