"""Checks on an AWS account's IAM for SES key hygiene: MFA, groups, least privilege, key age and
use, root keys. Each is a pure function of an :class:`~seskeys.aws.context.AwsContext`."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from seskeys.aws.access import BULK_SEND_ACTIONS, SEND_ACTIONS, UserAccess
from seskeys.aws.context import AwsContext
from seskeys.aws.policy import Access, Grant, Statement, evaluate
from seskeys.aws.snapshot import Key, ReportRow
from seskeys.checks import Check, Finding, MissingInput, Severity

ISO = "ISO/IEC 27001:2022"
SOC2 = "SOC 2"
NIST = "NIST SP 800-53"
NIST63B = "NIST SP 800-63B"
CISC = "CIS Controls v8"
CIS_VERSIONS = ("1.4.0", "1.5.0", "2.0.0", "3.0.0", "4.0.1", "5.0.0", "6.0.0", "7.0.0")
_SAMPLE = 20


def cis(old: str | None, v4: str | None, v5: str | None, v6: str | None,
        v7: str | None) -> dict[str, list[str]]:
    """CIS AWS Foundations Benchmark controls per version (AWS.md §4); [] = no such control."""
    per = (old, old, old, old, v4, v5, v6, v7)
    return {f"CIS AWS Foundations {v}": [c] if c else [] for v, c in zip(CIS_VERSIONS, per,
                                                                          strict=True)}


def _days(now: datetime, then: datetime) -> int:
    return (now - then).days


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def _about(ctx: AwsContext, user: str, key: Key | None = None) -> dict[str, Any]:
    account = ctx.account
    if ctx.snapshot.users and user in ctx.snapshot.users:
        account = ctx.principal_account(ctx.snapshot.users[user])
    out: dict[str, Any] = {"account": account, "principal": user}
    if key is not None and key.key_id:
        out["key_id"] = key.label
    return out


def _subject(user: str, key: Key | None = None) -> str:
    return f"{user} {key.label}" if key else user


def _sample(items: Sequence[str]) -> list[str]:
    return list(items[:_SAMPLE]) + ([f"… {len(items) - _SAMPLE} more"] if len(items) > _SAMPLE
                                    else [])


# -- credentials -------------------------------------------------------------------------------

def _console_mfa(ctx: AwsContext, p: Mapping[str, Any]) -> Iterator[Finding]:
    for row in ctx.report().rows:
        if not row.is_root and row.password_enabled and not row.mfa_active:
            yield CONSOLE_MFA.finding(
                row.user, "has a console password and no MFA device",
                evidence={"password_last_used": _iso(row.password_last_used),
                          "mfa_active": False}, **_about(ctx, row.user))


def _root_row(ctx: AwsContext) -> ReportRow | None:
    return ctx.report().root() if ctx.snapshot.credential_report else None


def _root_keys(ctx: AwsContext, p: Mapping[str, Any]) -> Iterator[Finding]:
    root = _root_row(ctx)
    if root is None and ctx.snapshot.root_keys_present is None:
        raise MissingInput("neither a <root_account> row in the credential report nor the "
                           "account summary is available")
    active = [k for k in root.keys if k.active] if root else []
    for k in active:
        yield ROOT_KEYS.finding("root", f"the root user has active access key {k.slot}",
                                account=ctx.account, principal="root",
                                evidence={"slot": k.slot, "last_rotated": _iso(k.last_rotated),
                                          "last_used": _iso(k.last_used)})
    if not active and ctx.snapshot.root_keys_present:
        yield ROOT_KEYS.finding("root", "the account summary reports root access keys",
                                account=ctx.account, principal="root",
                                evidence={"AccountAccessKeysPresent": 1})


def _root_mfa(ctx: AwsContext, p: Mapping[str, Any]) -> Iterator[Finding]:
    root = ctx.report().root()
    if root is None:
        raise MissingInput("the credential report has no <root_account> row")
    if not root.mfa_active:
        yield ROOT_MFA.finding("root", "the root user has no MFA device", account=ctx.account,
                               principal="root", evidence={"mfa_active": False})


def _report_keys(ctx: AwsContext) -> list[Key]:
    ctx.report()
    return list(ctx.keys)


def _key_age(ctx: AwsContext, p: Mapping[str, Any]) -> Iterator[Finding]:
    limit = int(p["max_key_age_days"])
    for k in _report_keys(ctx):
        if k.active and k.created and _days(ctx.now, k.created) > limit:
            age = _days(ctx.now, k.created)
            yield KEY_AGE.finding(_subject(k.user, k), f"active key is {age} days old "
                                  f"(limit {limit})", evidence={
                                      "created": _iso(k.created), "age_days": age,
                                      "max_key_age_days": limit, "slot": k.slot},
                                  **_about(ctx, k.user, k))


def _key_unused(ctx: AwsContext, p: Mapping[str, Any]) -> Iterator[Finding]:
    limit = int(p["unused_key_days"])
    for k in _report_keys(ctx):
        if not k.active:
            continue
        evidence = {"created": _iso(k.created), "last_used": _iso(k.last_used),
                    "unused_key_days": limit, "slot": k.slot}
        if k.last_used is not None and _days(ctx.now, k.last_used) >= limit:
            message = f"active key last used {_days(ctx.now, k.last_used)} days ago"
        elif k.last_used is None and k.created and _days(ctx.now, k.created) >= limit:
            message = f"active key never used since it was created " \
                      f"{_days(ctx.now, k.created)} days ago"
        else:
            continue
        yield KEY_UNUSED.finding(_subject(k.user, k), message, evidence=evidence,
                                 **_about(ctx, k.user, k))


def _password_unused(ctx: AwsContext, p: Mapping[str, Any]) -> Iterator[Finding]:
    limit = int(p["unused_key_days"])
    for row in ctx.report().rows:
        if row.is_root or not row.password_enabled:
            continue
        since = row.password_last_changed or row.created
        if row.password_last_used is not None:
            if _days(ctx.now, row.password_last_used) < limit:
                continue
            message = f"console password last used {_days(ctx.now, row.password_last_used)} " \
                      "days ago"
        elif since is not None and _days(ctx.now, since) >= limit:
            message = f"console password never used; set {_days(ctx.now, since)} days ago"
        else:
            continue
        yield PASSWORD_UNUSED.finding(row.user, message, evidence={
            "password_last_used": _iso(row.password_last_used),
            "password_last_changed": _iso(row.password_last_changed),
            "unused_key_days": limit}, **_about(ctx, row.user))


def _two_active(ctx: AwsContext, p: Mapping[str, Any]) -> Iterator[Finding]:
    by_user: dict[str, list[Key]] = {}
    for k in _report_keys(ctx):
        if k.active:
            by_user.setdefault(k.user, []).append(k)
    for user, keys in sorted(by_user.items()):
        if len(keys) > 1:
            yield TWO_KEYS.finding(user, f"{len(keys)} active access keys",
                                   evidence={"keys": [k.label for k in keys]},
                                   **_about(ctx, user))


def _inactive(ctx: AwsContext, p: Mapping[str, Any]) -> Iterator[Finding]:
    grace = int(p["inactive_key_days"])
    for k in _report_keys(ctx):
        if not k.active and k.created and _days(ctx.now, k.created) >= grace:
            yield INACTIVE_KEY.finding(
                _subject(k.user, k), f"inactive key created {_days(ctx.now, k.created)} days "
                "ago still exists", evidence={"created": _iso(k.created), "slot": k.slot},
                **_about(ctx, k.user, k))


# -- permissions ---------------------------------------------------------------------------------

def _direct_policies(ctx: AwsContext, p: Mapping[str, Any]) -> Iterator[Finding]:
    for name, user in sorted(ctx.users().items()):
        if user.has_direct_policies:
            inline = [i.name for i in user.inline]
            attached = [a.rsplit("/", 1)[-1] for a in user.attached]
            yield DIRECT_POLICIES.finding(
                name, "permissions attached to the user, not through a group: "
                + ", ".join([*(f"inline {n}" for n in inline), *(f"attached {a}"
                                                                for a in attached)]),
                evidence={"inline": inline, "attached": list(user.attached),
                          "groups": list(user.groups)}, **_about(ctx, name))


def _allowed_sends(p: Mapping[str, Any]) -> tuple[str, ...]:
    return SEND_ACTIONS + (BULK_SEND_ACTIONS if p["allow_bulk_sends"] else ())


def _key_users(ctx: AwsContext) -> list[tuple[str, UserAccess]]:
    ctx.users()
    return [(u, ctx.access[u]) for u in sorted(ctx.ses_key_users)]


def _send_notes(access: UserAccess, allowed: tuple[str, ...]) -> dict[str, Any]:
    grants = [access.ses[a] for a in allowed if a in access.ses]
    statements = [s for g in grants for s in g.statements]
    notes: dict[str, Any] = {}
    if any(s.all_resources() for s in statements):
        notes["resource"] = "sending is allowed from every identity (Resource \"*\")"
    if (any(not _one_identity(s) for s in statements)
            and not any("ses:fromaddress" in s.condition_keys() for s in statements)):
        notes["from_address"] = "no ses:FromAddress condition limits the sender address"
    return notes


def _one_identity(statement: Statement) -> bool:
    """Whether a statement names verified identities one by one (no wildcard in the name),
    which already bounds the sender: a domain's addresses, or one address."""
    resources = statement.resources or ()
    return (statement.not_resources is None and bool(resources)
            and all(":identity/" in r and "*" not in r.split(":identity/", 1)[1]
                    for r in resources))


