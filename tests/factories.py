"""Deterministic, well-formed test keys. They exist in no AWS account."""

from __future__ import annotations

import hashlib
import string
from typing import Any

_KEY_ALPHABET = string.ascii_uppercase + "234567"
_SECRET_ALPHABET = string.ascii_letters + string.digits + "/+"


def _stream(seed: str, n: int, alphabet: str) -> str:
    digest = b""
    counter = 0
    while len(digest) < n:
        digest += hashlib.sha256(f"{seed}:{counter}".encode()).digest()
        counter += 1
    return "".join(alphabet[b % len(alphabet)] for b in digest[:n])


def key_id(seed: str = "k") -> str:
    return "AKIA" + _stream("id" + seed, 16, _KEY_ALPHABET)


def secret(seed: str = "k") -> str:
    s = _stream("secret" + seed, 37, _SECRET_ALPHABET)
    return s + "aZ9"  # always upper, lower and digit, as real secrets are


def record_input(name: str = "acme-mailer", **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "key_name": name, "access_key_id": key_id(name), "secret_access_key": secret(name),
        "client": "Acme Corp", "purpose": "transactional mail", "iam_groups": "ses-send-acme",
        "ses_region": "eu-west-1", "ses_identity": "acme.example", "creation_ticket": "OPS-1",
        "created_on": "2026-11-01",
    }
    data.update(overrides)
    return data
