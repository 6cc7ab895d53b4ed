"""The typed snapshot of one AWS account: what was collected, when, and what could not be.

Collected once (live or from exported files), then judged by pure check functions. Values are
real types: datetimes or ``None`` (never ``"N/A"``), booleans (never ``"true"``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

ROOT_USER = "<root_account>"


@dataclass(frozen=True)
class InlinePolicy:
    name: str
    document: Mapping[str, Any] | None  # None: present but undecodable (see problems)


@dataclass(frozen=True)
class ManagedPolicy:
    arn: str
    name: str
    document: Mapping[str, Any] | None  # the default version's document

    @property
    def aws_managed(self) -> bool:
        return ":iam::aws:policy/" in self.arn


@dataclass(frozen=True)
class Group:
    name: str
    arn: str
    inline: tuple[InlinePolicy, ...] = ()
    attached: tuple[str, ...] = ()  # managed policy ARNs


@dataclass(frozen=True)
class User:
    name: str
    arn: str
    user_id: str | None = None
    created: datetime | None = None
    groups: tuple[str, ...] = ()
    inline: tuple[InlinePolicy, ...] = ()
    attached: tuple[str, ...] = ()

    @property
    def has_direct_policies(self) -> bool:
        return bool(self.inline or self.attached)

    @property
    def account_id(self) -> str | None:
        return account_of_arn(self.arn)


@dataclass(frozen=True)
class ReportKey:
    """One access-key slot of a credential-report row."""

    slot: int
    active: bool
    last_rotated: datetime | None
    last_used: datetime | None
    last_used_region: str | None
    last_used_service: str | None

    @property
    def exists(self) -> bool:
        return self.active or self.last_rotated is not None


@dataclass(frozen=True)
class ReportRow:
    user: str
    arn: str
    created: datetime | None
    password_enabled: bool | None  # None: not supported (the root row)
    password_last_used: datetime | None
    password_last_changed: datetime | None
    mfa_active: bool
    keys: tuple[ReportKey, ...]

    @property
    def is_root(self) -> bool:
        return self.user == ROOT_USER


@dataclass(frozen=True)
class CredentialReport:
    rows: tuple[ReportRow, ...]
    generated_at: datetime | None  # None when a raw CSV file carries no generation time

    def root(self) -> ReportRow | None:
        return next((r for r in self.rows if r.is_root), None)

    def by_user(self) -> dict[str, ReportRow]:
        return {r.user: r for r in self.rows if not r.is_root}


@dataclass(frozen=True)
class ApiKey:
    """An access key as ``ListAccessKeys`` and ``GetAccessKeyLastUsed`` describe it."""

    key_id: str
    user: str
    status: str  # Active | Inactive | Expired (botocore's enum), kept as given
    created: datetime | None
    last_used: datetime | None = None
    last_used_service: str | None = None
    last_used_region: str | None = None
    last_used_known: bool = False  # True when GetAccessKeyLastUsed answered for this key

    @property
    def active(self) -> bool:
        return self.status.lower() == "active"


@dataclass(frozen=True)
class KeyLookup:
    """What ``GetAccessKeyLastUsed`` said about one key id (the vault's keys)."""

    key_id: str
    exists: bool
    user: str | None = None
    last_used: datetime | None = None
    last_used_service: str | None = None
    last_used_region: str | None = None


@dataclass(frozen=True)
class CollectionError:
    """A part of the account that could not be collected, and why."""

    what: str
    reason: str


@dataclass(frozen=True)
class Key:
    """One access key as the checks see it: report slot and API listing joined."""

    user: str
    user_arn: str
    key_id: str | None
    slot: int | None
    active: bool
    created: datetime | None
    last_used: datetime | None
    last_used_service: str | None

    @property
    def label(self) -> str:
        from seskeys.redact import mask_key_id

        if self.key_id:
            return mask_key_id(self.key_id)
        return f"access key {self.slot}" if self.slot else "access key"


@dataclass(frozen=True)
class AccountSnapshot:
    account_id: str
    taken_at: datetime
    source: str  # "live" or "files"
    users: Mapping[str, User] | None = None  # None: authorization details not collected
    groups: Mapping[str, Group] = field(default_factory=dict)
    policies: Mapping[str, ManagedPolicy] = field(default_factory=dict)
    credential_report: CredentialReport | None = None
    listed_keys: Mapping[str, tuple[ApiKey, ...]] = field(default_factory=dict)
    key_lookups: Mapping[str, KeyLookup] = field(default_factory=dict)
    root_keys_present: bool | None = None  # GetAccountSummary AccountAccessKeysPresent
    errors: tuple[CollectionError, ...] = ()
    problems: tuple[str, ...] = ()  # input oddities worth a note (undecodable policies…)
    label: str | None = None  # how the account was reached (role ARN, file name)

    def error_for(self, prefix: str) -> CollectionError | None:
        return next((e for e in self.errors if e.what.startswith(prefix)), None)

    def keys(self) -> list[Key]:
        """Every known key: report slots joined with listed keys (listing wins on status)."""
        report = self.credential_report.by_user() if self.credential_report else {}
        out: list[Key] = []
        for name in sorted(set(report) | set(self.listed_keys)):
            out.extend(_join_keys(name, report.get(name), self.listed_keys.get(name),
                                  self._arn(name, report.get(name)), self.key_lookups))
        return out

    def _arn(self, name: str, row: ReportRow | None) -> str:
        if self.users and name in self.users:
            return self.users[name].arn
        return row.arn if row else f"arn:aws:iam::{self.account_id}:user/{name}"


def account_of_arn(arn: str) -> str | None:
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 and parts[4].isdigit() else None


def _join_keys(name: str, row: ReportRow | None, listed: tuple[ApiKey, ...] | None, arn: str,
               lookups: Mapping[str, KeyLookup]) -> Iterator[Key]:
    slots = [k for k in row.keys if k.exists] if row else []
    if listed is None:
        for s in slots:
            yield Key(name, arn, None, s.slot, s.active, s.last_rotated, s.last_used,
                      s.last_used_service)
        return
    unmatched = list(slots)
    for api in sorted(listed, key=_created_order):
        slot = _match_slot(api, unmatched)
        if slot is not None:
            unmatched.remove(slot)
        last_used, service = _last_used(api, slot, lookups.get(api.key_id))
        yield Key(name, arn, api.key_id, slot.slot if slot else None, api.active,
                  api.created or (slot.last_rotated if slot else None), last_used, service)


def _created_order(key: ApiKey) -> tuple[float, str]:
    return (key.created.timestamp() if key.created else float("inf"), key.key_id)


def _match_slot(api: ApiKey, slots: list[ReportKey]) -> ReportKey | None:
    """The report slot of a listed key: same creation second, else the first left over."""
    for s in slots:
        if api.created and s.last_rotated and \
                abs((api.created - s.last_rotated).total_seconds()) < 1:
            return s
    return slots[0] if slots else None


def _last_used(api: ApiKey, slot: ReportKey | None,
               lookup: KeyLookup | None) -> tuple[datetime | None, str | None]:
    if lookup is not None and lookup.exists:
        return lookup.last_used, lookup.last_used_service
    if api.last_used_known:
        return api.last_used, api.last_used_service
    if slot is not None:
        return slot.last_used, slot.last_used_service
    return None, None