def _ses_least_privilege(ctx: AwsContext, p: Mapping[str, Any]) -> Iterator[Finding]:
    allowed = _allowed_sends(p)
    for name, access in _key_users(ctx):
        if access.unresolved:
            yield SES_LEAST_PRIVILEGE.finding(
                name, "SES key user whose permissions cannot be fully judged: "
                f"{len(access.unresolved)} of its policies are not in the input",
                severity=Severity.MEDIUM, evidence={"unresolved": list(access.unresolved)},
                **_about(ctx, name))
        beyond = access.beyond(allowed)
        if beyond:
            grants = [access.ses[a] for a in beyond]
            yield SES_LEAST_PRIVILEGE.finding(
                name, f"SES key user can do {len(beyond)} SES action(s) beyond sending",
                evidence={"count": len(beyond), "actions": _sample(beyond),
                          "conditional": sorted(g.action for g in grants
                                                if g.access is Access.CONDITIONAL)[:_SAMPLE],
                          "resources": sorted({r for g in grants for r in g.resources}),
                          "policies": sorted({s for g in grants for s in g.sources})},
                **_about(ctx, name))
        notes = _send_notes(access, allowed)
        if notes:
            yield SES_LEAST_PRIVILEGE.finding(name, "; ".join(notes.values()),
                                              severity=Severity.LOW, evidence=notes,
                                              **_about(ctx, name))


