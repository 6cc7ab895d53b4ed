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
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from seskeys.errors import Conflict, ExternalError, InputError, IntegrityError, NotFound
from seskeys.events import Event, EventDraft, LogVerification
from seskeys.interop import lastpass_note as note
from seskeys.interop.lpass import ListedItem, Lpass, NeedsPassword, NotUtf8
from seskeys.interop.records import read_record
from seskeys.model import KeyRecord, RecordSummary
from seskeys.template import FIELDS, TEMPLATE, LastPassType
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


@dataclass(frozen=True)
class Listing:
    """The folder as read: key records, items that are not, and every item name."""

    records: list[KeyRecord]
    unreadable: list[Foreign]
    names: frozenset[str]


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


def _item(entry: dict[str, str]) -> Item:
    """An entry of ``show --json``; its folder from ``fullname``, which has the share."""
    name, fullname = entry.get("name", ""), entry.get("fullname", "")
    group = (fullname[:-len(name) - 1] if name and fullname.endswith("/" + name)
             else entry.get("group", ""))
    return Item(entry.get("id", ""), group, name, entry.get("url", ""), entry.get("note", ""))


_NOTES = LastPassType.NOTES


class LastPassVault:
    def __init__(self, lpass: Lpass, layout: note.Layout, *, folder: str,
                 journal: Vault | None = None, today: date | None = None) -> None:
        if not folder or folder != folder.strip("/") or "//" in folder:
            raise InputError("LastPass folder: a folder name (sub-folders with \\, a shared "
                             "folder as Shared-Name/...), not starting or ending with /")
        layout.require_note_type()
        self._lpass = lpass
        self._layout = layout
        self._folder = folder
        self._journal: Vault = journal if journal is not None else MemoryVault()
        self._session_journal = journal is None
        self._today = today or date.today()

    # -- reading ----------------------------------------------------------------------------

    @property
    def vault_id(self) -> str:
        return self._journal.vault_id

    def _items(self) -> tuple[list[Item], list[Foreign], frozenset[str]]:
        listed = [i for i in self._lpass.ls(self._folder) if i.group == self._folder]
        names = frozenset(i.name for i in listed)
        count = Counter(i.target for i in listed)
        unreadable = [Foreign(i.name, f"{count[i.target]} items are called '{i.fullname}' and "
                                      "have no LastPass id yet, so they cannot be told apart")
                      for i in listed if count[i.target] > 1]
        listed = [i for i in listed if count[i.target] == 1]
        if not listed:
            return [], unreadable, names
        try:
            entries = self._lpass.show(*[i.target for i in listed])
        except (NeedsPassword, NotUtf8):  # one odd item fails the whole call: read each
            items, more = self._one_by_one(listed)
            return items, unreadable + more, names
        if len(entries) != len(listed):
            raise Conflict(f"LastPass folder '{self._folder}': {len(listed)} items listed but "
                           f"{len(entries)} read; two items share a name",
                           hint="give every item in the folder its own name")
        return [_item(e) for e in entries], unreadable, names

    def _one_by_one(self, listed: list[ListedItem]) -> tuple[list[Item], list[Foreign]]:
        items, unreadable = [], []
        for entry in listed:
            try:
                items.append(_item(self._lpass.show_one(entry.target)))
            except NeedsPassword:
                unreadable.append(Foreign(entry.name, "lpass cannot read it without the master "
                                          "password (is reprompt set on the item?)"))
            except NotUtf8:
                unreadable.append(Foreign(entry.name, "it holds text that is not UTF-8"))
        return items, unreadable

    def _record(self, item: Item) -> KeyRecord:
        if item.url != SECURE_NOTE_URL:
            raise InputError("not a secure note")
        parsed = note.parse(item.body)
        if parsed.problem:
            raise InputError(parsed.problem)
        if parsed.note_type != self._layout.note_type:
            raise InputError(f"note type {parsed.note_type or 'none'}, not "
                             f"{self._layout.note_type}")
        found = note.note_values(parsed, self._layout)
        if found.ambiguous:
            raise InputError("ambiguous labels: " + "; ".join(found.ambiguous))
        return read_record(found.values, self._journal, today=self._today,
                           record_id=item.record_id, version=etag(item.body)).record

    def read(self) -> Listing:
        """Every item of the folder: the key records, and the items that are not, with why."""
        items, unreadable, names = self._items()
        records = []
        for item in items:
            try:
                records.append(self._record(item))
            except InputError as exc:
                unreadable.append(Foreign(item.name, exc.message))
        return Listing(records, unreadable, names)

    def records(self) -> list[KeyRecord]:
        return self.read().records

    def summaries(self) -> list[RecordSummary]:
        return [RecordSummary.of(r) for r in self.records()]

    def get(self, record_id: str) -> KeyRecord:
        return self._record(_item(self._lpass.show_one(_target_of(record_id))))

    def by_name(self, key_name: str) -> list[KeyRecord]:
        wanted = key_name.strip().casefold()
        return [r for r in self.records() if r.key_name.casefold() == wanted]

    def by_access_key_id(self, access_key_id: str) -> list[KeyRecord]:
        return [r for r in self.records() if r.access_key_id == access_key_id.strip()]

    # -- writing ----------------------------------------------------------------------------

    def refusals(self, records: Sequence[KeyRecord]) -> dict[str, str]:
        """Why each record (by id) could not be written as it is; checked against one read."""
        listing = self.read()
        out = {}
        for record in records:
            try:
                self._check(record, listing)
            except InputError as exc:
                out[record.id] = exc.message
        return out

    def commit(self, change: Change) -> tuple[list[KeyRecord], Event]:
        if len({r.id for r in change.records}) != len(change.records):
            raise InputError("one change names the same record twice")
        listing = self.read()
        for record in change.records:  # every record checked and rendered before any write
            self._check(record, listing)
        stored = [self._write(record) for record in change.records]
        draft = change.event
        if draft.record_id is None and len(stored) == 1:
            draft = draft.model_copy(update={"record_id": stored[0].id})
        return stored, self._journal.log(draft)

    def commit_many(self, changes: Sequence[Change]) -> list[Event]:
        """Every record checked first; then each change in turn: LastPass has no transactions,
        so a failed write stops the rest."""
        listing = self.read()
        for change in changes:
            for record in change.records:
                self._check(record, listing)
        return [self.commit(change)[1] for change in changes]

    def _check(self, record: KeyRecord, listing: Listing) -> None:
        """What would stop a write of ``record``, raised before anything is written."""
        if "/" in record.key_name:
            raise InputError(f"key name {record.key_name!r}: lpass cannot store a name with '/'")
        if record.notes and record.notes != record.notes.strip():
            raise InputError(f"{record.key_name!r}: its notes start or end with spaces or blank "
                             "lines, which lpass trims on every edit",
                             hint=f"trim them first: seskeys edit {record.key_name!r} --set "
                                  "notes=... --ticket T")
        note.render_record(record, self._layout, include_secrets=True)
        others = [r for r in listing.records if r.id != record.id]
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
            return
        if record.version != 0:
            raise InputError(f"{record.key_name!r}: a record new to LastPass must be at "
                             "version 0")
        if record.key_name in listing.names:
            raise Conflict(f"an item named {record.key_name!r} already exists in "
                           f"'{self._folder}'")

    def _write(self, record: KeyRecord) -> KeyRecord:
        if record.id.startswith((ID_PREFIX, NAME_PREFIX)):
            return self._update(record)
        return self._create(record)

    def _create(self, record: KeyRecord) -> KeyRecord:
        body = note.render_record(record, self._layout, include_secrets=True)
        fullname = f"{self._folder}/{record.key_name}"
        self._lpass.add_note(fullname, body)
        return self._verify(fullname, record, created=True)

    def _update(self, record: KeyRecord) -> KeyRecord:
        target = _target_of(record.id)
        item = _item(self._lpass.show_one(target))
        if etag(item.body) != record.version:
            raise Conflict(f"{record.key_name!r} was changed in LastPass since it was read")
        parsed = note.parse(item.body)
        found = note.note_values(parsed, self._layout)
        before = _comparable(found.values)
        texts = note.field_texts(record, include_secrets=True)
        after = _comparable(texts)
        lines = [f"{found.labels.get(s.id, self._layout.label(s.id))}:"
                 f"{note.encode_value(texts[s.id], multiline=s.lastpass_type is _NOTES)}"
                 for s in note.BODY_FIELDS if before[s.id] != after[s.id]]
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

    def _verify(self, target: str, meant: KeyRecord, *, created: bool = False) -> KeyRecord:
        """Read the item back and compare every field with what was meant to be stored.

        Unless offline (``--sync=no``), the queued upload is waited for first (``lpass sync``)
        and the item read with ``--sync=now``; a new item that still has no id then was not
        accepted by LastPass.
        """
        online = self._lpass.sync != "no"
        if online:
            self._lpass.upload()
        item = _item(self._lpass.show_one(target, fresh=online))
        if online and created and item.id in ("", "0"):
            raise ExternalError(
                f"LastPass has not confirmed {meant.key_name!r}: after `lpass sync` the item is "
                "still only in lpass's local copy (no id yet)",
                hint="check the network and the LastPass session, run `lpass sync`, then "
                     "`seskeys sync lastpass diff`")
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
