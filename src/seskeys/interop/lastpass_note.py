"""The body of a LastPass secure note of our custom item type, shared by CSV files and ``lpass``.

LastPass keeps a typed note as plain text (LASTPASS.md §3, §1.5)::

    NoteType:Custom_<id>
    Language:en-US
    <Label>:<value>          one line per template field, in template order
    Notes:
    <free text to the end>

Rules this module keeps so that a value survives LastPass and ``lpass`` unchanged:

- LastPass splits a continuation line at its first colon into a new field, and ``lpass``
  trims every line. A value that starts or ends with a blank, or holds a line break that
  LastPass would not keep (in a text field, or a Notes-type line with a colon or a blank at
  either end), is therefore written escaped: the mark ``\\=``, then the text with ``\\``
  ``\\n`` ``\\r`` ``\\t`` escaped and a leading or trailing space (``\\s``) or other blank
  (``\\uXXXX``). A Notes-type value LastPass keeps is written over several lines as it is.
  Only a value that starts with the mark is unescaped on reading, so text written by LastPass
  or by hand (``C:\\new\\table``) is read as it stands. Every other value is written as it is.
- LastPass writes a multi-line Notes-type field of a custom type as it is, over several lines;
  so on reading, a line after a Notes-type field that does not start with a template label
  continues that field.
- ``Notes:`` is written on its own line, the text follows on the next line and ends with one
  newline (``lpass`` drops text on the ``Notes:`` line and eats one trailing newline). On
  reading, text may follow ``Notes:`` on its line or on the next; everything after ``Notes:``
  is the free text, ``Label:`` lines included.
- Dates are LastPass's ``June,20,2020``; an unset date is ``,,``.
- Line breaks: a body whose first line ends in CR LF or in a lone CR (a file saved on a Mac of
  old) is read with those line breaks; a body written with LF keeps any CR inside its values.
- The note type is only ever taken from a short, sane ``NoteType:`` line (``Custom_<digits>``
  or a name such as ``Server``); anything else is reported as unreadable and never echoed,
  because a body that lost its line breaks holds the whole item, secret included, on that line.
- Labels are matched case-insensitively. On the configured note type they are also matched
  tolerantly (spacing, punctuation, common synonyms, small misspellings), because users type
  their own templates; another item type must use the template's labels themselves.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from seskeys import validators as v
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
# What a NoteType line may name: a custom type, or a built-in one such as "Driver's License".
_NOTE_TYPE_NAME = re.compile(r"Custom_\d{1,40}|[A-Za-z][A-Za-z '.-]{0,39}")
ESCAPE_MARK = "\\="
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


def custom_type(value: str) -> str | None:
    """``Custom_123``, ``123`` or ``NoteType:Custom_123`` → ``Custom_123``; None otherwise."""
    text = value.strip().removeprefix(NOTE_TYPE_PREFIX).strip()
    if text.isdigit():
        text = f"Custom_{text}"
    return text if CUSTOM_TYPE.fullmatch(text) else None


def normalize_note_type(value: str) -> str:
    text = custom_type(value)
    if text is None:
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

    @classmethod
    def configured(cls, note_type: str | None, labels: Mapping[str, str]) -> Layout:
        """The template's labels with the user's own (``lastpass_labels``) in their place."""
        unknown = sorted(set(labels) - {f.id for f in BODY_FIELDS})
        if unknown:
            raise InputError(f"lastpass_labels: {', '.join(unknown)} is not a template field "
                             "with a LastPass label",
                             hint="field ids: " + ", ".join(f.id for f in BODY_FIELDS))
        merged = {f.id: f.label for f in TEMPLATE} | {k: v.strip() for k, v in labels.items()}
        return cls(note_type=note_type, labels=merged)

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


def _keeps_lines(text: str) -> bool:
    """Whether LastPass keeps a multi-line value as it is: continuation lines are appended
    to the field only while they hold no colon, and lpass trims every line."""
    lines = text.split("\n")
    return "\r" not in text and all(line == line.strip() and line for line in lines) \
        and not any(":" in line for line in lines[1:])


def encode_value(text: str, *, multiline: bool = False) -> str:
    """A field value as LastPass keeps it: as it is, or marked and escaped where a LastPass
    field could not keep it (a blank at either end, the mark itself, and line breaks, which
    only a Notes-type field keeps, and only without colons on its further lines)."""
    if (text != text.strip() or text.startswith(ESCAPE_MARK) or "\r" in text
            or ("\n" in text and not (multiline and _keeps_lines(text)))):
        return ESCAPE_MARK + _escape(text)
    return text


def render(texts: Mapping[str, str], layout: Layout) -> str:
    """The note body for one record's field texts (see :func:`field_texts`)."""
    lines = [f"{NOTE_TYPE_PREFIX}{layout.require_note_type()}", f"Language:{layout.language}"]
    lines += [f"{layout.label(s.id)}:" + encode_value(
        texts.get(s.id, ""), multiline=s.lastpass_type is LastPassType.NOTES)
        for s in BODY_FIELDS]
    notes = texts.get("notes") or ""
    body = "\n".join(lines) + "\nNotes:"
    return body + ("\n" + notes + "\n" if notes else "")


