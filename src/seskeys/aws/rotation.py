"""AWS key rotation as a state machine persisted in the vault, step by step.

    preflight -> intent (creating) -> create in AWS -> store in the vault (created) -> verify with
    a call signed by the new key (verified) -> switch the records (old one retiring) ->
    deactivate the old key after checking its last use (deactivated) -> after N days delete it
    and record the revocation.

Every step is one vault commit (the state change and its log event, atomically), and every AWS
change is idempotent, so a run killed anywhere is completed by ``resume``:
  * the intent is committed *before* the key is created, naming the keys the user held then, so
    a key created by a run that died before storing it (its secret lost) is recognised as ours
    and deleted; a stored key is always switched in or deleted by ``abort``;
  * the old key stays active until the new one is verified and switched in;
  * old and new keys are told apart by the vault and create dates, never by list order.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from pydantic import SecretStr

from seskeys import lifecycle, model
from seskeys.aws import keys
from seskeys.aws.keys import AwsDeps, LiveKey
from seskeys.errors import Conflict, ExternalError, InputError, NotFound
from seskeys.events import Action, EventDraft
from seskeys.lifecycle import Actor
from seskeys.model import KeyRecord, Status
from seskeys.redact import mask_key_id
from seskeys.rotation_state import BEFORE_SWITCH, Rotation, RotationStep
from seskeys.smtp import derive_v4
from seskeys.template import FIELDS
from seskeys.vault import Change, Vault

# Step boundaries, in order; ``AwsDeps.on_step`` is called with each name.
STEPS = ("preflight", "intent", "created", "stored", "verified", "switched", "deactivated",
         "deleted")
# A key created at most this long before the intent was committed is still "ours" (clock skew).
ORPHAN_SLACK = timedelta(minutes=5)
_NOT_CARRIED = {"secret_access_key", "smtp_password", "created_on", "creation_ticket",
                "revoked_on", "revocation_ticket", "revocation_reason", "replaces",
                "replaced_by", "status", "access_key_id", "key_name", "iam_user"}


@dataclass(frozen=True)
class RotateOptions:
    ticket: str
    deactivate_old: bool = False
    delete_after_days: int = 7
    delete_inactive_unknown: bool = False


@dataclass
class RotationReport:
    """What a run did, for the summary; the vault's log holds the same, durably."""

    key_name: str
    old_key_id: str
    new_key_id: str | None = None
    state: str = ""
    actions: list[str] = field(default_factory=list)
    next_step: str | None = None


@dataclass(frozen=True)
class _Plan:
    user: str
    delete_first: tuple[LiveKey, ...]
    known_keys: tuple[str, ...]


# -- vault writes ----------------------------------------------------------------------------

def _event(actor: Actor, record: KeyRecord, ticket: str, detail: str,
           changes: tuple[Any, ...] = ()) -> EventDraft:
    return EventDraft(action=Action.AWS_ROTATE, actor=actor.name, ticket=ticket,
                      record_id=record.id, key_name=record.key_name, changes=changes,
                      detail=detail)


def _set_state(vault: Vault, record: KeyRecord, rotation: Rotation | None, actor: Actor,
               detail: str, report: RotationReport, **updates: Any) -> KeyRecord:
    """Commit a new rotation state on ``record`` together with its log event."""
    ticket = (rotation or record.rotation or _missing()).ticket
    updated = record.model_copy(update={"rotation": rotation, **updates})
    model.check_invariants(updated)
    stored, _ = vault.commit(Change([updated], _event(actor, record, ticket, detail)))
    report.actions.append(detail)
    return stored[0]


def _missing() -> Rotation:
    raise InputError("no rotation in progress")


def _note(vault: Vault, record: KeyRecord, actor: Actor, ticket: str, detail: str,
          report: RotationReport) -> None:
    vault.log(_event(actor, record, ticket, detail))
    report.actions.append(detail)


# -- preflight ------------------------------------------------------------------------------

def _slot_problem(vault: Vault, key: LiveKey, opts: RotateOptions) -> str | None:
    """Why ``key`` (not the one being rotated) blocks the rotation, or None if it may go."""
    owners = vault.by_access_key_id(key.access_key_id)
    shown = mask_key_id(key.access_key_id)
    if owners and all(o.revoked for o in owners) and not key.active:
        return None
    if owners:
        owner = owners[0]
        return f"{shown} belongs to record {owner.key_name!r} ({owner.status.value})"
    if key.active:
        return f"{shown} is active and unknown to the vault"
    if opts.delete_inactive_unknown:
        return None
    return (f"{shown} is inactive and unknown to the vault "
            "(pass --delete-inactive-unknown to delete it)")


