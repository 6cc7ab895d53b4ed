"""The scan baseline: values accepted as known, stored as salted hashes only, never as values.

Each entry is HMAC-SHA256 of the value under a random salt kept in the file, so the file cannot
be used to test guesses against other files' baselines. The format carries a version; older
versions are brought forward by ordered upgrade steps when read. Version 1 stored plain SHA-256
hashes; version 2 adds the salt and per-entry algorithm (old entries keep matching by SHA-256).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seskeys.errors import InputError

FORMAT = "seskeys-scan-baseline"
VERSION = 2
HMAC = "hmac-sha256"
SHA256 = "sha256"


@dataclass(frozen=True)
class Entry:
    hash: str
    kind: str
    check: str
    location: str
    algorithm: str = HMAC


@dataclass(frozen=True)
class Baseline:
    salt: bytes
    entries: tuple[Entry, ...]

    @classmethod
    def new(cls) -> Baseline:
        return cls(os.urandom(16), ())

    def digest(self, token: str) -> str:
        return hmac.new(self.salt, token.encode("utf-8"), hashlib.sha256).hexdigest()

    def contains(self, token: str) -> bool:
        hashes = {(e.algorithm, e.hash) for e in self.entries}
        return ((HMAC, self.digest(token)) in hashes
                or (SHA256, hashlib.sha256(token.encode("utf-8")).hexdigest()) in hashes)

    def with_entries(self, entries: Iterable[Entry]) -> Baseline:
        unique = {(e.algorithm, e.hash): e for e in (*self.entries, *entries)}
        return Baseline(self.salt, tuple(sorted(unique.values(), key=lambda e: e.location)))

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "version": VERSION, "salt": self.salt.hex(),
                "entries": [{"hash": e.hash, "algorithm": e.algorithm, "kind": e.kind,
                             "check": e.check, "location": e.location} for e in self.entries]}


def _v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    """v1: {"version": 1, "hashes": [sha256...]} without salt or details."""
    return {"format": FORMAT, "version": 2, "salt": os.urandom(16).hex(),
            "entries": [{"hash": h, "algorithm": SHA256, "kind": "", "check": "",
                         "location": ""} for h in data.get("hashes", [])]}


UPGRADES: tuple[tuple[int, Callable[[dict[str, Any]], dict[str, Any]]], ...] = ((1, _v1_to_v2),)


def upgrade(data: dict[str, Any]) -> dict[str, Any]:
    version = data.get("version")
    if not isinstance(version, int) or version < 1:
        raise InputError("baseline: no format version")
    if version > VERSION:
        raise InputError(f"baseline: format version {version} is newer than this seskeys "
                         f"understands ({VERSION})", hint="upgrade seskeys")
    for source, step in UPGRADES:
        if data["version"] == source:
            data = step(data)
    return data


def load(path: Path) -> Baseline:
    try:
        raw = json.loads(path.read_text("utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read baseline {path}: {exc.strerror}") from None
    except ValueError:
        raise InputError(f"baseline {path} is not JSON") from None
    if not isinstance(raw, dict):
        raise InputError(f"baseline {path} is not a seskeys scan baseline")
    data = upgrade(raw)
    try:
        entries = tuple(Entry(hash=str(e["hash"]), algorithm=str(e.get("algorithm", HMAC)),
                              kind=str(e.get("kind", "")), check=str(e.get("check", "")),
                              location=str(e.get("location", ""))) for e in data["entries"])
        return Baseline(bytes.fromhex(data["salt"]), entries)
    except (KeyError, TypeError, ValueError):
        raise InputError(f"baseline {path}: malformed entries") from None


def save(baseline: Baseline, path: Path) -> None:
    """Write atomically (temporary file, then rename)."""
    text = json.dumps(baseline.to_json(), indent=2) + "\n"
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(text, "utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        raise InputError(f"cannot write baseline {path}: {exc.strerror}") from None
