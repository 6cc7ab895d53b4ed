"""Whose key is it: hits matched to the ledger, then judged.

Key ids match records exactly. Secrets and SMTP passwords match through the vault's keyed
fingerprints, which every record keeps for its secret and for each SMTP password it yields
(v4 per region and v2), revoked records included; values the exact search found carry their
record already. Without a vault every hit is still judged, only not attributed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache

from seskeys.model import KeyRecord, Status
from seskeys.scan.detectors import KeyIdClass, Kind, classify_key_id
from seskeys.scan.known import KnownSecrets
from seskeys.scan.worker import Found
from seskeys.smtp import SmtpVersion, all_smtp_passwords, match_smtp_password
from seskeys.vault import Vault

# The example credentials of the AWS documentation.
DOC_EXAMPLE_SECRETS = ("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                       "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY")


class Verdict(StrEnum):
    ACTIVE_LEAK = "active-leak"  # secret or SMTP password of a key that is not revoked
    REVOKED_LEAK = "revoked-leak"
    SECRET = "secret"  # noqa: S105 - unattributed secret access key
    SMTP = "smtp"  # unattributed SMTP password
    LEDGER_KEY_ID = "ledger-key-id"
    KEY_ID = "key-id"
    EXAMPLE = "example"
    IDENTIFIER = "identifier"
    DROP = "drop"  # a candidate kept only in case the ledger knew it


@dataclass(frozen=True)
class Judged:
    found: Found
    verdict: Verdict
    record: KeyRecord | None = None
    how: str | None = None  # "key id", "fingerprint" or "exact search"
    smtp_region: str | None = None
    paired_record: KeyRecord | None = field(default=None)  # the record of the key id nearby


@dataclass(frozen=True)
class Ledger:
    """The records, indexed for attribution, and the vault's fingerprint function."""

    records: tuple[KeyRecord, ...]
    fingerprint: Callable[[str], str]
    by_id: Mapping[str, KeyRecord]
    by_key_id: Mapping[str, KeyRecord]
    by_fingerprint: Mapping[str, KeyRecord]

    @classmethod
    def of(cls, records: Iterable[KeyRecord], fingerprint: Callable[[str], str]) -> Ledger:
        ordered = sorted(records, key=_preference)
        by_key_id: dict[str, KeyRecord] = {}
        by_fp: dict[str, KeyRecord] = {}
        for record in ordered:  # a live record wins over a revoked one with the same value
            by_key_id.setdefault(record.access_key_id, record)
            for fp in record.fingerprints:
                by_fp.setdefault(fp, record)
        return cls(tuple(ordered), fingerprint, {r.id: r for r in ordered}, by_key_id, by_fp)

    @classmethod
    def from_vault(cls, vault: Vault) -> Ledger:
        return cls.of(vault.records(), vault.fingerprint)

    def known_secrets(self) -> KnownSecrets:
        """Every secret still held, and each SMTP password it yields, for the exact search."""
        return KnownSecrets(self._known_values())

    def _known_values(self) -> Iterator[tuple[str, str]]:
        for record in self.records:
            secret = record.secret("secret_access_key")
            if secret:
                yield secret, record.id
                for password in all_smtp_passwords(secret):
                    yield password, record.id
            stored = record.secret("smtp_password")
            if stored:
                yield stored, record.id


def _preference(record: KeyRecord) -> tuple[int, str]:
    order = {Status.ACTIVE: 0, Status.REVOKED: 3}
    return order.get(record.status, 1), record.created_on.isoformat()


def judge(found: Iterable[Found], ledger: Ledger | None) -> list[Judged]:
    return [_judge(f, ledger) for f in found]


def _judge(found: Found, ledger: Ledger | None) -> Judged:
    hit = found.hit
    paired = ledger.by_key_id.get(hit.near_key_id) if ledger and hit.near_key_id else None
    if hit.kind is Kind.KEY_ID:
        record = ledger.by_key_id.get(hit.token) if ledger else None
        if record is not None:
            return Judged(found, Verdict.LEDGER_KEY_ID, record, "key id")
        if is_example(hit.token):
            return Judged(found, Verdict.EXAMPLE)
        if classify_key_id(hit.token) is KeyIdClass.IDENTIFIER:
            return Judged(found, Verdict.IDENTIFIER)
        return Judged(found, Verdict.KEY_ID)
    record, how = _owner(found, ledger)
    if record is not None:
        verdict = Verdict.REVOKED_LEAK if record.revoked else Verdict.ACTIVE_LEAK
        return Judged(found, verdict, record, how, _region(hit.token, record, hit.kind),
                      paired)
    if is_example(hit.token):
        return Judged(found, Verdict.EXAMPLE)
    if hit.kind is Kind.SECRET:
        verdict = Verdict.SECRET if hit.context else Verdict.DROP
    else:
        keep = hit.context or hit.smtp_version is SmtpVersion.V4
        verdict = Verdict.SMTP if keep else Verdict.DROP
    return Judged(found, verdict, paired_record=paired)


def _owner(found: Found, ledger: Ledger | None) -> tuple[KeyRecord | None, str | None]:
    if ledger is None:
        return None, None
    if found.hit.known and found.hit.known in ledger.by_id:
        return ledger.by_id[found.hit.known], "exact search"
    record = ledger.by_fingerprint.get(ledger.fingerprint(found.hit.token))
    return (record, "fingerprint") if record else (None, None)


def _region(token: str, record: KeyRecord, kind: Kind) -> str | None:
    secret = record.secret("secret_access_key")
    if kind is not Kind.SMTP or not secret:
        return None
    match = match_smtp_password(secret, token)
    return (match.region or "legacy v2") if match else None


def is_example(token: str) -> bool:
    """AWS documentation examples and obvious placeholders, which are not real keys."""
    if "EXAMPLE" in token.upper():
        return True
    if len(token) == 20 and token[:4].isalpha():
        tail = token[4:]
        return len(set(tail)) <= 4 or "XXXX" in tail or tail in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" \
            or tail in "0123456789" * 2
    if len(set(token)) <= 6:
        return True
    return token in _example_smtp_passwords()


@cache
def _example_smtp_passwords() -> frozenset[str]:
    return frozenset(p for s in DOC_EXAMPLE_SECRETS for p in all_smtp_passwords(s))
