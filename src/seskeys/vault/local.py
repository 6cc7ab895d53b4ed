"""The embedded vault: one SQLite file, every field encrypted, a change and its event in one
transaction.

Tables:
  meta(key, value)            header (format, version, vault id, KDF, wrapped data key) and the
                              sealed state (record count, head of the event chain, page size
                              and the generation of every summary page)
  records(id, version, event_seq, page, name_tag, akid_tag, body)
  pages(page, blob)           the summaries `list` shows, up to the page size per page
  events(seq, record_id, mac, body)
  event_records(record_id, seq)   which events wrote which records

Every blob is AES-256-GCM. A body's associated data binds it to the vault, the row id, its
version, the event that wrote it, its summary page and its lookup tags; ``name_tag`` and
``akid_tag`` are keyed hashes for O(1) lookups, authenticated by that associated data (reads
never re-hash them). A record row is checked against the newest event naming it, so an old row
replayed in place of a newer one is caught (and `verify` re-derives that index from the sealed
events).

Summaries live in pages, so listing 100k records opens a few hundred small blobs instead of
reading 100k rows that also hold the bodies, while a write still touches one row and one page
(its cost does not grow with the vault). A page's associated data names its number and its
generation; the sealed state holds every page's generation and each write raises it, so a page
swapped with another, copied from another vault or replayed from an older copy fails
authentication.

Journal mode is WAL with full sync: one fsync per commit (DELETE mode needs several), a crash
leaves the previous or the next state, and closing the last connection folds the WAL back into
the one vault file.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import json
import os
import sqlite3
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from seskeys.errors import (
    Conflict,
    InputError,
    IntegrityError,
    NotFound,
    VaultBusy,
)
from seskeys.events import GENESIS, Action, Event, EventDraft, LogVerification, chain_mac
from seskeys.model import KeyRecord, RecordSummary
from seskeys.vault import Change, VaultInfo
from seskeys.vault import crypto as c

FORMAT = "seskeys-vault"
FORMAT_VERSION = 2
# Summaries per page: a write re-seals one page (about 30 kB at this size); listing opens
# count / PAGE_SIZE pages.
PAGE_SIZE = 256

_RECORDS = """
CREATE TABLE records (
    id TEXT PRIMARY KEY, version INTEGER NOT NULL, event_seq INTEGER NOT NULL,
    page INTEGER NOT NULL, name_tag BLOB NOT NULL, akid_tag BLOB NOT NULL, body BLOB NOT NULL);
CREATE INDEX records_name ON records(name_tag);
CREATE INDEX records_akid ON records(akid_tag);
CREATE TABLE pages (page INTEGER PRIMARY KEY, blob BLOB NOT NULL);
"""
_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE events (
    seq INTEGER PRIMARY KEY, record_id TEXT, mac BLOB NOT NULL, body BLOB NOT NULL);
CREATE TABLE event_records (
    record_id TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (record_id, seq)) WITHOUT ROWID;
""" + _RECORDS

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@functools.cache
def _summary_list() -> TypeAdapter[list[RecordSummary]]:
    return TypeAdapter(list[RecordSummary])


@contextlib.contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Building 100k summaries would start the cyclic collector hundreds of times, each pass
    walking every object built so far; tuples of text and dates hold no cycles to collect."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _statements(script: str) -> list[str]:
    return [s for s in script.split(";") if s.strip()]


class _Keys:
    def __init__(self, data_key: bytes) -> None:
        self.records = c.Sealer(c.subkey(data_key, "records"))
        self.events = c.Sealer(c.subkey(data_key, "events"))
        self.state = c.Sealer(c.subkey(data_key, "state"))
        self.chain = c.subkey(data_key, "event-chain")
        self.index = c.subkey(data_key, "name-index")
        self.fingerprint = c.subkey(data_key, "fingerprint")


@dataclass
class _Txn:
    """One write transaction: the sealed state read once, each touched page decoded once and
    re-sealed once, when the transaction ends."""

    conn: sqlite3.Connection
    state: dict[str, Any]
    pages: dict[int, list[RecordSummary]] = field(default_factory=dict)
    dirty: set[int] = field(default_factory=set)