def render_record(record: KeyRecord, layout: Layout, *, include_secrets: bool) -> str:
    return render(field_texts(record, include_secrets=include_secrets), layout)


# -- reading --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParsedNote:
    """A note body split as LastPass does; ``note_type`` is None for an untyped note.

    ``raw`` holds each field's text as it stood in the body (label unstripped, colon, value);
    ``problem`` says why a body that starts with ``NoteType:`` could not be read (never
    quoting it).
    """

    note_type: str | None
    language: str | None
    fields: tuple[tuple[str, str], ...]
    notes: str | None
    raw: tuple[str, ...] = ()
    problem: str | None = None

    def value(self, label: str) -> str | None:
        """The value of the first field called ``label`` (case-insensitive)."""
        wanted = label.casefold()
        return next((v for k, v in self.fields if k.casefold() == wanted), None)


def _notes_text(rest: str) -> str | None:
    text = rest[1:] if rest.startswith("\n") else rest
    text = text[:-1] if text.endswith("\n") else text
    return text if text.strip() else None


def _line_breaks(body: str) -> str:
    """LF line breaks for a body written with CR LF or with lone CRs (its first break says)."""
    first = re.search(r"\r\n|\r|\n", body)
    if first is None or first.group() == "\n":
        return body
    body = body.replace("\r\n", "\n")
    return body if first.group() == "\r\n" else body.replace("\r", "\n")


UNREADABLE_TYPE = ("its NoteType line does not name a note type (were its line breaks lost?); "
                   "it may hold a key: check the item in LastPass")


def parse(body: str) -> ParsedNote:
    """Split a note body into its type, fields (in body order) and free text."""
    body = _line_breaks(body)
    if not body.startswith(NOTE_TYPE_PREFIX):
        return ParsedNote(None, None, (), body if body.strip() else None)
    head, _, rest = body.partition("\n")
    note_type = head[len(NOTE_TYPE_PREFIX):].strip()
    if not _NOTE_TYPE_NAME.fullmatch(note_type):
        return ParsedNote(None, None, (), None, problem=UNREADABLE_TYPE)
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
            fields.append([label, value])
        elif fields:
            fields[-1][1] += "\n" + line
        offset = len(rest) if end < 0 else end + 1
    return ParsedNote(note_type, language, tuple((k.strip(), v) for k, v in fields), notes,
                      raw=tuple(f"{k}:{v}" for k, v in fields))


@dataclass(frozen=True)
class LabelMatch:
    """Which body label holds which template field, and what could not be placed."""

    labels: dict[str, str]
    unknown: tuple[str, ...]
    ambiguous: tuple[str, ...]


def shown_label(label: str) -> str:
    """A label of someone else's body, quoted for a message (never a secret, never long)."""
    return v.shown(label, limit=40)


def _candidates(layout: Layout, tolerant: bool) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for spec in BODY_FIELDS:
        names = {spec.label, spec.id, layout.label(spec.id)}
        if tolerant:
            names |= set(_SYNONYMS.get(spec.id, ()))
        out[spec.id] = {_norm(n) for n in names}
    return out


