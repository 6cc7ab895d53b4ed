"""`seskeys demo` end to end: vault tour, AWS audit of the in-process moto account, scan of
planted leaks, and the HTML report, whose path it prints."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import CliRunner

pytestmark = pytest.mark.slow


def test_demo_runs_the_whole_product_and_writes_the_report(cli: CliRunner,
                                                           tmp_path: Path) -> None:
    out = tmp_path / "demo" / "report.html"
    result = cli("demo", "--out", str(out))
    assert result.code == 0, result.stderr
    assert str(out) in result.stderr
    html = out.read_text(encoding="utf-8")
    for expected in ("drift.revoked-key-active",  # umbrella: revoked in the vault, live in AWS
                     "aws.direct-policies",       # initech: inline ses:*
                     "drift.unknown-active-key",  # legacy-smtp
                     "aws.key-manager-mfa",       # ops-admin
                     "scan.active-key-leaked",    # the wiki page
                     "scan.revoked-key-leaked",   # the e-mail attachment
                     "ledger.key-age"):           # acme-newsletter
        assert expected in html, expected
    assert "log verified" in result.stdout + result.stderr
    assert not (tmp_path / "cli-vault.db").exists()  # the user's vault is never touched


def test_ledger_only_demo_needs_no_aws(cli: CliRunner) -> None:
    result = cli("demo", "--ledger-only")
    assert result.code == 0, result.stderr
    assert "acme-transactional" in result.stdout


def test_demo_ignores_the_users_vault_and_aws_settings(cli: CliRunner, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Regression: SESKEYS_VAULT once redirected the tour's commands to the user's vault."""
    own = cli("init", "--kdf-profile", "insecure-test")
    assert own.code == 0
    before = (tmp_path / "cli-vault.db").read_bytes()
    monkeypatch.setenv("AWS_PROFILE", "production-that-must-not-be-used")
    result = cli("demo", "--out", str(tmp_path / "r.html"))
    assert result.code == 0, result.stderr
    assert (tmp_path / "cli-vault.db").read_bytes() == before
