"""Emergency revocation: deactivate the key in AWS at once, delete it, record the revocation and
purge the secret. Each step is idempotent, so running it again after a failure completes it.

On a record the vault already revoked, it removes the key from AWS (the drift finding
``drift.revoked-key-active``) and logs that, leaving the recorded revocation as it was.

A rotation that had not switched yet is undone on the way (its new key deleted), because the
record that holds that key's secret is being revoked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from seskeys import lifecycle, model
from seskeys import validators as v
from seskeys.aws import keys
from seskeys.aws.keys import AwsDeps
from seskeys.errors import Conflict
from seskeys.events import Action, EventDraft
from seskeys.lifecycle import Actor
from seskeys.model import KeyRecord
from seskeys.redact import mask_key_id
from seskeys.rotation_state import BEFORE_SWITCH
from seskeys.vault import Change, Vault

STEPS = ("revoke-deactivated", "revoke-deleted")


@dataclass
class RevokeReport:
    record: KeyRecord
    actions: list[str] = field(default_factory=list)


def _pending_keys(vault: Vault, iam: Any, record: KeyRecord, user: str) -> list[str]:
    """A not-yet-switched rotation's new key, and keys an interrupted run left behind."""
    rot = record.rotation
    if rot is None or rot.step not in BEFORE_SWITCH:
        return []
    found = [rot.new_access_key_id] if rot.new_access_key_id else []
    for key in keys.list_keys(iam, user):
        if (key.access_key_id not in rot.known_keys and key.access_key_id not in found
                and not vault.by_access_key_id(key.access_key_id)):
            found.append(key.access_key_id)
    return found


def _enforce(vault: Vault, deps: AwsDeps, record: KeyRecord, actor: Actor, *, ticket: str,
             reason: str) -> RevokeReport:
    """A key the vault already revoked that AWS still holds (drift): deactivate and delete
    it, and log that under the ticket; the record's own revocation stays as it was."""
    reason = v.no_secret_in("revocation_reason", reason.strip())
    iam = deps.client("iam", None)
    user = record.iam_user or keys.user_of_key(iam, record.access_key_id)
    report = RevokeReport(record)
    key = mask_key_id(record.access_key_id)
    if not keys.deactivate(iam, user, record.access_key_id):
        raise Conflict(f"{record.key_name!r} is revoked and its key {key} is no longer in AWS: "
                       "nothing to do")
    report.actions.append(f"deactivated {key}, revoked in the vault on {record.revoked_on} "
                          "but still in AWS")
    deps.on_step("revoke-deactivated")
    keys.delete(iam, user, record.access_key_id)
    report.actions.append(f"deleted {key}")
    deps.on_step("revoke-deleted")
    vault.log(EventDraft(action=Action.AWS_REVOKE, actor=actor.name, ticket=ticket,
                         record_id=record.id, key_name=record.key_name,
                         detail="; ".join(report.actions) + (f"; {reason}" if reason else "")))
    return report


def revoke(vault: Vault, deps: AwsDeps, name: str, actor: Actor, *, ticket: str, reason: str
           ) -> RevokeReport:
    ticket = actor.ticket(ticket, "revocation_ticket")
    record = lifecycle.find(vault, name)
    if record.revoked:
        return _enforce(vault, deps, record, actor, ticket=ticket, reason=reason)
    # Fail on a bad reason or date before anything changes in AWS.
    lifecycle.revoked_copy(record.model_copy(update={"rotation": None}), vault, ticket=ticket,
                           reason=reason, on=actor.today)
    iam = deps.client("iam", None)
    user = record.iam_user or keys.user_of_key(iam, record.access_key_id)
    report = RevokeReport(record)
    key = mask_key_id(record.access_key_id)
    gone = not keys.deactivate(iam, user, record.access_key_id)
    report.actions.append(f"{key} was not in AWS" if gone else f"deactivated {key}")
    deps.on_step("revoke-deactivated")
    if not gone:
        keys.delete(iam, user, record.access_key_id)
        report.actions.append(f"deleted {key}")
    deps.on_step("revoke-deleted")
    for pending in _pending_keys(vault, iam, record, user):
        keys.deactivate(iam, user, pending)
        keys.delete(iam, user, pending)
        report.actions.append(f"deleted {mask_key_id(pending)}, the new key of an unfinished "
                              "rotation")
    revoked = lifecycle.revoked_copy(record.model_copy(update={"rotation": None}), vault,
                                     ticket=ticket, reason=reason, on=actor.today)
    model.check_invariants(revoked)
    report.actions.append("revocation recorded; secret purged, fingerprints kept")
    draft = EventDraft(action=Action.AWS_REVOKE, actor=actor.name, ticket=ticket,
                       record_id=record.id, key_name=record.key_name,
                       changes=lifecycle.describe_changes(record, revoked),
                       detail="; ".join(report.actions))
    stored, _ = vault.commit(Change([revoked], draft))
    report.record = stored[0]
    return report
