"""The key record, typed after the template, and the rules every stored record satisfies.

Loading a record from storage only checks types (fast, and the data is authenticated); every
write goes through :func:`normalize` and :func:`check_invariants`.
"""

from __future__ import annotations

import urllib.parse
import uuid
from collections.abc import Mapping
from datetime import date, datetime
from enum import StrEnum
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError

from seskeys import validators as v
from seskeys.errors import ValidationFailed
from seskeys.rotation_state import AFTER_SWITCH, Rotation
from seskeys.template import FIELDS, SECRET_FIELDS, TEMPLATE, LastPassType


class Status(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"
    REVOKED = "revoked"
    # Replaced in an AWS rotation; the key still exists in AWS until it is deleted and the record
    # revoked. A retiring record does not hold its key name: its successor does.
    RETIRING = "retiring"

    @property
    def holds_name(self) -> bool:
        """Whether a record in this status claims its key name (unique among such records)."""
        return self not in (Status.REVOKED, Status.RETIRING)


class KeyRecord(BaseModel):
    """One SES access key. Field ids are the template's; ``id``/``version`` are storage's."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    version: int = 0
    key_name: str
    access_key_id: str
    iam_groups: tuple[str, ...] = ()
    purpose: str
    client: str
    ses_identity_type: str | None = None
    secret_access_key: SecretStr | None = None
    iam_permissions: str | None = None
    ses_limits: str | None = None
    revocation_reason: str | None = None
    created_on: date
    revoked_on: date | None = None
    creation_ticket: str | None = None
    revocation_ticket: str | None = None
    iam_user: str | None = None
    aws_account_id: str | None = None
    ses_region: str | None = None
    ses_identity: str | None = None
    smtp_password: SecretStr | None = None
    status: Status = Status.ACTIVE
    replaces: str | None = None
    replaced_by: str | None = None
    notes: str | None = None
    # Keyed fingerprints (HMAC) of the secret and its SMTP passwords, kept after revocation so
    # the leak scanner can still recognise a leaked copy.
    fingerprints: tuple[str, ...] = ()
    # Storage-owned state of an AWS rotation in progress (not a template field; never exported).
    rotation: Rotation | None = None

    @property
    def revoked(self) -> bool:
        return self.status is Status.REVOKED

    def secret(self, field_id: str = "secret_access_key") -> str | None:
        value = getattr(self, field_id)
        return value.get_secret_value() if isinstance(value, SecretStr) else None

    def field_value(self, field_id: str) -> Any:
        return getattr(self, field_id)

    def to_storage(self) -> dict[str, Any]:
        """Everything, secrets in clear: only for the encrypted vault and explicit exports."""
        data = self.model_dump(mode="json")
        for fid in SECRET_FIELDS:
            data[fid] = self.secret(fid)
        if self.rotation is not None:
            data["rotation"] = self.rotation.to_storage()
        return data

    def age_days(self, today: date) -> int:
        return (today - self.created_on).days


class RecordSummary(NamedTuple):
    """What ``list`` shows, stored apart from the bodies so listing never decrypts secrets.

    A named tuple, stored as a JSON array and validated by pydantic's TypeAdapter: listing
    100k records builds 100k of them, and a tuple costs the least to build and to store.
    """

    id: str
    version: int
    key_name: str
    access_key_id: str
    client: str
    status: Status
    created_on: date
    revoked_on: date | None = None
    ses_region: str | None = None

    @classmethod
    def of(cls, record: KeyRecord) -> RecordSummary:
        return cls(id=record.id, version=record.version, key_name=record.key_name,
                   access_key_id=record.access_key_id, client=record.client,
                   status=record.status, created_on=record.created_on,
                   revoked_on=record.revoked_on, ses_region=record.ses_region)


def new_record_id() -> str:
    return uuid.uuid4().hex


def _text(field_id: str, value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip() if FIELDS[field_id].lastpass_type is not LastPassType.NOTES \
        else str(value)
    return text if text.strip() else None


def normalize(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Turn user or file input into canonical field values, checking each field's format."""
    unknown = set(raw) - set(FIELDS) - {"id", "version", "fingerprints"}
    if unknown:
        raise ValidationFailed(f"unknown field(s): {', '.join(sorted(unknown))}",
                               hint="field ids: " + ", ".join(f.id for f in TEMPLATE))
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key in ("id", "version", "fingerprints"):
            out[key] = value
            continue
        spec = FIELDS[key]
        _check_type(key, value)
        if spec.is_list:
            items = v.split_groups(value) if isinstance(value, str) else list(value or [])
            out[key] = tuple(v.iam_group(str(g).strip()) for g in items)
            continue
        if spec.is_date:
            out[key] = None if value in (None, "") else v.parse_date(value, key)
            continue
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        text = _text(key, value)
        if text is None:
            out[key] = None
            continue
        if not spec.secret:  # every non-Password field, before its own format rule
            v.no_control_characters(key, text)
            v.no_secret_in(key, text)
        out[key] = _FORMATS.get(key, _plain_text)(text)
    if out.get("ses_identity") and out.get("ses_identity_type") is None:
        out["ses_identity_type"] = v.identity_kind_of(out["ses_identity"])
    return out


def _check_type(field_id: str, value: Any) -> None:
    """Input from JSON may hold any type; only text (a list of texts for lists, a date for
    dates) is a value, never something converted by accident (``['a']``, ``20261201``)."""
    spec = FIELDS[field_id]
    ok: tuple[type, ...] = (str, SecretStr, type(None))
    if spec.is_date:
        ok += (date,)
    if isinstance(value, ok) or (spec.is_list and isinstance(value, list | tuple)
                                 and all(isinstance(g, str) for g in value)):
        return
    expected = ("text or a list of texts" if spec.is_list else
                "an ISO date as text" if spec.is_date else "text")
    raise ValidationFailed(f"{field_id}: expected {expected}, got {type(value).__name__}")


def _plain_text(text: str) -> str:
    return text


_FORMATS: dict[str, Any] = {
    "access_key_id": v.access_key_id,
    "secret_access_key": v.secret_access_key,
    "smtp_password": v.smtp_password,
    "ses_identity_type": v.identity_type,
    "iam_user": v.iam_user,
    "aws_account_id": v.account_id,
    "ses_region": v.region,
    "status": lambda text: Status(text.lower()) if text.lower() in set(Status) else _bad_status(),
}


def _bad_status() -> Status:
    raise ValidationFailed("status: expected active, inactive or revoked")


def check_invariants(record: KeyRecord) -> None:
    """Rules that hold for every stored record, whatever command wrote it."""
    problems: list[str] = []
    if record.revoked_on and record.revoked_on < record.created_on:
        problems.append("revoked_on: the revocation date is before the creation date")
    if record.revoked and (record.secret_access_key or record.smtp_password):
        problems.append("secret_access_key: a revoked record must not hold a secret")
    if not record.revoked and record.revoked_on is not None:
        problems.append("revoked_on: only a revoked record has a revocation date")
    if record.ses_identity:
        try:
            v.identity(record.ses_identity, record.ses_identity_type)
        except ValidationFailed as exc:
            problems.append(exc.message)
    if not record.key_name.strip():
        problems.append("key_name: required")
    problems += _own_secret_in_text(record)
    problems += _rotation_problems(record)
    if problems:
        raise ValidationFailed("; ".join(problems))


def _own_secret_in_text(record: KeyRecord) -> list[str]:
    """The record's own secret pasted into one of its text fields, in any spelling a paste
    gives it (as it is, percent-encoded, JSON-escaped); the pattern test misses some."""
    secret = record.secret()
    if not secret:
        return []
    forms = {secret, urllib.parse.quote(secret, safe=""), secret.replace("/", "\\/")}
    return [f"{f.id}: holds this record's secret access key; secrets belong only in "
            "Password fields" for f in TEMPLATE
            if not f.secret and any(form in str(record.field_value(f.id) or "")
                                    for form in forms)]


def _rotation_problems(record: KeyRecord) -> list[str]:
    rotation = record.rotation
    if rotation is None:
        return (["status: a retiring record needs its rotation state"]
                if record.status is Status.RETIRING else [])
    problems = rotation.problems()
    if record.revoked:
        problems.append("rotation: a revoked record has no rotation in progress")
    elif (record.status is Status.RETIRING) != (rotation.step in AFTER_SWITCH):
        problems.append(f"rotation: step {rotation.step} does not fit status {record.status}")
    return problems


def _validated(values: Mapping[str, Any]) -> KeyRecord:
    """Type-check a record; pydantic's messages echo inputs, so only field and reason pass."""
    try:
        return KeyRecord.model_validate(values)
    except ValidationError as exc:
        first = exc.errors(include_input=False, include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "record"
        field = str(first["loc"][0]) if first["loc"] else ""
        if first["type"] == "missing" or (field in values and values[field] is None):
            raise ValidationFailed(f"{where}: required, it cannot be empty") from None
        raise ValidationFailed(f"{where}: {first['msg']}") from None


def build(raw: Mapping[str, Any]) -> KeyRecord:
    """A validated record from raw input (ids and version may be absent)."""
    values = normalize(raw)
    values.setdefault("id", new_record_id())
    missing = [f for f in ("key_name", "access_key_id", "purpose", "client", "created_on")
               if values.get(f) in (None, "")]
    if missing:
        raise ValidationFailed("required field(s) missing: " + ", ".join(missing))
    record = _validated(values)
    check_invariants(record)
    return record


def replace(record: KeyRecord, changes: Mapping[str, Any]) -> KeyRecord:
    """A validated copy of ``record`` with ``changes`` (raw values) applied."""
    values = normalize(changes)
    updated = record.model_copy(update=values)
    updated = _validated(updated.model_dump())
    check_invariants(updated)
    return updated


def utc_today(now: datetime) -> date:
    return now.date()
