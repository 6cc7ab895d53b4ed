"""A forged, offline ``LPASS_HOME`` for running the real ``lpass`` binary without any server.

LASTPASS.md §1.15: a 32-byte ``plaintext_key`` bypasses the agent and every prompt; the session
files make ``lpass`` believe it is logged in; ``session_server`` points at 127.0.0.1:9 so any
accidental network call fails locally; ``blob`` is the encrypted vault cache. Used only with
``--sync=no``. The file formats are lastpass-cli's, written here from its documented layout.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import struct
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

VERIFY_TEXT = "`lpass` was written by LastPass.\n"


def _cbc(key: bytes, data: bytes, iv: bytes) -> bytes:
    padder = padding.PKCS7(128).padder()
    padded = padder.update(data) + padder.finalize()
    enc = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return enc.update(padded) + enc.finalize()


def _config_encrypted(key: bytes, data: bytes) -> bytes:
    """HMAC-SHA256(key, IV‖CT) ‖ IV ‖ CT, the format of lpass's encrypted config files."""
    iv = os.urandom(16)
    ct = _cbc(key, data, iv)
    return hmac.new(key, iv + ct, hashlib.sha256).digest() + iv + ct


def _field_encrypted(key: bytes, text: str) -> bytes:
    """``!`` + IV + AES-256-CBC ciphertext; the empty string stays empty."""
    if not text:
        return b""
    iv = os.urandom(16)
    return b"!" + iv + _cbc(key, text.encode("utf-8"), iv)


def _item(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def _chunk(tag: bytes, payload: bytes) -> bytes:
    return tag + struct.pack(">I", len(payload)) + payload


@dataclass
class Entry:
    """One stored entry. ``url="http://sn"`` makes a secure note whose body is ``note``."""

    id: str
    name: str
    group: str = ""
    url: str = "http://sn"
    note: str = ""
    username: str = ""
    password: str = ""
    fav: bool = False
    pwprotect: bool = False
    fields: list[tuple[str, str, str]] = field(default_factory=list)  # name, type, value


def _account(key: bytes, e: Entry) -> bytes:
    crypt = lambda text: _item(_field_encrypted(key, text))  # noqa: E731
    plain = lambda text: _item(text.encode())  # noqa: E731
    body = (plain(e.id) + crypt(e.name) + crypt(e.group) + plain(e.url.encode().hex())
            + crypt(e.note) + plain("1" if e.fav else "0") + plain("")
            + crypt(e.username) + crypt(e.password) + plain("1" if e.pwprotect else "0")
            + plain("") * 2 + plain("1700000000") + plain("") * 13
            + plain("") + plain("0") + plain("") * 3 + plain("1700000000") + plain("") * 4)
    out = _chunk(b"ACCT", body)
    for name, ftype, value in e.fields:
        encrypted = ftype in {"text", "password", "email", "tel", "textarea"}
        value_item = crypt(value) if encrypted else plain(value)
        out += _chunk(b"ACFL", plain(name) + plain(ftype) + value_item + plain("0"))
    return out


def forge(home: Path, entries: list[Entry], *, username: str = "ops@example.invalid") -> Path:
    """Write a logged-in, offline LPASS_HOME holding ``entries``; returns ``home``."""
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = os.urandom(32)
    files: dict[str, bytes] = {
        "plaintext_key": key,
        "verify": _config_encrypted(key, VERIFY_TEXT.encode()),
        "username": username.encode(),
        "iterations": b"100100",
        "session_uid": _config_encrypted(key, b"4242"),
        "session_sessionid": _config_encrypted(key, b"offline-session"),
        "session_token": _config_encrypted(key, b"offline-token"),
        "session_server": b"127.0.0.1:9",
    }
    blob = _chunk(b"LPAV", b"42") + b"".join(_account(key, e) for e in entries)
    files["blob"] = _config_encrypted(key, blob)
    for name, data in files.items():
        path = home / name
        path.write_bytes(data)
        path.chmod(0o600)
    return home
