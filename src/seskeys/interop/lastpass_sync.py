"""``sync lastpass``: compare the local vault with LastPass, and push or pull the differences.

Records are matched by access key id. ``push`` writes local records to LastPass (every write
verified by the backend) and logs one ``sync`` event per record in the local vault; ``pull``
writes LastPass's records into the local vault, each with its ``sync`` event, in one
transaction. A pull never removes the secret of a live local key because LastPass lacks it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from seskeys import lifecycle, model
from seskeys.events import Action, EventDraft
from seskeys.interop.records import differences
from seskeys.model import KeyRecord
from seskeys.redact import mask_key_id
from seskeys.template import TEMPLATE
from seskeys.vault import Change, Vault


class State(StrEnum):
    SAME = "same"
    ONLY_LOCAL = "only local"
    ONLY_LASTPASS = "only in LastPass"
    DIFFERENT = "different"


@dataclass(frozen=True)
class SyncItem:
    key_name: str
    access_key_id: str
    state: State
    fields: tuple[str, ...] = ()
    done: str = ""

    def view(self) -> dict[str, str]:
        return {"key_name": self.key_name, "access_key_id": mask_key_id(self.access_key_id),
                "state": self.state.value, "fields": ", ".join(self.fields), "done": self.done}


@dataclass(frozen=True)
class _Pair:
    local: KeyRecord | None
    remote: KeyRecord | None


def _by_key(records: Iterable[KeyRecord]) -> dict[str, KeyRecord]:
    out: dict[str, KeyRecord] = {}
    for record in sorted(records, key=lambda r: (not r.revoked, r.version)):
        out[record.access_key_id] = record  # a live record wins over a revoked namesake
    return out


def _pairs(local: Vault, remote: Vault) -> list[_Pair]:
    mine, theirs = _by_key(local.records()), _by_key(remote.records())
    keys = sorted(set(mine) | set(theirs),
                  key=lambda k: (mine.get(k) or theirs[k]).key_name.casefold())
    return [_Pair(mine.get(k), theirs.get(k)) for k in keys]


def _item(pair: _Pair, done: str = "") -> SyncItem:
    record = pair.local or pair.remote
    assert record is not None
    fields: tuple[str, ...] = ()
    if pair.local is None:
        state = State.ONLY_LASTPASS
    elif pair.remote is None:
        state = State.ONLY_LOCAL
    else:
        fields = tuple(differences(pair.local, pair.remote))
        state = State.DIFFERENT if fields else State.SAME
    return SyncItem(record.key_name, record.access_key_id, state, fields, done)


def diff(local: Vault, remote: Vault) -> list[SyncItem]:
    return [_item(p) for p in _pairs(local, remote)]


def _event(actor: lifecycle.Actor, ticket: str, record: KeyRecord, before: KeyRecord | None,
           detail: str) -> EventDraft:
    return EventDraft(action=Action.SYNC, actor=actor.name, ticket=ticket, record_id=record.id,
                      key_name=record.key_name,
                      changes=lifecycle.describe_changes(before, record), detail=detail)


def push(local: Vault, remote: Vault, actor: lifecycle.Actor, *, ticket: str,
         dry_run: bool = False) -> list[SyncItem]:
    """Local → LastPass. ``remote`` must log its events in ``local`` (its journal)."""
    ticket = actor.ticket(ticket)
    out = []
    for pair in _pairs(local, remote):
        item = _item(pair)
        if item.state not in (State.ONLY_LOCAL, State.DIFFERENT) or pair.local is None:
            out.append(item)
            continue
        if pair.remote is None:
            target = pair.local.model_copy(update={"id": model.new_record_id(), "version": 0})
        else:
            target = pair.local.model_copy(update={"id": pair.remote.id,
                                                   "version": pair.remote.version})
        if not dry_run:
            remote.commit(Change([target], _event(actor, ticket, pair.local, pair.remote,
                                                  "pushed to LastPass")))
        out.append(_item(pair, "would push" if dry_run else "pushed"))
    return out


def _pulled(pair: _Pair) -> KeyRecord:
    """The local record with LastPass's template values (other local state is kept)."""
    remote, local = pair.remote, pair.local
    assert remote is not None
    if local is None:
        return remote.model_copy(update={"id": model.new_record_id(), "version": 0})
    update: dict[str, object] = {f.id: remote.field_value(f.id) for f in TEMPLATE}
    update["fingerprints"] = tuple(dict.fromkeys((*local.fingerprints, *remote.fingerprints)))
    if not remote.revoked and remote.secret() is None and local.secret():
        update["secret_access_key"] = local.secret_access_key
        update["smtp_password"] = local.smtp_password
    return local.model_copy(update=update)


def pull(local: Vault, remote: Vault, actor: lifecycle.Actor, *, ticket: str,
         dry_run: bool = False) -> list[SyncItem]:
    """LastPass → local, in one transaction."""
    ticket = actor.ticket(ticket)
    out, changes = [], []
    for pair in _pairs(local, remote):
        item = _item(pair)
        if item.state not in (State.ONLY_LASTPASS, State.DIFFERENT) or pair.remote is None:
            out.append(item)
            continue
        record = _pulled(pair)
        model.check_invariants(record)
        if pair.local is not None and not differences(pair.local, record):
            out.append(_item(pair, "kept the local secret LastPass lacks"))
            continue
        changes.append(Change([record], _event(actor, ticket, record, pair.local,
                                               "pulled from LastPass")))
        out.append(_item(pair, "would pull" if dry_run else "pulled"))
    if changes and not dry_run:
        local.commit_many(changes)
    return out