def _ses_non_ses(ctx: AwsContext, p: Mapping[str, Any]) -> Iterator[Finding]:
    for name, access in _key_users(ctx):
        if access.admin or access.non_ses:
            what = "administrator (Action \"*\" on \"*\")" if access.admin else \
                "non-SES actions"
            yield SES_NON_SES.finding(
                name, f"SES key user is {what}: " + ", ".join(access.non_ses[:5])
                + (" …" if len(access.non_ses) > 5 else ""),
                evidence={"admin": access.admin, "actions": _sample(list(access.non_ses))},
                **_about(ctx, name))


def _ses_broad(ctx: AwsContext, p: Mapping[str, Any]) -> Iterator[Finding]:
    allowed = _allowed_sends(p)
    ctx.users()
    for name, access in sorted(ctx.access.items()):
        if name in ctx.ses_key_users:
            continue
        beyond = access.beyond(allowed)
        if beyond:
            yield SES_BROAD.finding(
                name, f"can do {len(beyond)} SES action(s) beyond sending"
                + (" (administrator)" if access.admin else ""),
                evidence={"count": len(beyond), "actions": _sample(beyond),
                          "admin": access.admin,
                          "policies": sorted({s for a in beyond
                                              for s in access.ses[a].sources})},
                **_about(ctx, name))


# -- who can manage SES keys ---------------------------------------------------------------------

