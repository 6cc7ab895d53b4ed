"""Every verdict has its check in the registry; the pre-commit hook's entry is a real command."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from seskeys.checks import all_checks
from seskeys.checks.scan import CHECK_OF, CHECKS
from seskeys.scan.attribution import Verdict
from tests.conftest import CliRunner
from tests.factories import secret

ROOT = Path(__file__).resolve().parents[2]


def test_every_verdict_but_drop_has_a_registered_check() -> None:
    assert set(CHECK_OF) == set(Verdict) - {Verdict.DROP}
    registered = {c.id for c in all_checks()}
    assert {c.id for c in CHECKS} <= registered
    assert all(c.id.startswith("scan.") and c.remediation for c in CHECKS)


def test_pre_commit_hook_entry_blocks_a_leak(cli: CliRunner, tmp_path: Path) -> None:
    yaml = pytest.importorskip("yaml")
    [hook] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    argv = shlex.split(hook["entry"])
    assert argv[:2] == ["seskeys", "scan"] and hook["pass_filenames"] is True
    leak = tmp_path / "settings.py"
    leak.write_text(f'AWS_SECRET_ACCESS_KEY = "{secret("hook")}"\n')
    clean = tmp_path / "clean.py"
    clean.write_text("print('hello')\n")
    assert cli(*argv[1:], str(clean)).code == 0
    result = cli(*argv[1:], str(clean), str(leak))
    assert result.code == 1 and secret("hook") not in result.stdout + result.stderr
