"""Fixtures for the LastPass tests: the real `lpass` binary against a forged offline home."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from seskeys.interop.lpass import Lpass
from tests.lastpass.lpass_home import Entry, forge


@pytest.fixture
def lpass_bin() -> str:
    """The real lpass. Missing: a skip on a developer machine, a failure in CI."""
    path = shutil.which("lpass")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("lpass (Debian package lastpass-cli) is required in CI; .ci/run "
                        "installs it")
        pytest.skip("lpass is not installed (apt-get install lastpass-cli)")
    return path


LpassFactory = Callable[..., Lpass]


@pytest.fixture
def offline_lpass(lpass_bin: str, tmp_path: Path) -> LpassFactory:
    """An lpass client on a forged LPASS_HOME holding ``entries``; always --sync=no."""

    def make(entries: list[Entry] | None = None) -> Lpass:
        home = forge(tmp_path / "lpass-home", list(entries or []))
        environ = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path),
                   "LPASS_HOME": str(home), "LPASS_AGENT_DISABLE": "1",
                   "SESKEYS_PASSWORD": "must-not-reach-lpass"}
        return Lpass(executable=lpass_bin, sync="no", timeout=30, environ=environ)

    return make
