"""Drift between the vault and AWS: what the ledger says against what the account accepts.

The vault's records (already narrowed to this account) are compared with the keys the account
listed (``ListAccessKeys`` of SES and vault users) and looked up (``GetAccessKeyLastUsed`` of every
vault key). A key the vault says is revoked and AWS still accepts is the finding that matters most.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from seskeys.aws.context import AwsContext
from seskeys.aws.snapshot import ApiKey
from seskeys.checks import Check, Finding, MissingInput, Severity
from seskeys.checks.iam import CISC, ISO, NIST, NIST63B, SOC2, cis
from seskeys.model import KeyRecord, Status
from seskeys.redact import mask_key_id


def _aws_keys(ctx: AwsContext) -> dict[str, ApiKey]:
    return {k.key_id: k for keys in ctx.snapshot.listed_keys.values() for k in keys}


def _needs_key_ids(ctx: AwsContext) -> None:
    if not ctx.snapshot.listed_keys and not ctx.snapshot.key_lookups:
        raise MissingInput("no access key ids were collected (the credential report has "
                           "none; pass --access-keys FILE offline)")


def _about(ctx: AwsContext, r: KeyRecord, user: str | None = None) -> dict[str, Any]:
    return {"account": ctx.account, "principal": user or r.iam_user,
            "key_id": mask_key_id(r.access_key_id), "record": r.key_name, "client": r.client}


def _status_in_aws(ctx: AwsContext, r: KeyRecord) -> tuple[str, str | None]:
    """("active"|"inactive"|"missing"|"unknown", owner) for one record's key."""
    listed = _aws_keys(ctx).get(r.access_key_id)
    if listed is not None:
        return ("active" if listed.active else "inactive"), listed.user
    lookup = ctx.snapshot.key_lookups.get(r.access_key_id)
    if lookup is not None and not lookup.exists:
        return "missing", None
    if r.iam_user and r.iam_user in ctx.snapshot.listed_keys:
        return "missing", r.iam_user  # its user's keys were listed and it is not among them
    if r.iam_user and ctx.snapshot.users is not None and r.iam_user not in ctx.snapshot.users:
        return "missing", None
    return "unknown", lookup.user if lookup else None


def _revoked_active(ctx: AwsContext, p: Mapping[str, Any]) -> Iterator[Finding]:
    records = ctx.vault_records()
    _needs_key_ids(ctx)
    for r in records:
        if r.status is not Status.REVOKED:
            continue
        state, owner = _status_in_aws(ctx, r)
        if state == "active":
            yield REVOKED_ACTIVE.finding(
                r.key_name, f"revoked in the vault on {r.revoked_on} but still active in AWS",
                evidence={"vault_status": "revoked", "aws_status": "active",
                          "revocation_ticket": r.revocation_ticket}, **_about(ctx, r, owner))


def _unknown_active(ctx: AwsContext, p: Mapping[str, Any]) -> Iterator[Finding]:
    known = {r.access_key_id for r in ctx.vault_records()}
    _needs_key_ids(ctx)
    for user in sorted(ctx.snapshot.listed_keys):
        if user not in ctx.ses_key_users:
            continue
        for key in ctx.snapshot.listed_keys[user]:
            if key.active and key.key_id not in known:
                yield UNKNOWN_ACTIVE.finding(
                    f"{user} {mask_key_id(key.key_id)}",
                    "active key of an SES user is not in the vault",
                    account=ctx.account, principal=user, key_id=mask_key_id(key.key_id),
                    evidence={"created": key.created.isoformat() if key.created else None})


def _missing_in_aws(ctx: AwsContext, p: Mapping[str, Any]) -> Iterator[Finding]:
    records = ctx.live_records()
    _needs_key_ids(ctx)
    for r in records:
        if r.status is not Status.ACTIVE:
            continue
        state, owner = _status_in_aws(ctx, r)
        if state in ("missing", "inactive"):
            what = "does not exist in AWS" if state == "missing" else "is inactive in AWS"
            yield MISSING_IN_AWS.finding(r.key_name, f"active in the vault but the key {what}",
                                         evidence={"vault_status": "active",
                                                   "aws_status": state},
                                         **_about(ctx, r, owner))