def preflight(vault: Vault, iam: Any, record: KeyRecord, opts: RotateOptions) -> _Plan:
    """Check the key slots and decide what may be deleted; changes nothing."""
    user = record.iam_user or keys.user_of_key(iam, record.access_key_id)
    live = keys.list_keys(iam, user)
    ids = [k.access_key_id for k in live]
    if record.access_key_id not in ids:
        raise Conflict(f"{mask_key_id(record.access_key_id)} of {record.key_name!r} is not a key "
                       f"of IAM user {user}; the ledger and AWS disagree; nothing was changed",
                       hint="run `seskeys aws audit` to see the drift")
    active = [k for k in live if k.active]
    if len(active) >= 2:
        raise Conflict(f"IAM user {user} has two active keys ("
                       + ", ".join(mask_key_id(k.access_key_id) for k in active)
                       + "); nothing was changed",
                       hint="deactivate the key that is not in use, then rotate")
    others = [k for k in live if k.access_key_id != record.access_key_id]
    problems = [p for k in others if (p := _slot_problem(vault, k, opts))]
    if problems:
        raise Conflict(f"IAM user {user} has no free key slot: " + "; ".join(problems)
                       + "; nothing was changed")
    return _Plan(user=user, delete_first=tuple(others), known_keys=(record.access_key_id,))


def _rotatable(vault: Vault, record: KeyRecord) -> None:
    if record.revoked or record.status is Status.RETIRING:
        raise Conflict(f"{record.key_name!r} ({mask_key_id(record.access_key_id)}) is "
                       f"{record.status.value}; rotate the record that holds the name")
    if record.rotation is not None:
        raise Conflict(f"{record.key_name!r} has a rotation in progress "
                       f"(step {record.rotation.step})",
                       hint="complete it with `seskeys aws rotate --resume`, or undo it with "
                            f"`seskeys aws rotate {record.key_name} --abort`")
    if record.replaces:
        for prior in vault.by_access_key_id(record.replaces):
            if prior.status is Status.RETIRING:
                raise Conflict(f"the previous rotation of {record.key_name!r} is not finished: "
                               f"{mask_key_id(prior.access_key_id)} is still retiring",
                               hint=f"run `seskeys aws rotate {record.key_name} --finish`")


# -- the steps ------------------------------------------------------------------------------

def start(vault: Vault, deps: AwsDeps, name: str, actor: Actor, opts: RotateOptions
          ) -> RotationReport:
    """Begin a rotation and carry it as far as ``opts`` asks."""
    ticket = actor.ticket(opts.ticket)
    if opts.delete_after_days < 0:
        raise InputError("--delete-after must be 0 or more days")
    record = lifecycle.find(vault, name)
    _rotatable(vault, record)
    iam = deps.client("iam", None)
    plan = preflight(vault, iam, record, opts)
    deps.on_step("preflight")
    report = RotationReport(record.key_name, record.access_key_id)
    for key in plan.delete_first:
        why = ("revoked in the vault" if vault.by_access_key_id(key.access_key_id)
               else "unknown to the vault; deleted with --delete-inactive-unknown")
        _note(vault, record, actor, ticket, f"deleting inactive key "
              f"{mask_key_id(key.access_key_id)} of IAM user {plan.user} ({why})", report)
        keys.delete(iam, plan.user, key.access_key_id)
    rotation = Rotation(step=RotationStep.CREATING, ticket=ticket, started_at=deps.clock(),
                        iam_user=plan.user, known_keys=plan.known_keys,
                        delete_after_days=opts.delete_after_days,
                        deactivate_old=opts.deactivate_old)
    record = _set_state(vault, record, rotation, actor, "rotation started: creating a new key "
                        f"for IAM user {plan.user}", report)
    deps.on_step("intent")
    return _advance(vault, deps, record, actor, report)


def _orphans(vault: Vault, live: list[LiveKey], record: KeyRecord) -> list[LiveKey]:
    """Keys a killed run created but never stored: newer than the intent, unknown to all."""
    rot = record.rotation or _missing()
    return [k for k in live if k.access_key_id not in rot.known_keys
            and k.access_key_id != rot.new_access_key_id
            and k.created >= rot.started_at - ORPHAN_SLACK
            and not vault.by_access_key_id(k.access_key_id)]


def _delete_orphans(vault: Vault, iam: Any, record: KeyRecord, actor: Actor,
                    report: RotationReport) -> list[LiveKey]:
    rot = record.rotation or _missing()
    live = keys.list_keys(iam, rot.iam_user)
    orphans = _orphans(vault, live, record)
    for key in orphans:
        _note(vault, record, actor, rot.ticket, f"deleting {mask_key_id(key.access_key_id)}: "
              "created by an interrupted run whose secret was never stored", report)
        keys.delete(iam, rot.iam_user, key.access_key_id)
    return [k for k in live if k not in orphans]


