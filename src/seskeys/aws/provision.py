"""Provision a least-privilege SES sending key: group + policy, user, access key, vault record.

The group holds the only policy: ``ses:SendEmail`` and ``ses:SendRawEmail`` on the identity's
ARN (``ses:FromAddress`` pinned when the identity is an address). The user, under a
configurable path, gets its permissions only from that group. Re-running is safe: what exists is
checked and reused, and a key already in the vault is not duplicated.

The key's secret exists only in the ``CreateAccessKey`` answer, so before creating it the user is
tagged with the time and the keys it held; a run killed before storing the secret leaves that
tag, and the next run deletes the key it made (unknown to the vault, newer than the tag).
"""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from seskeys import lifecycle
from seskeys import validators as v
from seskeys.aws import keys
from seskeys.aws.keys import AwsDeps, aws_errors, error_code
from seskeys.errors import Conflict, ExternalError, InputError
from seskeys.events import Action, EventDraft
from seskeys.lifecycle import Actor
from seskeys.model import KeyRecord
from seskeys.redact import mask_key_id
from seskeys.smtp_vault import check_region
from seskeys.vault import Vault

STEPS = ("provision-intent", "provision-created", "provision-stored")
POLICY_NAME = "seskeys-ses-send"
INTENT_TAG = "seskeys:creating-key"
ORPHAN_SLACK = timedelta(minutes=5)
_NAME_UNSAFE = re.compile(r"[^\w+=,.@-]")


@dataclass(frozen=True)
class ProvisionRequest:
    client: str
    identity: str
    region: str
    ticket: str
    key_name: str | None = None
    purpose: str | None = None
    iam_user: str | None = None
    iam_path: str = "/seskeys/"
    group: str | None = None


@dataclass
class ProvisionReport:
    record: KeyRecord | None = None
    created: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    verified: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def partition(region: str) -> str:
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    if region.startswith("cn-"):
        return "aws-cn"
    return "aws"


def identity_arn(region: str, account: str, identity: str) -> str:
    return f"arn:{partition(region)}:ses:{region}:{account}:identity/{identity}"


def sending_policy(region: str, account: str, identity: str) -> dict[str, Any]:
    """Send as the identity and nothing else; an address identity pins the From address."""
    statement: dict[str, Any] = {
        "Sid": "SendAsIdentityOnly", "Effect": "Allow",
        "Action": ["ses:SendEmail", "ses:SendRawEmail"],
        "Resource": identity_arn(region, account, identity),
    }
    if "@" in identity:
        statement["Condition"] = {"StringEquals": {"ses:FromAddress": identity}}
    return {"Version": "2012-10-17", "Statement": [statement]}


def _default_name(prefix: str, identity: str, region: str, limit: int) -> str:
    name = f"{prefix}{_NAME_UNSAFE.sub('-', identity)}-{region}"
    if len(name) > limit:
        raise InputError(f"the default IAM name {name[:20]}… is longer than {limit} characters",
                         hint="choose one with --iam-user / --group")
    return name


def _check_request(req: ProvisionRequest, actor: Actor) -> ProvisionRequest:
    check_region(req.region)
    kind = v.identity_kind_of(req.identity.strip())
    identity = v.identity(req.identity, kind)
    if not (req.iam_path.startswith("/") and req.iam_path.endswith("/")):
        raise InputError("--iam-path must start and end with '/' (e.g. /seskeys/)")
    user = v.iam_user(req.iam_user or _default_name("ses-", identity, req.region, 64))
    group = v.iam_group(req.group or _default_name("ses-send-", identity, req.region, 128))
    return ProvisionRequest(
        client=req.client.strip(), identity=identity, region=req.region,
        ticket=actor.ticket(req.ticket, "creation_ticket"),
        key_name=req.key_name or re.sub(r"\s+", "-", f"{req.client.strip()}-{identity}-"
                                                     f"{req.region}".lower()),
        purpose=req.purpose or f"Send mail as {identity} through SES in {req.region}",
        iam_user=user, iam_path=req.iam_path, group=group)


def _exists(what: str, call: Any, **kwargs: Any) -> dict[str, Any] | None:
    try:
        result: dict[str, Any] = call(**kwargs)
    except ClientError as exc:
        if error_code(exc) == "NoSuchEntity":
            return None
        raise ExternalError(f"{what}: {exc}") from None
    except BotoCoreError as exc:
        raise ExternalError(f"{what}: {exc}") from None
    return result


