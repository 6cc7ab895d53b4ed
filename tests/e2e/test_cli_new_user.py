"""The CLI as a new user tries it, in-process through the real entry point (`cli` fixture)."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import typer

from seskeys.cli import full_app
from seskeys.template import TEMPLATE
from seskeys.vault.local import LocalVault
from tests import factories
from tests.conftest import PASSWORD, CliRunner, Result

SECRET = factories.secret("acme-mailer")


def add_args(data: dict[str, Any]) -> list[str]:
    args = ["add", "--secret-stdin"]
    for key, value in data.items():
        if key != "secret_access_key":
            args += ["--ticket" if key == "creation_ticket" else "--" + key.replace("_", "-"),
                     str(value)]
    return args


def add(cli: CliRunner, name: str = "acme-mailer", **overrides: Any) -> Result:
    data = factories.record_input(name, **overrides)
    return cli(*add_args(data), input=data["secret_access_key"] + "\n")


def one_error(result: Result, code: int, *words: str) -> str:
    assert result.code == code, (result.code, result.stdout, result.stderr)
    errors = [line for line in result.stderr.splitlines() if line.startswith("seskeys: error")]
    assert len(errors) == 1 and "Traceback" not in result.stderr, result.stderr
    for word in words:
        assert word in errors[0], errors[0]
    return errors[0]


def event_count(cli: CliRunner) -> int:
    return len(json.loads(cli("log", "--json").stdout))


# -- getting in ------------------------------------------------------------------------------


def test_init_creates_a_private_vault_and_refuses_to_overwrite(cli: CliRunner,
                                                               tmp_path: Path) -> None:
    first = cli("init", "--kdf-profile", "insecure-test")
    assert first.code == 0 and "insecure-test" in first.stderr
    vault = tmp_path / "cli-vault.db"
    assert stat.S_IMODE(vault.stat().st_mode) == 0o600
    one_error(cli("init", "--kdf-profile", "insecure-test"), 2, "already exists")


def test_short_master_password_is_warned_about(cli: CliRunner, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    assert "has 27 characters" not in cli("init", "--kdf-profile", "insecure-test").stderr
    monkeypatch.setenv("SESKEYS_VAULT", str(tmp_path / "weak.db"))
    monkeypatch.setenv("SESKEYS_PASSWORD", "a")
    weak = cli("init", "--kdf-profile", "insecure-test")
    assert weak.code == 0 and "warning: the master password has 1 characters" in weak.stderr
    monkeypatch.setenv("SESKEYS_NEW_PASSWORD", "short")
    changed = cli("passwd", "--kdf-profile", "insecure-test")
    assert changed.code == 0 and "has 5 characters" in changed.stderr


def test_wrong_password_from_a_file(cli_vault: CliRunner, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SESKEYS_PASSWORD")
    wrong = tmp_path / "pw"
    wrong.write_text("not it\n")
    one_error(cli_vault("--password-file", str(wrong), "list"), 3, "wrong master password")
    right = tmp_path / "pw2"
    right.write_text(PASSWORD + "\n")
    assert cli_vault("--password-file", str(right), "list").code == 0
    empty = tmp_path / "empty"
    empty.write_text("")
    one_error(cli_vault("--password-file", str(empty), "list"), 2, "is empty")
    one_error(cli_vault("--password-file", str(tmp_path / "nope"), "list"), 2, "cannot read")


def test_no_vault_yet(cli: CliRunner) -> None:
    one_error(cli("list"), 2, "no vault at")


def test_passwd_rewraps_the_key(cli_vault: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    assert add(cli_vault).code == 0
    monkeypatch.setenv("SESKEYS_NEW_PASSWORD", "a new passphrase")
    assert cli_vault("passwd", "--kdf-profile", "insecure-test").code == 0
    one_error(cli_vault("list"), 3, "wrong master password")
    monkeypatch.setenv("SESKEYS_PASSWORD", "a new passphrase")
    assert "acme-mailer" in cli_vault("list", "--json").stdout
    assert cli_vault("log", "--verify").code == 0


# -- typing things wrong -------------------------------------------------------------------


@pytest.mark.parametrize(("overrides", "words"), [
    ({"access_key_id": "AKIA123"}, ["access_key_id", "AKIA followed by 16"]),
    ({"access_key_id": "akiaiosfodnn7example"}, ["access_key_id"]),
    ({"access_key_id": "ASIA" + "Q" * 16}, ["temporary"]),
    ({"created_on": "31/12/2025"}, ["created_on", "not a valid date"]),
    ({"created_on": "2099-01-01"}, ["future"]),
    ({"ses_region": "eu-west-9"}, ["ses_region"]),
    ({"aws_account_id": "1234"}, ["aws_account_id"]),
    ({"ses_identity_type": "Email address", "ses_identity": "acme.example"}, ["ses_identity"]),
])
def test_malformed_input_is_one_clear_line(cli_vault: CliRunner, overrides: dict[str, Any],
                                           words: list[str]) -> None:
    one_error(add(cli_vault, **overrides), 2, *words)
    assert json.loads(cli_vault("list", "--json").stdout) == []


@pytest.mark.parametrize("option", ["notes", "purpose", "key_name", "iam_permissions",
                                    "ses_limits", "iam_groups", "iam_user", "client",
                                    "creation_ticket"])
def test_a_secret_pasted_into_a_text_field(cli_vault: CliRunner, option: str) -> None:
    pasted = factories.secret("pasted")
    result = add(cli_vault, **{option: f"{pasted}" if option in ("iam_user", "iam_groups",
                                                                 "key_name") else
                               f"creds: {pasted} (do not share)"})
    error = one_error(result, 2, "looks like a secret")
    assert pasted not in result.stdout + result.stderr
    assert "Password fields" in error
    assert json.loads(cli_vault("list", "--json").stdout) == []


def test_an_smtp_password_pasted_into_notes(cli_vault: CliRunner) -> None:
    from seskeys.smtp import derive_v4
    pasted = derive_v4(factories.secret("smtp"), "eu-west-1")
    result = add(cli_vault, notes=f"SMTP: {pasted}")
    one_error(result, 2, "looks like a secret")
    assert pasted not in result.stdout + result.stderr


def test_revoke_with_a_bad_date(cli_vault: CliRunner) -> None:
    add(cli_vault)
    one_error(cli_vault("revoke", "acme-mailer", "--ticket", "S-1", "--reason", "r",
                        "--date", "2026-13-01"), 2, "not a valid date")
    one_error(cli_vault("revoke", "acme-mailer", "--ticket", "S-1", "--reason", "r",
                        "--date", "2020-01-01"), 2, "before the creation date")
    one_error(cli_vault("revoke", "acme-mailer", "--ticket", " ", "--reason", "r"), 2,
              "ticket is required")


def test_invalid_ticket_pattern_in_config_is_a_usage_error(cli_vault: CliRunner,
                                                           monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    """Regression: a ticket_pattern that is not a regular expression crashed with re.error."""
    monkeypatch.setenv("SESKEYS_TICKET_PATTERN", "(OPS-")
    one_error(add(cli_vault), 2, "ticket_pattern", "regular expression")


def test_ticket_pattern_from_config(cli_vault: CliRunner, monkeypatch: pytest.MonkeyPatch,
                                    tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('ticket_pattern = "(OPS|CHG)-\\\\d+"\n')
    monkeypatch.setenv("SESKEYS_CONFIG", str(config))
    one_error(add(cli_vault, creation_ticket="JIRA-7"), 2, "ticket pattern")
    assert add(cli_vault, creation_ticket="CHG-7").code == 0


def test_from_json(cli_vault: CliRunner, tmp_path: Path) -> None:
    data = factories.record_input("from-file")
    path = tmp_path / "record.json"
    path.write_text(json.dumps(data))
    assert cli_vault("add", "--from-json", str(path)).code == 0
    assert cli_vault("add", "--from-json", "-", input=json.dumps(
        factories.record_input("from-stdin"))).code == 0
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    one_error(cli_vault("add", "--from-json", str(bad)), 2, "not valid JSON")
    victim = json.loads(cli_vault("log", "--json").stdout)[-1]["record_id"]
    intruder = {**factories.record_input("intruder"), "id": victim, "version": 1}
    one_error(cli_vault("add", "--from-json", "-", input=json.dumps(intruder)), 2,
              "cannot be supplied")


# -- the record commands ---------------------------------------------------------------------


def test_json_input_that_is_not_utf8_is_one_error_line(cli_vault: CliRunner,
                                                      tmp_path: Path) -> None:
    source = tmp_path / "record.json"
    source.write_bytes(b"\xff\xfe{}")
    one_error(cli_vault("add", "--from-json", str(source)), 2, "not UTF-8")


def test_ctrl_c_while_building_the_app_is_exit_130(cli: CliRunner,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import seskeys.cli

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(seskeys.cli, "build_app", interrupted)
    result = cli("list")
    assert result.code == 130 and "Traceback" not in result.stderr
    assert "interrupted" in result.stderr


def test_list_show_filters_and_formats(cli_vault: CliRunner) -> None:
    add(cli_vault)
    add(cli_vault, "globex-billing", client="Globex")
    rows = json.loads(cli_vault("list", "--client", "globex", "--json").stdout)
    assert [r["key_name"] for r in rows] == ["globex-billing"]
    assert rows[0]["access_key_id"] == "AKIA…" + factories.key_id("globex-billing")[-4:]
    table = cli_vault("list")
    assert "acme-mailer" in table.stdout and "globex-billing" in table.stdout
    parsed = list(csv.DictReader(io.StringIO(cli_vault("list", "-o", "csv").stdout)))
    assert {r["key_name"] for r in parsed} == {"acme-mailer", "globex-billing"}
    one_error(cli_vault("list", "--status", "gone"), 2, "--status")
    one_error(cli_vault("list", "-o", "sarif"), 2, "not offered")
    shown = json.loads(cli_vault("show", "acme-mailer", "-o", "json").stdout)
    assert list(shown) == [f.id for f in TEMPLATE]
    assert shown["secret_access_key"] == "••••••••"
    assert SECRET not in json.dumps(shown)


def test_show_reveal_is_logged(cli_vault: CliRunner) -> None:
    add(cli_vault)
    before = event_count(cli_vault)
    revealed = json.loads(cli_vault("show", "acme-mailer", "--reveal", "-o", "json").stdout)
    assert revealed["secret_access_key"] == SECRET
    events = json.loads(cli_vault("log", "--json").stdout)
    assert len(events) == before + 1 and events[-1]["action"] == "reveal"


def test_edit_refuses_secret_fields(cli_vault: CliRunner) -> None:
    add(cli_vault)
    for field in ("secret_access_key", "smtp_password"):
        result = cli_vault("edit", "acme-mailer", "--set", f"{field}=x", "--ticket", "T-1")
        one_error(result, 2, "cannot edit")
    one_error(cli_vault("edit", "acme-mailer", "--set", "colour=red", "--ticket", "T-1"), 2,
              "unknown field")
    assert cli_vault("edit", "acme-mailer", "--set", "ses_limits=production, 50000/day",
                     "--ticket", "T-1").code == 0
    shown = json.loads(cli_vault("show", "acme-mailer", "--json").stdout)
    assert shown["ses_limits"] == "production, 50000/day"


def test_rotate_and_history(cli_vault: CliRunner) -> None:
    add(cli_vault)
    new_id = factories.key_id("next")
    result = cli_vault("rotate", "acme-mailer", "--access-key-id", new_id, "--ticket", "CHG-3",
                       "--secret-stdin", input=factories.secret("next") + "\n")
    assert result.code == 0, result.stderr
    rows = json.loads(cli_vault("list", "--json").stdout)
    assert sorted(r["status"] for r in rows) == ["active", "revoked"]
    history = json.loads(cli_vault("history", "acme-mailer", "--json").stdout)
    assert [e["action"] for e in history] == ["add", "rotate"]
    old = json.loads(cli_vault("show", factories.key_id("acme-mailer"), "--json").stdout)
    assert old["replaced_by"] == new_id and old["secret_access_key"] is None


def test_text_that_looks_like_markup_is_shown_as_written(cli_vault: CliRunner) -> None:
    """Rich reads ``[/x]`` as a closing tag and ``[eu]`` as a style: user text must never be
    parsed as markup (it crashed every table and the add message)."""
    added = add(cli_vault, "k[/x]", client="ACME [eu]", creation_ticket="OPS-[/b]",
                iam_groups="")
    assert added.code == 0, added.stderr
    assert "added k[/x] " in added.stderr and "ACME [eu]" in added.stderr
    assert "OPS-[/b]" in added.stderr
    for args in (("list",), ("show", "k[/x]"), ("history", "k[/x]"), ("log",),
                 ("check", "--fail-on", "none")):
        result = cli_vault(*args)
        assert result.code == 0 and "Traceback" not in result.stderr, (args, result.stderr)
        assert "k[/x]" in result.stdout, (args, result.stdout)
    assert "ACME [eu]" in cli_vault("list").stdout
    assert "History of k[/x]" in cli_vault("history", "k[/x]").stdout


@pytest.mark.parametrize(("overrides", "field"), [
    ({"key_name": "esc\x1b[31mRED"}, "key_name"),
    ({"client": "title\x1b]0;pwned\x07"}, "client"),
    ({"purpose": "bell\x07"}, "purpose"),
    ({"notes": "right-to-left \u202e override"}, "notes"),
    ({"creation_ticket": "T\x1b[2J"}, "creation_ticket"),
])
def test_control_characters_are_refused(cli_vault: CliRunner, overrides: dict[str, Any],
                                        field: str) -> None:
    """An escape sequence stored in a record would restyle, retitle or clear the terminal of
    whoever lists it later."""
    one_error(add(cli_vault, **overrides), 2, field, "control character")
    assert json.loads(cli_vault("list", "--json").stdout) == []


def test_notes_keep_their_line_breaks(cli_vault: CliRunner) -> None:
    assert add(cli_vault, notes="line one\nline two\tindented").code == 0
    shown = json.loads(cli_vault("show", "acme-mailer", "--json").stdout)
    assert shown["notes"] == "line one\nline two\tindented"


def test_stored_control_characters_are_shown_escaped(cli_vault: CliRunner) -> None:
    """Records written before the rule (or by another tool) still never reach the terminal
    raw: tables and messages show the escapes."""
    from seskeys import model
    from seskeys.events import EventDraft
    from seskeys.vault import Change

    with LocalVault.open(Path(os.environ["SESKEYS_VAULT"]), PASSWORD) as vault:
        record = model.KeyRecord.model_validate(
            {**model.build(factories.record_input("plain")).model_dump(),
             "key_name": "esc\x1b[2Jname"})
        vault.commit(Change([record], EventDraft(action="add", actor="t",
                                                 key_name=record.key_name)))
    for args in (("list",), ("show", "esc\x1b[2Jname"), ("log",), ("report", "-o", "markdown")):
        result = cli_vault(*args)
        assert result.code == 0, (args, result.stderr)
        assert "\x1b" not in result.stdout and "esc\\" in result.stdout, args


def test_log_csv_keeps_every_value_whole(cli_vault: CliRunner) -> None:
    long_name = "k" * 300
    assert add(cli_vault, long_name, notes="line one\nline two").code == 0
    rows = list(csv.DictReader(io.StringIO(cli_vault("log", "-o", "csv").stdout)))
    added = rows[-1]["changes"]
    assert f"key_name={long_name};" in added and "notes=line one\nline two" in added
    table = cli_vault("log").stdout
    assert long_name not in table  # the table cuts values to fit


def test_a_line_of_text_is_never_folded(tmp_path: Path) -> None:
    from rich.console import Console
    from rich.text import Text

    from seskeys import config
    from seskeys.cli.context import AppContext

    out = io.StringIO()
    app = AppContext(config=config.Config(), out=Console(file=out, width=40))
    app.emit(Text("log BROKEN at event 7: " + "a long reason " * 10))
    assert out.getvalue().count("\n") == 1


def test_markdown_cells_escape_backslashes_before_pipes() -> None:
    from seskeys.formats.markdown import cell as _cell

    assert _cell("old\\|pipe") == "old\\\\\\|pipe"
    assert _cell("a|b\nc") == "a\\|b c"


def test_error_messages_show_control_characters_escaped(cli_vault: CliRunner,
                                                        tmp_path: Path) -> None:
    missing = tmp_path / "no\x1b[2Jsuch.json"
    error = one_error(cli_vault("add", "--from-json", str(missing)), 2, "cannot read")
    assert "\x1b" not in error and "no\\x1b[2Jsuch.json" in error


def test_report_out_is_private_and_never_overwritten_by_accident(cli_vault: CliRunner,
                                                                 tmp_path: Path) -> None:
    add(cli_vault)
    out = tmp_path / "report.json"
    out.write_text("keep me")
    out.chmod(0o644)
    one_error(cli_vault("report", "-o", "json", "--out", str(out)), 2, "exists")
    assert out.read_text() == "keep me"
    assert cli_vault("report", "-o", "json", "--out", str(out), "--force").code == 0
    assert "acme-mailer" in out.read_text()
    assert stat.S_IMODE(out.stat().st_mode) == 0o600  # was readable by others before


def test_csv_cells_a_spreadsheet_would_run_are_defused(cli_vault: CliRunner) -> None:
    assert add(cli_vault, client="=HYPERLINK(\"http://evil.example\")").code == 0
    assert add(cli_vault, "@sum-key", client="-Globex").code == 0
    rows = list(csv.DictReader(io.StringIO(cli_vault("list", "-o", "csv").stdout)))
    assert {r["client"] for r in rows} == {"'=HYPERLINK(\"http://evil.example\")", "'-Globex"}
    assert {r["key_name"] for r in rows} == {"acme-mailer", "'@sum-key"}
    listed = {r["key_name"]: r["client"] for r in json.loads(cli_vault("list", "--json").stdout)}
    assert listed["@sum-key"] == "-Globex"  # JSON keeps values as they are


def test_revocation_reason_and_tickets_refuse_control_characters(cli_vault: CliRunner) -> None:
    add(cli_vault)
    one_error(cli_vault("revoke", "acme-mailer", "--ticket", "SEC-1", "--reason",
                        "leak\x1b]0;pwned\x07"), 2, "revocation_reason", "U+001B")
    one_error(cli_vault("revoke", "acme-mailer", "--ticket", "SEC-1", "--reason",
                        "right-to-left \u061c mark"), 2, "U+061C")
    one_error(cli_vault("edit", "acme-mailer", "--set", "notes=x", "--ticket", "T\r1"), 2,
              "one line")
    assert json.loads(cli_vault("show", "acme-mailer", "--json").stdout)["status"] == "active"


@pytest.mark.parametrize("args", [
    ("show", "x\udcff"),
    ("edit", "acme-mailer", "--set", "purpose=p\udcff", "--ticket", "T-1"),
    ("edit", "acme-mailer", "--set", "notes=x", "--ticket", "T\udcff"),
])
def test_bytes_that_are_not_utf8_are_one_error_line(cli_vault: CliRunner,
                                                    args: tuple[str, ...]) -> None:
    """Python hands non-UTF-8 argv bytes over as lone surrogates; they are no text."""
    add(cli_vault)
    before = cli_vault("log", "--json").stdout
    result = cli_vault(*args)
    assert result.code == 2 and "Traceback" not in result.stderr, result.stderr
    assert cli_vault("log", "--json").stdout == before


def test_a_json_escape_of_half_a_character_is_refused(cli_vault: CliRunner,
                                                      tmp_path: Path) -> None:
    source = tmp_path / "record.json"
    data = factories.record_input("acme-mailer")
    source.write_text(json.dumps(data).replace('"transactional mail"', '"mail \\ud800"'))
    one_error(cli_vault("add", "--from-json", str(source)), 2, "purpose", "U+D800")


def test_a_master_password_that_is_not_utf8_is_one_error_line(
        cli_vault: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SESKEYS_PASSWORD", "pw\udcff")
    result = cli_vault("list")
    assert result.code in (2, 3) and "Traceback" not in result.stderr, result.stderr


def test_long_lists_print_as_aligned_plain_columns(cli_vault: CliRunner,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A rich table costs about a millisecond a row; past the limit, `list` prints plain
    columns (as wide as their widest cell, in terminal cells)."""
    from rich.cells import cell_len

    from seskeys.formats import table

    add(cli_vault)
    add(cli_vault, "globex-billing", client="Globex 日本")
    monkeypatch.setattr(table, "RICH_TABLE_MAX_ROWS", 1)
    lines = cli_vault("list").stdout.splitlines()
    assert lines[0] == "2 record(s)"
    assert lines[1].split() == ["Key", "name", "Client", "Status", "Access", "key", "Created",
                                "Age", "(d)", "Rotation", "due", "Region"]
    starts = {cell_len(line[:line.index("active")]) for line in lines[2:]}
    assert starts == {lines[1].index("Status")}  # one column, aligned in terminal cells
    assert {line.split()[0] for line in lines[2:]} == {"acme-mailer", "globex-billing"}