KEY_ACTIONS = ("iam:CreateAccessKey", "iam:UpdateAccessKey", "iam:DeleteAccessKey")
GROUP_ACTIONS = ("iam:PutGroupPolicy", "iam:AttachGroupPolicy", "iam:DetachGroupPolicy",
                 "iam:DeleteGroupPolicy")
POLICY_ACTIONS = ("iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion")


def _managed_targets(ctx: AwsContext) -> list[tuple[tuple[str, ...], list[tuple[str, str]]]]:
    """(actions, [(label, arn)]) for the SES key users, their groups and group policies."""
    users = ctx.users()
    ses_users = [users[u] for u in sorted(ctx.ses_key_users)]
    groups = sorted({g for u in ses_users for g in u.groups if g in ctx.snapshot.groups})
    policies = sorted({a for g in groups for a in ctx.snapshot.groups[g].attached
                       if ":iam::aws:policy/" not in a})
    return [
        (KEY_ACTIONS, [(f"user {u.name}", u.arn) for u in ses_users]),
        (GROUP_ACTIONS, [(f"group {g}", ctx.snapshot.groups[g].arn) for g in groups]),
        (POLICY_ACTIONS, [(f"policy {a.rsplit('/', 1)[-1]}", a) for a in policies]),
    ]


def _manager_grants(statements: Sequence[Statement], user: str,
                    targets: list[tuple[tuple[str, ...], list[tuple[str, str]]]]
                    ) -> list[tuple[str, str, Grant]]:
    iam = [s for s in statements if s.may_touch_service("iam")]
    out = []
    variables = {"aws:username": user}
    for actions, items in targets:
        for action in actions:
            if not items or not evaluate(iam, action).granted:
                continue
            for label, arn in items:
                grant = evaluate(iam, action, arn, variables)
                if grant.granted:
                    out.append((action, label, grant))
    return out


def _key_managers(ctx: AwsContext, p: Mapping[str, Any]) -> Iterator[Finding]:
    targets = _managed_targets(ctx)
    if not any(items for _, items in targets):
        return
    rows = ctx.snapshot.credential_report.by_user() if ctx.snapshot.credential_report else {}
    for name, access in sorted(ctx.access.items()):
        grants = _manager_grants(access.statements, name, targets)
        ungated = [g for g in grants if not g[2].mfa_required]
        if not ungated:
            continue
        row = rows.get(name)
        mfa = row.mfa_active if row else None
        message = ("can manage SES keys without MFA" if mfa is False else
                   "can manage SES keys; MFA device unknown (no credential report row)"
                   if mfa is None else "has MFA, but can manage SES keys without it "
                   "(no aws:MultiFactorAuthPresent condition)")
        yield KEY_MANAGER_MFA.finding(
            name, message, severity=Severity.MEDIUM if mfa else Severity.HIGH,
            evidence={"mfa_active": mfa,
                      "actions": sorted({a for a, _, _ in ungated}),
                      "targets": _sample(sorted({t for _, t, _ in ungated})),
                      "policies": sorted({s for _, _, g in ungated for s in g.sources}),
                      "conditional": sorted({c for _, _, g in ungated for c in g.conditions})},
            **_about(ctx, name))


# -- the checks ----------------------------------------------------------------------------------

