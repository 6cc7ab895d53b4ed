"""LastPass CSV: reading real export shapes, importing row by row, exporting losslessly."""

from __future__ import annotations

from pathlib import Path

import pytest

from seskeys import lifecycle, model
from seskeys.errors import InputError
from seskeys.interop import lastpass_csv as lc
from seskeys.interop import lastpass_import as li
from seskeys.interop import lastpass_note as note
from seskeys.interop.records import differences
from seskeys.lifecycle import Actor
from seskeys.vault.memory import MemoryVault
from tests.factories import key_id, record_input, secret

DATA = Path(__file__).parent.parent / "data" / "lastpass"
LAYOUT = note.Layout(note_type="Custom_8374651029384756")
AWKWARD = {"key_name": 'café, "quoted" & <co>', "client": "Zürich AG; Ünïcödé 日本",
           "purpose": "mail: transactional, \"urgent\" & bulk",
           "iam_permissions": '{\n  "Effect": "Allow",\n  "Action": "ses:Send*"\n}',
           "ses_limits": "production,\t50000/day",
           "notes": "line 1: a, b\nKey Name: not-a-field\n\"quoted\" & <tag>\n\n  indented"}


def _vault_with(mem_vault: MemoryVault, actor: Actor) -> MemoryVault:
    lifecycle.add(mem_vault, record_input("a1", **AWKWARD), actor)
    lifecycle.add(mem_vault, record_input("b2", notes="plain"), actor)
    lifecycle.add(mem_vault, record_input("c3"), actor)
    lifecycle.revoke(mem_vault, "c3", actor, ticket="SEC-1", reason="leaked, \"badly\"")
    return mem_vault


@pytest.mark.parametrize("header", list(lc.Header))
def test_roundtrip_vault_csv_vault_is_lossless(mem_vault: MemoryVault, actor: Actor,
                                               header: lc.Header) -> None:
    source = _vault_with(mem_vault, actor)
    text, count = li.export_records(source.records(), LAYOUT, include_secrets=True,
                                    header=header, folder="AWS\\SES")
    assert count == 3
    target = MemoryVault()
    report = li.import_rows(lc.read(text).rows, target, actor, layout=LAYOUT, ticket="IMP-1")
    assert report.summary()["imported"] == 3, report.rows
    for record in source.records():
        [copy] = target.by_access_key_id(record.access_key_id)
        assert differences(record, copy) == []
        assert copy.smtp_password == record.smtp_password


def test_export_without_secrets_leaves_password_fields_empty(mem_vault: MemoryVault,
                                                             actor: Actor) -> None:
    source = _vault_with(mem_vault, actor)
    text, _ = li.export_records(source.records(), LAYOUT, include_secrets=False,
                                header=lc.Header.WEB, folder="")
    for record in source.records():
        if record.secret():
            assert record.secret() not in text
            assert record.secret("smtp_password") not in text
    assert "Secret Access Key:\n" in text.replace("\r\n", "\n")


def test_export_file_shape(mem_vault: MemoryVault, actor: Actor) -> None:
    lifecycle.add(mem_vault, record_input("a1"), actor)
    text, _ = li.export_records(mem_vault.records(), LAYOUT, include_secrets=False,
                                header=lc.Header.WEB, folder="AWS\\SES")
    assert text.startswith("url,username,password,totp,extra,name,grouping,fav\r\n")
    assert not text.startswith("\ufeff")
    assert text.endswith(",a1,AWS\\SES,0\r\n")
    lpass_text, _ = li.export_records(mem_vault.records(), LAYOUT, include_secrets=False,
                                      header=lc.Header.LPASS, folder="")
    assert lpass_text.startswith("url,username,password,extra,name,grouping,fav\r\n")


