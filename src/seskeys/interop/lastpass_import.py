"""Importing a LastPass CSV export into the vault, row by row, and exporting the vault to one.

Every row gets one outcome: imported, already in the vault, skipped (not an SES key), needs
review (recognised but not mappable without a person), or invalid (a value breaks a rule).
Rows are planned first and written together in one transaction; a row is written whole or
not at all, a key already in the vault (same access key id) is never written twice, and with
``strict`` any invalid or review row stops the whole import before anything is written.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum

from seskeys import lifecycle
from seskeys import validators as v
from seskeys.errors import InputError, ValidationFailed
from seskeys.events import Action, EventDraft
from seskeys.interop import lastpass_note as note
from seskeys.interop.lastpass_csv import SECURE_NOTE_URL, Header, Row
from seskeys.interop.lastpass_csv import write as write_csv
from seskeys.interop.records import NeedsReview, differences, read_record
from seskeys.model import KeyRecord, Status
from seskeys.redact import mask_key_id
from seskeys.smtp import smtp_password_version
from seskeys.template import SECRET_FIELDS
from seskeys.vault import Change, Vault


class Outcome(StrEnum):
    IMPORTED = "imported"
    ALREADY = "already in vault"
    SKIPPED = "skipped"
    REVIEW = "needs review"
    INVALID = "invalid"

    @property
    def bad(self) -> bool:
        return self in (Outcome.REVIEW, Outcome.INVALID)


@dataclass(frozen=True)
class RowResult:
    line: int
    name: str
    kind: str
    outcome: Outcome
    reason: str = ""
    key_name: str | None = None
    access_key_id: str = ""  # masked
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class ImportReport:
    rows: tuple[RowResult, ...]
    written: bool
    dry_run: bool
    strict: bool

    def count(self, outcome: Outcome) -> int:
        return sum(1 for r in self.rows if r.outcome is outcome)

    @property
    def bad(self) -> int:
        return sum(1 for r in self.rows if r.outcome.bad)

    def summary(self) -> dict[str, int]:
        return {o.value: self.count(o) for o in Outcome}


@dataclass
class _Plan:
    result: RowResult
    record: KeyRecord | None = None


_Result = Callable[[Outcome, str], _Plan]


@dataclass
class _State:
    """What earlier rows of the same file claimed (access key ids and live key names), and
    the key names live records of the vault hold, read once for the whole file."""

    keys: dict[str, tuple[int, KeyRecord]] = field(default_factory=dict)
    names: dict[str, int] = field(default_factory=dict)
    live_in_vault: frozenset[str] = frozenset()


def _kind(row: Row, parsed: note.ParsedNote) -> str:
    if row.url != SECURE_NOTE_URL:
        return "site login"
    if parsed.note_type is None:
        return "secure note"
    return f"{parsed.note_type} note"


def _recognised_credentials(row: Row, parsed: note.ParsedNote, kind: str) -> _Plan | None:
    """An SES key kept outside our template (Server, Email, site login): say what it is."""
    if row.url == SECURE_NOTE_URL:
        user = parsed.value("Username") or ""
        password = parsed.value("Password") or ""
        host = " ".join(filter(None, (parsed.value("Hostname"), parsed.value("SMTP Server"),
                                      parsed.value("Server"))))
    else:
        user, password, host = row.username, row.password, row.url
    user, password = user.strip(), password.strip()
    if not v.ACCESS_KEY_ID.fullmatch(user):
        return None
    if smtp_password_version(password):
        what = "SES SMTP credentials (an SMTP password, from which the secret cannot be " \
               "recovered)"
    elif v.SECRET_KEY.fullmatch(password):
        what = "an access key with its secret"
    else:
        what = "an access key id"
    where = f" for {host.strip()}" if "amazonaws.com" in host else ""
    return _Plan(RowResult(row.line, row.name, kind, Outcome.REVIEW,
                           f"{what}{where} in a {kind}; Purpose, Client and Creation Date are "
                           "not there to map; add it with `seskeys add`",
                           access_key_id=mask_key_id(user)))


_KEY_ID_ANYWHERE = re.compile(r"(?<![A-Z0-9])AKIA[A-Z2-7]{16}(?![A-Z0-9])")
_SES_SMTP_HOST = re.compile(r"email-smtp(-fips)?\.[a-z0-9-]+\.amazonaws\.com", re.IGNORECASE)


def _credentials_anywhere(row: Row) -> str | None:
    """What an item outside the template holds that looks like SES credentials (never the
    value itself): an item of any kind with a key id, a secret, an SMTP password or an SES
    SMTP host is for a person to look at, not to skip."""
    text = "\n".join((row.name, row.url, row.username, row.password, row.extra))
    found = [what for what, hit in (
        ("an access key id", _KEY_ID_ANYWHERE.search(text)),
        ("a secret access key or SMTP password", v.looks_like_secret(text)),
        ("an SES SMTP endpoint", _SES_SMTP_HOST.search(text))) if hit]
    return " and ".join(found) if found else None


def _ours(parsed: note.ParsedNote, layout: note.Layout) -> bool:
    """Whether the row is of the configured note type (labels then matched tolerantly)."""
    return layout.note_type is not None and parsed.note_type == layout.note_type


@dataclass(frozen=True)
class _Mapped:
    values: dict[str, str]
    has_key_field: bool
    warnings: tuple[str, ...]
    problems: tuple[str, ...]


def _values(row: Row, parsed: note.ParsedNote, layout: note.Layout) -> _Mapped:
    ours = _ours(parsed, layout)
    found = note.note_values(parsed, layout, tolerant=ours)
    values = dict(found.values)
    warnings: list[str] = []
    problems = list(found.ambiguous)
    unknown = ", ".join(note.shown_label(label) for label in found.unknown)
    if ours and found.extra:
        extra = [f"{label}:{value}" for label, value in found.extra]  # as they stood
        values["notes"] = "\n".join(filter(None, (values.get("notes"), *extra)))
        warnings.append(f"fields not in the template kept in Notes: {unknown}")
    elif found.extra:
        why = (f"not the configured {layout.note_type}, so labels must be the template's own"
               if layout.note_type else "set the note type (--note-type) to read the labels "
               "of your own template")
        problems.append(f"labels that are not the template's: {unknown} ({why})")
    elif layout.note_type and not ours:
        warnings.append(f"{parsed.note_type} is not the configured {layout.note_type}; its "
                        "labels are the template's own, so it was read as the template")
    if not values.get("key_name"):
        values["key_name"] = row.name.strip()
    return _Mapped(values, "access_key_id" in found.labels, tuple(warnings), tuple(problems))


def _plan_custom(row: Row, parsed: note.ParsedNote, layout: note.Layout, vault: Vault,
                 today: date, state: _State) -> _Plan:
    kind = _kind(row, parsed)
    mapped = _values(row, parsed, layout)
    values = mapped.values
    base = RowResult(row.line, row.name, kind, Outcome.REVIEW,
                     key_name=values.get("key_name") or None,
                     access_key_id=mask_key_id(values.get("access_key_id", "")))
    warnings = list(mapped.warnings)

    def result(outcome: Outcome, reason: str) -> _Plan:
        shown = () if outcome is Outcome.SKIPPED else tuple(warnings)
        return _Plan(replace(base, outcome=outcome, reason=reason, warnings=shown))

    if not mapped.has_key_field:
        if any(v.ACCESS_KEY_ID.fullmatch(text.strip()) for _, text in parsed.fields):
            return result(Outcome.REVIEW, f"an access key id in a {kind} without the "
                          "template's Access Key ID field; "
                          + "; ".join(mapped.problems or ("labels do not map",)))
        return _unmapped(row, kind, "no Access Key ID field")
    if not values.get("access_key_id", "").strip():
        return _unmapped(row, kind, "an empty Access Key ID")
    if mapped.problems:
        return result(Outcome.REVIEW, "labels do not map: " + "; ".join(mapped.problems))
    try:
        built = read_record(values, vault, today=today)
    except NeedsReview as exc:
        return result(Outcome.REVIEW, exc.message)
    except ValidationFailed as exc:
        return result(Outcome.INVALID, exc.message)
    warnings += built.warnings
    if not built.record.creation_ticket:
        warnings.append("no Creation Ticket: recorded without one (`seskeys check` reports "
                        "it); the import ticket is kept in the import event")
    return _dedupe(built.record, vault, state, row.line, result)


def _dedupe(record: KeyRecord, vault: Vault, state: _State, line: int, result: _Result
            ) -> _Plan:
    if record.access_key_id in state.keys:
        line_before, before = state.keys[record.access_key_id]
        changed = differences(before, record)
        if not changed:
            return result(Outcome.SKIPPED, f"the same key as line {line_before}, again")
        return result(Outcome.REVIEW, f"line {line_before} holds the same access key with "
                                      f"other values in: {', '.join(changed)}")
    existing = vault.by_access_key_id(record.access_key_id)
    if existing:
        best = max(existing, key=lambda r: (not r.revoked, r.version))
        changed = differences(best, record)
        no_secret = record.secret() is None and best.secret() is not None
        if no_secret:  # an export without secrets: its other values still say whether it is
            changed = [f for f in changed if f not in SECRET_FIELDS]
        if not changed:
            return result(Outcome.ALREADY, f"already recorded as {best.key_name!r}"
                          + (" (the row holds no secret)" if no_secret else ""))
        return result(Outcome.REVIEW, f"already recorded as {best.key_name!r} with other "
                                      f"values in: {', '.join(changed)}")
    name = record.key_name.casefold()
    if not record.revoked:
        if name in state.names:
            return result(Outcome.REVIEW, f"key name also used by line {state.names[name]}")
        if name in state.live_in_vault:
            return result(Outcome.REVIEW, "key name already used by a live record")
        state.names[name] = line
    state.keys[record.access_key_id] = (line, record)
    plan = result(Outcome.IMPORTED, "")
    plan.record = record
    return plan


def _unmapped(row: Row, kind: str, why: str = "not an SES key record") -> _Plan:
    """Skipped, unless it holds something that looks like SES credentials: then review."""
    held = _credentials_anywhere(row)
    if held:
        return _Plan(RowResult(row.line, row.name, kind, Outcome.REVIEW,
                               f"{held} in a {kind} that does not map to the template; "
                               "add the key with `seskeys add` (or fix the item and import "
                               "again)"))
    return _Plan(RowResult(row.line, row.name, kind, Outcome.SKIPPED, f"{kind}, {why}"))


def plan_row(row: Row, layout: note.Layout, vault: Vault, *, today: date,
             state: _State) -> _Plan:
    parsed = note.parse(row.extra) if row.url == SECURE_NOTE_URL else note.parse("")
    kind = _kind(row, parsed)
    if row.problem:
        return _Plan(RowResult(row.line, row.name, kind, Outcome.INVALID, row.problem))
    if parsed.problem:
        return _Plan(RowResult(row.line, row.name, kind, Outcome.REVIEW, parsed.problem))
    warnings = ("values look HTML-escaped (&amp; …); if the file came from LastPass's "
                "printed export, use --decode-html-entities",) if row.entities else ()
    if parsed.note_type and note.CUSTOM_TYPE.fullmatch(parsed.note_type):
        plan = _plan_custom(row, parsed, layout, vault, today, state)
    else:
        plan = _recognised_credentials(row, parsed, kind) or _unmapped(row, kind)
    plan.result = replace(plan.result, warnings=plan.result.warnings + warnings)
    return plan


def import_rows(rows: Sequence[Row], vault: Vault, actor: lifecycle.Actor, *,
                layout: note.Layout, ticket: str, dry_run: bool = False,
                strict: bool = False, source: str = "lastpass-csv") -> ImportReport:
    """Plan every row, then write the importable ones in one transaction (unless dry run)."""
    ticket = actor.ticket(ticket)
    state = _State(live_in_vault=frozenset(
        s.key_name.casefold() for s in vault.summaries() if s.status is not Status.REVOKED))
    plans = [plan_row(row, layout, vault, today=actor.today, state=state) for row in rows]
    results = tuple(p.result for p in plans)
    if strict and any(r.outcome.bad for r in results):
        return ImportReport(results, written=False, dry_run=dry_run, strict=True)
    changes = [Change([p.record], EventDraft(
        action=Action.IMPORT, actor=actor.name, ticket=ticket, record_id=p.record.id,
        key_name=p.record.key_name, changes=lifecycle.describe_changes(None, p.record),
        detail=f"{source} line {p.result.line}")) for p in plans if p.record is not None]
    if changes and not dry_run:
        vault.commit_many(changes)
    return ImportReport(results, written=bool(changes) and not dry_run, dry_run=dry_run,
                        strict=strict)


def export_records(records: Iterable[KeyRecord], layout: note.Layout, *,
                   include_secrets: bool, header: Header, folder: str) -> tuple[str, int]:
    """The CSV text and how many records it holds, sorted by client and key name."""
    chosen = sorted(records, key=lambda r: (r.client.casefold(), r.key_name.casefold(),
                                            r.created_on))
    if not chosen:
        raise InputError("the vault holds no records to export")
    return write_csv(chosen, layout, include_secrets=include_secrets, header=header,
                     folder=folder), len(chosen)
