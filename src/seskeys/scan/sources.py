"""Where text comes from: plain files (streamed in chunks), e-mails, office documents, notebooks.

A source turns one file or blob into :class:`Unit` buffers of text bytes. Containers are opened
with the standard library only: ``email`` (policy ``default``) decodes base64,
quoted-printable with soft line breaks, charsets, HTML parts, nested multiparts and attached
messages; ``zipfile`` and ``xml.etree`` read the text of .docx/.xlsx/.pptx/.odt; ``json`` reads
notebooks. Anything else that is not text is skipped, with the reason.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import email
import email.policy
import io
import json
import os
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage, Message
from html.parser import HTMLParser
from typing import IO, Any
from xml.etree import ElementTree

CHUNK_BYTES = 8 * 1024 * 1024
OVERLAP_BYTES = 512
SNIFF_BYTES = 8192
MAX_NESTING = 5
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024

EMAIL_SUFFIXES = frozenset({".eml", ".mbox", ".mbx"})
OOXML_SUFFIXES = frozenset({".docx", ".docm", ".dotx", ".xlsx", ".xlsm", ".pptx", ".pptm"})
ODF_SUFFIXES = frozenset({".odt", ".ods", ".odp", ".ott"})
NOTEBOOK_SUFFIXES = frozenset({".ipynb"})
_CONTAINER_SUFFIXES = OOXML_SUFFIXES | ODF_SUFFIXES | NOTEBOOK_SUFFIXES | EMAIL_SUFFIXES

_HEADER_LINE = re.compile(rb"^[A-Za-z][A-Za-z0-9-]{1,40}:[ \t]")
_MIME_HEADERS = re.compile(rb"(?im)^(?:mime-version|content-type|content-transfer-encoding"
                           rb"|received|message-id|return-path):")
_MBOX_SEPARATOR = re.compile(rb"(?m)^From [^\r\n]*\r?\n")
_CUT_BYTES = re.compile(rb"[^A-Za-z0-9+/=]")


class Unscannable(Exception):
    """The file or blob cannot be read as text; the message says why."""


@dataclass(frozen=True)
class Unit:
    """A buffer of text bytes from one place. Hits before ``skip_before`` belong to the chunk
    before (the overlap only gives context), ``first_line`` numbers the buffer's first line."""

    data: bytes
    part: str | None = None
    first_line: int = 1
    skip_before: int = 0


def suffix_of(name: str) -> str:
    return os.path.splitext(name.lower())[1]


# -- plain files --------------------------------------------------------------------------------

def file_units(stream: IO[bytes], name: str) -> Iterator[Unit]:
    """Units of an open file: containers read whole, plain text streamed in chunks."""
    head = stream.read(SNIFF_BYTES)
    kind = _kind(name, head)
    if kind != "text":
        yield from bytes_units(head + stream.read(), name)
        return
    yield from _chunks(stream, head)


def bytes_units(data: bytes, name: str, depth: int = 0) -> Iterator[Unit]:
    """Units of a whole buffer (a git blob, an attachment, a small file)."""
    if depth > MAX_NESTING:
        raise Unscannable("containers nested too deeply")
    kind = _kind(name, data[:SNIFF_BYTES])
    if kind == "text":
        yield Unit(_as_utf8(data))
    elif kind == "email":
        yield from email_units(data, depth)
    elif kind == "mbox":
        yield from mbox_units(data, depth)
    elif kind == "office":
        yield from office_units(data)
    elif kind == "notebook":
        yield from notebook_units(data)
    else:
        raise Unscannable(kind)


def _kind(name: str, head: bytes) -> str:
    suffix = suffix_of(name)
    if suffix in OOXML_SUFFIXES or suffix in ODF_SUFFIXES:
        return "office"
    if suffix in NOTEBOOK_SUFFIXES:
        return "notebook"
    if suffix in (".mbox", ".mbx") or head.startswith(b"From "):
        return "mbox"
    if suffix in EMAIL_SUFFIXES:
        return "email"
    if _utf16(head):
        return "text"
    if _binary(head):
        return "binary file"
    if _HEADER_LINE.match(head) and _MIME_HEADERS.search(head):
        return "email"
    return "text"


