"""The ``lastpass`` vault backend: key records as secure notes of our custom type, via ``lpass``.

One secure note per key, in one LastPass folder, in the body layout of
:mod:`seskeys.interop.lastpass_note`. Every write is proved: the item is read back and every
field compared with what was meant; any difference is an :class:`IntegrityError` naming the
fields. Names are looked up once and ids used afterwards; a name that matches two items is an
error, never a pick.

What LastPass cannot hold, this backend does not pretend to:

- **The event log** lives in a *journal* vault (normally the local vault); ``log``, ``events``,
  ``verify`` and ``fingerprint`` are the journal's. Without one, events are kept in memory for
  the session only.
- **Versions**: LastPass has none. A record's ``version`` is an etag of the note body as read
  (CRC-32, never 0); a write refuses when the body changed in between. Etags do not grow.
- **Ids**: a record's id is ``lp-<LastPass id>``; a note created while offline has id 0 until
  lpass syncs, and is named ``lp-name:<folder>/<name>`` meanwhile.
- Fingerprints of revoked secrets are not stored in LastPass.
- The free-text notes of a key cannot start or end with whitespace: ``lpass`` trims them on
  every edit, so such a record is refused before anything is written.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass

from seskeys.errors import Conflict, InputError, IntegrityError, NotFound
from seskeys.events import Event, EventDraft, LogVerification
from seskeys.interop import lastpass_note as note
from seskeys.interop.lpass import ListedItem, Lpass
from seskeys.interop.records import build_record, infer_status
from seskeys.model import KeyRecord, RecordSummary, Status
from seskeys.template import FIELDS, TEMPLATE
from seskeys.vault import Change, Vault, VaultInfo
from seskeys.vault.memory import MemoryVault

ID_PREFIX = "lp-"
NAME_PREFIX = "lp-name:"
SECURE_NOTE_URL = "http://sn"


def etag(body: str) -> int:
    return zlib.crc32(body.encode("utf-8")) + 1


@dataclass(frozen=True)
class Item:
    """One LastPass entry as read: where it is and its raw note body."""

    id: str
    group: str
    name: str
    url: str
    body: str

    @property
    def target(self) -> str:
        return ListedItem(self.id, self.group, self.name).target

    @property
    def record_id(self) -> str:
        return (ID_PREFIX + self.id if self.id not in ("", "0")
                else f"{NAME_PREFIX}{self.group}/{self.name}")


@dataclass(frozen=True)
class Foreign:
    """An item in the folder that is not a readable key record, and why."""

    name: str
    reason: str


def _target_of(record_id: str) -> str:
    if record_id.startswith(NAME_PREFIX):
        return record_id[len(NAME_PREFIX):]
    if record_id.startswith(ID_PREFIX):
        return record_id[len(ID_PREFIX):]
    raise NotFound(f"{record_id!r} is not a LastPass record id")


def _comparable(values: dict[str, str]) -> dict[str, str]:
    out = {f.id: values.get(f.id, "") for f in TEMPLATE}
    for spec in TEMPLATE:
        if spec.is_date and not out[spec.id].replace(",", "").strip():
            out[spec.id] = ""
    return out


class LastPassVault:
    def __init__(self, lpass: Lpass, layout: note.Layout, *, folder: str,
                 journal: Vault | None = None) -> None:
        if not folder or folder.endswith("/") or "/" in folder:
            raise InputError("LastPass folder: one folder name; use \\ for sub-folders")
        layout.require_note_type()
        self._lpass = lpass
        self._layout = layout
        self._folder = folder
        self._journal: Vault = journal if journal is not None else MemoryVault()
        self._session_journal = journal is None
        self.foreign: list[Foreign] = []

    # -- reading ----------------------------------------------------------------------------

    @property
    def vault_id(self) -> str:
        return self._journal.vault_id

    def _items(self) -> list[Item]:
        listed = [i for i in self._lpass.ls(self._folder) if i.group == self._folder]
        if not listed:
            return []
        entries = self._lpass.show(*[i.target for i in listed])
        if len(entries) != len(listed):
            raise Conflict(f"LastPass folder {self._folder!r}: {len(listed)} items listed but "
                           f"{len(entries)} read; two items share a name",
                           hint="give every item in the folder its own name")
        return [self._item(e) for e in entries]

    @staticmethod
    def _item(entry: dict[str, str]) -> Item:
        return Item(entry.get("id", ""), entry.get("group", ""), entry.get("name", ""),
                    entry.get("url", ""), entry.get("note", ""))

    def _record(self, item: Item) -> KeyRecord:
        if item.url != SECURE_NOTE_URL:
            raise InputError("not a secure note")
        parsed = note.parse(item.body)
        if parsed.note_type != self._layout.note_type:
            raise InputError(f"note type {parsed.note_type or 'none'}, not "
                             f"{self._layout.note_type}")
        found = note.note_values(parsed, self._layout)
        if found.ambiguous:
            raise InputError("ambiguous labels: " + "; ".join(found.ambiguous))
        status = infer_status(found.values) or Status.INACTIVE
        built = build_record(found.values, self._journal, status=status,
                             record_id=item.record_id, version=etag(item.body))
        return built.record

    def records(self) -> list[KeyRecord]:
        out, foreign = [], []
        for item in self._items():
            try:
                out.append(self._record(item))
            except InputError as exc:
                foreign.append(Foreign(item.name, exc.message))
        self.foreign = foreign
        return out

    def summaries(self) -> list[RecordSummary]:
        return [RecordSummary.of(r) for r in self.records()]

    def get(self, record_id: str) -> KeyRecord:
        item = self._item(self._lpass.show_one(_target_of(record_id)))
        return self._record(item)

    def by_name(self, key_name: str) -> list[KeyRecord]:
        wanted = key_name.strip().casefold()
        return [r for r in self.records() if r.key_name.casefold() == wanted]

    def by_access_key_id(self, access_key_id: str) -> list[KeyRecord]:
        return [r for r in self.records() if r.access_key_id == access_key_id.strip()]

    # -- writing ----------------------------------------------------------------------------

    def commit(self, change: Change) -> tuple[list[KeyRecord], Event]:
        if len({r.id for r in change.records}) != len(change.records):
            raise InputError("one change names the same record twice")
        current = self.records()
        stored = [self._write(record, current) for record in change.records]
        draft = change.event
        if draft.record_id is None and len(stored) == 1:
            draft = draft.model_copy(update={"record_id": stored[0].id})
        return stored, self._journal.log(draft)

    def commit_many(self, changes: Sequence[Change]) -> list[Event]:
        """Each change in turn: LastPass has no transactions, so a failure stops the rest."""
        return [self.commit(change)[1] for change in changes]

    def _write(self, record: KeyRecord, current: list[KeyRecord]) -> KeyRecord:
        if "/" in record.key_name:
            raise InputError(f"key name {record.key_name!r}: lpass cannot store a name with '/'")
        if record.notes and record.notes != record.notes.strip():
            raise InputError(f"{record.key_name!r}: its notes start or end with spaces or blank "
                             "lines, which lpass trims on every edit",
                             hint=f"trim them first: seskeys edit {record.key_name!r} --set "
                                  "notes=... --ticket T")
        others = [r for r in current if r.id != record.id]
        if not record.revoked:
            for other in others:
                if other.revoked:
                    continue
                if other.key_name.casefold() == record.key_name.casefold():
                    raise Conflict(f"key name {record.key_name!r} is already used in LastPass")
                if other.access_key_id == record.access_key_id:
                    raise Conflict(f"access key of {record.key_name!r} is already in LastPass "
                                   f"as {other.key_name!r}")
        if record.id.startswith((ID_PREFIX, NAME_PREFIX)):
            return self._update(record)
        if record.version != 0:
            raise InputError("a record new to LastPass must be at version 0")
        return self._create(record, others)

    def _create(self, record: KeyRecord, others: list[KeyRecord]) -> KeyRecord:
        names = {i.name for i in self._lpass.ls(self._folder) if i.group == self._folder}
        if record.key_name in names:
            raise Conflict(f"an item named {record.key_name!r} already exists in "
                           f"{self._folder!r}")
        body = note.render_record(record, self._layout, include_secrets=True)
        fullname = f"{self._folder}/{record.key_name}"
        self._lpass.add_note(fullname, body)
        return self._verify(fullname, record)

    def _update(self, record: KeyRecord) -> KeyRecord:
        target = _target_of(record.id)
        item = self._item(self._lpass.show_one(target))
        if etag(item.body) != record.version:
            raise Conflict(f"{record.key_name!r} was changed in LastPass since it was read")
        parsed = note.parse(item.body)
        found = note.note_values(parsed, self._layout)
        before = _comparable(found.values)
        after = _comparable(note.field_texts(record, include_secrets=True))
        lines = []
        for spec in note.BODY_FIELDS:
            if before[spec.id] != after[spec.id]:
                label = found.labels.get(spec.id, self._layout.label(spec.id))
                text = note.field_texts(record, include_secrets=True)[spec.id]
                lines.append(f"{label}:{note.encode_value(spec, text)}")
        if lines:
            self._lpass.edit_fields(target, "\n".join(lines) + "\n")
        if before["notes"] != after["notes"]:
            self._lpass.edit_notes(target, after["notes"])
        if record.key_name != item.name:
            self._lpass.call("edit", "--non-interactive", "--name", target,
                             stdin=f"{self._folder}/{record.key_name}\n")
            if target == f"{item.group}/{item.name}":
                target = f"{self._folder}/{record.key_name}"
        return self._verify(target, record)

    def _verify(self, target: str, meant: KeyRecord) -> KeyRecord:
        """Read the item back and compare every field with what was meant to be stored."""
        item = self._item(self._lpass.show_one(target))
        parsed = note.parse(item.body)
        problems = []
        if parsed.note_type != self._layout.note_type:
            problems.append(f"note type is {parsed.note_type or 'missing'}")
        if item.name != meant.key_name or item.group != self._folder:
            problems.append("name or folder")
        found = note.note_values(parsed, self._layout)
        got = _comparable(found.values)
        want = _comparable(note.field_texts(meant, include_secrets=True))
        problems += [fid for fid in want if got[fid] != want[fid]]
        problems += [f"label {a}" for a in found.ambiguous]
        if problems:
            raise IntegrityError(
                f"LastPass did not store {meant.key_name!r} as written: "
                f"{', '.join(problems)} differ (item {item.target})",
                hint="inspect the item in LastPass; nothing else was changed after it")
        return self._record(item)

    # -- the journal ------------------------------------------------------------------------

    def log(self, event: EventDraft) -> Event:
        return self._journal.log(event)

    def events(self) -> list[Event]:
        return self._journal.events()

    def verify(self) -> LogVerification:
        return self._journal.verify()

    def fingerprint(self, value: str) -> str:
        return self._journal.fingerprint(value)

    def info(self) -> VaultInfo:
        journal = self._journal.info()
        return VaultInfo(
            backend="lastpass (lpass)", location=self._folder, vault_id=self.vault_id,
            kdf=journal.kdf, insecure_kdf=journal.insecure_kdf, records=len(self.records()),
            events=journal.events, format_version=1,
            extra={"note_type": self._layout.note_type or "",
                   "journal": "session only" if self._session_journal else journal.backend,
                   "fields": str(len(FIELDS))})

    def close(self) -> None:
        if self._session_journal:
            self._journal.close()
