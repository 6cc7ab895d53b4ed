"""The event log: one entry per change, reveal or copy, chained with HMAC.

An event names fields and non-secret values only. Each event's MAC covers its canonical JSON and
the previous MAC, so removing, reordering or editing any event breaks the chain from there on.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

GENESIS = b"\x00" * 32


class Action(StrEnum):
    INIT = "init"
    ADD = "add"
    EDIT = "edit"
    REVOKE = "revoke"
    ROTATE = "rotate"
    REVEAL = "reveal"
    COPY = "copy"
    PASSWD = "passwd"  # noqa: S105 - an action name
    IMPORT = "import"
    SYNC = "sync"
    AWS_PROVISION = "aws-provision"
    AWS_ROTATE = "aws-rotate"
    AWS_REVOKE = "aws-revoke"
    UPGRADE = "upgrade"  # the vault file brought to a newer on-disk format


class Change(BaseModel):
    """One field's change. Secret fields carry ``secret=True`` and never their values."""

    model_config = ConfigDict(frozen=True)

    field: str
    old: Any = None
    new: Any = None
    secret: bool = False


class EventDraft(BaseModel):
    model_config = ConfigDict(frozen=True)

    action: str
    actor: str
    ticket: str | None = None
    record_id: str | None = None
    key_name: str | None = None
    changes: tuple[Change, ...] = ()
    detail: str | None = None


class Event(EventDraft):
    seq: int
    at: datetime
    records: tuple[str, ...] = ()  # ids of the records this event wrote
    mac: str = ""

    def canonical(self) -> bytes:
        body = self.model_dump(mode="json", exclude={"mac"})
        return json.dumps(body, sort_keys=True, separators=(",", ":"),
                          ensure_ascii=False).encode("utf-8")


def chain_mac(key: bytes, previous: bytes, event: Event) -> bytes:
    return hmac.new(key, previous + event.canonical(), hashlib.sha256).digest()


def macs_equal(a: bytes, b: bytes) -> bool:
    return hmac.compare_digest(a, b)


class LogVerification(BaseModel):
    """The result of walking the chain: ok, how far, and the first bad event if any."""

    model_config = ConfigDict(frozen=True)

    ok: bool
    events: int
    head_seq: int | None = None
    head_mac: str | None = None
    first_bad_seq: int | None = None
    problem: str | None = None