def _create(vault: Vault, deps: AwsDeps, record: KeyRecord, actor: Actor,
            report: RotationReport) -> KeyRecord:
    rot = record.rotation or _missing()
    iam = deps.client("iam", None)
    if len(_delete_orphans(vault, iam, record, actor, report)) >= 2:
        raise Conflict(f"IAM user {rot.iam_user} has no free key slot any more",
                       hint=f"`seskeys aws rotate {record.key_name} --abort` undoes the start")
    new = keys.create_key(iam, rot.iam_user)
    try:
        deps.on_step("created")
        state = rot.model_copy(update={
            "step": RotationStep.CREATED, "new_access_key_id": new.access_key_id,
            "new_secret": SecretStr(new.secret), "new_created_at": new.created})
        record = _set_state(vault, record, state, actor, f"created new key "
                            f"{mask_key_id(new.access_key_id)} and stored it in the vault",
                            report)
    except BaseException:
        _discard(vault, iam, record, new.access_key_id, actor, report)
        raise
    report.new_key_id = new.access_key_id
    deps.on_step("stored")
    return record


def _discard(vault: Vault, iam: Any, record: KeyRecord, key_id: str, actor: Actor,
             report: RotationReport) -> None:
    """Compensation: a created key that could not be stored is deleted at once."""
    rot = record.rotation or _missing()
    try:
        keys.delete(iam, rot.iam_user, key_id)
        detail = (f"deleted new key {mask_key_id(key_id)}: it could not be stored in the vault")
    except Exception:  # the original failure is what the caller re-raises
        detail = (f"new key {mask_key_id(key_id)} could not be stored nor deleted; "
                  "`seskeys aws rotate --resume` deletes it")
    with contextlib.suppress(Exception):
        _note(vault, record, actor, rot.ticket, detail, report)


def _verify(vault: Vault, deps: AwsDeps, record: KeyRecord, actor: Actor,
            report: RotationReport) -> KeyRecord:
    rot = record.rotation or _missing()
    key_id, secret = rot.new_access_key_id or "", rot.new_secret
    iam = deps.client("iam", None)
    if key_id not in {k.access_key_id for k in keys.list_keys(iam, rot.iam_user)}:
        raise Conflict(f"the new key {mask_key_id(key_id)} no longer exists in AWS",
                       hint=f"`seskeys aws rotate {record.key_name} --abort`, then rotate again")
    try:
        attempts = keys.verify(deps, key_id, secret.get_secret_value() if secret else "",
                               keys.user_arn(iam, rot.iam_user))
    except ExternalError as exc:
        _note(vault, record, actor, rot.ticket, f"verification failed: {exc.message}", report)
        raise ExternalError(exc.message, hint="the new key is safe in the vault and the old one "
                            "still active: `seskeys aws rotate --resume` retries; "
                            f"`seskeys aws rotate {record.key_name} --abort` deletes the new "
                            "key") from None
    record = _set_state(vault, record, rot.model_copy(update={"step": RotationStep.VERIFIED}),
                        actor, f"verified new key {mask_key_id(key_id)} with "
                        f"sts:GetCallerIdentity ({attempts} attempt(s))", report)
    deps.on_step("verified")
    return record


def _new_record(vault: Vault, old: KeyRecord, rot: Rotation) -> KeyRecord:
    secret = rot.new_secret.get_secret_value() if rot.new_secret else ""
    values: dict[str, Any] = {fid: old.field_value(fid) for fid in FIELDS
                              if fid not in _NOT_CARRIED
                              and old.field_value(fid) not in (None, ())}
    created = rot.new_created_at or rot.started_at
    values.update(key_name=old.key_name, access_key_id=rot.new_access_key_id,
                  secret_access_key=secret, created_on=created.date(),
                  creation_ticket=rot.ticket, replaces=old.access_key_id,
                  status=Status.ACTIVE.value, iam_user=rot.iam_user)
    new = model.build(values)
    smtp = derive_v4(secret, new.ses_region) if new.ses_region else None
    return new.model_copy(update={"smtp_password": SecretStr(smtp) if smtp else None,
                                  "fingerprints": lifecycle.fingerprints(vault, secret)})


