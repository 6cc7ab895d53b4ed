"""Fault injection on a closed vault file: what an attacker or a broken disk could do to it.

SQL here is built from this module's own table and column names, never from input.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path
from typing import Any

RECORD_COLUMNS = ("id", "version", "event_seq", "page", "name_tag", "akid_tag", "body")


def _db(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


def flip(blob: bytes, index: int = -1) -> bytes:
    data = bytearray(blob)
    data[index] ^= 0x01
    return bytes(data)


def query(path: Path, sql: str, args: Sequence[Any] = ()) -> list[Any]:
    with closing(_db(path)) as conn:
        return conn.execute(sql, args).fetchall()


def execute(path: Path, sql: str, args: Sequence[Any] = ()) -> None:
    with closing(_db(path)) as conn:
        conn.execute(sql, args)


def record_row(path: Path, record_id: str) -> dict[str, Any]:
    rows = query(path, f"SELECT {', '.join(RECORD_COLUMNS)} FROM records WHERE id = ?",  # noqa: S608
                 (record_id,))
    return dict(zip(RECORD_COLUMNS, rows[0], strict=True))


def write_record_row(path: Path, row: dict[str, Any]) -> None:
    sets = ", ".join(f"{c} = ?" for c in RECORD_COLUMNS[1:])
    execute(path, f"UPDATE records SET {sets} WHERE id = ?",  # noqa: S608
            [row[c] for c in RECORD_COLUMNS[1:]] + [row["id"]])


def page_blob(path: Path, page: int) -> bytes:
    blob: bytes = query(path, "SELECT blob FROM pages WHERE page = ?", (page,))[0][0]
    return blob


def set_page_blob(path: Path, page: int, blob: bytes) -> None:
    execute(path, "UPDATE pages SET blob = ? WHERE page = ?", (blob, page))


def flip_column(path: Path, table: str, column: str, where: str, args: Sequence[Any],
                index: int = -1) -> None:
    (value,) = query(path, f"SELECT {column} FROM {table} WHERE {where}", args)[0]  # noqa: S608
    execute(path, f"UPDATE {table} SET {column} = ? WHERE {where}",  # noqa: S608
            (flip(value, index), *args))


def meta(path: Path, key: str) -> Any:
    return json.loads(query(path, "SELECT value FROM meta WHERE key = ?", (key,))[0][0])


def set_meta(path: Path, key: str, value: Any) -> None:
    execute(path, "UPDATE meta SET value = ? WHERE key = ?", (json.dumps(value), key))


def flip_in_file(path: Path, needle: bytes, offset: int = 0) -> None:
    """Flip one byte of the file where ``needle`` is stored, as a bad disk sector would."""
    data = bytearray(path.read_bytes())
    at = data.find(needle)
    assert at >= 0, "needle not in file"
    data[at + offset] ^= 0x01
    path.write_bytes(bytes(data))
