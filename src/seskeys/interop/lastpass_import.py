"""Importing a LastPass CSV export into the vault, row by row, and exporting the vault to one.

Every row gets one outcome: imported, already in the vault, skipped (not an SES key), needs
review (recognised but not mappable without a person), or invalid (a value breaks a rule).
Rows are planned first and written together in one transaction; a row is written whole or
not at all, a key already in the vault (same access key id) is never written twice, and with
``strict`` any invalid or review row stops the whole import before anything is written.
"""

from __future__ import annotations

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
from seskeys.interop.records import build_record, differences, infer_status
from seskeys.model import KeyRecord, Status
from seskeys.redact import mask_key_id
from seskeys.smtp import smtp_password_version
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
    """What earlier rows of the same file claimed: access key ids and live key names."""

    keys: dict[str, int] = field(default_factory=dict)
    names: dict[str, int] = field(default_factory=dict)


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


def _values(row: Row, parsed: note.ParsedNote, layout: note.Layout, ticket: str
            ) -> tuple[dict[str, str], list[str], list[str]]:
    found = note.note_values(parsed, layout)
    values = dict(found.values)
    warnings: list[str] = []
    problems = list(found.ambiguous)
    if layout.note_type and parsed.note_type != layout.note_type:
        warnings.append(f"{parsed.note_type} is not the configured {layout.note_type}; "
                        "fields matched by label")
    if found.unknown:
        extra = [f"{label}: {parsed.value(label) or ''}".rstrip() for label in found.unknown]
        values["notes"] = "\n".join(filter(None, (values.get("notes"), *extra)))
        warnings.append("fields not in the template kept in Notes: " + ", ".join(found.unknown))
    if not values.get("key_name"):
        values["key_name"] = row.name.strip()
    if not values.get("creation_ticket"):
        values["creation_ticket"] = ticket
        warnings.append("no Creation Ticket: the import ticket was recorded as creation ticket")
    return values, warnings, problems


def _plan_custom(row: Row, parsed: note.ParsedNote, layout: note.Layout, vault: Vault,
                 ticket: str, today: date, state: _State) -> _Plan:
    kind = _kind(row, parsed)
    values, warnings, problems = _values(row, parsed, layout, ticket)
    base = RowResult(row.line, row.name, kind, Outcome.REVIEW,
                     key_name=values.get("key_name") or None,
                     access_key_id=mask_key_id(values.get("access_key_id", "")))

    def result(outcome: Outcome, reason: str) -> _Plan:
        return _Plan(replace(base, outcome=outcome, reason=reason, warnings=tuple(warnings)))

    if not values.get("access_key_id"):
        return result(Outcome.SKIPPED, f"{kind} has no Access Key ID field")
    if problems:
        return result(Outcome.REVIEW, "labels do not map: " + "; ".join(problems))
    status = infer_status(values)
    if status is None or (status is Status.ACTIVE and not values.get("secret_access_key")):
        return result(Outcome.REVIEW, "an active key without its Secret Access Key (was the "
                                      "file exported without secrets?)")
    if not values.get("created_on"):
        return result(Outcome.REVIEW, "no Creation Date")
    try:
        built = build_record(values, vault, status=status)
    except ValidationFailed as exc:
        return result(Outcome.INVALID, exc.message)
    warnings += built.warnings
    record = built.record
    if record.created_on > today:
        return result(Outcome.INVALID, "the creation date is in the future")
    return _dedupe(record, vault, state, row.line, result)


def _dedupe(record: KeyRecord, vault: Vault, state: _State, line: int, result: _Result
            ) -> _Plan:
    if record.access_key_id in state.keys:
        return result(Outcome.ALREADY,
                      f"same access key as line {state.keys[record.access_key_id]}")
    existing = vault.by_access_key_id(record.access_key_id)
    if existing:
        best = max(existing, key=lambda r: (not r.revoked, r.version))
        changed = differences(best, record)
        if not changed:
            return result(Outcome.ALREADY, f"already recorded as {best.key_name!r}")
        return result(Outcome.REVIEW, f"already recorded as {best.key_name!r} with other "
                                      f"values in: {', '.join(changed)}")
    name = record.key_name.casefold()
    if not record.revoked:
        if name in state.names:
            return result(Outcome.REVIEW, f"key name also used by line {state.names[name]}")
        if any(not r.revoked for r in vault.by_name(record.key_name)):
            return result(Outcome.REVIEW, "key name already used by a live record")
        state.names[name] = line
    state.keys[record.access_key_id] = line
    plan = result(Outcome.IMPORTED, "")
    plan.record = record
    return plan


def plan_row(row: Row, layout: note.Layout, vault: Vault, *, ticket: str, today: date,
             state: _State) -> _Plan:
    parsed = note.parse(row.extra) if row.url == SECURE_NOTE_URL else note.parse("")
    kind = _kind(row, parsed)
    if row.problem:
        return _Plan(RowResult(row.line, row.name, kind, Outcome.INVALID, row.problem))
    warnings = ("values look HTML-escaped (&amp; …); if the file came from LastPass's "
                "printed export, use --decode-html-entities",) if row.entities else ()
    if parsed.note_type and note.CUSTOM_TYPE.fullmatch(parsed.note_type):
        plan = _plan_custom(row, parsed, layout, vault, ticket, today, state)
    else:
        plan = _recognised_credentials(row, parsed, kind) or _Plan(RowResult(
            row.line, row.name, kind, Outcome.SKIPPED, f"{kind}, not an SES key record"))
    plan.result = replace(plan.result, warnings=plan.result.warnings + warnings)
    return plan


def import_rows(rows: Sequence[Row], vault: Vault, actor: lifecycle.Actor, *,
                layout: note.Layout, ticket: str, dry_run: bool = False,
                strict: bool = False, source: str = "lastpass-csv") -> ImportReport:
    """Plan every row, then write the importable ones in one transaction (unless dry run)."""
    ticket = actor.ticket(ticket)
    state = _State()
    plans = [plan_row(row, layout, vault, ticket=ticket, today=actor.today, state=state)
             for row in rows]
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