def test_check_fail_on(cli_vault: CliRunner) -> None:
    add(cli_vault, iam_groups="")
    report = json.loads(cli_vault("check", "-o", "json", "--fail-on", "none").stdout)
    ids = {f["check_id"] for f in report["findings"]}
    assert {"ledger.no-groups", "vault.insecure-kdf"} <= ids
    assert cli_vault("check", "--fail-on", "none").code == 0
    assert cli_vault("check", "--fail-on", "critical").code == 1  # the insecure test KDF
    assert cli_vault("check", "--fail-on", "medium", "-o", "markdown").code == 1
    one_error(cli_vault("check", "--fail-on", "severe"), 2, "unknown severity")


def test_log_formats_and_verify(cli_vault: CliRunner) -> None:
    add(cli_vault)
    events = json.loads(cli_vault("log", "-o", "json").stdout)
    lines = [json.loads(line) for line in cli_vault("log", "-o", "jsonl").stdout.splitlines()]
    rows = list(csv.DictReader(io.StringIO(cli_vault("log", "-o", "csv").stdout)))
    assert [e["seq"] for e in events] == [e["seq"] for e in lines] == [
        int(r["seq"]) for r in rows] == [1, 2]
    assert events[1]["ticket"] == "OPS-1" and events[1]["actor"] == "tester@host"
    assert events[1]["at"].endswith("Z")
    verified = cli_vault("log", "--verify")
    assert verified.code == 0 and "2 events, chain unbroken" in verified.stdout