CONSOLE_MFA = Check(
    id="aws.console-mfa", title="Console user without MFA", severity=Severity.HIGH,
    scope="aws", run=_console_mfa,
    rationale="Rule 2: users who can sign in to the console, and so reach SES keys, use MFA.",
    remediation="Enable an MFA device for the user (IAM → Users → Security credentials), or "
                "remove the console password if the user does not need it.",
    references={**cis("1.10", "1.10", "1.9", "2.9", "2.10"), ISO: ["A.5.17", "A.8.5"],
                SOC2: ["CC6.1"], NIST: ["IA-2(1)", "IA-2(2)"], NIST63B: ["4.2.1"],
                CISC: ["6.3", "6.5"]},
)
KEY_MANAGER_MFA = Check(
    id="aws.key-manager-mfa", title="Principal who can manage SES keys without MFA",
    severity=Severity.HIGH, scope="aws", run=_key_managers,
    rationale="Rule 2: MFA is required for users managing SES keys. Whoever can create, "
              "update or delete the access keys of SES users, or change the policies of their "
              "groups, manages SES keys; their rights should require "
              "aws:MultiFactorAuthPresent.",
    remediation="Give the principal an MFA device and add a Deny with "
                "`\"BoolIfExists\": {\"aws:MultiFactorAuthPresent\": \"false\"}` to its "
                "key-management rights (or move those rights to a role that requires MFA).",
    references={**cis("1.10", "1.10", "1.9", "2.9", "2.10"), ISO: ["A.8.2", "A.8.5"],
                SOC2: ["CC6.1", "CC6.3"], NIST: ["IA-2(1)", "AC-6(5)"], NIST63B: ["4.2.1"],
                CISC: ["6.5"]},
)
DIRECT_POLICIES = Check(
    id="aws.direct-policies", title="User with attached or inline policies",
    severity=Severity.MEDIUM, scope="aws", run=_direct_policies,
    rationale="Rule 3: permissions are granted only through IAM groups.",
    remediation="Move the user's policies to a group, add the user to it, and detach or "
                "delete the user policies.",
    references={**cis("1.15", "1.15", "1.14", "2.14", "2.13"), ISO: ["A.5.15", "A.5.18"],
                SOC2: ["CC6.3"], NIST: ["AC-2", "AC-6"], NIST63B: [], CISC: ["6.8"]},
)
SES_LEAST_PRIVILEGE = Check(
    id="aws.ses-least-privilege", title="SES key user can do more than send",
    severity=Severity.HIGH, scope="aws", run=_ses_least_privilege,
    parameters={"allow_bulk_sends": True},
    rationale="Rule 4: a sending key may send mail and nothing else. Sending from any "
              "identity, or from wildcard identities without a ses:FromAddress condition, is "
              "noted at low severity.",
    remediation="Grant the user's group only ses:SendEmail and ses:SendRawEmail (plus the "
                "templated sends if used), on the identity ARNs it sends from, with a "
                "ses:FromAddress condition.",
    references={**cis("1.16", "1.16", "1.15", "2.15", "2.14"), ISO: ["A.5.15", "A.8.2"],
                SOC2: ["CC6.3"], NIST: ["AC-6"], NIST63B: [], CISC: ["6.8"]},
)
SES_NON_SES = Check(
    id="aws.ses-user-non-ses", title="SES key user holds admin or non-SES rights",
    severity=Severity.CRITICAL, scope="aws", run=_ses_non_ses,
    rationale="Rule 4: a leaked sending key must not open anything but SES sending. "
              "Admin or other services' rights on a key user turn a mail leak into an "
              "account compromise.",
    remediation="Remove every non-SES policy from the user and its groups; keep a "
                "send-only group.",
    references={**cis("1.16", "1.16", "1.15", "2.15", "2.14"), ISO: ["A.8.2", "A.5.15"],
                SOC2: ["CC6.3"], NIST: ["AC-6", "AC-6(5)"], NIST63B: [], CISC: ["5.4", "6.8"]},
)
SES_BROAD = Check(
    id="aws.ses-broad-access", title="User who can use SES beyond sending",
    severity=Severity.LOW, scope="aws", run=_ses_broad,
    parameters={"allow_bulk_sends": True},
    rationale="Rule 4: know who can change SES identities, settings and policies; such "
              "rights belong to few, named administrators.",
    remediation="Review the user's need for these SES rights; remove what is not needed.",
    references={**cis(None, None, None, None, None), ISO: ["A.5.18", "A.8.2"],
                SOC2: ["CC6.3"], NIST: ["AC-6"], NIST63B: [], CISC: ["6.8"]},
)
KEY_AGE = Check(
    id="aws.key-age", title="Active access key older than the rotation limit",
    severity=Severity.HIGH, scope="aws", run=_key_age, parameters={"max_key_age_days": 90},
    rationale="Rule 5: rotate regularly. Only active keys count; an inactive key cannot be "
              "used.",
    remediation="Rotate the key: `seskeys aws rotate NAME --ticket T`.",
    references={**cis("1.14", "1.14", "1.13", "2.13", "2.12"), ISO: ["A.5.17"],
                SOC2: ["CC6.1"], NIST: ["IA-5(1)"], NIST63B: ["6.1"], CISC: ["5.2"]},
)
KEY_UNUSED = Check(
    id="aws.key-unused", title="Active access key unused for 45 days or more",
    severity=Severity.MEDIUM, scope="aws", run=_key_unused, parameters={"unused_key_days": 45},
    rationale="Unused credentials are disabled (CIS). A key never used and older than the "
              "limit counts as unused.",
    remediation="Deactivate the key, then delete it and revoke its record "
                "(`seskeys revoke NAME --ticket T`).",
    references={**cis("1.12", "1.12", "1.11", "2.11", "2.11"), ISO: ["A.5.18"],
                SOC2: ["CC6.2"], NIST: ["AC-2(3)"], NIST63B: ["6.2"], CISC: ["5.3"]},
)
PASSWORD_UNUSED = Check(
    id="aws.password-unused", title="Console password unused for 45 days or more",
    severity=Severity.MEDIUM, scope="aws", run=_password_unused,
    parameters={"unused_key_days": 45},
    rationale="Unused credentials are disabled (CIS); a password never used counts from "
              "when it was set.",
    remediation="Delete the user's login profile (console password).",
    references={**cis("1.12", "1.12", "1.11", "2.11", "2.11"), ISO: ["A.5.18"],
                SOC2: ["CC6.2"], NIST: ["AC-2(3)"], NIST63B: ["6.2"], CISC: ["5.3"]},
)
TWO_KEYS = Check(
    id="aws.two-active-keys", title="User with two active access keys", severity=Severity.MEDIUM,
    scope="aws", run=_two_active,
    rationale="One active key per user; a second one is a rotation left half done or a "
              "shared key.",
    remediation="Finish the rotation: deactivate the old key once its last use is before the "
                "switch, then delete it.",
    references={**cis("1.13", "1.13", "1.12", "2.12", None), ISO: ["A.5.17"],
                SOC2: ["CC6.1"], NIST: ["IA-5"], NIST63B: [], CISC: ["5.2"]},
)
ROOT_KEYS = Check(
    id="aws.root-access-key", title="Root user access key", severity=Severity.CRITICAL,
    scope="aws", run=_root_keys,
    rationale="The root user's keys cannot be limited by IAM policies.",
    remediation="Delete the root user's access keys (sign in as root → Security credentials).",
    references={**cis("1.4", "1.4", "1.3", "2.3", "2.4"), ISO: ["A.8.2"], SOC2: ["CC6.1"],
                NIST: ["AC-6(5)"], NIST63B: [], CISC: ["5.4"]},
)
ROOT_MFA = Check(
    id="aws.root-mfa", title="Root user without MFA", severity=Severity.CRITICAL, scope="aws",
    run=_root_mfa,
    rationale="The root user can do everything, including managing every SES key.",
    remediation="Enable MFA (preferably hardware) for the root user.",
    references={**cis("1.5", "1.5", "1.4", "2.4", "2.5"), ISO: ["A.8.2", "A.8.5"],
                SOC2: ["CC6.1"], NIST: ["IA-2(1)"], NIST63B: ["4.3.1"], CISC: ["6.5"]},
)
INACTIVE_KEY = Check(
    id="aws.inactive-key", title="Inactive access key lingering", severity=Severity.LOW,
    scope="aws", run=_inactive, parameters={"inactive_key_days": 30},
    rationale="An inactive key can be re-activated; once a rotation is done it is deleted.",
    remediation="Delete the inactive key and record the revocation.",
    references={**cis(None, None, None, None, None), ISO: ["A.5.18"], SOC2: ["CC6.2"],
                NIST: ["AC-2"], NIST63B: ["6.2"], CISC: ["5.3"]},
)

CHECKS: tuple[Check, ...] = (
    ROOT_KEYS, ROOT_MFA, CONSOLE_MFA, KEY_MANAGER_MFA, DIRECT_POLICIES, SES_NON_SES,
    SES_LEAST_PRIVILEGE, SES_BROAD, KEY_AGE, KEY_UNUSED, PASSWORD_UNUSED, TWO_KEYS, INACTIVE_KEY,
)
