"""The body of a LastPass secure note of our custom item type, shared by CSV files and ``lpass``.

LastPass keeps a typed note as plain text (LASTPASS.md §3, §1.5)::

    NoteType:Custom_<id>
    Language:en-US
    <Label>:<value>          one line per template field, in template order
    Notes:
    <free text to the end>

Rules this module keeps so that a value survives LastPass and ``lpass`` unchanged:

- A field value is one line: LastPass splits a continuation line at its first colon into a new
  field, and ``lpass`` trims every value. Text fields therefore refuse line breaks; the
  template's multi-line (Notes-type) fields escape ``\\`` ``\\n`` ``\\r`` ``\\t``, and a leading or
  trailing space (``\\s``) or other blank (``\\uXXXX``); only those fields are unescaped on
  reading.
- ``Notes:`` is written on its own line, the text follows on the next line and ends with one
  newline (``lpass`` drops text on the ``Notes:`` line and eats one trailing newline). On
  reading, text may follow ``Notes:`` on its line or on the next; everything after ``Notes:``
  is the free text, ``Label:`` lines included.
- Dates are LastPass's ``June,20,2020``; an unset date is ``,,``.
- Labels are matched case-insensitively and, where unambiguous, tolerantly (spacing,
  punctuation, common synonyms, small misspellings), because users type their own templates.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from seskeys.errors import InputError
from seskeys.model import KeyRecord
from seskeys.template import FIELDS, TEMPLATE, FieldSpec, LastPassType

NOTE_TYPE_PREFIX = "NoteType:"
DEFAULT_LANGUAGE = "en-US"
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
# Labels LastPass or lpass give a meaning of their own; a template field may not use them.
RESERVED_LABELS = frozenset({"name", "url", "username", "password", "notes", "notetype",
                             "reprompt", "application", "language"})
CUSTOM_TYPE = re.compile(r"Custom_\d+")
BODY_FIELDS: tuple[FieldSpec, ...] = tuple(f for f in TEMPLATE if f.id != "notes")

_SYNONYMS: dict[str, tuple[str, ...]] = {
    "key_name": ("name of key", "key"),
    "access_key_id": ("aws access key id", "access key", "aws access key", "key id",
                      "access key id aws"),
    "iam_groups": ("iam groups", "iam group", "groups", "group memberships"),
    "secret_access_key": ("secret key", "aws secret access key", "secret", "aws secret key"),
    "iam_permissions": ("permissions", "iam policy", "policy"),
    "ses_limits": ("limits", "sending limits", "ses quota"),
    "created_on": ("created", "date created", "created on", "creation"),
    "revoked_on": ("revoked", "date revoked", "revoked on", "revocation"),
    "creation_ticket": ("ticket", "create ticket", "created ticket"),
    "revocation_ticket": ("revoke ticket", "revoked ticket"),
    "aws_account_id": ("account id", "aws account", "account"),
    "ses_region": ("region", "aws region"),
    "ses_identity": ("identity", "verified identity"),
    "smtp_password": ("ses smtp password",),
}


def _norm(label: str) -> str:
    return re.sub(r"[^a-z0-9]", "", label.casefold())


def normalize_note_type(value: str) -> str:
    """``Custom_123``, ``123`` or ``NoteType:Custom_123`` → ``Custom_123``."""
    text = value.strip().removeprefix(NOTE_TYPE_PREFIX).strip()
    if text.isdigit():
        text = f"Custom_{text}"
    if not CUSTOM_TYPE.fullmatch(text):
        raise InputError(f"LastPass note type {value[:40]!r}: expected Custom_<digits>",
                         hint="`seskeys template -o lastpass` explains where to find it")
    return text


@dataclass(frozen=True)
class Layout:
    """How our template looks in one LastPass account: its note type id and field labels."""

    note_type: str | None = None
    labels: Mapping[str, str] = field(default_factory=lambda: {f.id: f.label for f in TEMPLATE})
    language: str = DEFAULT_LANGUAGE

    def __post_init__(self) -> None:
        if len({_norm(v) for v in self.labels.values()}) != len(self.labels):
            raise InputError("LastPass labels: two template fields share a label")
        for fid, label in self.labels.items():
            if ":" in label or "\n" in label or not label.strip():
                raise InputError(f"LastPass label for {fid}: must be one line without ':'")
            if _norm(label) in RESERVED_LABELS and fid != "notes":
                raise InputError(f"LastPass label {label!r} is reserved by LastPass")

    def label(self, field_id: str) -> str:
        return self.labels.get(field_id, FIELDS[field_id].label)

    def require_note_type(self) -> str:
        if not self.note_type:
            raise InputError("the LastPass note type of the template is not configured",
                             hint="pass --note-type Custom_<id> or set lastpass_note_type; "
                                  "`seskeys template -o lastpass` explains where to find it")
        return self.note_type


# -- values as text -------------------------------------------------------------------------


def lastpass_date(value: date | None) -> str:
    return f"{MONTHS[value.month - 1]},{value.day},{value.year}" if value else ",,"


def _escape(text: str) -> str:
    out = (text.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
           .replace("\t", "\\t"))
    if out[:1].isspace():
        out = _escape_char(out[0]) + out[1:]
    if len(out) > 1 and out[-1].isspace():
        out = out[:-1] + _escape_char(out[-1])
    return out


def _escape_char(ch: str) -> str:
    return "\\s" if ch == " " else f"\\u{ord(ch):04x}"


_UNESCAPE = {"\\": "\\", "n": "\n", "r": "\r", "t": "\t", "s": " "}
_HEX = frozenset("0123456789abcdefABCDEF")


def _unescape(text: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        nxt = text[i + 1] if i + 1 < len(text) else ""
        if ch == "\\" and nxt in _UNESCAPE and nxt:
            out.append(_UNESCAPE[nxt])
            i += 2
        elif ch == "\\" and nxt == "u" and len(text) >= i + 6 and set(text[i + 2:i + 6]) <= _HEX:
            out.append(chr(int(text[i + 2:i + 6], 16)))
            i += 6
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def field_texts(record: KeyRecord, *, include_secrets: bool) -> dict[str, str]:
    """Every template field of ``record`` as LastPass text (secrets empty unless included)."""
    out: dict[str, str] = {}
    for spec in TEMPLATE:
        value = record.field_value(spec.id)
        if spec.secret:
            out[spec.id] = (record.secret(spec.id) or "") if include_secrets else ""
        elif spec.is_date:
            out[spec.id] = lastpass_date(value)
        elif isinstance(value, tuple):
            out[spec.id] = ", ".join(value)
        elif value is None:
            out[spec.id] = ""
        else:
            out[spec.id] = str(getattr(value, "value", value))
    return out


def encode_value(spec: FieldSpec, text: str) -> str:
    """The one-line form of a field value; refuses what a LastPass field line cannot keep."""
    if spec.lastpass_type is LastPassType.NOTES:
        return _escape(text)
    if "\n" in text or "\r" in text:
        raise InputError(f"{spec.id}: holds a line break, which a LastPass field cannot keep")
    if text != text.strip():
        raise InputError(f"{spec.id}: leading or trailing spaces would be trimmed by LastPass")
    return text


def render(texts: Mapping[str, str], layout: Layout) -> str:
    """The note body for one record's field texts (see :func:`field_texts`)."""
    lines = [f"{NOTE_TYPE_PREFIX}{layout.require_note_type()}", f"Language:{layout.language}"]
    lines += [f"{layout.label(s.id)}:{encode_value(s, texts.get(s.id, ''))}" for s in BODY_FIELDS]
    notes = texts.get("notes") or ""
    body = "\n".join(lines) + "\nNotes:"
    return body + ("\n" + notes + "\n" if notes else "")


