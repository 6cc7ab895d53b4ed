"""What the AWS and drift checks judge: one account's snapshot, its evaluated permissions, the
time of the audit and (optionally) the vault's records for that account."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from seskeys.aws.access import UserAccess
from seskeys.aws.snapshot import AccountSnapshot, CredentialReport, Key, User
from seskeys.checks import MissingInput
from seskeys.model import KeyRecord, Status


@dataclass(frozen=True)
class AwsContext:
    snapshot: AccountSnapshot
    access: Mapping[str, UserAccess]
    now: datetime
    records: Sequence[KeyRecord] | None = None  # None: no vault (drift is not judged)
    no_vault_reason: str = "no vault was opened"

    @property
    def account(self) -> str:
        return self.snapshot.account_id

    def users(self) -> Mapping[str, User]:
        if self.snapshot.users is None:
            error = self.snapshot.error_for("authorization details")
            raise MissingInput(f"no authorization details: {error.reason}" if error else
                               "no authorization details in the input")
        return self.snapshot.users

    def report(self) -> CredentialReport:
        if self.snapshot.credential_report is None:
            error = self.snapshot.error_for("credential report")
            raise MissingInput(f"no credential report: {error.reason}" if error else
                               "no credential report in the input")
        return self.snapshot.credential_report

    def vault_records(self) -> Sequence[KeyRecord]:
        if self.records is None:
            raise MissingInput(self.no_vault_reason)
        return self.records

    @cached_property
    def keys(self) -> tuple[Key, ...]:
        return tuple(self.snapshot.keys())

    def keys_of(self, user: str) -> list[Key]:
        return [k for k in self.keys if k.user == user]

    def vault_users(self) -> set[str]:
        return {r.iam_user for r in self.records or () if r.iam_user}

    @cached_property
    def ses_key_users(self) -> frozenset[str]:
        """Users who hold SES sending rights granted by name (``ses:…``), who are in the
        vault, or whose key was last used for SES (whatever their policies say, which an
        export may lack), and who have (or may have: no report) an access key."""
        candidates = {u for u, a in self.access.items() if a.explicit_send}
        candidates |= self.vault_users() & set(self.access)
        candidates |= {k.user for k in self.keys if k.user in self.access
                       and (k.last_used_service or "").lower() in ("ses", "email")}
        if self.snapshot.credential_report is None and not self.snapshot.listed_keys:
            return frozenset(candidates)
        with_keys = {k.user for k in self.keys}
        return frozenset(candidates & with_keys)

    def principal_account(self, user: User | None) -> str:
        """The account in the user's ARN (exports can mix accounts), else the snapshot's."""
        return (user.account_id if user else None) or self.account

    def live_records(self) -> list[KeyRecord]:
        return [r for r in self.vault_records() if r.status is not Status.REVOKED]
