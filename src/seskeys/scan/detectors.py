"""Detectors over raw bytes: access key ids, secret access keys and SES SMTP passwords.

Every rule starts from something cheap to find. Key ids start with a fixed ``A`` prefix that
``re`` finds with its literal search. Secrets and SMTP passwords have no fixed prefix, so the
buffer is first mapped through a byte table (base64-alphabet bytes to ``a``, every other byte to
a space) and runs of at least 40 ``a`` are found with ``bytes.find``; only those runs are looked
at in Python. A secret is a whole run of exactly 40 characters (never a regex word boundary:
a secret may end in ``/`` or ``+``), an SMTP password a whole run of 44 that decodes to 33 bytes
with version byte 4 (or 2, legacy). Known secrets are searched inside every run, whatever its
length, so one glued to other characters is still found.

Encoded forms (percent-encoding, JSON and HTML escapes) split a value into several runs; lines
that carry such an escape are decoded and scanned again.
"""

from __future__ import annotations

import html
import re
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum

from seskeys.scan.known import KnownSecrets
from seskeys.smtp import SmtpVersion, smtp_password_version

ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_RUN_TABLE = bytes(0x61 if c in ALPHABET else 0x20 for c in range(256))
_MIN_RUN = b"a" * 40
SECRET_LEN = 40
SMTP_LEN = 44
# A secret or SMTP password, maybe with the letter of a preceding escape ("\\n") glued on.
_PATTERN_LENGTHS = (SECRET_LEN, SECRET_LEN + 1, SMTP_LEN, SMTP_LEN + 1)

# Prefixes of AWS unique ids (IAM User Guide, "Unique identifiers"). Only the first group are
# credentials; the others name users, roles, groups, policies and certificates.
LONG_TERM_PREFIXES = ("AKIA", "A3T")
TEMPORARY_PREFIXES = ("ASIA",)
OTHER_CREDENTIAL_PREFIXES = ("ABIA", "ACCA")
# Access key ids are 20 characters; the unique ids of users, roles and the like are 21.
_KEY_ID = re.compile(rb"A(?:KIA|SIA|BIA|CCA|IDA|ROA|GPA|IPA|NPA|NVA|PKA|SCA|3T[A-Z0-9])"
                     rb"[A-Z0-9]{16}[A-Z0-9]?")
_ALNUM = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
_ESCAPE_LETTERS = frozenset(b"ntrbfv0")
_BACKSLASH = 0x5C

_SECRET_CONTEXT = re.compile(
    rb"aws|amazon|secret|akia|asia|credential|access.?key|boto|(?<=[^a-z])iam(?=[^a-z])"
    rb"|(?<=[^a-z])ses(?=[^a-z])|smtp")
_SMTP_CONTEXT = re.compile(
    rb"smtp|pass|pwd|mail|(?<=[^a-z])ses(?=[^a-z])|auth|sasl|akia|secret|cred|login|aws")
_WORDS = re.compile(r"[A-Z]?[a-z]{3,}")
# Whole-word keywords need a neighbour on each side, so a window edge that cuts "session"
# to "ses" does not count.
_CONTEXT_BEFORE = 320
_CONTEXT_AFTER = 160

# An escape starts with one of these bytes, which bytes.find locates with memchr.
_ESCAPE_STARTS = {ord("%"): re.compile(rb"%[0-9A-Fa-f]{2}"),
                  ord("\\"): re.compile(rb"\\(?:/|u00)"),
                  ord("&"): re.compile(rb"&(?:#|sol;|plus;)")}
_JSON_ESCAPE = re.compile(rb"\\(?:u([0-9A-Fa-f]{4})|(.))", re.DOTALL)
_JSON_SIMPLE = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


class Kind(StrEnum):
    KEY_ID = "access-key-id"
    SECRET = "secret-access-key"  # noqa: S105 - a kind, not a value
    SMTP = "smtp-password"


class KeyIdClass(StrEnum):
    LONG_TERM = "long-term access key id"
    TEMPORARY = "temporary (STS) access key id"
    OTHER_CREDENTIAL = "AWS credential id"
    IDENTIFIER = "AWS unique identifier (not a credential)"


def classify_key_id(key_id: str) -> KeyIdClass:
    if key_id.startswith(LONG_TERM_PREFIXES):
        return KeyIdClass.LONG_TERM
    if key_id.startswith(TEMPORARY_PREFIXES):
        return KeyIdClass.TEMPORARY
    if key_id.startswith(OTHER_CREDENTIAL_PREFIXES):
        return KeyIdClass.OTHER_CREDENTIAL
    return KeyIdClass.IDENTIFIER


