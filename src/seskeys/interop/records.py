"""Records from foreign text (a CSV row, a LastPass note): validated, derived, secrets handled.

Shared by the CSV import, the LastPass backend and ``sync``. A revoked key read from outside
may still carry its secret: it is fingerprinted (secret and every SMTP password it yields) and
purged before the record exists, because a stored revoked record never holds a secret.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import SecretStr

from seskeys import lifecycle, model
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
