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


@pytest.mark.parametrize("purpose", ["two\nlines", "\\=starts with the mark",
                                     "tab\tinside\r\nline"])
def test_text_values_a_line_cannot_keep_are_escaped_and_read_back(purpose: str) -> None:
    record = model.build(record_input("acme", purpose=purpose))
    body = note.render_record(record, LAYOUT, include_secrets=False)
    assert f"Purpose:{note.ESCAPE_MARK}" in body
    assert _roundtrip(record)["purpose"] == purpose


def test_backslashes_written_by_hand_are_read_as_they_stand() -> None:
    """Only a value that starts with the escape mark is unescaped."""
    parsed = note.parse("NoteType:Custom_42\nKey Name:a\nPurpose:C:\\new\\table\nNotes:")
    assert note.note_values(parsed, LAYOUT).values["purpose"] == "C:\\new\\table"


def test_multiline_notes_field_written_by_lastpass_is_joined() -> None:
    """LastPass writes a Notes-type field over several lines, colons and all."""
    body = ("NoteType:Custom_42\nKey Name:a\nIAM Permissions:{\n  \"Effect\": \"Allow\",\n"
            "  \"Action\": \"ses:SendRawEmail\"\n}\nClient:Acme\nNotes:")
    values = note.note_values(note.parse(body), LAYOUT).values
    assert values["iam_permissions"] == ('{\n  "Effect": "Allow",\n  "Action": '
                                         '"ses:SendRawEmail"\n}')
    assert values["client"] == "Acme"


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_crlf_and_lone_cr_bodies(newline: str) -> None:
    body = newline.join(["NoteType:Custom_42", "Key Name:a", "Client:Acme", "Notes:", "x"])
    parsed = note.parse(body)
    assert parsed.fields == (("Key Name", "a"), ("Client", "Acme"))
    assert parsed.notes == "x"


def test_a_body_that_lost_its_line_breaks_is_unreadable_and_not_echoed() -> None:
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzzzzzzzzz"
    parsed = note.parse(f"NoteType:Custom_42 Key Name:a Secret Access Key:{secret} Notes:")
    assert parsed.problem is not None and secret not in parsed.problem
    assert parsed.fields == () and parsed.note_type is None


def test_other_note_types_need_the_templates_own_labels() -> None:
    assert note.match_labels(["AWS Access Key ID"], LAYOUT, tolerant=False).labels == {}
    assert note.match_labels(["access key id"], LAYOUT, tolerant=False).labels == {
        "access_key_id": "access key id"}


def test_configured_labels() -> None:
    layout = note.Layout.configured("Custom_42", {"client": "Customer"})
    assert layout.label("client") == "Customer" and layout.label("purpose") == "Purpose"
    with pytest.raises(InputError, match="not a template field"):
        note.Layout.configured("Custom_42", {"colour": "Colour"})


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


# Any text seskeys accepts: no surrogates, no control characters but tab and line breaks,
# no direction overrides.
_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc"), whitelist_characters="\t\n\r",
                              blacklist_characters="\u200e\u200f\u202a\u202b\u202c\u202d"
                              "\u202e\u2066\u2067\u2068\u2069"), max_size=60)


@settings(max_examples=200, deadline=None)
@given(_TEXT, _TEXT)
def test_notes_type_fields_and_free_text_roundtrip(permissions: str, notes: str) -> None:
    raw = record_input("acme", iam_permissions=permissions, notes=notes)
    record = model.build(raw)
    values = _roundtrip(record)
    assert values.get("iam_permissions", "") == (record.iam_permissions or "")
    assert values.get("notes") == record.notes


def test_multiline_notes_field_lastpass_can_keep_is_written_as_it_is() -> None:
    """LastPass's web import would show the escape mark; write lines it keeps natively."""
    reason = "key found in a wiki page\nrotated the same day\nticket closed"
    record = model.build(record_input("acme", ses_limits="sandbox\n200 per day"))
    body = note.render_record(record, LAYOUT, include_secrets=False)
    assert "SES Limits:sandbox\n200 per day\n" in body
    assert _roundtrip(record)["ses_limits"] == "sandbox\n200 per day"
    with_colon = model.build(record_input("acme", ses_limits="quota: 200/day\nrate: 1/s"))
    assert f"SES Limits:{note.ESCAPE_MARK}" in note.render_record(with_colon, LAYOUT,
                                                                  include_secrets=False)
    assert _roundtrip(with_colon)["ses_limits"] == "quota: 200/day\nrate: 1/s"
    assert note.encode_value(reason, multiline=False).startswith(note.ESCAPE_MARK)
    assert note.encode_value(reason, multiline=True) == reason
