"""LastPass CSV files: reading what LastPass and ``lpass`` write, writing what they import.

Two headers exist (LASTPASS.md §3): the web vault's ``url,username,password,totp,extra,name,
grouping,fav`` and ``lpass``'s, without ``totp``. Columns are found by name. The reader is a
real CSV parser and tolerates a BOM, CRLF or LF, leading and blank lines, and multi-line
quoted values; HTML entities (some exports escape ``&``, ``<``, ``>``) are decoded only when
asked, otherwise reported. The writer emits UTF-8 without BOM, minimal quoting, CRLF after
every record, one secure note (``url`` = ``http://sn``) per key with the body in ``extra``.
"""

from __future__ import annotations

import codecs
import csv
import html
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from seskeys.errors import InputError
from seskeys.interop import lastpass_note as note
from seskeys.model import KeyRecord

SECURE_NOTE_URL = "http://sn"
WEB_COLUMNS = ("url", "username", "password", "totp", "extra", "name", "grouping", "fav")
LPASS_COLUMNS = ("url", "username", "password", "extra", "name", "grouping", "fav")
_REQUIRED = ("url", "extra", "name")
_ENTITY = re.compile(r"&(?:amp|lt|gt|quot|apos|#\d{1,6}|#x[0-9a-fA-F]{1,6});")


class Header(StrEnum):
    WEB = "web"
    LPASS = "lpass"

    @property
    def columns(self) -> tuple[str, ...]:
        return WEB_COLUMNS if self is Header.WEB else LPASS_COLUMNS


@dataclass(frozen=True)
class Row:
    """One data record of the file; ``line`` is where it starts (1-based)."""

    line: int
    url: str = ""
    username: str = ""
    password: str = ""
    totp: str = ""
    extra: str = ""
    name: str = ""
    grouping: str = ""
    fav: str = ""
    problem: str | None = None
    entities: bool = False


@dataclass(frozen=True)
class CsvFile:
    header: tuple[str, ...]
    rows: tuple[Row, ...]


def decode_bytes(data: bytes, source: str) -> str:
    """Text of a file saved by any editor: UTF-8 (with or without BOM) or UTF-16 with BOM."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{source}: not UTF-8 text (byte {exc.start})",
                         hint="save the export as UTF-8 and try again") from None


def _header(cells: list[str]) -> dict[str, int]:
    names = [c.strip().lstrip("\ufeff").strip().lower() for c in cells]
    index = {name: i for i, name in enumerate(names) if name in WEB_COLUMNS}
    missing = [c for c in _REQUIRED if c not in index]
    if missing:
        raise InputError("not a LastPass CSV export: the header lacks "
                         + ", ".join(missing),
                         hint="expected " + ",".join(WEB_COLUMNS))
    return index


def read(text: str, *, decode_entities: bool = False) -> CsvFile:
    """Every data row of a LastPass CSV export, with its line number."""
    text = text.lstrip("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""), strict=False)
    index: dict[str, int] | None = None
    header: list[str] = []
    rows: list[Row] = []
    previous_end = 0
    try:
        for cells in reader:
            start, previous_end = previous_end + 1, reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if index is None:
                index, header = _header(cells), cells
                continue
            rows.append(_row(start, cells, index, len(header), decode_entities))
    except csv.Error as exc:
        raise InputError(f"CSV error near line {reader.line_num}: {exc}") from None
    if index is None:
        raise InputError("the file holds no LastPass CSV header")
    return CsvFile(tuple(c.strip().lower() for c in header), tuple(rows))


def _row(line: int, cells: list[str], index: dict[str, int], width: int,
         decode_entities: bool) -> Row:
    problem = None
    if len(cells) != width:
        problem = (f"{len(cells)} cells where the header has {width} "
                   "(an unquoted comma or a broken quote?)")
    values = {name: (cells[i] if i < len(cells) else "") for name, i in index.items()}
    entities = any(_ENTITY.search(v) for v in values.values())
    if decode_entities:
        values = {k: html.unescape(v) for k, v in values.items()}
    return Row(line=line, problem=problem, entities=entities and not decode_entities, **values)


def write(records: Iterable[KeyRecord], layout: note.Layout, *, include_secrets: bool,
          header: Header = Header.WEB, folder: str = "") -> str:
    """A CSV LastPass imports: one secure note of our type per record."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header.columns)
    for record in records:
        body = note.render_record(record, layout, include_secrets=include_secrets)
        if header is Header.LPASS:  # lpass import strips trailing newlines of every value
            body = body.rstrip("\r\n")
        cells = {"url": SECURE_NOTE_URL, "extra": body, "name": record.key_name,
                 "grouping": folder, "fav": "0"}
        writer.writerow([cells.get(c, "") for c in header.columns])
    return buffer.getvalue()