def test_reimport_makes_no_duplicates(mem_vault: MemoryVault, actor: Actor) -> None:
    source = _vault_with(mem_vault, actor)
    text, _ = li.export_records(source.records(), LAYOUT, include_secrets=True,
                                header=lc.Header.WEB, folder="")
    target = MemoryVault()
    li.import_rows(lc.read(text).rows, target, actor, layout=LAYOUT, ticket="IMP-1")
    events = len(target.events())
    again = li.import_rows(lc.read(text).rows, target, actor, layout=LAYOUT, ticket="IMP-2")
    assert again.summary()["already in vault"] == 3
    assert len(target.records()) == 3
    assert len(target.events()) == events


def test_real_world_shape(mem_vault: MemoryVault, actor: Actor) -> None:
    """Leading blank lines, CRLF, user label spelling, extra labels, Server note, site login."""
    text = lc.decode_bytes((DATA / "web-export-crlf-leading-blank.csv").read_bytes(), "f")
    report = li.import_rows(lc.read(text).rows, mem_vault, actor, layout=LAYOUT, ticket="I-1")
    by_name = {r.name: r for r in report.rows}
    assert by_name["acme-mailer"].outcome is li.Outcome.IMPORTED
    assert by_name["aws console"].outcome is li.Outcome.SKIPPED
    assert by_name["legacy smtp"].outcome is li.Outcome.REVIEW
    assert "SES SMTP credentials" in by_name["legacy smtp"].reason
    assert "eu-west-1" in by_name["legacy smtp"].reason
    assert by_name["globex-old"].outcome is li.Outcome.IMPORTED
    assert by_name["bad-date"].outcome is li.Outcome.INVALID
    [acme] = mem_vault.by_name("acme-mailer")
    assert acme.iam_groups == ("ses-senders", "ses-audit")
    assert acme.ses_identity_type == "Domain"
    assert acme.created_on.isoformat() == "2024-03-05"
    assert acme.notes == "Rotated yearly.\nOwner: ops@acme.example"
    assert acme.purpose == "transactional mail, EU"


def test_revoked_row_with_secret_is_purged_and_fingerprinted(mem_vault: MemoryVault,
                                                            actor: Actor) -> None:
    text = lc.decode_bytes((DATA / "web-export-crlf-leading-blank.csv").read_bytes(), "f")
    li.import_rows(lc.read(text).rows, mem_vault, actor, layout=LAYOUT, ticket="I-1")
    [old] = mem_vault.by_name("globex-old")
    assert old.revoked and old.secret() is None and old.smtp_password is None
    leaked = "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdo"
    assert mem_vault.fingerprint(leaked) in old.fingerprints
    assert old.revoked_on is not None and old.revoked_on.isoformat() == "2024-06-20"


def test_strict_writes_nothing_when_a_row_is_bad(mem_vault: MemoryVault, actor: Actor) -> None:
    text = lc.decode_bytes((DATA / "web-export-crlf-leading-blank.csv").read_bytes(), "f")
    report = li.import_rows(lc.read(text).rows, mem_vault, actor, layout=LAYOUT, ticket="I-1",
                            strict=True)
    assert report.bad and not report.written
    assert mem_vault.records() == [] and mem_vault.events() == []


def test_dry_run_writes_nothing(mem_vault: MemoryVault, actor: Actor) -> None:
    text = lc.decode_bytes((DATA / "web-export-crlf-leading-blank.csv").read_bytes(), "f")
    report = li.import_rows(lc.read(text).rows, mem_vault, actor, layout=LAYOUT, ticket="I-1",
                            dry_run=True)
    assert report.count(li.Outcome.IMPORTED) == 2 and not report.written
    assert mem_vault.records() == []


def _row_csv(extra: str, header: str = "url,username,password,totp,extra,name,grouping,fav",
             name: str = "k") -> str:
    quoted = '"' + extra.replace('"', '""') + '"'
    return f"{header}\nhttp://sn,,,,{quoted},{name},AWS,0\n"


