"""How secrets and key ids look when shown: never whole unless the user asked."""

from __future__ import annotations

import hashlib

MASK = "••••••••"


def mask_key_id(key_id: str | None) -> str:
    """``AKIA…MPLE``: enough to tell keys apart, not enough to use one."""
    if not key_id:
        return ""
    return key_id if len(key_id) < 12 else f"{key_id[:4]}…{key_id[-4:]}"


def mask_secret(value: str | None) -> str:
    return MASK if value else ""


def redact_token(token: str) -> str:
    """A found secret in a report: none of its characters, only its length and a short
    digest, so two findings of one value can be matched (a 40-character secret is far beyond
    guessing from 32 bits of its SHA-256)."""
    digest = hashlib.sha256(token.encode("utf-8")).hexdigest()[:8]
    return f"[{len(token)} chars, sha256:{digest}]"
