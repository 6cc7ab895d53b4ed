"""How secrets and key ids look when shown: never whole unless the user asked."""

from __future__ import annotations

MASK = "••••••••"


def mask_key_id(key_id: str | None) -> str:
    """``AKIA…MPLE``: enough to tell keys apart, not enough to use one."""
    if not key_id:
        return ""
    return key_id if len(key_id) < 12 else f"{key_id[:4]}…{key_id[-4:]}"


def mask_secret(value: str | None) -> str:
    return MASK if value else ""


def redact_token(token: str) -> str:
    """A found secret in a report: its first four characters and its length."""
    return f"{token[:4]}…({len(token)} chars)" if len(token) > 8 else "…"