def test_template_renderings(cli: CliRunner) -> None:
    schema = json.loads(cli("template", "-o", "json-schema").stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    record = {k: v for k, v in factories.record_input("x").items()}
    record["iam_groups"] = [record["iam_groups"]]
    record["status"] = "active"
    jsonschema.validate(record, schema)
    one_error(cli("template", "-o", "pdf"), 2, "--output")


def test_committed_template_doc_matches_the_code(cli: CliRunner) -> None:
    committed = Path(__file__).resolve().parents[2] / "docs" / \
        "aws-iam-ses-keys-template-lastpass.md"
    rendered = cli("template", "-o", "markdown")
    assert rendered.code == 0
    assert committed.read_text("utf-8") == rendered.stdout, \
        "docs drifted from src/seskeys/template.py: run `make docs`"


# -- the clipboard ----------------------------------------------------------------------------


def test_copy_without_a_clipboard_is_exit_5_and_logs_nothing(
        cli_vault: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    add(cli_vault)
    before = event_count(cli_vault)
    path = os.environ["PATH"]
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    one_error(cli_vault("copy", "acme-mailer"), 5, "no clipboard")
    monkeypatch.setenv("PATH", path)
    assert event_count(cli_vault) == before


def test_copy_with_a_clipboard(cli_vault: CliRunner, monkeypatch: pytest.MonkeyPatch,
                               tmp_path: Path) -> None:
    """A stand-in `xclip` that keeps what it is given, to see the value arrive on stdin."""
    add(cli_vault)
    bin_dir, kept = tmp_path / "bin", tmp_path / "clipboard"
    bin_dir.mkdir()
    tool = bin_dir / "xclip"
    tool.write_text(f"#!/bin/sh\ncat > {kept}\n")
    tool.chmod(0o700)
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    result = cli_vault("copy", "acme-mailer", "--clear-after", "0")
    assert result.code == 0 and SECRET not in result.stdout + result.stderr
    assert kept.read_text() == SECRET
    assert json.loads(cli_vault("log", "--json").stdout)[-1]["action"] == "copy"
    cli_vault("revoke", "acme-mailer", "--ticket", "S-1", "--reason", "r")
    before = event_count(cli_vault)
    one_error(cli_vault("copy", "acme-mailer", "--clear-after", "0"), 2, "has no")
    assert event_count(cli_vault) == before


# -- interrupted -------------------------------------------------------------------------------


def test_interrupted_add_keeps_nothing(cli_vault: CliRunner, monkeypatch: pytest.MonkeyPatch,
                                       tmp_path: Path) -> None:
    add(cli_vault)
    before = (cli_vault("list", "--json").stdout, event_count(cli_vault))
    original = LocalVault._store

    def interrupted(self: LocalVault, *args: Any, **kwargs: Any) -> Any:
        original(self, *args, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(LocalVault, "_store", interrupted)
    result = add(cli_vault, "second")
    assert result.code == 130 and "nothing half-written" in result.stderr
    monkeypatch.setattr(LocalVault, "_store", original)
    assert (cli_vault("list", "--json").stdout, event_count(cli_vault)) == before
    assert cli_vault("log", "--verify").code == 0


@pytest.mark.parametrize("args", [("list", "--bogus"), ("show",), ("bogus",),
                                  ("add", "--key-name")])
def test_usage_errors_are_exit_2_without_a_traceback(cli: CliRunner, args: tuple[str, ...]
                                                     ) -> None:
    """Regression: typer >= 0.16 vendors click, so main() let its usage errors escape as
    tracebacks with exit 1."""
    one_error(cli(*args), 2)


# -- help --------------------------------------------------------------------------------------


def _leaf_commands(group: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = []
    for name, command in sorted(group.commands.items()):
        if hasattr(command, "commands"):  # a group's own help lists its commands
            out += _leaf_commands(command, (*prefix, name))
        else:
            out.append((*prefix, name))
    return out


COMMANDS = _leaf_commands(typer.main.get_command(full_app()))


def test_the_core_commands_are_all_there() -> None:
    names = {c[-1] for c in COMMANDS}
    assert {"init", "passwd", "info", "add", "list", "show", "copy", "edit", "history",
            "revoke", "rotate", "log", "check", "template", "demo"} <= names


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_has_help_with_an_example(cli: CliRunner, command: tuple[str, ...]
                                                ) -> None:
    result = cli(*command, "--help")
    assert result.code == 0, result.stderr
    assert "Example" in result.stdout, f"`seskeys {' '.join(command)} --help` has no example"


def test_mistyped_config_path_is_an_error_not_the_defaults(cli_vault: CliRunner,
                                                           monkeypatch: pytest.MonkeyPatch,
                                                           tmp_path: Path) -> None:
    """A config that silently does not load drops the ticket pattern without a word."""
    one_error(cli_vault("--config", str(tmp_path / "confg.toml"), "list"), 2, "no such file")
    monkeypatch.setenv("SESKEYS_CONFIG", str(tmp_path / "missing.toml"))
    one_error(cli_vault("list"), 2, "no such file")
    monkeypatch.setenv("SESKEYS_CONFIG", str(tmp_path))
    one_error(cli_vault("list"), 2, "config")


def test_json_value_of_the_wrong_type_is_one_error_line(cli_vault: CliRunner) -> None:
    data = {**factories.record_input("typed"), "status": 1}
    one_error(cli_vault("add", "--from-json", "-", input=json.dumps(data)), 2,
              "status: expected text, got int")


@pytest.mark.parametrize("command", [("list",), ("add",), ("scan",), ("aws", "audit"),
                                     ("import", "lastpass-csv"), ("export", "lastpass-csv")])
def test_help_shows_flags_without_a_value_placeholder(cli: CliRunner,
                                                      command: tuple[str, ...]) -> None:
    """typer >= 0.29 prints `--json <bool>` as if the switch took a value (its own --help
    line keeps the placeholder: typer builds that option itself)."""
    result = cli(*command, "--help")
    assert result.code == 0
    flags = [line for line in result.stdout.splitlines() if "--help" not in line]
    assert not [line for line in flags if "<bool>" in line]


def test_help_keeps_backslashes_and_placeholders(cli: CliRunner) -> None:
    """The markdown help renderer ate `\\`, `&amp;` and `<digits>` in help texts."""
    export = cli("export", "lastpass-csv", "--help").stdout
    assert "sub-folders with \\" in export and "Custom_<digits>" in export
    assert "&amp;" in cli("import", "lastpass-csv", "--help").stdout


def test_usage_error_is_one_line_with_a_hint(cli_vault: CliRunner) -> None:
    result = cli_vault("revoke", "anything")
    assert result.code == 2
    assert result.stderr.splitlines() == ["seskeys: error: Missing option '--ticket' / '-t'.",
                                          "seskeys: hint: `seskeys revoke --help` lists its "
                                          "options"]


def test_messages_say_what_is_wrong(cli_vault: CliRunner, tmp_path: Path) -> None:
    """Each message a new user met that named the wrong problem, or pydantic's words."""
    one_error(add(cli_vault, access_key_id=factories.key_id("x").lower()), 2, "upper case")
    assert add(cli_vault).code == 0
    name = json.loads(cli_vault("list", "--json").stdout)[0]["key_name"]
    edit = cli_vault("edit", name, "--set", "client=", "--ticket", "T-1")
    one_error(edit, 2, "client: required")
    moved = cli_vault("edit", name, "--set", f"access_key_id={factories.key_id('y')}",
                      "--ticket", "T-1")
    one_error(moved, 2, "access_key_id")
    assert "seskeys rotate" in moved.stderr
    one_error(cli_vault("--vault", str(tmp_path), "list"), 2, "is a folder")