def _body(**fields: str) -> str:
    lines = ["NoteType:Custom_8374651029384756", "Language:en-US"]
    lines += [f"{k}:{v}" for k, v in fields.items()]
    return "\n".join(lines) + "\nNotes:"


BASE = {"Key Name": "k", "Access Key ID": key_id("k"), "Purpose": "p", "Client": "c",
        "Secret Access Key": secret("k"), "Creation Date": "June,20,2020",
        "Creation Ticket": "OPS-1"}


def test_bom_and_html_entities_opt_in(mem_vault: MemoryVault, actor: Actor) -> None:
    """bitwarden/web#40 and clients#73: &amp; &lt; &gt; in printed exports."""
    text = "\ufeff" + _row_csv(_body(**{**BASE, "Purpose": "Tr&amp;nsit, &gt;9&lt;"}))
    kept = li.import_rows(lc.read(text).rows, MemoryVault(), actor, layout=LAYOUT,
                          ticket="I-1", dry_run=True)
    assert "HTML-escaped" in " ".join(kept.rows[0].warnings)
    li.import_rows(lc.read(text, decode_entities=True).rows, mem_vault, actor, layout=LAYOUT,
                   ticket="I-1")
    assert mem_vault.records()[0].purpose == "Tr&nsit, >9<"


def test_lpass_header_without_totp(mem_vault: MemoryVault, actor: Actor) -> None:
    header = "url,username,password,extra,name,grouping,fav"
    quoted = '"' + _body(**BASE).replace('"', '""') + '"'
    text = f"{header}\r\nhttp://sn,,,{quoted},k,,0\r\n"
    report = li.import_rows(lc.read(text).rows, mem_vault, actor, layout=LAYOUT, ticket="I")
    assert report.rows[0].outcome is li.Outcome.IMPORTED


def test_columns_found_by_name_in_any_order(mem_vault: MemoryVault, actor: Actor) -> None:
    quoted = '"' + _body(**BASE).replace('"', '""') + '"'
    text = f"Name,Extra,URL\nk,{quoted},http://sn\n"
    report = li.import_rows(lc.read(text).rows, mem_vault, actor, layout=LAYOUT, ticket="I")
    assert report.rows[0].outcome is li.Outcome.IMPORTED


def test_not_a_lastpass_file() -> None:
    with pytest.raises(InputError, match="not a LastPass CSV"):
        lc.read("a,b,c\n1,2,3\n")


def test_blank_lines_between_rows_are_no_rows() -> None:
    """`lpass import` turns a blank line into an empty account; we do not."""
    text = _row_csv(_body(**BASE)) + "\n\n"
    assert len(lc.read(text).rows) == 1


def test_misaligned_row_is_invalid_not_half_read(mem_vault: MemoryVault, actor: Actor) -> None:
    text = "url,username,password,totp,extra,name,grouping,fav\nhttp://sn,,,,x,y,z,0,extra\n"
    report = li.import_rows(lc.read(text).rows, mem_vault, actor, layout=LAYOUT, ticket="I")
    assert report.rows[0].outcome is li.Outcome.INVALID
    assert mem_vault.records() == []


def test_other_custom_type_is_mapped_with_warning(mem_vault: MemoryVault, actor: Actor) -> None:
    body = _body(**BASE).replace("Custom_8374651029384756", "Custom_1")
    report = li.import_rows(lc.read(_row_csv(body)).rows, mem_vault, actor, layout=LAYOUT,
                            ticket="I")
    assert report.rows[0].outcome is li.Outcome.IMPORTED
    assert "not the configured" in report.rows[0].warnings[0]


def test_custom_type_unknown_fields_kept_in_notes(mem_vault: MemoryVault, actor: Actor) -> None:
    report = li.import_rows(lc.read(_row_csv(_body(**BASE, Owner="ops team"))).rows, mem_vault,
                            actor, layout=LAYOUT, ticket="I")
    assert report.rows[0].outcome is li.Outcome.IMPORTED
    assert mem_vault.records()[0].notes == "Owner:ops team"  # the bytes as they stood


