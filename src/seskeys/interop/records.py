"""Records from foreign text (a CSV row, a LastPass note): validated, derived, secrets handled.

Shared by the CSV import, the LastPass backend and ``sync``, which all read a record through
:func:`read_record`, so a value refused by one is refused by all. A revoked key read from
outside may still carry its secret: it is fingerprinted (secret and every SMTP password it
yields) and purged before the record exists, because a stored revoked record never holds a
secret.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import SecretStr

from seskeys import lifecycle, model
from seskeys import validators as v
from seskeys.errors import InputError, ValidationFailed
from seskeys.model import KeyRecord, Status
from seskeys.smtp import derive_v4
from seskeys.template import TEMPLATE
from seskeys.vault import Vault

_REVOCATION_FIELDS = ("revoked_on", "revocation_ticket", "revocation_reason")
# Fields that storage derives or owns; two records that differ only here are the same key state.
IGNORED_IN_COMPARISON = frozenset({"smtp_password"})


def infer_status(values: Mapping[str, str]) -> Status | None:
    """The status written, or the one the other fields imply; None when nothing says."""
    text = (values.get("status") or "").strip().lower()
    if text in set(Status):
        return Status(text)
    if text:
        return None
    if any(values.get(f) for f in _REVOCATION_FIELDS):
        return Status.REVOKED
    if values.get("secret_access_key"):
        return Status.ACTIVE
    return None


class NeedsReview(InputError):
    """A record read from outside lacks what only a person can supply or confirm."""


def _status_unknown(values: Mapping[str, str]) -> str:
    text = (values.get("status") or "").strip()
    if text:
        return f"Status {v.shown(text)} is not active, inactive or revoked"
    return ("no Status, no Secret Access Key and no revocation fields: whether the key is "
            "live is unknown")


def _secret_held(vault: Vault, access_key_id: str) -> bool:
    return any(r.secret() for r in vault.by_access_key_id(access_key_id.strip()))


@dataclass(frozen=True)
class Built:
    record: KeyRecord
    warnings: tuple[str, ...] = ()


def build_record(values: Mapping[str, str], vault: Vault, *, status: Status,
                 record_id: str | None = None, version: int = 0) -> Built:
    """A stored-ready record: validated by the model, SMTP password derived, secrets fingerprinted.

    Raises ``ValidationFailed`` with the model's message when a value breaks a rule.
    """
    raw: dict[str, Any] = {k: v for k, v in values.items() if v not in (None, "")}
    raw["status"] = status.value
    given_smtp = raw.pop("smtp_password", None)
    warnings: list[str] = []
    if record_id:
        raw["id"] = record_id
    raw["version"] = version
    if status is Status.REVOKED:
        secret = raw.pop("secret_access_key", None)
        prints = list(lifecycle.fingerprints(vault, secret))
        if given_smtp and not secret:
            prints.append(vault.fingerprint(given_smtp))
        if secret or given_smtp:
            warnings.append("revoked key still held its secret there: purged, fingerprint kept")
        raw["fingerprints"] = tuple(dict.fromkeys(prints))
        return Built(model.build(raw), tuple(warnings))
    record = model.build(raw)
    secret = record.secret()
    smtp = derive_v4(secret, record.ses_region) if secret and record.ses_region else None
    if given_smtp and smtp and given_smtp != smtp:
        warnings.append("the stored SMTP password is not the one the secret yields for "
                        f"{record.ses_region}; the derived one is kept")
    record = record.model_copy(update={
        "smtp_password": SecretStr(smtp) if smtp else None,
        "fingerprints": lifecycle.fingerprints(vault, secret)})
    return Built(record, tuple(warnings))


def differences(a: KeyRecord, b: KeyRecord) -> list[str]:
    """Template fields whose values differ, in template order (secrets compared, never shown)."""
    return [f.id for f in TEMPLATE
            if f.id not in IGNORED_IN_COMPARISON and a.field_value(f.id) != b.field_value(f.id)]


def read_record(values: Mapping[str, str], vault: Vault, *, today: date,
                record_id: str | None = None, version: int = 0) -> Built:
    """The one way a record read from LastPass (CSV or ``lpass``) becomes a record.

    Raises :class:`NeedsReview` when something only a person can supply is missing (the
    status, the secret of an active key that ``vault`` does not hold either, the creation
    date) and ``ValidationFailed`` when a value breaks a rule, dates in the future included.
    """
    if not (values.get("access_key_id") or "").strip():
        raise NeedsReview("no Access Key ID")
    status = infer_status(values)
    if status is None:
        raise NeedsReview(_status_unknown(values))
    if (status is Status.ACTIVE and not values.get("secret_access_key")
            and not _secret_held(vault, values["access_key_id"])):
        raise NeedsReview("Status active but no Secret Access Key (was it exported without "
                          "secrets?)")
    if not values.get("created_on"):
        raise NeedsReview("no Creation Date")
    built = build_record(values, vault, status=status, record_id=record_id, version=version)
    record = built.record
    if record.created_on > today:
        raise ValidationFailed("created_on: the creation date is in the future")
    if record.revoked_on and record.revoked_on > today:
        raise ValidationFailed("revoked_on: the revocation date is in the future")
    return built
