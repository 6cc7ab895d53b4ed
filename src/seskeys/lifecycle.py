"""The ticketed key lifecycle: add, edit, rotate, revoke, reveal. Every change is one commit
of the record(s) and their event; nothing is written when a rule fails.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import SecretStr

from seskeys import model
from seskeys import validators as v
from seskeys.errors import Conflict, InputError, IntegrityError, NotFound, ValidationFailed
from seskeys.events import Action, Change, EventDraft
from seskeys.model import KeyRecord, Status
from seskeys.redact import mask_key_id
from seskeys.rotation_state import BEFORE_SWITCH
from seskeys.smtp import all_smtp_passwords, derive_v4
from seskeys.template import FIELDS, SECRET_FIELDS
from seskeys.vault import Change as VaultChange
from seskeys.vault import Vault

_STORAGE_OWNED = {"id", "version", "fingerprints"}
# Ticket fields are checked against the ticket pattern wherever they are set.
_TICKET_FIELDS = ("creation_ticket", "revocation_ticket")
# Fields a user may not set through `edit`: derived, storage-owned or changed by another verb.
_NOT_EDITABLE = {"smtp_password", "status", "id", "version", "fingerprints",
                 "secret_access_key", "access_key_id"}
_EDIT_HINTS = {
    "access_key_id": "A new access key is a new record: `seskeys rotate NAME --ticket T` "
                     "records it and revokes this one.",
    "secret_access_key": "A secret comes from `seskeys edit NAME --secret-stdin`.",
    "smtp_password": "The SMTP password is derived from the secret for the SES region.",
    "status": "Status changes through `seskeys revoke` and `seskeys rotate`.",
    "*": "Ids, versions and fingerprints are kept by seskeys.",
}


@dataclass(frozen=True)
class Actor:
    """Who acts, under which ticket rules, on which day."""

    name: str
    today: date
    ticket_pattern: str = r"\S.*"

    def ticket(self, value: str | None, field_id: str = "ticket") -> str:
        return v.ticket(value or "", self.ticket_pattern, field_id=field_id)


def find(vault: Vault, name: str) -> KeyRecord:
    """The record a user means by NAME: a key name (live record first) or an access key id."""
    name = name.strip()
    candidates = (vault.by_access_key_id(name) if v.ACCESS_KEY_ID.fullmatch(name)
                  else vault.by_name(name))
    if not candidates:  # a miss is rare: prove no row was removed and no index damaged
        wanted = name.casefold()
        if any(s.access_key_id == name or s.key_name.strip().casefold() == wanted
               for s in vault.summaries()):
            raise IntegrityError(f"the vault's index does not find {v.shown(name)}, but a "
                                 "record holds it: the index is damaged")
        raise NotFound(f"no record named {v.shown(name)}",
                       hint="`seskeys list` shows the key names")
    # The record holding the name first; a retiring one (mid-rotation) only when none does.
    for live in ([r for r in candidates if r.status.holds_name],
                 [r for r in candidates if not r.revoked]):
        if len(live) == 1:
            return live[0]
        if len(live) > 1:
            raise Conflict(f"{len(live)} live records hold {name!r}",
                           hint="name the record by its access key id")
    return max(candidates, key=lambda r: (r.revoked_on or r.created_on, r.version))


def fingerprints(vault: Vault, secret: str | None) -> tuple[str, ...]:
    """Keyed fingerprints of a secret and every SMTP password it yields (v4 per region, v2)."""
    if not secret:
        return ()
    return tuple(vault.fingerprint(value) for value in (secret, *all_smtp_passwords(secret)))


def _with_derived(record: KeyRecord, vault: Vault) -> KeyRecord:
    secret = record.secret()
    smtp = derive_v4(secret, record.ses_region) if secret and record.ses_region else None
    return record.model_copy(update={
        "smtp_password": SecretStr(smtp) if smtp else None,
        "fingerprints": tuple(dict.fromkeys(
            (*record.fingerprints, *fingerprints(vault, secret)))),
    })


def describe_changes(before: KeyRecord | None, after: KeyRecord) -> tuple[Change, ...]:
    """Field-level changes for the log; secret fields are named, never valued."""
    out = []
    for fid in FIELDS:
        old = before.field_value(fid) if before else None
        new = after.field_value(fid)
        if old == new or (before is None and new in (None, (), "")):
            continue
        if fid in SECRET_FIELDS:
            out.append(Change(field=fid, secret=True))
        else:
            out.append(Change(field=fid, old=_plain(old), new=_plain(new)))
    return tuple(out)


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


def _refuse_live_duplicate(vault: Vault, access_key_id: str, except_id: str | None = None
                           ) -> None:
    for other in vault.by_access_key_id(access_key_id):
        if not other.revoked and other.id != except_id:
            raise Conflict(f"access key {mask_key_id(access_key_id)} is already recorded as "
                           f"{other.key_name!r}")


def _not_in_future(record: KeyRecord, today: date) -> None:
    if record.created_on > today:
        raise ValidationFailed("created_on: the creation date is in the future")
    if record.revoked_on and record.revoked_on > today:
        raise ValidationFailed("revoked_on: the revocation date is in the future")


def add(vault: Vault, raw: Mapping[str, Any], actor: Actor, *,
        action: str = Action.ADD) -> KeyRecord:
    values = {k: val for k, val in raw.items() if val not in (None, "", ())}
    storage_owned = sorted(set(values) & _STORAGE_OWNED)
    if storage_owned:  # an "id" would overwrite the record that has it
        raise InputError(f"{', '.join(storage_owned)} cannot be supplied; the vault sets them")
    values["creation_ticket"] = actor.ticket(values.get("creation_ticket"), "creation_ticket")
    values.setdefault("created_on", actor.today)
    if "smtp_password" in values:
        raise InputError("smtp_password is derived from the secret; do not supply it")
    record = model.build(values)
    if record.revoked or record.status is Status.RETIRING:
        raise InputError("add records a live key (active or inactive)")
    if record.status is Status.ACTIVE and record.secret_access_key is None:
        raise ValidationFailed("secret_access_key: required for an active key",
                               hint="pass it with --secret-stdin or at the prompt")
    _not_in_future(record, actor.today)
    _refuse_live_duplicate(vault, record.access_key_id)
    record = _with_derived(record, vault)
    draft = EventDraft(action=action, actor=actor.name, ticket=record.creation_ticket,
                       record_id=record.id, key_name=record.key_name,
                       changes=describe_changes(None, record))
    stored, _ = vault.commit(VaultChange([record], draft))
    return stored[0]


def edit(vault: Vault, name: str, changes: Mapping[str, Any], actor: Actor, *,
         ticket: str, secret: str | None = None) -> KeyRecord:
    ticket = actor.ticket(ticket)
    record = find(vault, name)
    refused = sorted(set(changes) & _NOT_EDITABLE)
    if refused:
        raise InputError(f"cannot edit {', '.join(refused)} with --set",
                         hint=" ".join(_EDIT_HINTS.get(f, _EDIT_HINTS["*"]) for f in
                                       dict.fromkeys(f if f in _EDIT_HINTS else "*"
                                                     for f in refused)))
    if record.revoked and set(changes) - {"revocation_ticket", "revocation_reason", "revoked_on",
                                          "notes", "creation_ticket"}:
        raise InputError(f"{record.key_name!r} is revoked; only its revocation fields, creation "
                         "ticket and notes can change")
    updates: dict[str, Any] = dict(changes)
    for fid in _TICKET_FIELDS:
        if fid in updates:
            updates[fid] = actor.ticket(updates[fid], fid)
    if record.revoked:
        blank = [f for f in ("revocation_reason", "revoked_on")
                 if f in updates and not str(updates[f]).strip()]
        if blank:
            raise ValidationFailed(f"{', '.join(blank)}: required for a revoked record")
    if secret is not None:
        updates["secret_access_key"] = secret
    updated = _with_derived(model.replace(record, updates), vault)
    _not_in_future(updated, actor.today)
    diff = describe_changes(record, updated)
    if not diff:
        raise InputError("nothing to change: the values are the ones stored")
    draft = EventDraft(action=Action.EDIT, actor=actor.name, ticket=ticket,
                       record_id=record.id, key_name=updated.key_name, changes=diff)
    stored, _ = vault.commit(VaultChange([updated], draft))
    return stored[0]


def revoked_copy(record: KeyRecord, vault: Vault, *, ticket: str, reason: str, on: date
                 ) -> KeyRecord:
    """The record revoked: secret purged, fingerprints kept, revocation fields filled."""
    if record.revoked:
        raise Conflict(f"{record.key_name!r} is already revoked")
    if record.rotation is not None and record.rotation.step in BEFORE_SWITCH:
        raise Conflict(f"{record.key_name!r} has an AWS key rotation in progress whose new key "
                       "is not switched in yet; revoking here would lose that key",
                       hint="use `seskeys aws revoke`, or finish the rotation with "
                            "`seskeys aws rotate --resume` first")
    if on < record.created_on:
        raise ValidationFailed("revoked_on: the revocation date is before the creation date")
    reason = v.no_secret_in("revocation_reason",
                            v.no_control_characters("revocation_reason", reason.strip()))
    if not reason:
        raise ValidationFailed("revocation_reason: a reason is required")
    kept = _with_derived(record, vault)
    return kept.model_copy(update={
        "status": Status.REVOKED, "revoked_on": on, "revocation_ticket": ticket,
        "revocation_reason": reason, "secret_access_key": None, "smtp_password": None,
        "rotation": None})


def revoke(vault: Vault, name: str, actor: Actor, *, ticket: str, reason: str,
           on: date | None = None) -> KeyRecord:
    ticket = actor.ticket(ticket, "revocation_ticket")
    record = find(vault, name)
    revoked = revoked_copy(record, vault, ticket=ticket, reason=reason, on=on or actor.today)
    model.check_invariants(revoked)
    _not_in_future(revoked, actor.today)
    draft = EventDraft(action=Action.REVOKE, actor=actor.name, ticket=ticket,
                       record_id=record.id, key_name=record.key_name,
                       changes=describe_changes(record, revoked))
    stored, _ = vault.commit(VaultChange([revoked], draft))
    return stored[0]


def rotate(vault: Vault, name: str, actor: Actor, *, ticket: str, access_key_id: str,
           secret: str, key_name: str | None = None,
           overrides: Mapping[str, Any] | None = None) -> tuple[KeyRecord, KeyRecord]:
    """Record a replacement key supplied by the user and revoke the old one, linked both ways."""
    ticket = actor.ticket(ticket)
    old = find(vault, name)
    if old.revoked:
        raise Conflict(f"{old.key_name!r} is revoked; there is nothing to rotate")
    access_key_id = v.access_key_id(access_key_id)
    if access_key_id == old.access_key_id:
        raise InputError("the new access key id is the old one")
    _refuse_live_duplicate(vault, access_key_id, except_id=old.id)
    carried = {fid: old.field_value(fid) for fid in FIELDS
               if fid not in {"secret_access_key", "smtp_password", "created_on",
                              "creation_ticket", "revoked_on", "revocation_ticket",
                              "revocation_reason", "replaces", "replaced_by", "status",
                              "access_key_id", "key_name"}}
    new = _with_derived(model.build({
        **{k: val for k, val in carried.items() if val not in (None, ())},
        **dict(overrides or {}),
        "key_name": key_name or old.key_name, "access_key_id": access_key_id,
        "secret_access_key": secret, "created_on": actor.today, "creation_ticket": ticket,
        "replaces": old.access_key_id, "status": Status.ACTIVE,
    }), vault)
    retired = revoked_copy(old, vault, ticket=ticket, reason="rotated", on=actor.today)
    retired = retired.model_copy(update={"replaced_by": new.access_key_id})
    model.check_invariants(retired)
    draft = EventDraft(action=Action.ROTATE, actor=actor.name, ticket=ticket, record_id=new.id,
                       key_name=new.key_name,
                       changes=(*describe_changes(old, retired), *describe_changes(None, new)),
                       detail=f"{mask_key_id(old.access_key_id)} -> "
                              f"{mask_key_id(new.access_key_id)}")
    stored, _ = vault.commit(VaultChange([retired, new], draft))
    return stored[0], stored[1]


def reveal(vault: Vault, name: str, actor: Actor, fields: Iterable[str], *,
           action: str = Action.REVEAL) -> tuple[KeyRecord, dict[str, str | None]]:
    """Secret values of a record; the reveal (or copy) is logged before they are returned."""
    record = find(vault, name)
    wanted = list(fields)
    unknown = [f for f in wanted if f not in FIELDS]
    if unknown:
        raise InputError(f"unknown field(s): {', '.join(unknown)}")
    values = {f: (record.secret(f) if f in SECRET_FIELDS else _display(record, f))
              for f in wanted}
    secret_fields = [f for f in wanted if f in SECRET_FIELDS and values[f]]
    if secret_fields:  # nothing is logged when no secret value is handed out
        vault.log(EventDraft(action=action, actor=actor.name, record_id=record.id,
                             key_name=record.key_name,
                             changes=tuple(Change(field=f, secret=True) for f in secret_fields)))
    return record, values


def _display(record: KeyRecord, field_id: str) -> str | None:
    value = record.field_value(field_id)
    if value is None:
        return None
    if isinstance(value, tuple):
        return ", ".join(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def parse_assignments(pairs: Iterable[str]) -> dict[str, str]:
    """``field=value`` pairs from ``--set``; the field must be a template field id."""
    out: dict[str, str] = {}
    for pair in pairs:
        match = re.fullmatch(r"\s*([a-z_]+)\s*=(.*)", pair, flags=re.S)
        if not match:
            raise InputError(f"--set expects field=value, got {pair.split('=')[0][:30]!r}")
        fid, value = match.groups()
        if fid not in FIELDS:
            raise InputError(f"unknown field {fid!r}",
                             hint="field ids: " + ", ".join(FIELDS))
        out[fid] = value
    return out


def rotation_chain(vault: Vault, record: KeyRecord) -> list[KeyRecord]:
    """The record and every predecessor and successor linked by replaces/replaced_by."""
    chain = {record.id: record}
    frontier = [record]
    while frontier:
        current = frontier.pop()
        for link in (current.replaces, current.replaced_by):
            for other in vault.by_access_key_id(link) if link else []:
                if other.id not in chain:
                    chain[other.id] = other
                    frontier.append(other)
    return sorted(chain.values(), key=lambda r: (r.created_on, r.version))