def _groups(ctx: AwsContext, p: Mapping[str, Any]) -> Iterator[Finding]:
    records = ctx.live_records()
    users = ctx.users()
    for r in records:
        owner = r.iam_user or _status_in_aws(ctx, r)[1]
        if not owner or owner not in users:
            continue
        vault_groups, aws_groups = set(r.iam_groups), set(users[owner].groups)
        if vault_groups != aws_groups:
            yield GROUPS.finding(
                r.key_name, f"vault groups {sorted(vault_groups)} differ from AWS groups "
                f"{sorted(aws_groups)}",
                evidence={"vault_groups": sorted(vault_groups), "aws_groups": sorted(aws_groups),
                          "only_in_vault": sorted(vault_groups - aws_groups),
                          "only_in_aws": sorted(aws_groups - vault_groups)},
                **_about(ctx, r, owner))


_NO_CIS = cis(None, None, None, None, None)

REVOKED_ACTIVE = Check(
    id="drift.revoked-key-active", title="Key revoked in the vault but active in AWS",
    severity=Severity.CRITICAL, scope="drift", run=_revoked_active,
    rationale="Rule 5: a revoked key must stop working. AWS still accepts this one.",
    remediation="Deactivate and delete the key in AWS now: `seskeys aws revoke NAME --ticket "
                "T --reason R` (on a revoked record it removes the key from AWS and logs it), "
                "then check CloudTrail for its use since the revocation date.",
    references={**cis("1.12", "1.12", "1.11", "2.11", "2.11"), ISO: ["A.5.18", "A.8.5"],
                SOC2: ["CC6.2"], NIST: ["AC-2", "IA-5"], NIST63B: ["6.2"], CISC: ["6.2"]},
)
UNKNOWN_ACTIVE = Check(
    id="drift.unknown-active-key", title="Active SES key unknown to the vault",
    severity=Severity.HIGH, scope="drift", run=_unknown_active,
    rationale="Rule 1 and 6: every SES key is in the ledger with its creation ticket; one that "
              "is not was created outside the process and is stored elsewhere.",
    remediation="Find its owner and ticket; add it (`seskeys add`) or deactivate and delete it.",
    references={**_NO_CIS, ISO: ["A.5.16", "A.5.17"], SOC2: ["CC6.1", "CC6.2"],
                NIST: ["AC-2", "IA-4"], NIST63B: [], CISC: ["5.1"]},
)
MISSING_IN_AWS = Check(
    id="drift.missing-in-aws", title="Key active in the vault but missing or inactive in AWS",
    severity=Severity.MEDIUM, scope="drift", run=_missing_in_aws,
    rationale="The ledger must reflect reality; a record that is not will mislead the next "
              "rotation or incident.",
    remediation="Revoke the record with the ticket that removed the key "
                "(`seskeys revoke NAME --ticket T`), or set its status to inactive.",
    references={**_NO_CIS, ISO: ["A.5.16", "A.8.15"], SOC2: ["CC6.2"], NIST: ["AC-2"],
                NIST63B: [], CISC: ["5.1"]},
)
GROUPS = Check(
    id="drift.groups", title="Vault groups differ from the IAM user's groups",
    severity=Severity.MEDIUM, scope="drift", run=_groups,
    rationale="Rule 3: the record states which groups give the key its rights.",
    remediation="Fix the user's IAM groups or the record "
                "(`seskeys edit NAME --set iam_groups=G --ticket T`).",
    references={**_NO_CIS, ISO: ["A.5.18"], SOC2: ["CC6.3"], NIST: ["AC-2"], NIST63B: [],
                CISC: ["6.8"]},
)

CHECKS: tuple[Check, ...] = (REVOKED_ACTIVE, UNKNOWN_ACTIVE, MISSING_IN_AWS, GROUPS)