def _switch(vault: Vault, deps: AwsDeps, record: KeyRecord, actor: Actor,
            report: RotationReport) -> KeyRecord:
    """One commit: the new record takes the name, the old one becomes retiring."""
    rot = record.rotation or _missing()
    new = _new_record(vault, record, rot)
    retiring = record.model_copy(update={
        "status": Status.RETIRING, "replaced_by": new.access_key_id,
        "rotation": rot.model_copy(update={"step": RotationStep.SWITCHED, "new_secret": None,
                                           "switched_at": deps.clock()})})
    model.check_invariants(retiring)
    detail = (f"switched {mask_key_id(record.access_key_id)} -> "
              f"{mask_key_id(new.access_key_id)}; the old key stays active until deactivated")
    changes = (*lifecycle.describe_changes(record, retiring),
               *lifecycle.describe_changes(None, new))
    stored, _ = vault.commit(Change([retiring, new], _event(actor, new, rot.ticket, detail,
                                                             changes)))
    report.actions.append(detail)
    report.new_key_id = new.access_key_id
    deps.on_step("switched")
    return stored[0]


def _deactivate(vault: Vault, deps: AwsDeps, record: KeyRecord, actor: Actor,
                report: RotationReport) -> KeyRecord:
    rot = record.rotation or _missing()
    iam = deps.client("iam", None)
    used = keys.last_used(iam, record.access_key_id)
    switched = rot.switched_at or rot.started_at
    if used is not None and used > switched:
        raise Conflict(f"{mask_key_id(record.access_key_id)} was used at {used:%Y-%m-%d %H:%M} "
                       "UTC, after the switch: something still sends with the old key; "
                       "nothing was changed",
                       hint=f"move it to the new key (`seskeys show {record.key_name}`), then "
                            f"run `seskeys aws rotate {record.key_name} --finish` again")
    if not keys.deactivate(iam, rot.iam_user, record.access_key_id):
        return _revoked(vault, record, actor, rot.ticket, report, "was already deleted in AWS")
    seen = f"last used {used:%Y-%m-%d}" if used else "not used since the switch"
    record = _set_state(vault, record, rot.model_copy(update={
        "step": RotationStep.DEACTIVATED, "deactivated_at": deps.clock()}), actor,
        f"deactivated old key {mask_key_id(record.access_key_id)} ({seen})", report)
    deps.on_step("deactivated")
    return record


def _delete_old(vault: Vault, deps: AwsDeps, record: KeyRecord, actor: Actor,
                report: RotationReport, ticket: str | None) -> KeyRecord:
    rot = record.rotation or _missing()
    due = rot.delete_due() or deps.clock()
    if deps.clock() < due:
        report.next_step = (f"the old key may be deleted from {due:%Y-%m-%d %H:%M} UTC: run "
                            f"`seskeys aws rotate {record.key_name} --finish` then")
        return record
    found = keys.delete(deps.client("iam", None), rot.iam_user, record.access_key_id)
    deps.on_step("deleted")
    how = "deleted in AWS" if found else "was already deleted in AWS"
    return _revoked(vault, record, actor, ticket or rot.ticket, report, how)


def _revoked(vault: Vault, record: KeyRecord, actor: Actor, ticket: str,
             report: RotationReport, how: str) -> KeyRecord:
    revoked = lifecycle.revoked_copy(record, vault, ticket=ticket, reason="rotated",
                                     on=actor.today)
    model.check_invariants(revoked)
    detail = f"old key {mask_key_id(record.access_key_id)} {how}; revocation recorded"
    stored, _ = vault.commit(Change([revoked], _event(
        actor, record, ticket, detail, lifecycle.describe_changes(record, revoked))))
    report.actions.append(detail)
    return stored[0]


def _advance(vault: Vault, deps: AwsDeps, record: KeyRecord, actor: Actor,
             report: RotationReport, *, finish: bool = False, ticket: str | None = None
             ) -> RotationReport:
    """Run the steps from the record's current one as far as the rotation's goal allows."""
    while (rot := record.rotation) is not None:
        step = rot.step
        if step is RotationStep.CREATING:
            record = _create(vault, deps, record, actor, report)
        elif step is RotationStep.CREATED:
            record = _verify(vault, deps, record, actor, report)
        elif step is RotationStep.VERIFIED:
            record = _switch(vault, deps, record, actor, report)
        elif step is RotationStep.SWITCHED and (finish or rot.deactivate_old):
            record = _deactivate(vault, deps, record, actor, report)
        elif step is RotationStep.DEACTIVATED:
            after = _delete_old(vault, deps, record, actor, report, ticket)
            if after is record:
                break
            record = after
        else:
            report.next_step = (f"update the senders to the new key, then run `seskeys aws "
                                f"rotate {record.key_name} --finish`")
            break
    report.state = record.rotation.step.value if record.rotation else record.status.value
    return report