def _header_ad(header: dict[str, Any]) -> bytes:
    return json.dumps(header, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _header_sum(header: dict[str, Any], wrapped: bytes) -> str:
    """An unkeyed checksum of the header and wrapped key.

    It tells a damaged or edited header (exit 4) from a wrong password (exit 3); it is not a
    defence by itself: whoever edits the header and recomputes it only gets "wrong password",
    because the header is also the associated data of the wrapped data key.
    """
    return hashlib.sha256(_header_ad(header) + b"|" + wrapped).hexdigest()


def _connect(path: Path, busy_timeout: float) -> sqlite3.Connection:
    return sqlite3.connect(path, timeout=busy_timeout, isolation_level=None)


def _use_wal(conn: sqlite3.Connection) -> None:
    """WAL with full sync; set only on a file known to be a vault, since the journal mode is
    stored in the file (a refused file is left as it was)."""
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")


@contextlib.contextmanager
def _db_errors(path: Path) -> Iterator[None]:
    """SQLite failures as typed errors: a busy lock is retryable, anything else is integrity."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        text = str(exc).lower()
        if "readonly" in text:
            raise InputError(f"cannot write {path}: the file or its folder is read-only"
                             ) from None
        if "locked" in text or "busy" in text:
            raise VaultBusy("the vault is busy: another seskeys process is writing",
                            hint="retry in a moment") from None
        raise IntegrityError(f"vault file {path} is damaged: {exc}") from None
    except sqlite3.DatabaseError as exc:
        raise IntegrityError(f"vault file {path} is damaged or not a vault: {exc}") from None
    except UnicodeDecodeError:
        raise IntegrityError(f"vault file {path} is damaged: a text column is not UTF-8"
                             ) from None


class LocalVault:
    """The default backend. Create with :meth:`create`, open with :meth:`open`."""

    def __init__(self, path: Path, conn: sqlite3.Connection, header: dict[str, Any],
                 data_key: bytes, clock: Clock) -> None:
        self._path = path
        self._conn = conn
        self._header = header
        self._data_key = data_key
        self._keys = _Keys(data_key)
        self._clock = clock

    # -- opening -------------------------------------------------------------------------

    @classmethod
    def create(cls, path: Path, password: str, params: c.KdfParams, *, actor: str,
               clock: Clock = utc_now, busy_timeout: float = 5.0,
               page_size: int = PAGE_SIZE) -> LocalVault:
        path = Path(path)
        if path.exists():
            raise Conflict(f"{path} already exists", hint="choose another --vault path")
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        os.close(fd)
        try:
            conn = _connect(path, busy_timeout)
            _use_wal(conn)
            data_key = c.new_data_key()
            header = {"format": FORMAT, "format_version": FORMAT_VERSION,
                      "vault_id": uuid.uuid4().hex, "kdf": params.to_json()}
            wrapped = c.wrap_key(c.derive_kek(password, params), data_key, _header_ad(header))
            vault = cls(path, conn, header, data_key, clock)
            # One transaction: a vault file always has its sealed state and its init event,
            # so a file without them is damaged, never an empty vault.
            with vault._write(new_file=True) as txn:
                for statement in _statements(_SCHEMA):
                    conn.execute(statement)
                for key, value in header.items():
                    conn.execute("INSERT INTO meta VALUES (?, ?)", (key, json.dumps(value)))
                conn.execute("INSERT INTO meta VALUES ('wrapped_key', ?)",
                             (json.dumps(wrapped.hex()),))
                conn.execute("INSERT INTO meta VALUES ('header_sum', ?)",
                             (json.dumps(_header_sum(header, wrapped)),))
                txn.state["page_size"] = page_size
                vault._append_event(txn, EventDraft(action=Action.INIT, actor=actor,
                                                    detail=params.describe()))
            return vault
        except BaseException:
            with contextlib.suppress(OSError):
                path.unlink()
            raise

    @classmethod
    def open(cls, path: Path, password: str, *, clock: Clock = utc_now,
             busy_timeout: float = 5.0) -> LocalVault:
        path = Path(path)
        if path.is_dir():
            raise InputError(f"{path} is a folder, not a vault file",
                             hint=f"name the file, for example --vault {path / 'vault.db'}")
        if not path.is_file():
            raise NotFound(f"no vault at {path}", hint="create one with `seskeys init`")
        with _db_errors(path):
            conn = _connect(path, busy_timeout)
            meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        header, wrapped = cls._read_header(path, meta)
        params = c.KdfParams.from_json(header["kdf"])
        c.check_kdf_strength(params)
        kek = c.derive_kek(password, params)
        data_key = c.unwrap_key(kek, wrapped, _header_ad(header))
        with _db_errors(path):
            _use_wal(conn)
        vault = cls(path, conn, header, data_key, clock)
        vault._check_anchor()
        if header["format_version"] < FORMAT_VERSION:
            vault._upgrade(kek)
        return vault

    @staticmethod
    def _read_header(path: Path, meta: dict[str, str]) -> tuple[dict[str, Any], bytes]:
        try:
            header = {k: json.loads(meta[k]) for k in ("format", "format_version", "vault_id",
                                                          "kdf")}
            wrapped = bytes.fromhex(json.loads(meta["wrapped_key"]))
            checksum = json.loads(meta["header_sum"])
        except (KeyError, ValueError, TypeError):
            raise IntegrityError(f"{path}: vault header is missing or unreadable") from None
        if checksum != _header_sum(header, wrapped):
            raise IntegrityError(f"{path}: vault header (format, vault id, KDF parameters or "
                                 "wrapped key) fails its checksum: damaged or tampered")
        if header["format"] != FORMAT:
            raise IntegrityError(f"{path} is not a seskeys vault")
        version = header["format_version"]
        if not isinstance(version, int) or version > FORMAT_VERSION:
            raise IntegrityError(f"{path}: vault format {version!r} is newer than this seskeys "
                                 "understands", hint="upgrade seskeys")
        if version < FORMAT_VERSION and any(v not in UPGRADES
                                            for v in range(version, FORMAT_VERSION)):
            raise InputError(f"{path}: vault format {version} is too old for this seskeys "
                             "to upgrade", hint="open it with an older seskeys first")
        if not isinstance(header["kdf"], dict):
            raise IntegrityError(f"{path}: vault header KDF is unreadable")
        return header, wrapped

    def _upgrade(self, kek: bytes) -> None:
        """Bring an older file to FORMAT_VERSION in one transaction, logged as an event: a
        crash leaves the old format, never a mix."""
        old = self._header["format_version"]
        header = dict(self._header, format_version=FORMAT_VERSION)
        wrapped = c.wrap_key(kek, self._data_key, _header_ad(header))
        with self._write() as txn:
            current = json.loads(txn.conn.execute(
                "SELECT value FROM meta WHERE key='format_version'").fetchone()[0])
            if current != old:
                raise VaultBusy("another seskeys process upgraded the vault just now",
                                hint="run the command again")
            for version in range(old, FORMAT_VERSION):
                UPGRADES[version](self, txn)
            self._write_header(txn.conn, header, wrapped)
            self._append_event(txn, EventDraft(
                action=Action.UPGRADE, actor="seskeys",
                detail=f"vault format {old} -> {FORMAT_VERSION}"))
        self._header = header
        with contextlib.suppress(sqlite3.Error):  # only returns the old tables' space
            self._conn.execute("VACUUM")

    @staticmethod
    def _write_header(conn: sqlite3.Connection, header: dict[str, Any], wrapped: bytes) -> None:
        for key in ("format_version", "kdf"):
            conn.execute("UPDATE meta SET value=? WHERE key=?", (json.dumps(header[key]), key))
        conn.execute("UPDATE meta SET value=? WHERE key='wrapped_key'",
                     (json.dumps(wrapped.hex()),))
        conn.execute("UPDATE meta SET value=? WHERE key='header_sum'",
                     (json.dumps(_header_sum(header, wrapped)),))

    def change_password(self, password: str, params: c.KdfParams, *, actor: str) -> Event:
        """Re-wrap the data key under a new master password; records are untouched."""
        header = dict(self._header, kdf=params.to_json())
        wrapped = c.wrap_key(c.derive_kek(password, params), self._data_key, _header_ad(header))
        draft = EventDraft(action=Action.PASSWD, actor=actor, detail=params.describe())
        with self._write() as txn:
            self._write_header(txn.conn, header, wrapped)
            event = self._append_event(txn, draft)
        self._header = header
        return event

    # -- properties ------------------------------------------------------------------------

    @property
    def vault_id(self) -> str:
        return str(self._header["vault_id"])

    @property
    def path(self) -> Path:
        return self._path

    @property
    def kdf(self) -> c.KdfParams:
        return c.KdfParams.from_json(self._header["kdf"])

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> LocalVault:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- associated data and tags ---------------------------------------------------------------

    def _body_ad(self, record_id: str, version: int, event_seq: int, page: int,
                 name_tag: bytes, akid_tag: bytes) -> bytes:
        return (f"{self.vault_id}|record|{record_id}|{version}|{event_seq}|{page}|body|"
                .encode() + name_tag + b"|" + akid_tag)

    def _page_ad(self, page: int, generation: int) -> bytes:
        return f"{self.vault_id}|page|{page}|{generation}".encode()

    def _event_ad(self, seq: int, record_id: str | None) -> bytes:
        return f"{self.vault_id}|event|{seq}|{record_id or ''}".encode()

    def _name_tag(self, key_name: str) -> bytes:
        return c.keyed_hash(self._keys.index, "name:" + key_name.strip().casefold())

    def _akid_tag(self, access_key_id: str) -> bytes:
        return c.keyed_hash(self._keys.index, "akid:" + access_key_id.strip())

    def fingerprint(self, value: str) -> str:
        return c.keyed_hash(self._keys.fingerprint, value).hex()[:32]

    # -- state: record count, chain head and page generations, sealed -----------------------

    @staticmethod
    def _new_state() -> dict[str, Any]:
        return {"count": 0, "head_seq": 0, "head_mac": GENESIS.hex(), "page_size": PAGE_SIZE,
                "pages": []}

    def _read_state(self, conn: sqlite3.Connection) -> dict[str, Any]:
        row = conn.execute("SELECT value FROM meta WHERE key='state'").fetchone()
        if row is None:  # written with the init event, in the transaction that made the file
            raise IntegrityError("the vault's sealed state is missing (damaged or tampered)")
        state = self._new_state()
        try:
            blob = bytes.fromhex(json.loads(row[0]))
        except (ValueError, TypeError):
            raise IntegrityError("the vault's sealed state is unreadable (damaged)") from None
        plain = self._keys.state.open(blob, f"{self.vault_id}|state".encode(), "vault state")
        state.update(json.loads(plain))
        return state

    def _write_state(self, conn: sqlite3.Connection, state: dict[str, Any]) -> None:
        blob = self._keys.state.seal(json.dumps(state).encode(), f"{self.vault_id}|state".encode())
        conn.execute("INSERT OR REPLACE INTO meta VALUES ('state', ?)", (json.dumps(blob.hex()),))

    # -- summary pages ----------------------------------------------------------------------------

    def _open_pages(self, rows: Sequence[Sequence[Any]], state: dict[str, Any]
                    ) -> list[bytes]:
        """Decrypt every page; the sealed state says which pages exist and at which
        generation, so a missing, extra, swapped or stale page fails here."""
        generations = state["pages"]
        if [row[0] for row in rows] != list(range(len(generations))):
            raise IntegrityError(f"the vault's summary pages are not the {len(generations)} its "
                                 "sealed state lists (pages were removed or added)")
        return [self._keys.records.open(blob, self._page_ad(page, generations[page]),
                                        f"summary page {page}") for page, blob in rows]

    def _decode_pages(self, plains: Sequence[bytes]) -> list[RecordSummary]:
        """All pages validated in one pydantic call (fast at 100k); a bad one is named."""
        inner = [p[1:-1] for p in plains if len(p) > 2]  # each page is one JSON array
        try:
            with _no_cyclic_gc():
                return _summary_list().validate_json(b"[" + b",".join(inner) + b"]")
        except ValidationError:
            for page, plain in enumerate(plains):
                try:
                    _summary_list().validate_json(plain)
                except ValidationError:
                    raise IntegrityError(f"summary page {page} is unreadable") from None
            raise IntegrityError("the summary pages are unreadable") from None

    def _page(self, txn: _Txn, page: int) -> list[RecordSummary]:
        if page not in txn.pages:
            if not 0 <= page < len(txn.state["pages"]):
                raise IntegrityError(f"a record names summary page {page}, which the sealed "
                                     "state does not list (tampered)")
            row = txn.conn.execute("SELECT blob FROM pages WHERE page = ?", (page,)).fetchone()
            if row is None:
                raise IntegrityError(f"summary page {page} is missing (removed)")
            plain = self._keys.records.open(
                row[0], self._page_ad(page, txn.state["pages"][page]), f"summary page {page}")
            txn.pages[page] = self._decode_pages([plain])
        return txn.pages[page]

    def _free_page(self, txn: _Txn) -> int:
        """The page a new record goes to: the last one while it has room, else a new one."""
        generations = txn.state["pages"]
        if generations and len(self._page(txn, len(generations) - 1)) < txn.state["page_size"]:
            return len(generations) - 1
        generations.append(0)
        txn.pages[len(generations) - 1] = []
        return len(generations) - 1

    def _put_summary(self, txn: _Txn, page: int, summary: RecordSummary) -> None:
        entries = self._page(txn, page)
        for i, entry in enumerate(entries):
            if entry.id == summary.id:
                entries[i] = summary
                break
        else:
            entries.append(summary)
        txn.dirty.add(page)

    def _flush(self, txn: _Txn) -> None:
        """Re-seal the touched pages at their next generation, then the state naming them."""
        for page in sorted(txn.dirty):
            txn.state["pages"][page] += 1
            plain = _summary_list().dump_json(txn.pages[page])
            blob = self._keys.records.seal(plain, self._page_ad(page, txn.state["pages"][page]))
            txn.conn.execute("INSERT OR REPLACE INTO pages VALUES (?, ?)", (page, blob))
        self._write_state(txn.conn, txn.state)

    # -- reading -------------------------------------------------------------------------------

    def _decode_body(self, row: Sequence[Any]) -> KeyRecord:
        """A row's body; the associated data also authenticates the clear columns (version,
        writing event, page and lookup tags), so a changed column fails like a changed blob."""
        _check_types(row[:7], (str, int, int, int, bytes, bytes, bytes))
        record_id, version, event_seq, page, name_tag, akid_tag, blob = row[:7]
        plain = self._keys.records.open(
            blob, self._body_ad(record_id, version, event_seq, page, name_tag, akid_tag),
            f"record {record_id}")
        return _record_of(plain, record_id, version)

    def _check_fresh(self, rows: Sequence[Sequence[Any]]) -> None:
        """Each row must be the one the newest event for it wrote: catches replayed rows."""
        for row in rows:
            record_id, event_seq, newest, written_by = row[0], row[2], row[-2], row[-1]
            if not written_by:
                raise IntegrityError(f"record {record_id}: event {event_seq}, which wrote it, "
                                     "is missing from the log (deleted)")
            if newest != event_seq:
                raise IntegrityError(
                    f"record {record_id} is not the version the event log last wrote "
                    "(an old row was replayed or the log was cut)")

    @staticmethod
    def _check_count(state: dict[str, Any], found: int) -> None:
        if found != state["count"]:
            raise IntegrityError(f"the vault holds {found} records but its sealed state says "
                                 f"{state['count']} (rows were removed or added)")

    _SELECT = ("SELECT r.id, r.version, r.event_seq, r.page, r.name_tag, r.akid_tag, r.body, "
               "(SELECT MAX(w.seq) FROM event_records w WHERE w.record_id = r.id), "
               "EXISTS (SELECT 1 FROM events e WHERE e.seq = r.event_seq) "
               "FROM records r")

    def _rows(self, where: str = "", args: Sequence[Any] = (), txn: _Txn | None = None
              ) -> list[Any]:
        """Record rows, each proven current twice: against the newest event naming it (the
        clear index) and against its entry in its summary page (sealed, and bound to the
        sealed state), so an old row written back is refused even with the index rewritten.
        Inside a write, ``txn`` holds the pages as this transaction has changed them."""
        sql = self._SELECT + (f" WHERE {where}" if where else "")
        with _db_errors(self._path), self._read():
            rows = self._conn.execute(sql, args).fetchall()
            if rows:
                txn = txn or _Txn(self._conn, self._read_state(self._conn))
                for row in rows:
                    _check_types(row[:4], (str, int, int, int))
                    self._check_listed(txn, row[0], row[1], row[3])
        self._check_fresh(rows)
        return rows

    def _check_listed(self, txn: _Txn, record_id: str, version: int, page: int) -> None:
        listed = next((s.version for s in self._page(txn, page) if s.id == record_id), None)
        if listed != version:
            raise IntegrityError(f"record {record_id} is not the version its summary page "
                                 "lists (an old row was written back, or the row was moved)")

    def summaries(self) -> list[RecordSummary]:
        """Every record's summary, from the pages alone; the record and event counts are
        checked against the sealed state, so removed rows or a cut log are refused too."""
        with _db_errors(self._path), self._read():
            state = self._read_state(self._conn)
            rows = self._conn.execute("SELECT page, blob FROM pages ORDER BY page").fetchall()
            (records,) = self._conn.execute("SELECT COUNT(*) FROM records").fetchone()
            (last_event,) = self._conn.execute("SELECT MAX(seq) FROM events").fetchone()
        self._check_count(state, records)
        if (last_event or 0) != state["head_seq"]:
            raise IntegrityError(f"the log ends at event {last_event} but the vault's sealed "
                                 f"head is event {state['head_seq']} (events were removed)")
        summaries = self._decode_pages(self._open_pages(rows, state))
        if len(summaries) != state["count"]:
            raise IntegrityError(f"the summary pages list {len(summaries)} records but the "
                                 f"sealed state says {state['count']} (tampered)")
        return summaries

    def records(self) -> list[KeyRecord]:
        with _db_errors(self._path), self._read():
            rows = self._rows()
            state = self._read_state(self._conn)
        self._check_count(state, len(rows))
        return [self._decode_body(r) for r in rows]

    def get(self, record_id: str) -> KeyRecord:
        rows = self._rows("r.id = ?", (record_id,))
        if not rows:
            raise NotFound(f"no record with id {record_id}")
        return self._decode_body(rows[0])

    def by_name(self, key_name: str) -> list[KeyRecord]:
        rows = self._rows("r.name_tag = ?", (self._name_tag(key_name),))
        return [self._decode_body(r) for r in rows]

    def by_access_key_id(self, access_key_id: str) -> list[KeyRecord]:
        rows = self._rows("r.akid_tag = ?", (self._akid_tag(access_key_id),))
        records = [self._decode_body(r) for r in rows]
        for record in records:
            if record.access_key_id != access_key_id.strip():
                raise IntegrityError(f"record {record.id} does not match its index (tampered)")
        return records

    @contextlib.contextmanager
    def _read(self) -> Iterator[None]:
        """A consistent snapshot across several SELECTs (inside a write, that write's)."""
        if self._conn.in_transaction:
            yield
            return
        self._conn.execute("BEGIN")
        try:
            yield
        finally:
            self._conn.execute("COMMIT")

    # -- writing -------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _write(self, *, new_file: bool = False) -> Iterator[_Txn]:
        conn = self._conn
        with _db_errors(self._path):
            conn.execute("BEGIN IMMEDIATE")
            try:
                txn = _Txn(conn, self._new_state() if new_file else self._read_state(conn))
                yield txn
                self._flush(txn)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        self._record_anchor()

    # -- the head anchor: a rollback detector outside the database ------------------------------

    @property
    def _anchor(self) -> Path:
        return self._path.with_name(self._path.name + ".head")

    def _read_anchor(self) -> dict[str, Any] | None:
        """The newest head this file was seen at; advisory, so unreadable means absent."""
        try:
            data = json.loads(self._anchor.read_text("utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("vault_id") != self.vault_id \
                or not isinstance(data.get("head_seq"), int):
            return None
        return data

    def _record_anchor(self) -> None:
        """After each commit, note the head beside the file (never moving it backwards), so a
        vault later found at an older head — its WAL deleted, or an older copy restored over
        it — is refused instead of read as current."""
        with _db_errors(self._path):
            state = self._read_state(self._conn)
        known = self._read_anchor()
        if known is not None and known["head_seq"] >= state["head_seq"]:
            return
        tmp = self._anchor.with_name(f"{self._anchor.name}.{os.getpid()}.tmp")
        with contextlib.suppress(OSError):
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump({"vault_id": self.vault_id, "head_seq": state["head_seq"],
                           "head_mac": state["head_mac"]}, handle)
            os.replace(tmp, self._anchor)

    def _check_anchor(self) -> None:
        known = self._read_anchor()
        if known is None:
            return
        with _db_errors(self._path):
            state = self._read_state(self._conn)
        behind = known["head_seq"] > state["head_seq"]
        forked = known["head_seq"] == state["head_seq"] and known.get("head_mac") != \
            state["head_mac"]
        if behind or forked:
            raise IntegrityError(
                f"{self._path} is at event {state['head_seq']} but was last seen at event "
                f"{known['head_seq']}: committed changes are missing (its WAL was deleted or "
                "an older copy was put in its place)",
                hint=f"restore the newest copy; {self._anchor.name} records the head last seen")

    def _append_event(self, txn: _Txn, draft: EventDraft, written: tuple[str, ...] = ()
                      ) -> Event:
        state = txn.state
        seq = int(state["head_seq"]) + 1
        event = Event(**draft.model_dump(), seq=seq, at=self._clock(), records=written)
        mac = chain_mac(self._keys.chain, bytes.fromhex(state["head_mac"]), event)
        event = event.model_copy(update={"mac": mac.hex()})
        body = self._keys.events.seal(event.canonical(), self._event_ad(seq, event.record_id))
        txn.conn.execute("INSERT INTO events VALUES (?, ?, ?, ?)",
                         (seq, event.record_id, mac, body))
        txn.conn.executemany("INSERT INTO event_records VALUES (?, ?)",
                             [(r, seq) for r in written])
        state.update(head_seq=seq, head_mac=mac.hex())
        return event

    def _store(self, txn: _Txn, record: KeyRecord, event_seq: int) -> KeyRecord:
        conn = txn.conn
        row = conn.execute("SELECT version, page FROM records WHERE id = ?",
                           (record.id,)).fetchone()
        stored_version = row[0] if row else 0
        if stored_version != record.version:
            raise Conflict(f"record {record.key_name!r} was changed by another command; "
                           "nothing was written", hint="run the command again")
        if row:
            self._check_listed(txn, record.id, row[0], row[1])
        if record.status.holds_name:
            self._check_unique_name(txn, record)
        new = record.model_copy(update={"version": record.version + 1})
        page = row[1] if row else self._free_page(txn)
        self._put_summary(txn, page, RecordSummary.of(new))
        body = json.dumps(new.to_storage(), ensure_ascii=False).encode("utf-8")
        tags = (self._name_tag(new.key_name), self._akid_tag(new.access_key_id))
        sealed = self._keys.records.seal(
            body, self._body_ad(new.id, new.version, event_seq, page, *tags))
        if row:
            conn.execute("UPDATE records SET version=?, event_seq=?, page=?, name_tag=?, "
                         "akid_tag=?, body=? WHERE id=?",
                         (new.version, event_seq, page, *tags, sealed, new.id))
        else:
            conn.execute("INSERT INTO records VALUES (?, ?, ?, ?, ?, ?, ?)",
                         (new.id, new.version, event_seq, page, *tags, sealed))
            txn.state["count"] += 1
        return new

    def _check_unique_name(self, txn: _Txn, record: KeyRecord) -> None:
        rows = self._rows("r.name_tag = ? AND r.id != ?",
                          (self._name_tag(record.key_name), record.id), txn)
        for row in rows:
            if self._decode_body(row).status.holds_name:
                raise Conflict(f"key name {record.key_name!r} is already used by a record that "
                               "is not revoked", hint="choose another --key-name")

    def _apply(self, txn: _Txn, change: Change) -> tuple[list[KeyRecord], Event]:
        ids = {r.id for r in change.records}
        if len(ids) != len(change.records):
            raise InputError("one change names the same record twice")
        event = self._append_event(txn, change.event, tuple(r.id for r in change.records))
        stored = [self._store(txn, record, event.seq) for record in change.records]
        return stored, event

    def commit(self, change: Change) -> tuple[list[KeyRecord], Event]:
        if change.event.record_id is None and len(change.records) == 1:
            change = Change(change.records, change.event.model_copy(
                update={"record_id": change.records[0].id}))
        with self._write() as txn:
            return self._apply(txn, change)

    def commit_many(self, changes: Sequence[Change]) -> list[Event]:
        """Several changes in one transaction: all land or none does."""
        with self._write() as txn:
            return [self._apply(txn, ch)[1] for ch in changes]

    def log(self, event: EventDraft) -> Event:
        with self._write() as txn:
            return self._append_event(txn, event)

    # -- the log ------------------------------------------------------------------------------

    def _decode_event(self, seq: int, record_id: str | None, mac: bytes, body: bytes) -> Event:
        plain = self._keys.events.open(body, self._event_ad(seq, record_id), f"event {seq}")
        try:
            event = Event.model_validate_json(plain)
        except ValidationError:
            raise IntegrityError(f"event {seq} is unreadable") from None
        if event.seq != seq or event.record_id != record_id:
            raise IntegrityError(f"event {seq} does not match its row (tampered)")
        return event.model_copy(update={"mac": mac.hex()})

    def _chain(self, rows: Sequence[Sequence[Any]], state: dict[str, Any]
               ) -> tuple[list[Event], LogVerification]:
        """Decode the events in order, checking each MAC link and the sealed head."""
        events: list[Event] = []
        previous, last_seq = GENESIS, 0
        for seq, record_id, mac, body in rows:
            if not (isinstance(seq, int) and isinstance(mac, bytes) and isinstance(body, bytes)
                    and (record_id is None or isinstance(record_id, str))):
                return events, _broken(len(events), last_seq + 1,
                                       f"the row after event {last_seq} is damaged")
            if seq != last_seq + 1:
                return events, _broken(len(events), last_seq + 1,
                                       f"events {last_seq + 1}..{seq - 1} are missing")
            try:
                event = self._decode_event(seq, record_id, mac, body)
            except IntegrityError as exc:
                return events, _broken(len(events), seq, exc.message)
            if chain_mac(self._keys.chain, previous, event) != mac:
                return events, _broken(len(events), seq,
                                       "its MAC does not chain from the previous event")
            previous, last_seq = mac, seq
            events.append(event)
        if state["head_seq"] != last_seq or state["head_mac"] != previous.hex():
            return events, _broken(len(events), last_seq + 1,
                                   f"the log ends at event {last_seq} but the vault's sealed "
                                   f"head is event {state['head_seq']} (events were removed)")
        return events, LogVerification(ok=True, events=len(events), head_seq=last_seq,
                                       head_mac=previous.hex())

    def _event_rows(self) -> tuple[list[Any], dict[str, Any]]:
        rows = self._conn.execute("SELECT seq, record_id, mac, body FROM events "
                                  "ORDER BY seq").fetchall()
        return rows, self._read_state(self._conn)

    def events(self) -> list[Event]:
        """The whole log; a broken chain is an error, never a shorter log."""
        with _db_errors(self._path), self._read():
            rows, state = self._event_rows()
        events, result = self._chain(rows, state)
        if not result.ok:
            raise IntegrityError(f"event log broken at event {result.first_bad_seq}: "
                                 f"{result.problem}", hint="run `seskeys log --verify`")
        return events

    def verify(self) -> LogVerification:
        """Walk the whole chain, then check the head, that every record row is current and
        that the summary pages list exactly the stored rows at their versions."""
        with _db_errors(self._path), self._read():
            rows, state = self._event_rows()
            record_rows = self._conn.execute(
                "SELECT id, event_seq, version, page FROM records").fetchall()
            page_rows = self._conn.execute("SELECT page, blob FROM pages ORDER BY page"
                                           ).fetchall()
        events, result = self._chain(rows, state)
        if not result.ok:
            return result
        newest: dict[str, int] = {}
        for event in events:
            newest.update(dict.fromkeys(event.records, event.seq))
        count, last_seq = len(events), result.head_seq or 0
        for record_id, event_seq, _, _ in record_rows:
            if newest.get(record_id) != event_seq:
                return _broken(count, event_seq,
                               f"record {record_id} is not the version its newest event wrote")
        if len(record_rows) != state["count"]:
            return _broken(count, last_seq, "the number of records differs from the sealed state")
        try:
            plains = self._open_pages(page_rows, state)
            listed = {s.id: (s.version, page) for page, plain in enumerate(plains)
                      for s in self._decode_pages([plain])}
        except IntegrityError as exc:
            return _broken(count, last_seq, exc.message)
        for record_id, _, version, page in record_rows:
            if listed.pop(record_id, None) != (version, page):
                return _broken(count, last_seq, f"record {record_id} is not listed as stored "
                               f"(its summary page {page} is stale or tampered)")
        if listed:
            return _broken(count, last_seq, f"the summary pages list record "
                           f"{next(iter(listed))}, which is not stored")
        return result

    def info(self) -> VaultInfo:
        params = self.kdf
        with _db_errors(self._path), self._read():
            records = self._conn.execute("SELECT COUNT(*) FROM records").fetchone()[0]
            events = self._conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
            state = self._read_state(self._conn)
        self._check_count(state, records)
        if events != state["head_seq"]:
            raise IntegrityError(f"the vault holds {events} events but its sealed head is event "
                                 f"{state['head_seq']} (events were removed or added)")
        return VaultInfo(backend="local", location=str(self._path), vault_id=self.vault_id,
                         kdf=params.describe(), insecure_kdf=params.profile == c.INSECURE_TEST,
                         records=records, events=events,
                         format_version=int(self._header["format_version"]))


def _check_types(row: Sequence[Any], types: Sequence[type]) -> None:
    """Clear columns of the expected type: SQLite stores whatever is written to it."""
    for value, expected in zip(row, types, strict=True):
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise IntegrityError(f"record {row[0] if isinstance(row[0], str) else '?'}: a "
                                 "column of its row is damaged (wrong type)")


def _record_of(plain: bytes, record_id: str, version: int) -> KeyRecord:
    try:
        record = KeyRecord.model_validate_json(plain)
    except ValidationError:
        raise IntegrityError(f"record {record_id} is unreadable") from None
    if record.id != record_id or record.version != version:
        raise IntegrityError(f"record {record_id} does not match its row (tampered)")
    return record


def _upgrade_1_to_2(vault: LocalVault, txn: _Txn) -> None:
    """Format 1 sealed a summary beside every body; format 2 keeps summaries in pages and
    binds each body to its page. Every row is authenticated and checked current first."""
    conn = txn.conn
    events = conn.execute("SELECT seq, record_id, mac, body FROM events ORDER BY seq").fetchall()
    decoded, chain = vault._chain(events, txn.state)
    if not chain.ok:
        raise IntegrityError(f"event log broken at event {chain.first_bad_seq}: "
                             f"{chain.problem}; the vault was not upgraded",
                             hint="restore an undamaged copy")
    rows = conn.execute(
        "SELECT r.id, r.version, r.event_seq, r.name_tag, r.akid_tag, r.summary, r.body, "
        "(SELECT MAX(w.seq) FROM event_records w WHERE w.record_id = r.id), "
        "EXISTS (SELECT 1 FROM events e WHERE e.seq = r.event_seq) "
        "FROM records r ORDER BY r.rowid").fetchall()
    newest: dict[str, int] = {}  # from the sealed events, not the clear index
    for event in decoded:
        newest.update(dict.fromkeys(event.records, event.seq))
    for row in rows:
        _check_types(row[:7], (str, int, int, bytes, bytes, bytes, bytes))
        if newest.get(row[0]) != row[2]:
            raise IntegrityError(f"record {row[0]} is not the version its newest event wrote "
                                 "(an old row was written back); the vault was not upgraded",
                                 hint="restore an undamaged copy")
    vault._check_fresh(rows)
    LocalVault._check_count(txn.state, len(rows))
    for statement in ("DROP INDEX records_name", "DROP INDEX records_akid",
                      "ALTER TABLE records RENAME TO records_format_1",
                      *_statements(_RECORDS)):
        conn.execute(statement)
    txn.state.update(page_size=PAGE_SIZE, pages=[])
    for record_id, version, event_seq, name_tag, akid_tag, summary, blob, _, _ in rows:
        ad = f"{vault.vault_id}|record|{record_id}|{version}|{event_seq}|{{}}|".encode()
        tags = name_tag + b"|" + akid_tag
        vault._keys.records.open(summary, ad.replace(b"{}", b"summary") + tags,
                                 f"record {record_id}")
        plain = vault._keys.records.open(blob, ad.replace(b"{}", b"body") + tags,
                                         f"record {record_id}")
        record = _record_of(plain, record_id, version)
        page = vault._free_page(txn)
        vault._put_summary(txn, page, RecordSummary.of(record))
        sealed = vault._keys.records.seal(
            plain, vault._body_ad(record_id, version, event_seq, page, name_tag, akid_tag))
        conn.execute("INSERT INTO records VALUES (?, ?, ?, ?, ?, ?, ?)",
                     (record_id, version, event_seq, page, name_tag, akid_tag, sealed))
    conn.execute("DROP TABLE records_format_1")


# Ordered upgrade steps: UPGRADES[n] turns a version-n file into version n+1, inside the
# transaction that also rewrites the header and logs the upgrade.
UPGRADES: dict[int, Callable[[LocalVault, _Txn], None]] = {1: _upgrade_1_to_2}


def _broken(count: int, seq: object, problem: str) -> LogVerification:
    """A failed verification; a damaged row may yield a non-integer sequence number."""
    return LogVerification(ok=False, events=count,
                           first_bad_seq=seq if isinstance(seq, int) else None, problem=problem)
