"""The LastPass commands through the real entry point."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from tests.conftest import CliRunner
from tests.factories import key_id, secret
from tests.lastpass.conftest import LpassFactory

NOTE_TYPE = "Custom_8374651029384756"
DATA = Path(__file__).parent.parent / "data" / "lastpass"


def _add(cli: CliRunner, name: str, **extra: str) -> None:
    args = ["add", "--key-name", name, "--access-key-id", key_id(name), "--client", "Zürich, AG",
            "--purpose", 'mail: "bulk" & more', "--ses-region", "eu-west-1",
            "--created-on", "2026-11-01", "--ticket", "OPS-1", "--secret-stdin"]
    for k, v in extra.items():
        args += [f"--{k.replace('_', '-')}", v]
    result = cli(*args, input=secret(name) + "\n")
    assert result.code == 0, result.stderr


def test_export_import_roundtrip_cli(cli_vault: CliRunner, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    _add(cli_vault, "k1", notes="multi\nline: notes, with \"quotes\" & é")
    out = tmp_path / "export.csv"
    result = cli_vault("export", "lastpass-csv", str(out), "--note-type", NOTE_TYPE,
                       "--include-secrets", "--yes")
    assert result.code == 0, result.stderr
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    assert secret("k1") in out.read_text("utf-8")
    before = json.loads(cli_vault("show", "k1", "--json", "--reveal").stdout)
    cli_vault("revoke", "k1", "--ticket", "SEC-1", "--reason", "test")
    # a second vault imports the file and holds the same record
    other = tmp_path / "other.db"
    monkeypatch.setenv("SESKEYS_VAULT", str(other))
    assert cli_vault("init", "--kdf-profile", "insecure-test").code == 0
    result = cli_vault("import", "lastpass-csv", str(out), "--ticket", "IMP-1", "--json")
    assert result.code == 0, result.stderr
    assert json.loads(result.stdout)["summary"]["imported"] == 1
    after = json.loads(cli_vault("show", "k1", "--json", "--reveal").stdout)
    assert after == before
    again = cli_vault("import", "lastpass-csv", str(out), "--ticket", "IMP-2", "--json")
    assert json.loads(again.stdout)["summary"]["already in vault"] == 1


def test_export_without_secrets_says_so(cli_vault: CliRunner, tmp_path: Path) -> None:
    _add(cli_vault, "k1")
    out = tmp_path / "e.csv"
    result = cli_vault("export", "lastpass-csv", str(out), "--note-type", NOTE_TYPE)
    assert result.code == 0
    assert "Password fields left empty" in result.stderr
    assert secret("k1") not in out.read_text("utf-8")
    assert cli_vault("export", "lastpass-csv", str(out), "--note-type", NOTE_TYPE).code == 2


def test_include_secrets_needs_yes_without_a_terminal(cli_vault: CliRunner,
                                                     tmp_path: Path) -> None:
    _add(cli_vault, "k1")
    result = cli_vault("export", "lastpass-csv", str(tmp_path / "e.csv"), "--note-type",
                       NOTE_TYPE, "--include-secrets")
    assert result.code == 2 and "--yes" in result.stderr
    assert not (tmp_path / "e.csv").exists()


def test_export_needs_the_note_type(cli_vault: CliRunner, tmp_path: Path) -> None:
    _add(cli_vault, "k1")
    result = cli_vault("export", "lastpass-csv", str(tmp_path / "e.csv"))
    assert result.code == 2 and "note type" in result.stderr


def test_import_report_and_exit_code(cli_vault: CliRunner) -> None:
    result = cli_vault("import", "lastpass-csv", str(DATA / "web-export-crlf-leading-blank.csv"),
                       "--ticket", "IMP-1", "--note-type", NOTE_TYPE)
    assert result.code == 1  # rows need review / are invalid
    assert "needs review" in result.stdout and "imported" in result.stderr
    assert "wJalrXUtnFEMI" not in result.stdout + result.stderr
    listed = cli_vault("list", "--json")
    assert {r["key_name"] for r in json.loads(listed.stdout)} == {"acme-mailer", "globex-old"}


def test_import_dry_run_and_strict_write_nothing(cli_vault: CliRunner) -> None:
    path = str(DATA / "web-export-crlf-leading-blank.csv")
    dry = cli_vault("import", "lastpass-csv", path, "--ticket", "I", "--dry-run", "--json")
    assert dry.code == 1
    outcomes = {row["outcome"] for row in json.loads(dry.stdout)["rows"]}
    assert "would import" in outcomes and "imported" not in outcomes
    assert "would import" in dry.stderr and "nothing written (dry run)" in dry.stderr
    assert cli_vault("import", "lastpass-csv", path, "--ticket", "I", "--strict").code == 2
    assert json.loads(cli_vault("list", "--json").stdout) == []


def test_template_lastpass(cli: CliRunner) -> None:
    result = cli("template", "-o", "lastpass")
    assert result.code == 0
    assert "| 7 | Secret Access Key | Password |" in result.stdout
    assert "Custom_" in result.stdout


def test_sync_commands_with_real_lpass(cli_vault: CliRunner, offline_lpass: LpassFactory,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    client = offline_lpass()
    monkeypatch.setenv("LPASS_HOME", client.environ["LPASS_HOME"])
    monkeypatch.setenv("SESKEYS_LPASS", client.executable)
    monkeypatch.setenv("SESKEYS_LPASS_SYNC", "no")
    monkeypatch.setenv("SESKEYS_LASTPASS_NOTE_TYPE", NOTE_TYPE)
    _add(cli_vault, "k1", notes="é: multi\nline")
    diff = cli_vault("sync", "lastpass", "diff", "--json")
    assert diff.code == 1 and json.loads(diff.stdout)[0]["state"] == "only local"
    push = cli_vault("sync", "lastpass", "push", "--ticket", "OPS-5", "--json")
    assert push.code == 0, push.stderr
    assert json.loads(push.stdout)[0]["done"] == "pushed"
    assert cli_vault("sync", "lastpass", "diff").code == 0
    log = json.loads(cli_vault("log", "--json").stdout)
    assert any(e["action"] == "sync" and e["ticket"] == "OPS-5" for e in log)
    assert secret("k1") not in json.dumps(log)
    pull = cli_vault("sync", "lastpass", "pull", "--ticket", "OPS-6", "--json")
    assert pull.code == 0 and json.loads(pull.stdout)[0]["state"] == "same"


def test_labels_of_your_own_from_the_configuration(cli_vault: CliRunner, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'lastpass_note_type = "{NOTE_TYPE}"\n\n'
                      '[lastpass_labels]\nclient = "Customer"\n', "utf-8")
    monkeypatch.setenv("SESKEYS_CONFIG", str(config))
    _add(cli_vault, "k1")
    result = cli_vault("export", "lastpass-csv", "-")
    assert result.code == 0, result.stderr
    assert "Customer:Zürich, AG" in result.stdout and "\nClient:" not in result.stdout
    config.write_text('[lastpass_labels]\ncolour = "Colour"\n', "utf-8")
    refused = cli_vault("export", "lastpass-csv", "-", "--note-type", NOTE_TYPE)
    assert refused.code == 2 and "colour" in refused.stderr