_CONTROL = bytes(b for b in range(32) if b not in b"\t\n\r\f\v\x1b") + b"\x7f"


def _binary(head: bytes) -> bool:
    """Many NULs or control bytes (random data has about 11%); a stray NUL in a log, or a
    few control bytes in text, do not make a file binary."""
    if not head:
        return False
    controls = len(head) - len(head.translate(None, _CONTROL))
    return head.count(0) > max(1, len(head) // 100) or controls > max(2, len(head) // 20)


def _utf16(head: bytes) -> bool:
    return head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or bool(_utf16_codec(head))


def _utf16_codec(head: bytes) -> str | None:
    """UTF-16 text without a byte-order mark (Windows tools write it): nearly every other
    byte is NUL, on the odd positions for little-endian, the even ones for big-endian."""
    sample = head[:4096]
    pairs = len(sample) // 2
    if pairs < 8:
        return None
    odd_nul = sample[1::2].count(0) / pairs
    even_nul = sample[0::2].count(0) / pairs
    if odd_nul > 0.9 and even_nul < 0.1:
        return "utf-16-le"
    if even_nul > 0.9 and odd_nul < 0.1:
        return "utf-16-be"
    return None


def _as_utf8(data: bytes) -> bytes:
    """UTF-16/32 text (with a byte-order mark, or UTF-16 without one) as UTF-8; anything
    else unchanged."""
    for bom, codec in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                       (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return data.decode(codec, "replace").encode("utf-8")
    bare = _utf16_codec(data[:SNIFF_BYTES])
    return data.decode(bare, "replace").encode("utf-8") if bare else data


def _chunks(stream: IO[bytes], head: bytes) -> Iterator[Unit]:
    if _utf16(head):
        yield Unit(_as_utf8(head + stream.read()))
        return
    buffer = head + stream.read(CHUNK_BYTES - len(head))
    more = stream.read(CHUNK_BYTES) if len(buffer) >= CHUNK_BYTES else b""
    if not more:  # the common case: the whole file is one chunk
        yield Unit(buffer)
        return
    carry, line = b"", 1
    while buffer:
        cut = _cut(buffer) if more else len(buffer)
        body, buffer = buffer[:cut], buffer[cut:] + more
        yield Unit(carry + body, first_line=line - carry.count(b"\n"), skip_before=len(carry))
        line += body.count(b"\n")
        carry = body[-OVERLAP_BYTES:]
        more = stream.read(CHUNK_BYTES)


def _cut(buffer: bytes) -> int:
    """Where to end a chunk: after its last newline, else after a byte no token contains."""
    newline = buffer.rfind(b"\n")
    if newline >= 0:
        return newline + 1
    tail = buffer[-4096:]
    ends = [m.end() for m in _CUT_BYTES.finditer(tail)]
    return len(buffer) - len(tail) + ends[-1] if ends else len(buffer)


# -- e-mail -------------------------------------------------------------------------------------

def mbox_units(data: bytes, depth: int = 0) -> Iterator[Unit]:
    separators = list(_MBOX_SEPARATOR.finditer(data))
    starts = [m.end() for m in separators] or [0]
    ends = [*(m.start() for m in separators[1:]), len(data)]
    for number, (start, end) in enumerate(zip(starts, ends, strict=True), 1):
        raw = re.sub(rb"(?m)^>(>*From )", rb"\1", data[start:end])  # mboxrd unescaping
        for unit in email_units(raw, depth):
            yield Unit(unit.data, f"message {number}" + (f", {unit.part}" if unit.part else ""),
                       unit.first_line)


def email_units(data: bytes, depth: int = 0) -> Iterator[Unit]:
    """Units of one message: headers, then every leaf part decoded.

    The structure is read part by part: each part's header block is parsed with the ``email``
    package (parameters, RFC 2231 file names, encoded words), and its body is split on the
    boundary and decoded (base64, quoted-printable) with ``binascii`` directly, which is
    many times faster than feeding every body line through the package's parser. Anything
    the fast path does not handle (a multipart without a boundary) goes through
    ``email.message_from_bytes`` with the ``default`` policy.
    """
    counter = [0]
    try:
        yield from _mime_units(data, "", depth, counter, whole=True)
    except _Irregular:
        message = email.message_from_bytes(data, policy=email.policy.default)
        yield from _message_units(message, "", depth)


class _Irregular(Exception):
    """A message the fast path leaves to the full parser."""


_HEAD_END = re.compile(rb"\r?\n\r?\n")
_ENCODED_WORD = re.compile(rb"=\?[^?\s]+\?[bBqQ]\?")


def _split_head(raw: bytes) -> tuple[bytes, bytes]:
    if raw.startswith((b"\n", b"\r\n")):
        return b"", raw.lstrip(b"\r\n")
    end = _HEAD_END.search(raw)
    return (raw[:end.start()], raw[end.end():]) if end else (raw, b"")


def _header_text(head: bytes) -> bytes:
    """The raw header block, plus its encoded words decoded when there are any."""
    if not _ENCODED_WORD.search(head):
        return head
    parsed = email.message_from_bytes(head + b"\n\n", policy=email.policy.default)
    return head + b"\n" + "\n".join(f"{k}: {v}" for k, v in _header_lines(parsed)).encode(
        "utf-8", "replace")


def _header_lines(message: Message) -> list[tuple[str, str]]:
    """Each header as text, decoded where the ``email`` package can; as it stands where its
    structured parser fails (it raises IndexError or AttributeError on some malformed
    addresses), so one bad header never hides the others."""
    out = []
    for name, raw in message.raw_items():
        try:
            value = str(message.policy.header_fetch_parse(name, raw))
        except Exception:  # any failure of the stdlib parser: keep the raw text
            value = str(raw)
        out.append((name, value))
    return out


def _mime_units(raw: bytes, where: str, depth: int, counter: list[int], *,
                whole: bool = False) -> Iterator[Unit]:
    if depth > MAX_NESTING:
        raise Unscannable("containers nested too deeply")
    head, body = _split_head(raw)
    headers = email.message_from_bytes(head + b"\n\n", policy=email.policy.compat32)
    if head:
        yield Unit(_header_text(head), f"{where}headers" if not where else f"{where} headers")
    ctype = headers.get_content_type()
    if ctype.startswith("multipart/"):
        boundary = headers.get_boundary()
        if not boundary:
            raise _Irregular
        for part in _split_multipart(body, boundary.encode("utf-8", "surrogateescape")):
            yield from _mime_units(part, where, depth, counter)
        return
    counter[0] += 1
    filename = headers.get_filename() or ""
    label = f"attachment {filename}" if filename else "body" if whole \
        else f"part {counter[0]} ({ctype})"
    payload = _decoded_body(body, str(headers.get("Content-Transfer-Encoding") or ""))
    place = f"{where}{label}" if not where else f"{where}, {label}"
    if ctype == "message/rfc822":
        yield from _mime_units(payload, place, depth + 1, [0], whole=True)
    else:
        yield from _leaf_units(payload, ctype, filename, headers.get_content_charset(), place,
                               depth)


def _split_multipart(body: bytes, boundary: bytes) -> list[bytes]:
    """The parts between ``--boundary`` lines (RFC 2046), up to the closing one."""
    marker = b"--" + boundary
    parts: list[bytes] = []
    position: int | None = None
    at = body.find(marker)
    while at >= 0:
        after = at + len(marker)
        if at == 0 or body[at - 1] == 0x0A:  # only at the start of a line
            line_end = body.find(b"\n", after)
            line_end = len(body) if line_end < 0 else line_end + 1
            if position is not None:
                end = at - 1 if at else 0
                parts.append(body[position:end - 1 if body[end - 1:end] == b"\r" else end])
            if body.startswith(b"--", after):
                return parts
            position = line_end
        at = body.find(marker, after)
    if position is not None:
        parts.append(body[position:])
    return parts


def _decoded_body(body: bytes, encoding: str) -> bytes:
    cte = encoding.strip().lower()
    if cte == "base64":
        try:
            return base64.b64decode(body + b"===")
        except (binascii.Error, ValueError):
            return body
    if cte == "quoted-printable":
        return binascii.a2b_qp(body)
    return body


def _leaf_units(payload: bytes, ctype: str, filename: str, charset: str | None, where: str,
                depth: int) -> Iterator[Unit]:
    suffix = suffix_of(filename)
    if ctype.startswith("text/") and suffix not in _CONTAINER_SUFFIXES:
        text = decode_text(payload, charset)
        if ctype == "text/html":
            text = html_text(text)
        yield Unit(text.encode("utf-8", "surrogateescape"), where)
        return
    try:
        for unit in bytes_units(payload, filename, depth + 1):
            yield Unit(unit.data, f"{where}, {unit.part}" if unit.part else where,
                       unit.first_line, unit.skip_before)
    except Unscannable:
        return  # a picture or other binary attachment holds no text


def _message_units(message: Message, prefix: str, depth: int) -> Iterator[Unit]:
    headers = "\n".join(f"{k}: {v}" for k, v in _header_lines(message))
    yield Unit(headers.encode("utf-8", "replace"), f"{prefix}headers")
    leaves = [p for p in message.walk() if not p.is_multipart()]
    for number, part in enumerate(leaves, 1):
        label = _part_label(part, number, len(leaves))
        where = f"{prefix}{label}"
        if part is not message:
            extra = [f"{k}: {v}" for k, v in _header_lines(part)
                     if k.lower() not in ("content-type", "content-transfer-encoding",
                                          "content-disposition", "mime-version")]
            if extra:
                yield Unit("\n".join(extra).encode("utf-8", "replace"), f"{where} headers")
        yield from _part_units(part, where, depth)


def _part_label(part: Message, number: int, total: int) -> str:
    filename = part.get_filename()
    if filename:
        return f"attachment {filename}"
    return "body" if total == 1 else f"part {number} ({part.get_content_type()})"


def _part_units(part: Message, where: str, depth: int) -> Iterator[Unit]:
    ctype = part.get_content_type()
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return
    filename = part.get_filename() or ""
    if part.get_content_maintype() == "text" and suffix_of(filename) not in (
            OOXML_SUFFIXES | ODF_SUFFIXES | NOTEBOOK_SUFFIXES | EMAIL_SUFFIXES):
        text = _part_text(part, payload)
        if ctype == "text/html":
            text = html_text(text)
        yield Unit(text.encode("utf-8", "surrogateescape"), where)
        return
    if ctype == "message/rfc822" or suffix_of(filename) in EMAIL_SUFFIXES:
        for unit in bytes_units(payload, filename or "message.eml", depth + 1):
            yield Unit(unit.data, f"{where}, {unit.part}" if unit.part else where,
                       unit.first_line)
        return
    try:
        for unit in bytes_units(payload, filename, depth + 1):
            yield Unit(unit.data, f"{where}, {unit.part}" if unit.part else where,
                       unit.first_line, unit.skip_before)
    except Unscannable:
        return  # a picture or other binary attachment holds no text


def _part_text(part: Message, payload: bytes) -> str:
    if isinstance(part, EmailMessage):
        try:
            content = part.get_content()
            if isinstance(content, str):
                return content
        except (LookupError, UnicodeError, ValueError):
            pass
    return decode_text(payload, part.get_content_charset(), fallback="latin-1")


def decode_text(payload: bytes, charset: str | None, fallback: str = "utf-8") -> str:
    """Bytes in the charset a message declares; an unknown, non-text (``base64``) or broken
    charset name falls back rather than failing the part."""
    try:
        return payload.decode(charset or "utf-8", "replace")
    except (LookupError, ValueError):  # UnicodeError is a ValueError (idna with "replace")
        return payload.decode(fallback, "replace")


class _HtmlText(HTMLParser):
    """Text of an HTML part: text runs joined as a reader sees them, attribute values kept."""

    _BREAKS = frozenset({"p", "br", "div", "tr", "li", "h1", "h2", "h3", "h4", "pre", "table",
                         "blockquote", "hr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.attributes: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._BREAKS:
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append("\t")
        self.attributes.extend(f"{name}={value}" for name, value in attrs
                               if value and name in ("href", "value", "title", "alt", "content",
                                                     "data-value", "src"))

    def handle_endtag(self, tag: str) -> None:
        if tag in self._BREAKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_text(markup: str) -> str:
    parser = _HtmlText()
    parser.feed(markup)
    parser.close()
    return "".join(parser.parts) + "\n" + "\n".join(parser.attributes)


# -- office documents -------------------------------------------------------------------------

_SKIP_XML = re.compile(r"(?:^|/)(?:\[Content_Types\]|styles|theme\d*|settings|fontTable"
                       r"|webSettings|numbering|app|presProps|viewProps|tableStyles"
                       r"|calcChain|manifest)\.xml$|\.rels$|/_rels/")
_BREAK_TAGS = frozenset({"p", "br", "cr", "tr", "row", "si", "h", "list-item", "line-break"})
_CELL_TAGS = frozenset({"tab", "tc", "c", "table-cell"})


def office_units(data: bytes) -> Iterator[Unit]:
    """The text of each XML part of a .docx/.xlsx/.pptx/.odt (paragraph per line)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [m for m in archive.infolist() if m.filename.endswith(".xml")
                   and not _SKIP_XML.search(m.filename)]
        if sum(m.file_size for m in members) > MAX_UNZIPPED_BYTES:
            raise Unscannable("document expands to more than 200 MB")
        for member in members:
            text = xml_text(archive.read(member))
            if text.strip():
                yield Unit(text.encode("utf-8"), member.filename)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, RuntimeError, ValueError,
            NotImplementedError) as exc:
        raise Unscannable(f"not a readable office document ({type(exc).__name__})") from None


def xml_text(raw: bytes) -> str:
    try:
        root = ElementTree.fromstring(raw)  # noqa: S314 - expat refuses entity expansion bombs
    except ElementTree.ParseError:
        return ""
    out: list[str] = []
    _walk(root, out)
    return "".join(out)


def _walk(element: ElementTree.Element, out: list[str]) -> None:
    name = element.tag.rpartition("}")[2] if isinstance(element.tag, str) else ""
    if name == "s":  # ODF run of spaces
        out.append(" ")
    if element.text:
        out.append(element.text)
    for child in element:
        _walk(child, out)
        if child.tail:
            out.append(child.tail)
    if name in _BREAK_TAGS:
        out.append("\n")
    elif name in _CELL_TAGS:
        out.append("\t")


# -- notebooks --------------------------------------------------------------------------------

def notebook_units(data: bytes) -> Iterator[Unit]:
    """Each cell's source and text outputs; a notebook that is not JSON is read as text."""
    try:
        notebook = json.loads(data)
        cells = notebook.get("cells") if isinstance(notebook, dict) else None
        if not isinstance(cells, list):
            raise ValueError("no cells")
    except (ValueError, UnicodeDecodeError):
        yield Unit(_as_utf8(data))
        return
    for number, cell in enumerate(cells, 1):
        if not isinstance(cell, dict):
            continue
        yield Unit(_joined(cell.get("source")).encode("utf-8"), f"cell {number}")
        for output in cell.get("outputs") or []:
            text = _output_text(output) if isinstance(output, dict) else ""
            if text:
                yield Unit(text.encode("utf-8"), f"cell {number} output")


def _joined(value: Any) -> str:
    if isinstance(value, list):
        return "".join(v for v in value if isinstance(v, str))
    return value if isinstance(value, str) else ""


def _output_text(output: dict[str, Any]) -> str:
    pieces = [_joined(output.get("text")), "\n".join(_joined(t) for t in
                                                     output.get("traceback") or [])]
    data = output.get("data")
    if isinstance(data, dict):
        pieces.extend(_joined(v) if not isinstance(v, dict) else json.dumps(v)
                      for k, v in data.items() if k.startswith("text/") or k.endswith("json"))
    return "\n".join(p for p in pieces if p)
