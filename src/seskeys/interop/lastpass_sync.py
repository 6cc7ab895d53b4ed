"""``sync lastpass``: compare the local vault with LastPass, and push or pull the differences.

Records are matched by access key id. ``push`` writes local records to LastPass (every write
verified by the backend) and logs one ``sync`` event per record in the local vault; ``pull``
writes LastPass's records into the local vault, each with its ``sync`` event, in one
transaction. A pull never removes the secret of a live local key because LastPass lacks it.

Nothing is guessed: LastPass items that cannot be read as key records are listed as
*unreadable*, and an access key held by several LastPass items (or by several live local
records) is a *conflict* that neither direction touches. Before ``push`` writes anything, every
record is checked and rendered; one that LastPass cannot take is *refused* and the others are
written. A failed write stops the rest (LastPass has no transactions), and the result says what
was done before it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum

from seskeys import lifecycle, model
from seskeys.errors import SeskeysError
from seskeys.events import Action, EventDraft
from seskeys.interop.records import differences
from seskeys.model import KeyRecord
from seskeys.redact import mask_key_id
from seskeys.template import TEMPLATE
from seskeys.vault import Change, Vault
from seskeys.vault.lastpass import LastPassVault


class State(StrEnum):
    SAME = "same"
    ONLY_LOCAL = "only local"
    ONLY_LASTPASS = "only in LastPass"
    DIFFERENT = "different"
    CONFLICT = "conflict"
    UNREADABLE = "unreadable"


@dataclass(frozen=True)
class SyncItem:
    key_name: str
    access_key_id: str
    state: State
    fields: tuple[str, ...] = ()
    done: str = ""
    detail: str = ""

    @property
    def bad(self) -> bool:
        """Whether a person has to look at it (not read, not decided, or not written)."""
        return (self.state in (State.CONFLICT, State.UNREADABLE)
                or self.done in ("refused", "failed", "not attempted"))

    def view(self) -> dict[str, str]:
        return {"key_name": self.key_name, "access_key_id": mask_key_id(self.access_key_id),
                "state": self.state.value, "fields": ", ".join(self.fields), "done": self.done,
                "detail": self.detail}


@dataclass(frozen=True)
class SyncResult:
    """What a sync found and did; ``error`` is the failure that stopped it, if one did."""

    items: list[SyncItem]
    error: SeskeysError | None = None


@dataclass(frozen=True)
class _Pair:
    local: KeyRecord | None
    remote: KeyRecord | None


def _by_key(records: Iterable[KeyRecord], where: str, *, live_wins: bool
            ) -> tuple[dict[str, KeyRecord], list[SyncItem]]:
    """Records by access key id, and a conflict for every key held by several of them.

    In the local vault a live record wins over revoked ones of the same key (history kept
    there); in LastPass one item per key is the rule, so any second item is a conflict.
    """
    groups: dict[str, list[KeyRecord]] = {}
    for record in records:
        groups.setdefault(record.access_key_id, []).append(record)
    out: dict[str, KeyRecord] = {}
    clashes = []
    for key, group in groups.items():
        live = [r for r in group if not r.revoked]
        if len(group) == 1 or (live_wins and len(live) == 1):
            out[key] = group[0] if len(group) == 1 else live[0]
            continue
        names = ", ".join(repr(r.key_name) for r in group)
        clashes.append(SyncItem(group[0].key_name, key, State.CONFLICT, detail=(
            f"{len(group)} {where} hold this access key ({names}); merge them by hand")))
    return out, clashes


def _compare(local: Vault, remote: LastPassVault) -> tuple[list[_Pair], list[SyncItem]]:
    """The pairs to compare, and the rows nobody may act on (conflicts, unreadable items)."""
    listing = remote.read()
    mine, local_clashes = _by_key(local.records(), "local records", live_wins=True)
    theirs, remote_clashes = _by_key(listing.records, "LastPass items", live_wins=False)
    conflicts = {i.access_key_id: i for i in [*local_clashes, *remote_clashes]}  # one per key
    keys = sorted((set(mine) | set(theirs)) - set(conflicts),
                  key=lambda k: (mine.get(k) or theirs[k]).key_name.casefold())
    unreadable = [SyncItem(f.name, "", State.UNREADABLE, detail=f.reason)
                  for f in listing.unreadable]
    return [_Pair(mine.get(k), theirs.get(k)) for k in keys], [*conflicts.values(), *unreadable]


def _item(pair: _Pair) -> SyncItem:
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
    return SyncItem(record.key_name, record.access_key_id, state, fields)


def diff(local: Vault, remote: LastPassVault) -> list[SyncItem]:
    pairs, blocked = _compare(local, remote)
    return [_item(p) for p in pairs] + blocked


def _event(actor: lifecycle.Actor, ticket: str, record: KeyRecord, before: KeyRecord | None,
           detail: str) -> EventDraft:
    return EventDraft(action=Action.SYNC, actor=actor.name, ticket=ticket, record_id=record.id,
                      key_name=record.key_name,
                      changes=lifecycle.describe_changes(before, record), detail=detail)


def _push_target(pair: _Pair) -> KeyRecord:
    assert pair.local is not None
    if pair.remote is None:
        return pair.local.model_copy(update={"id": model.new_record_id(), "version": 0})
    return pair.local.model_copy(update={"id": pair.remote.id, "version": pair.remote.version})


def push(local: Vault, remote: LastPassVault, actor: lifecycle.Actor, *, ticket: str,
         dry_run: bool = False) -> SyncResult:
    """Local → LastPass. ``remote`` must log its events in ``local`` (its journal)."""
    ticket = actor.ticket(ticket)
    pairs, blocked = _compare(local, remote)
    out: list[SyncItem] = []
    todo: list[tuple[_Pair, SyncItem, KeyRecord]] = []
    for pair in pairs:
        item = _item(pair)
        if item.state in (State.ONLY_LOCAL, State.DIFFERENT):
            todo.append((pair, item, _push_target(pair)))
        else:
            out.append(item)
    refused = remote.refusals([target for _, _, target in todo])
    error: SeskeysError | None = None
    for pair, item, target in todo:
        if target.id in refused:
            out.append(replace(item, done="refused", detail=refused[target.id]))
        elif dry_run:
            out.append(replace(item, done="would push"))
        elif error is not None:
            out.append(replace(item, done="not attempted", detail="stopped by the failure above"))
        else:
            assert pair.local is not None
            try:
                remote.commit(Change([target], _event(actor, ticket, pair.local, pair.remote,
                                                      "pushed to LastPass")))
            except SeskeysError as exc:
                error = exc
                out.append(replace(item, done="failed", detail=exc.message))
            else:
                out.append(replace(item, done="pushed"))
    return SyncResult(_ordered(out) + blocked, error)


def _ordered(items: list[SyncItem]) -> list[SyncItem]:
    return sorted(items, key=lambda i: i.key_name.casefold())


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


def pull(local: Vault, remote: LastPassVault, actor: lifecycle.Actor, *, ticket: str,
         dry_run: bool = False) -> SyncResult:
    """LastPass → local, in one transaction."""
    ticket = actor.ticket(ticket)
    pairs, blocked = _compare(local, remote)
    out, changes = [], []
    for pair in pairs:
        item = _item(pair)
        if item.state not in (State.ONLY_LASTPASS, State.DIFFERENT) or pair.remote is None:
            out.append(item)
            continue
        record = _pulled(pair)
        model.check_invariants(record)
        if pair.local is not None and not differences(pair.local, record):
            out.append(replace(item, done="kept the local secret LastPass lacks"))
            continue
        changes.append(Change([record], _event(actor, ticket, record, pair.local,
                                               "pulled from LastPass")))
        out.append(replace(item, done="would pull" if dry_run else "pulled"))
    if changes and not dry_run:
        local.commit_many(changes)
    return SyncResult(out + blocked)
