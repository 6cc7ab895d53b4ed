"""The vault interface: every backend (local SQLite, LastPass, in-memory) implements it.

A backend stores records and the event log, and guarantees that a change and its event land
together or not at all, that versions never go backwards (optimistic concurrency), and that key
names are unique among records that are not revoked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from seskeys.events import Event, EventDraft, LogVerification
from seskeys.model import KeyRecord, RecordSummary


@dataclass(frozen=True)
class VaultInfo:
    backend: str
    location: str
    vault_id: str
    kdf: str
    insecure_kdf: bool
    records: int
    events: int
    format_version: int
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Change:
    """Records to write (each at the version it was read at; 0 for new) and their event."""

    records: Sequence[KeyRecord]
    event: EventDraft


class Vault(Protocol):
    @property
    def vault_id(self) -> str: ...

    def summaries(self) -> list[RecordSummary]: ...

    def records(self) -> list[KeyRecord]: ...

    def get(self, record_id: str) -> KeyRecord: ...

    def by_name(self, key_name: str) -> list[KeyRecord]: ...

    def by_access_key_id(self, access_key_id: str) -> list[KeyRecord]: ...

    def commit(self, change: Change) -> tuple[list[KeyRecord], Event]: ...

    def commit_many(self, changes: Sequence[Change]) -> list[Event]: ...

    def log(self, event: EventDraft) -> Event: ...

    def events(self) -> list[Event]: ...

    def verify(self) -> LogVerification: ...

    def fingerprint(self, value: str) -> str: ...

    def info(self) -> VaultInfo: ...

    def close(self) -> None: ...