def _ensure_group(iam: Any, req: ProvisionRequest, policy: dict[str, Any],
                  report: ProvisionReport) -> None:
    group = req.group or ""
    found = _exists(f"reading IAM group {group}", iam.get_group, GroupName=group)
    with aws_errors(f"setting up IAM group {group}"):
        if found is None:
            iam.create_group(GroupName=group, Path=req.iam_path)
            report.created.append(f"IAM group {group}")
        else:
            others = [p for p in iam.list_group_policies(GroupName=group)["PolicyNames"]
                      if p != POLICY_NAME]
            others += [p["PolicyName"] for p in
                       iam.list_attached_group_policies(GroupName=group)["AttachedPolicies"]]
            if others:
                raise Conflict(f"IAM group {group} also has policies {', '.join(others)}: a "
                               "sending key must not get more than sending",
                               hint="choose a dedicated group with --group")
            report.reused.append(f"IAM group {group}")
        iam.put_group_policy(GroupName=group, PolicyName=POLICY_NAME,
                             PolicyDocument=json.dumps(policy))


def _ensure_user(iam: Any, req: ProvisionRequest, report: ProvisionReport) -> None:
    user, group = req.iam_user or "", req.group or ""
    found = _exists(f"reading IAM user {user}", iam.get_user, UserName=user)
    with aws_errors(f"setting up IAM user {user}"):
        if found is None:
            iam.create_user(UserName=user, Path=req.iam_path, Tags=[
                {"Key": "seskeys:client", "Value": req.client[:256]},
                {"Key": "seskeys:ticket", "Value": req.ticket[:256]}])
            report.created.append(f"IAM user {user} (path {req.iam_path})")
        else:
            direct = iam.list_user_policies(UserName=user)["PolicyNames"] + [
                p["PolicyName"] for p in
                iam.list_attached_user_policies(UserName=user)["AttachedPolicies"]]
            groups = [g["GroupName"] for g in iam.list_groups_for_user(UserName=user)["Groups"]
                      if g["GroupName"] != group]
            if direct or groups:
                raise Conflict(f"IAM user {user} has permissions besides group {group} ("
                               + ", ".join(direct + [f"group {g}" for g in groups]) + ")",
                               hint="a sending user gets its permissions only from its group; "
                                    "choose another --iam-user")
            report.reused.append(f"IAM user {user}")
        iam.add_user_to_group(GroupName=group, UserName=user)


def ses_limits(deps: AwsDeps, region: str, today: str) -> tuple[str, list[str]]:
    """The account's SES limits in the region as the record's text, and any warnings."""
    ses = deps.client("ses", region)
    with aws_errors(f"reading the SES send quota in {region}"):
        quota = ses.get_send_quota()
    access = "sandbox or production: unknown (sesv2 GetAccount unavailable)"
    warnings = []
    try:
        account = deps.client("sesv2", region).get_account()
        access = "production" if account.get("ProductionAccessEnabled") else "sandbox"
    except (ClientError, BotoCoreError, NotImplementedError) as exc:
        why = (error_code(exc) if isinstance(exc, ClientError) else None) or type(exc).__name__
        warnings.append(f"could not tell sandbox from production in {region}: sesv2 "
                        f"GetAccount failed ({why})")
    text = (f"{access}; 24-hour quota {quota['Max24HourSend']:,.0f} messages; max send rate "
            f"{quota['MaxSendRate']:g}/s (read {today} in {region})")
    return text, warnings


def _verification_warnings(deps: AwsDeps, req: ProvisionRequest) -> list[str]:
    wanted = [req.identity] + ([req.identity.split("@", 1)[1]] if "@" in req.identity else [])
    with aws_errors(f"reading SES identities in {req.region}"):
        attrs = deps.client("ses", req.region).get_identity_verification_attributes(
            Identities=wanted)["VerificationAttributes"]
    if any(attrs.get(i, {}).get("VerificationStatus") == "Success" for i in wanted):
        return []
    return [f"{req.identity} is not a verified SES identity in {req.region} yet: the key "
            "cannot send until it is"]


def _user_tags(iam: Any, user: str) -> dict[str, str]:
    with aws_errors(f"reading the tags of IAM user {user}"):
        return {t["Key"]: t["Value"] for t in iam.list_user_tags(UserName=user)["Tags"]}


def _clear_orphans(vault: Vault, iam: Any, user: str, actor: Actor, ticket: str,
                   report: ProvisionReport) -> None:
    """Delete the key an interrupted run created but never stored (see the module doc)."""
    intent = _user_tags(iam, user).get(INTENT_TAG)
    if intent is None:
        return
    since_text, _, known_text = intent.partition(" ")
    since = datetime.fromisoformat(since_text) - ORPHAN_SLACK
    known = set(filter(None, known_text.split(",")))
    for key in keys.list_keys(iam, user):
        if (key.access_key_id not in known and key.created >= since
                and not vault.by_access_key_id(key.access_key_id)):
            detail = (f"deleting {mask_key_id(key.access_key_id)} of IAM user {user}: created by "
                      "an interrupted provisioning whose secret was never stored")
            vault.log(EventDraft(action=Action.AWS_PROVISION, actor=actor.name, ticket=ticket,
                                 detail=detail))
            keys.delete(iam, user, key.access_key_id)
            report.warnings.append(detail)
    with aws_errors(f"untagging IAM user {user}"):
        iam.untag_user(UserName=user, TagKeys=[INTENT_TAG])