def render_record(record: KeyRecord, layout: Layout, *, include_secrets: bool) -> str:
    return render(field_texts(record, include_secrets=include_secrets), layout)


# -- reading --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParsedNote:
    """A note body split as LastPass does; ``note_type`` is None for an untyped note."""

    note_type: str | None
    language: str | None
    fields: tuple[tuple[str, str], ...]
    notes: str | None

    def value(self, label: str) -> str | None:
        """The value of the first field called ``label`` (case-insensitive)."""
        wanted = label.casefold()
        return next((v for k, v in self.fields if k.casefold() == wanted), None)


def _notes_text(rest: str) -> str | None:
    text = rest[1:] if rest.startswith("\n") else rest
    text = text[:-1] if text.endswith("\n") else text
    return text if text.strip() else None


def parse(body: str) -> ParsedNote:
    """Split a note body into its type, fields (in body order) and free text."""
    first, _, _ = body.partition("\n")
    if first.endswith("\r"):  # a file saved with CRLF throughout
        body = body.replace("\r\n", "\n")
    if not body.startswith(NOTE_TYPE_PREFIX):
        return ParsedNote(None, None, (), body if body.strip() else None)
    head, _, rest = body.partition("\n")
    note_type = head[len(NOTE_TYPE_PREFIX):].strip()
    fields: list[list[str]] = []
    language: str | None = None
    notes: str | None = None
    offset = 0
    while offset < len(rest):
        end = rest.find("\n", offset)
        line = rest[offset:] if end < 0 else rest[offset:end]
        label, colon, value = line.partition(":")
        if colon and label.strip() == "Notes":
            notes = _notes_text(rest[offset + len(line) - len(value):])
            break
        if colon and label.strip() == "Language" and language is None:
            language = value.strip()
        elif colon:
            fields.append([label.strip(), value])
        elif fields:
            fields[-1][1] += "\n" + line
        offset = len(rest) if end < 0 else end + 1
    return ParsedNote(note_type, language, tuple((k, v) for k, v in fields), notes)


