from __future__ import annotations

import io
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from seskeys.lifecycle import Actor
from seskeys.vault import crypto
from seskeys.vault.local import LocalVault
from seskeys.vault.memory import MemoryVault

TODAY = date(2026, 12, 3)
NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
PASSWORD = "correct horse battery staple"


@pytest.fixture
def actor() -> Actor:
    return Actor(name="tester@host", today=TODAY)


@pytest.fixture
def mem_vault() -> MemoryVault:
    return MemoryVault(clock=lambda: NOW)


@pytest.fixture
def local_vault(tmp_path: Path) -> Iterator[LocalVault]:
    vault = LocalVault.create(tmp_path / "vault.db", PASSWORD, crypto.insecure_test_params(),
                              actor="tester@host", clock=lambda: NOW)
    yield vault
    vault.close()


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str


CliRunner = Callable[..., Result]


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> CliRunner:
    """Run `seskeys ARGS` in-process through the real entry point, against a test vault."""
    from seskeys.cli import main

    vault = tmp_path / "cli-vault.db"
    monkeypatch.setenv("SESKEYS_VAULT", str(vault))
    monkeypatch.setenv("SESKEYS_PASSWORD", PASSWORD)
    monkeypatch.setenv("SESKEYS_CONFIG", os.devnull)  # no configuration
    monkeypatch.setenv("SESKEYS_ACTOR", "tester@host")
    monkeypatch.setenv("COLUMNS", "200")

    def run(*args: str, input: str = "") -> Result:
        monkeypatch.setattr(sys, "stdin", io.StringIO(input))
        capsys.readouterr()
        code = main(list(args))
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return run


@pytest.fixture
def cli_vault(cli: CliRunner) -> CliRunner:
    """The CLI with an initialised (insecure-test KDF) vault."""
    result = cli("init", "--kdf-profile", "insecure-test")
    assert result.code == 0, result.stderr
    return cli