def _match_one(label: str, layout: Layout, candidates: dict[str, set[str]],
               tolerant: bool) -> list[str]:
    exact = [fid for fid in candidates if layout.label(fid).casefold() == label.casefold()]
    if exact:
        return exact
    key = _norm(label)
    by_name = [fid for fid, names in candidates.items() if key in names]
    if by_name or not tolerant:
        return by_name
    close = [fid for fid, names in candidates.items()
             if any(difflib.SequenceMatcher(None, key, n).ratio() >= 0.88 for n in names)]
    return close


def match_labels(labels: tuple[str, ...] | list[str], layout: Layout, *,
                 tolerant: bool = True) -> LabelMatch:
    """Map the labels of a body to template field ids, refusing to guess between two.

    ``tolerant`` also accepts synonyms and small misspellings (for the configured note type);
    otherwise a label must be a template field's label or id (case and spacing aside).
    """
    candidates = _candidates(layout, tolerant)
    found: dict[str, list[str]] = {}
    unknown: list[str] = []
    ambiguous: list[str] = []
    for label in labels:
        hits = _match_one(label, layout, candidates, tolerant)
        if len(hits) == 1:
            found.setdefault(hits[0], []).append(label)
        elif hits:
            ambiguous.append(f"{shown_label(label)} could be {' or '.join(hits)}")
        else:
            unknown.append(label)
    mapping: dict[str, str] = {}
    for fid, its_labels in found.items():
        if len(its_labels) > 1:
            ambiguous.append(f"{fid} appears as {', '.join(shown_label(x) for x in its_labels)}")
        else:
            mapping[fid] = its_labels[0]
    return LabelMatch(mapping, tuple(unknown), tuple(ambiguous))


def decode_value(spec: FieldSpec, raw: str) -> str:
    """A field's text as the model reads it: trimmed, unescaped if we escaped it, unset
    dates empty."""
    text = raw.strip()
    if text.startswith(ESCAPE_MARK):
        return _unescape(text[len(ESCAPE_MARK):])
    if spec.is_date and not text.replace(",", "").strip():
        return ""
    return text


def _joined(parsed: ParsedNote, layout: Layout, tolerant: bool) -> list[tuple[str, str]]:
    """The fields, with the lines of a multi-line Notes-type field put back together.

    LastPass writes such a field over several lines; a line of it that holds a colon looks
    like a field of its own. A field whose label is no template label, after a Notes-type
    field that is not one of our escaped one-line values, is therefore a line of that field.
    """
    candidates = _candidates(layout, tolerant)
    out: list[list[str]] = []
    open_notes = False
    for (label, value), raw in zip(parsed.fields, parsed.raw, strict=True):
        hits = _match_one(label, layout, candidates, tolerant)
        if not hits and open_notes:
            out[-1][1] += "\n" + raw
            continue
        out.append([label, value])
        open_notes = (len(hits) == 1 and FIELDS[hits[0]].lastpass_type is LastPassType.NOTES
                      and not value.strip().startswith(ESCAPE_MARK))
    return [(k, val) for k, val in out]


@dataclass(frozen=True)
class NoteValues:
    """Template field values (text) read from one body, with what did not fit."""

    values: dict[str, str]
    labels: dict[str, str]
    unknown: tuple[str, ...]
    ambiguous: tuple[str, ...]
    extra: tuple[tuple[str, str], ...] = ()  # the unknown fields with their values


def note_values(parsed: ParsedNote, layout: Layout, *, tolerant: bool = True) -> NoteValues:
    fields = _joined(parsed, layout, tolerant)
    match = match_labels([label for label, _ in fields], layout, tolerant=tolerant)
    raw = {label: value for label, value in reversed(fields)}
    values = {fid: decode_value(FIELDS[fid], raw[label]) for fid, label in match.labels.items()}
    if parsed.notes is not None:
        values["notes"] = parsed.notes
    extra = tuple((label, raw[label]) for label in dict.fromkeys(match.unknown))
    return NoteValues(values, match.labels, match.unknown, match.ambiguous, extra)
