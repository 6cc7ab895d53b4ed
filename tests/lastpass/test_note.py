"""The secure-note body: our layout written and read back, LastPass's shapes read."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seskeys import model
from seskeys.errors import InputError
from seskeys.interop import lastpass_note as note
from tests.factories import record_input

LAYOUT = note.Layout(note_type="Custom_42")


def _roundtrip(record: model.KeyRecord) -> dict[str, str]:
    body = note.render_record(record, LAYOUT, include_secrets=True)
    return note.note_values(note.parse(body), LAYOUT).values


def test_body_is_the_template_layout_in_order() -> None:
    record = model.build(record_input("acme", created_on="2020-06-20"))
    lines = note.render_record(record, LAYOUT, include_secrets=False).splitlines()
    assert lines[:3] == ["NoteType:Custom_42", "Language:en-US", "Key Name:acme"]
    assert "Creation Date:June,20,2020" in lines
    assert "Revocation Date:,," in lines
    assert "Secret Access Key:" in lines  # left empty without secrets
    assert lines[-1] == "Notes:"
    assert [ln.split(":")[0] for ln in lines[2:-1]] == [f.label for f in note.BODY_FIELDS]


def test_multiline_notes_with_label_lines_are_not_fields() -> None:
    record = model.build(record_input("acme", notes="Key Name: evil\nAccess Key ID: x\n\nend"))
    values = _roundtrip(record)
    assert values["key_name"] == "acme"
    assert values["notes"] == "Key Name: evil\nAccess Key ID: x\n\nend"


def test_multiline_notes_type_fields_survive_with_colons() -> None:
    policy = '{\n  "Effect": "Allow",\n  "Action": "ses:SendRawEmail"\n}\n'
    record = model.build(record_input("acme", iam_permissions=policy, ses_limits=" 200/day\\n "))
    values = _roundtrip(record)
    assert values["iam_permissions"] == policy
    assert values["ses_limits"] == " 200/day\\n "


def test_text_field_with_line_break_is_refused() -> None:
    record = model.build(record_input("acme", purpose="two\nlines"))
    with pytest.raises(InputError, match="purpose: holds a line break"):
        note.render_record(record, LAYOUT, include_secrets=False)


@pytest.mark.parametrize("body, notes", [
    ("NoteType:Custom_1\nKey Name:a\nNotes:same line", "same line"),
    ("NoteType:Custom_1\nKey Name:a\nNotes:\nnext line", "next line"),
    ("NoteType:Custom_1\nKey Name:a\nNotes:first\nsecond: with colon\n",
     "first\nsecond: with colon"),
    ("NoteType:Custom_1\r\nKey Name:a\r\nNotes:\r\ncrlf\r\nbody", "crlf\nbody"),
    ("NoteType:Custom_1\nKey Name:a\nNotes:", None),
])
def test_notes_on_its_line_or_the_next(body: str, notes: str | None) -> None:
    parsed = note.parse(body)
    assert parsed.notes == notes
    assert parsed.fields == (("Key Name", "a"),)


def test_lpass_reordered_body_reads_the_same() -> None:
    """lpass reverses the field order on every edit (LASTPASS.md §1.5)."""
    record = model.build(record_input("acme"))
    body = note.render_record(record, LAYOUT, include_secrets=True)
    lines = body.splitlines()
    reordered = "\n".join([lines[0], *reversed(lines[1:-1]), lines[-1]])
    assert note.note_values(note.parse(reordered), LAYOUT).values == _roundtrip(record)


def test_continuation_line_joins_previous_field_like_lpass() -> None:
    parsed = note.parse("NoteType:Custom_1\nIAM Group Memberships:G-A\nG-B\nPurpose:x\nNotes:")
    assert parsed.fields == (("IAM Group Memberships", "G-A\nG-B"), ("Purpose", "x"))


@pytest.mark.parametrize("label, field_id", [
    ("access key id", "access_key_id"), ("AWS Access Key ID", "access_key_id"),
    ("IAM group memberships", "iam_groups"), ("Secret Acess Key", "secret_access_key"),
    ("creation_ticket", "creation_ticket"), ("Date Created", "created_on"),
])
def test_tolerant_labels(label: str, field_id: str) -> None:
    assert note.match_labels([label], LAYOUT).labels == {field_id: label}


def test_ambiguous_labels_are_not_guessed() -> None:
    match = note.match_labels(["Key Name", "key name"], LAYOUT)
    assert match.labels == {}
    assert match.ambiguous


def test_unknown_label_is_reported() -> None:
    assert note.match_labels(["Owner"], LAYOUT).unknown == ("Owner",)


@pytest.mark.parametrize("value", ["Custom_123", "123", "NoteType:Custom_123"])
def test_note_type_forms(value: str) -> None:
    assert note.normalize_note_type(value) == "Custom_123"


def test_bad_note_type() -> None:
    with pytest.raises(InputError):
        note.normalize_note_type("Server")


_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=60)


@settings(max_examples=200, deadline=None)
@given(_TEXT, _TEXT)
def test_notes_type_fields_and_free_text_roundtrip(permissions: str, notes: str) -> None:
    raw = record_input("acme", iam_permissions=permissions, notes=notes)
    record = model.build(raw)
    values = _roundtrip(record)
    assert values.get("iam_permissions", "") == (record.iam_permissions or "")
    assert values.get("notes") == record.notes