@dataclass(frozen=True)
class Hit:
    """One value found in one buffer. ``token`` is the value itself: never print it."""

    kind: Kind
    token: str = field(repr=False)
    start: int
    encoding: str = ""
    context: bool = False  # an AWS/SMTP keyword or a key id is near
    near_key_id: str | None = None
    known: str | None = None  # record id, when the exact search of known secrets found it
    smtp_version: SmtpVersion | None = None


@dataclass(frozen=True)
class Options:
    """What to look for. ``unkeyed`` keeps candidates without context for attribution."""

    known: KnownSecrets | None = None
    unkeyed: bool = False


def detect(data: bytes, options: Options) -> list[Hit]:
    """Every hit in ``data``: the raw pass, then decoded copies of lines holding escapes."""
    hits = list(_plain(data, options, ""))
    for line_start, line, decoded, label in _decoded_lines(data):
        # The decoded line keeps its undecoded neighbours, so keywords nearby still count.
        before = data[max(0, line_start - _CONTEXT_BEFORE):line_start]
        after_start = line_start + len(line)
        buffer = before + decoded + data[after_start:after_start + _CONTEXT_AFTER]
        seen: set[str] = set()
        for hit in _plain(buffer, options, label):
            inside = len(before) <= hit.start < len(before) + len(decoded)
            if inside and hit.token not in seen and hit.token.encode("ascii") not in line:
                seen.add(hit.token)
                hits.append(_moved(hit, line_start))
    hits.sort(key=lambda h: h.start)
    return hits


def _moved(hit: Hit, start: int) -> Hit:
    return Hit(hit.kind, hit.token, start, hit.encoding, hit.context, hit.near_key_id,
               hit.known, hit.smtp_version)


def _plain(data: bytes, options: Options, encoding: str) -> Iterator[Hit]:
    yield from _key_ids(data, encoding)
    known = options.known is not None  # known values may sit inside runs of any length
    for start, end in base64_runs(data):
        if known or end - start in _PATTERN_LENGTHS:
            yield from _run_hits(data, start, end, options, encoding)


# -- key ids -----------------------------------------------------------------------------------

def _key_ids(data: bytes, encoding: str) -> Iterator[Hit]:
    for m in _KEY_ID.finditer(data):
        start, end = m.span()
        if _bounded_before(data, start) and (end == len(data) or data[end] not in _ALNUM):
            key_id = m.group().decode("ascii")
            if len(key_id) == 20 or classify_key_id(key_id) is KeyIdClass.IDENTIFIER:
                yield Hit(Kind.KEY_ID, key_id, start, encoding, context=True)


def _bounded_before(data: bytes, start: int) -> bool:
    if start == 0 or data[start - 1] not in _ALNUM:
        return True
    # "\nAKIA…" inside a JSON or C string: the letter belongs to an escape sequence.
    return (data[start - 1] in _ESCAPE_LETTERS and start >= 2 and data[start - 2] == _BACKSLASH
            and (start < 3 or data[start - 3] != _BACKSLASH))


# -- secrets and SMTP passwords ------------------------------------------------------------------

def base64_runs(data: bytes) -> Iterator[tuple[int, int]]:
    """Spans of maximal runs of base64-alphabet bytes at least 40 long."""
    mapped = data.translate(_RUN_TABLE)
    find = mapped.find
    pos = 0
    while (start := find(_MIN_RUN, pos)) >= 0:
        end = find(b" ", start + SECRET_LEN)
        if end < 0:
            end = len(mapped)
        yield start, end
        pos = end


def _run_hits(data: bytes, start: int, end: int, options: Options, encoding: str
              ) -> Iterator[Hit]:
    known = options.known.search(data, start, end) if options.known else []
    for kstart, kend, record_id in known:
        token = data[kstart:kend].decode("ascii")
        kind = Kind.SECRET if len(token) == SECRET_LEN else Kind.SMTP
        yield Hit(kind, token, kstart, encoding, True, _near_key_id(data, kstart, kend),
                  record_id, smtp_password_version(token) if kind is Kind.SMTP else None)
    if _after_escape(data, start):
        start += 1  # "\nwJal…": the run began with the letter of an escape sequence
    length = end - start
    if length not in (SECRET_LEN, SMTP_LEN) or any(k[0] == start for k in known):
        return
    token = data[start:end].decode("ascii")
    if length == SECRET_LEN:
        if not looks_random(token):
            return
        context = _has_context(data, start, end, _SECRET_CONTEXT)
        if context or options.unkeyed:
            yield Hit(Kind.SECRET, token, start, encoding, context,
                      _near_key_id(data, start, end))
        return
    version = smtp_password_version(token)
    if version is None:
        return
    context = _has_context(data, start, end, _SMTP_CONTEXT)
    if context or version is SmtpVersion.V4 or options.unkeyed:
        yield Hit(Kind.SMTP, token, start, encoding, context, _near_key_id(data, start, end),
                  smtp_version=version)


