"""An in-memory vault for tests and the library's callers. NOT FOR PRODUCTION: nothing persists.

It keeps the same promises as the local vault (versions, unique live names, a chained log), so
every layer above storage can be tested against it without a KDF or a file.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from seskeys.errors import Conflict, InputError, NotFound
from seskeys.events import GENESIS, Event, EventDraft, LogVerification, chain_mac
from seskeys.model import KeyRecord, RecordSummary
from seskeys.vault import Change, VaultInfo
from seskeys.vault.crypto import keyed_hash


class MemoryVault:
    def __init__(self, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._id = os.urandom(8).hex()
        self._key = os.urandom(32)
        self._records: dict[str, KeyRecord] = {}
        self._events: list[Event] = []
        self._clock = clock

    @property
    def vault_id(self) -> str:
        return self._id

    def summaries(self) -> list[RecordSummary]:
        return [RecordSummary.of(r) for r in self._records.values()]

    def records(self) -> list[KeyRecord]:
        return list(self._records.values())

    def get(self, record_id: str) -> KeyRecord:
        try:
            return self._records[record_id]
        except KeyError:
            raise NotFound(f"no record with id {record_id}") from None

    def by_name(self, key_name: str) -> list[KeyRecord]:
        wanted = key_name.strip().casefold()
        return [r for r in self._records.values() if r.key_name.strip().casefold() == wanted]

    def by_access_key_id(self, access_key_id: str) -> list[KeyRecord]:
        return [r for r in self._records.values() if r.access_key_id == access_key_id.strip()]

    def _append(self, draft: EventDraft, events: list[Event],
                written: tuple[str, ...] = ()) -> Event:
        previous = bytes.fromhex(events[-1].mac) if events else GENESIS
        event = Event(**draft.model_dump(), seq=len(events) + 1, at=self._clock(),
                      records=written)
        event = event.model_copy(update={"mac": chain_mac(self._key, previous, event).hex()})
        events.append(event)
        return event

    def _apply(self, change: Change, records: dict[str, KeyRecord], events: list[Event]
               ) -> tuple[list[KeyRecord], Event]:
        if len({r.id for r in change.records}) != len(change.records):
            raise InputError("one change names the same record twice")
        draft = change.event
        if draft.record_id is None and len(change.records) == 1:
            draft = draft.model_copy(update={"record_id": change.records[0].id})
        event = self._append(draft, events, tuple(r.id for r in change.records))
        stored = []
        for record in change.records:
            current = records.get(record.id)
            if (current.version if current else 0) != record.version:
                raise Conflict(f"record {record.key_name!r} was changed by another command")
            if record.status.holds_name and any(
                    other.id != record.id and other.status.holds_name
                    and other.key_name.strip().casefold() == record.key_name.strip().casefold()
                    for other in records.values()):
                raise Conflict(f"key name {record.key_name!r} is already used by a record "
                               "that is not revoked")
            new = record.model_copy(update={"version": record.version + 1})
            records[new.id] = new
            stored.append(new)
        return stored, event

    def commit(self, change: Change) -> tuple[list[KeyRecord], Event]:
        records, events = dict(self._records), list(self._events)
        result = self._apply(change, records, events)
        self._records, self._events = records, events
        return result

    def commit_many(self, changes: Sequence[Change]) -> list[Event]:
        records, events = dict(self._records), list(self._events)
        out = [self._apply(ch, records, events)[1] for ch in changes]
        self._records, self._events = records, events
        return out

    def log(self, event: EventDraft) -> Event:
        return self._append(event, self._events)

    def events(self) -> list[Event]:
        return copy.copy(self._events)

    def verify(self) -> LogVerification:
        previous = GENESIS
        for event in self._events:
            mac = chain_mac(self._key, previous, event)
            if mac.hex() != event.mac:
                return LogVerification(ok=False, events=event.seq - 1, first_bad_seq=event.seq,
                                       problem="its MAC does not chain from the previous event")
            previous = mac
        head = self._events[-1] if self._events else None
        return LogVerification(ok=True, events=len(self._events),
                               head_seq=head.seq if head else None,
                               head_mac=head.mac if head else None)

    def fingerprint(self, value: str) -> str:
        return keyed_hash(self._key, value).hex()[:32]

    def info(self) -> VaultInfo:
        return VaultInfo(backend="memory (not for production)", location=":memory:",
                         vault_id=self._id, kdf="none", insecure_kdf=True,
                         records=len(self._records), events=len(self._events), format_version=1)

    def close(self) -> None:
        return None