def test_active_row_without_secret_needs_review(mem_vault: MemoryVault, actor: Actor) -> None:
    fields = {**BASE, "Secret Access Key": ""}
    report = li.import_rows(lc.read(_row_csv(_body(**fields))).rows, mem_vault, actor,
                            layout=LAYOUT, ticket="I")
    assert report.rows[0].outcome is li.Outcome.REVIEW
    assert "Secret Access Key" in report.rows[0].reason


def test_bad_row_does_not_stop_the_others(mem_vault: MemoryVault, actor: Actor) -> None:
    bad = {**BASE, "Access Key ID": "ASIAIOSFODNN7EXAMPLE"}
    good = {**BASE, "Key Name": "k2", "Access Key ID": key_id("k2"),
            "Secret Access Key": secret("k2")}
    text = _row_csv(_body(**bad)) + _row_csv(_body(**good)).split("\n", 1)[1]
    report = li.import_rows(lc.read(text).rows, mem_vault, actor, layout=LAYOUT, ticket="I")
    assert [r.outcome for r in report.rows] == [li.Outcome.INVALID, li.Outcome.IMPORTED]
    assert "temporary" in report.rows[0].reason
    assert [r.key_name for r in mem_vault.records()] == ["k2"]


def test_secret_never_in_report(mem_vault: MemoryVault, actor: Actor) -> None:
    bad = {**BASE, "Purpose": secret("leak")}
    report = li.import_rows(lc.read(_row_csv(_body(**bad))).rows, mem_vault, actor,
                            layout=LAYOUT, ticket="I")
    assert report.rows[0].outcome is li.Outcome.INVALID
    assert secret("leak") not in repr(report) and secret("k") not in repr(report)


def test_utf16_file_from_notepad() -> None:
    text = _row_csv(_body(**BASE))
    assert lc.decode_bytes(text.encode("utf-16"), "f") == text


def test_not_utf8_is_a_clear_error() -> None:
    with pytest.raises(InputError, match="not UTF-8"):
        lc.decode_bytes("caf\u00e9".encode("latin-1"), "f")


def test_same_key_twice_in_one_file(mem_vault: MemoryVault, actor: Actor) -> None:
    row = _row_csv(_body(**BASE))
    text = row + row.split("\n", 1)[1]
    report = li.import_rows(lc.read(text).rows, mem_vault, actor, layout=LAYOUT, ticket="I")
    assert [r.outcome for r in report.rows] == [li.Outcome.IMPORTED, li.Outcome.SKIPPED]
    assert "same key as line 2" in report.rows[1].reason  # never "already in vault"


def test_same_key_twice_in_one_file_with_other_values(mem_vault: MemoryVault,
                                                      actor: Actor) -> None:
    other = _row_csv(_body(**{**BASE, "Key Name": "k-copy"})).split("\n", 1)[1]
    text = _row_csv(_body(**BASE)) + other
    report = li.import_rows(lc.read(text).rows, mem_vault, actor, layout=LAYOUT, ticket="I")
    assert [r.outcome for r in report.rows] == [li.Outcome.IMPORTED, li.Outcome.REVIEW]
    assert "key_name" in report.rows[1].reason


def test_changed_key_on_reimport_needs_review(mem_vault: MemoryVault, actor: Actor) -> None:
    li.import_rows(lc.read(_row_csv(_body(**BASE))).rows, mem_vault, actor, layout=LAYOUT,
                   ticket="I")
    changed = _row_csv(_body(**{**BASE, "Purpose": "other"}))
    report = li.import_rows(lc.read(changed).rows, mem_vault, actor, layout=LAYOUT, ticket="I")
    assert report.rows[0].outcome is li.Outcome.REVIEW
    assert "purpose" in report.rows[0].reason
    assert mem_vault.records()[0].purpose == "p"