# -- entry points for a rotation already under way -------------------------------------------

def _reconcile(vault: Vault, deps: AwsDeps, record: KeyRecord, actor: Actor,
               report: RotationReport) -> KeyRecord:
    """Bring a retiring record in line with AWS after a run died between an AWS call and the
    commit that records it."""
    rot = record.rotation or _missing()
    if rot.step in BEFORE_SWITCH:
        return record
    live = {k.access_key_id: k for k in keys.list_keys(deps.client("iam", None), rot.iam_user)}
    key = live.get(record.access_key_id)
    if key is None:
        return _revoked(vault, record, actor, rot.ticket, report, "was already deleted in AWS")
    if rot.step is RotationStep.SWITCHED and not key.active:
        return _set_state(vault, record, rot.model_copy(update={
            "step": RotationStep.DEACTIVATED, "deactivated_at": deps.clock()}), actor,
            f"old key {mask_key_id(record.access_key_id)} found inactive in AWS", report)
    return record


def in_progress(vault: Vault) -> list[KeyRecord]:
    return sorted((r for r in vault.records() if r.rotation is not None),
                  key=lambda r: (r.key_name.casefold(), r.status.value))


def resume(vault: Vault, deps: AwsDeps, actor: Actor, name: str | None = None
           ) -> list[RotationReport]:
    """Complete every rotation left half-way (or only NAME's), each up to its goal."""
    records = in_progress(vault)
    if name is not None:
        wanted = {r.id for r in _rotation_records(vault, name)}
        records = [r for r in records if r.id in wanted]
    reports = []
    for record in records:
        report = RotationReport(record.key_name, record.access_key_id,
                                record.rotation.new_access_key_id if record.rotation else None)
        record = _reconcile(vault, deps, record, actor, report)
        reports.append(_advance(vault, deps, record, actor, report))
    return reports


def _rotation_records(vault: Vault, name: str) -> list[KeyRecord]:
    record = lifecycle.find(vault, name)
    found = [record] if record.rotation else []
    if record.replaces:
        found += [r for r in vault.by_access_key_id(record.replaces) if r.rotation]
    return found


def finish(vault: Vault, deps: AwsDeps, name: str, actor: Actor, *, ticket: str | None = None,
           delete_after_days: int | None = None) -> RotationReport:
    """Deactivate the retired key (after checking its last use) and delete it when due."""
    if ticket is not None:
        ticket = actor.ticket(ticket, "revocation_ticket")
    records = [r for r in _rotation_records(vault, name)
               if r.rotation and r.rotation.step not in BEFORE_SWITCH]
    if not records:
        pending = [r for r in _rotation_records(vault, name) if r.rotation]
        raise (Conflict(f"the rotation of {name!r} has not switched to the new key yet",
                        hint="run `seskeys aws rotate --resume`") if pending
               else NotFound(f"no rotation of {name!r} is waiting to be finished"))
    record = records[0]
    rot = record.rotation or _missing()
    if delete_after_days is not None:
        if delete_after_days < 0:
            raise InputError("--delete-after must be 0 or more days")
        record = record.model_copy(update={"rotation": rot.model_copy(
            update={"delete_after_days": delete_after_days})})
    report = RotationReport(record.key_name, record.access_key_id, record.replaced_by)
    record = _reconcile(vault, deps, record, actor, report)
    return _advance(vault, deps, record, actor, report, finish=True, ticket=ticket)


def abort(vault: Vault, deps: AwsDeps, name: str, actor: Actor) -> RotationReport:
    """Undo a rotation that has not switched yet: delete the new key, clear the state."""
    record = lifecycle.find(vault, name)
    rot = record.rotation
    if rot is None or rot.step not in BEFORE_SWITCH:
        raise Conflict(f"{record.key_name!r} has no rotation to abort"
                       + (" (it has switched already)" if rot else ""))
    report = RotationReport(record.key_name, record.access_key_id, rot.new_access_key_id)
    iam = deps.client("iam", None)
    _delete_orphans(vault, iam, record, actor, report)
    if rot.new_access_key_id:
        found = keys.delete(iam, rot.iam_user, rot.new_access_key_id)
        report.actions.append(f"{'deleted' if found else 'already gone:'} new key "
                              f"{mask_key_id(rot.new_access_key_id)}")
    _set_state(vault, record, None, actor, "rotation aborted"
               + (f"; new key {mask_key_id(rot.new_access_key_id)} deleted in AWS"
                  if rot.new_access_key_id else ""), report)
    report.state = "aborted"
    return report