@dataclass(frozen=True)
class LabelMatch:
    """Which body label holds which template field, and what could not be placed."""

    labels: dict[str, str]
    unknown: tuple[str, ...]
    ambiguous: tuple[str, ...]


def _candidates(layout: Layout) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for spec in BODY_FIELDS:
        names = {spec.label, spec.id, layout.label(spec.id), *_SYNONYMS.get(spec.id, ())}
        out[spec.id] = {_norm(n) for n in names}
    return out


def _match_one(label: str, layout: Layout, candidates: dict[str, set[str]]) -> list[str]:
    exact = [fid for fid in candidates if layout.label(fid).casefold() == label.casefold()]
    if exact:
        return exact
    key = _norm(label)
    by_name = [fid for fid, names in candidates.items() if key in names]
    if by_name:
        return by_name
    close = [fid for fid, names in candidates.items()
             if any(difflib.SequenceMatcher(None, key, n).ratio() >= 0.88 for n in names)]
    return close


def match_labels(labels: tuple[str, ...] | list[str], layout: Layout) -> LabelMatch:
    """Map the labels of a body to template field ids, refusing to guess between two."""
    candidates = _candidates(layout)
    found: dict[str, list[str]] = {}
    unknown: list[str] = []
    ambiguous: list[str] = []
    for label in labels:
        hits = _match_one(label, layout, candidates)
        if len(hits) == 1:
            found.setdefault(hits[0], []).append(label)
        elif hits:
            ambiguous.append(f"{label!r} could be {' or '.join(hits)}")
        else:
            unknown.append(label)
    mapping: dict[str, str] = {}
    for fid, its_labels in found.items():
        if len(its_labels) > 1:
            ambiguous.append(f"{fid} appears as {', '.join(repr(x) for x in its_labels)}")
        else:
            mapping[fid] = its_labels[0]
    return LabelMatch(mapping, tuple(unknown), tuple(ambiguous))


def decode_value(spec: FieldSpec, raw: str) -> str:
    """A field's text as the model reads it: unescaped, trimmed, unset dates empty."""
    if spec.lastpass_type is LastPassType.NOTES:
        return _unescape(raw.strip())
    text = raw.strip()
    if spec.is_date and not text.replace(",", "").strip():
        return ""
    return text


@dataclass(frozen=True)
class NoteValues:
    """Template field values (text) read from one body, with what did not fit."""

    values: dict[str, str]
    labels: dict[str, str]
    unknown: tuple[str, ...]
    ambiguous: tuple[str, ...]


def note_values(parsed: ParsedNote, layout: Layout) -> NoteValues:
    match = match_labels([label for label, _ in parsed.fields], layout)
    raw = {label: value for label, value in reversed(parsed.fields)}
    values = {fid: decode_value(FIELDS[fid], raw[label]) for fid, label in match.labels.items()}
    if parsed.notes is not None:
        values["notes"] = parsed.notes
    return NoteValues(values, match.labels, match.unknown, match.ambiguous)