def test_model_refuses_revoked_with_secret_directly() -> None:
    """The reason the importer purges first: the model never stores such a record."""
    raw = record_input("x", status="revoked", revoked_on="2026-11-02",
                       revocation_ticket="T", revocation_reason="r")
    with pytest.raises(InputError):
        model.build(raw)


def test_other_custom_type_with_foreign_labels_needs_review(mem_vault: MemoryVault,
                                                            actor: Actor) -> None:
    """Labels are only guessed on the configured type; another type must use ours."""
    body = _body(**BASE, Owner="ops team").replace("Custom_8374651029384756", "Custom_1")
    report = li.import_rows(lc.read(_row_csv(body)).rows, mem_vault, actor, layout=LAYOUT,
                            ticket="I")
    assert report.rows[0].outcome is li.Outcome.REVIEW
    assert "Owner" in report.rows[0].reason
    assert mem_vault.records() == []


def test_missing_creation_ticket_is_not_invented(mem_vault: MemoryVault, actor: Actor) -> None:
    """The import ticket is not the key's creation ticket; `check` reports the gap."""
    report = li.import_rows(lc.read(_row_csv(_body(**{**BASE, "Creation Ticket": ""}))).rows,
                            mem_vault, actor, layout=LAYOUT, ticket="IMP-1")
    assert report.rows[0].outcome is li.Outcome.IMPORTED
    assert any("no Creation Ticket" in w for w in report.rows[0].warnings)
    assert mem_vault.records()[0].creation_ticket in (None, "")


def test_reimport_of_an_export_without_secrets_is_already_recorded(
        mem_vault: MemoryVault, actor: Actor) -> None:
    li.import_rows(lc.read(_row_csv(_body(**BASE))).rows, mem_vault, actor, layout=LAYOUT,
                   ticket="I")
    bare = _row_csv(_body(**{**BASE, "Secret Access Key": "", "Status": "active"}))
    report = li.import_rows(lc.read(bare).rows, mem_vault, actor, layout=LAYOUT, ticket="I")
    assert report.rows[0].outcome is li.Outcome.ALREADY
    assert "holds no secret" in report.rows[0].reason


def _site(url: str, username: str, password: str) -> str:
    return ("url,username,password,totp,extra,name,grouping,fav\n"
            f"{url},{username},{password},,,mail,,0\n")


@pytest.mark.parametrize("text", [
    _row_csv(f"aws key {key_id('p')}\nsecret {secret('p')}"),
    _row_csv(f"NoteType:Generic\nLanguage:en-US\nNotes:\n{key_id('g')} {secret('g')}"),
    _row_csv("NoteType:Server\nLanguage:en-US\nHostname:email-smtp.eu-west-1.amazonaws.com\n"
             "Username:ses-smtp-user\nPassword:BCDEFGH\nNotes:"),
    _site("https://email-smtp.eu-west-1.amazonaws.com", "ses-user", "x"),
    _row_csv(_body(**{"Key Name": "k", "Secret Access Key": secret("c")})),
])
def test_items_holding_ses_credentials_need_review_not_skipping(
        mem_vault: MemoryVault, actor: Actor, text: str) -> None:
    """Found by an adversarial review: each of these was 'skipped, not an SES key record'."""
    report = li.import_rows(lc.read(text).rows, mem_vault, actor, layout=LAYOUT, ticket="I")
    [row] = report.rows
    assert row.outcome is li.Outcome.REVIEW, row
    assert secret("p") not in repr(report) and secret("c") not in repr(report)


def test_ordinary_items_are_still_skipped(mem_vault: MemoryVault, actor: Actor) -> None:
    text = _site("https://example.com/login", "alice", "hunter2-long-password")
    [row] = li.import_rows(lc.read(text).rows, mem_vault, actor, layout=LAYOUT,
                           ticket="I").rows
    assert row.outcome is li.Outcome.SKIPPED