def _after_escape(data: bytes, start: int) -> bool:
    return (start > 0 and data[start - 1] == _BACKSLASH and data[start] in _ESCAPE_LETTERS
            and (start < 2 or data[start - 2] != _BACKSLASH))


def _has_context(data: bytes, start: int, end: int, keywords: re.Pattern[bytes]) -> bool:
    """A keyword or key id around the value, never inside it: random base64 spells "AwS" or
    "sEcReT" often enough to make its own context."""
    around = data[max(0, start - _CONTEXT_BEFORE):start] + b"\n" + data[end:end + _CONTEXT_AFTER]
    return keywords.search(around.lower()) is not None or _KEY_ID.search(around) is not None


def _near_key_id(data: bytes, start: int, end: int) -> str | None:
    """The credential key id closest to the value, if one is in its window."""
    lo = max(0, start - _CONTEXT_BEFORE)
    best: tuple[int, str] | None = None
    for m in _KEY_ID.finditer(data[lo:end + _CONTEXT_AFTER]):
        key_id = m.group().decode("ascii")[:20]
        if classify_key_id(key_id) is KeyIdClass.IDENTIFIER:
            continue
        distance = abs(lo + m.start() - start)
        if best is None or distance < best[0]:
            best = (distance, key_id)
    return best[1] if best else None


def looks_random(token: str) -> bool:
    """False for 40-character runs that are plainly not secrets: hex digests, identifiers, paths.

    A secret access key is 30 random bytes in base64, so it mixes cases; a run whose
    ``/``-separated segments are all lower case is a path; one made almost entirely of
    capitalised words (``AwsCredentialsProvider…``) is an identifier. Of a million random
    secrets, fewer than ten have 32 or more characters in such words.
    """
    if token.lower() == token or token.upper() == token:
        return False
    if "/" in token and all(not seg or seg.islower() or seg.isdigit()
                            for seg in token.split("/")):
        return False
    return sum(len(word) for word in _WORDS.findall(token)) < 32


# -- encoded forms -----------------------------------------------------------------------------

def _decoded_lines(data: bytes) -> Iterator[tuple[int, bytes, bytes, str]]:
    """(start, line, decoded line, label) for each line that holds an escape sequence."""
    starts: set[int] = set()
    for byte, escape in _ESCAPE_STARTS.items():
        find, match = data.find, escape.match
        at = find(byte)
        while at >= 0:
            if match(data, at):
                line_start = data.rfind(b"\n", 0, at) + 1
                starts.add(line_start)
                line_end = data.find(b"\n", at)
                if line_end < 0:
                    break
                at = line_end  # the rest of this line is decoded anyway
            at = find(byte, at + 1)
    for start in sorted(starts):
        end = data.find(b"\n", start)
        line = data[start:end if end >= 0 else len(data)]
        decoded, label = decode_escapes(line)
        if decoded != line:
            yield start, line, decoded, label


def decode_escapes(line: bytes) -> tuple[bytes, str]:
    """The line with JSON, percent and HTML escapes undone, and which ones there were."""
    labels = []
    out = line
    if b"\\" in out:
        new = _JSON_ESCAPE.sub(_json_unescape, out)
        if new != out:
            labels.append("json-escaped")
            out = new
    for _ in range(3):  # double and triple percent-encoding happen in URLs built from URLs
        if b"%" not in out:
            break
        new = urllib.parse.unquote_to_bytes(out)
        if new == out:
            break
        if "percent-encoded" not in labels:
            labels.append("percent-encoded")
        out = new
    if b"&" in out:
        new = html.unescape(out.decode("utf-8", "surrogateescape")).encode(
            "utf-8", "surrogateescape")
        if new != out:
            labels.append("html-escaped")
            out = new
    return out, "+".join(labels)


def _json_unescape(m: re.Match[bytes]) -> bytes:
    if m.group(1) is not None:
        code = int(m.group(1), 16)
        return chr(code).encode("utf-8", "surrogatepass") if code >= 0x20 else b" "
    char = m.group(2)
    return _JSON_SIMPLE.get(char, char)