def _existing_record(vault: Vault, user: str, account: str, live_ids: set[str]
                     ) -> KeyRecord | None:
    for record in vault.records():
        if (record.iam_user == user and record.aws_account_id in (None, account)
                and record.status.holds_name and record.access_key_id in live_ids):
            return record
    return None


def _record_values(req: ProvisionRequest, key: keys.NewKey, account: str, policy: str,
                   limits: str) -> dict[str, Any]:
    return {
        "key_name": req.key_name, "access_key_id": key.access_key_id,
        "secret_access_key": key.secret, "iam_groups": [req.group], "purpose": req.purpose,
        "client": req.client, "ses_identity_type": v.identity_kind_of(req.identity),
        "iam_permissions": policy, "ses_limits": limits, "created_on": key.created.date(),
        "creation_ticket": req.ticket, "iam_user": req.iam_user, "aws_account_id": account,
        "ses_region": req.region, "ses_identity": req.identity, "status": "active",
        "notes": f"Provisioned by seskeys: IAM user {req.iam_path}{req.iam_user}, permissions "
                 f"only from group {req.group} (inline policy {POLICY_NAME}).",
    }


def provision(vault: Vault, deps: AwsDeps, request: ProvisionRequest, actor: Actor
              ) -> ProvisionReport:
    req = _check_request(request, actor)
    user = req.iam_user or ""
    iam = deps.client("iam", None)
    with aws_errors("reading the caller identity"):
        account = str(deps.client("sts", None).get_caller_identity()["Account"])
    policy = sending_policy(req.region, account, req.identity)
    report = ProvisionReport()
    report.warnings += _verification_warnings(deps, req)
    _ensure_group(iam, req, policy, report)
    _ensure_user(iam, req, report)
    _clear_orphans(vault, iam, user, actor, req.ticket, report)
    live = keys.list_keys(iam, user)
    existing = _existing_record(vault, user, account, {k.access_key_id for k in live})
    if existing is not None:
        report.reused.append(f"access key {mask_key_id(existing.access_key_id)} "
                             f"(record {existing.key_name!r})")
        report.record = existing
        return report
    if live:
        raise Conflict(f"IAM user {user} has access key(s) the vault does not know ("
                       + ", ".join(mask_key_id(k.access_key_id) for k in live)
                       + "); seskeys does not touch keys it does not own",
                       hint="record them with `seskeys add`, or delete them in AWS")
    limits, warnings = ses_limits(deps, req.region, actor.today.isoformat())
    report.warnings += warnings
    raw = _create_and_store(vault, deps, iam, req, account, json.dumps(policy), limits, actor)
    report.record = raw
    report.created.append(f"access key {mask_key_id(raw.access_key_id)}, stored as "
                          f"{raw.key_name!r}")
    try:
        attempts = keys.verify(deps, raw.access_key_id, raw.secret() or "",
                               keys.user_arn(iam, user))
        report.verified.append(f"the key works: sts:GetCallerIdentity answered as the user "
                               f"({attempts} attempt(s))")
    except ExternalError as exc:
        report.warnings.append(f"the key is stored but not yet accepted by AWS: {exc.message}")
    return report


def _create_and_store(vault: Vault, deps: AwsDeps, iam: Any, req: ProvisionRequest,
                      account: str, policy: str, limits: str, actor: Actor) -> KeyRecord:
    user = req.iam_user or ""
    stamp = deps.clock().astimezone(UTC).isoformat(timespec="seconds")
    with aws_errors(f"tagging IAM user {user}"):
        iam.tag_user(UserName=user, Tags=[{"Key": INTENT_TAG, "Value": stamp + " "}])
    deps.on_step("provision-intent")
    key = keys.create_key(iam, user)
    try:
        deps.on_step("provision-created")
        record = lifecycle.add(vault, _record_values(req, key, account, policy, limits), actor,
                               action=Action.AWS_PROVISION)
    except BaseException:
        with contextlib.suppress(Exception):
            keys.delete(iam, user, key.access_key_id)
        raise
    deps.on_step("provision-stored")
    with aws_errors(f"untagging IAM user {user}"):
        iam.untag_user(UserName=user, TagKeys=[INTENT_TAG])
    return record
