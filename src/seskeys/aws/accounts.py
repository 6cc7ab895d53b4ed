"""Which accounts to audit and how to reach them: the caller's own, roles, or an Organization."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3

from seskeys.aws.session import AwsOptions, client
from seskeys.aws.snapshot import account_of_arn
from seskeys.errors import InputError

SESSION_NAME = "seskeys-audit"


@dataclass(frozen=True)
class AccountTarget:
    """One account: the caller's own (``role_arn`` None) or one reached by assuming a role."""

    label: str
    role_arn: str | None = None
    account_id: str | None = None


def role_target(arn: str) -> AccountTarget:
    account = account_of_arn(arn)
    if not arn.startswith("arn:") or ":role/" not in arn or account is None:
        raise InputError(f"--role-arn {arn!r} is not an IAM role ARN",
                         hint="e.g. arn:aws:iam::123456789012:role/SeskeysAudit")
    return AccountTarget(label=arn, role_arn=arn, account_id=account)


def org_targets(session: boto3.Session, options: AwsOptions, role_name: str) -> list[AccountTarget]:
    """Every ACTIVE account of the caller's AWS Organization, through ``role_name``."""
    caller = client(session, "sts", options).get_caller_identity()
    partition = str(caller.get("Arn", "arn:aws:")).split(":")[1] or "aws"
    orgs = client(session, "organizations", options)
    targets = []
    for page in orgs.get_paginator("list_accounts").paginate():
        for account in page.get("Accounts", []):
            state = account.get("State") or account.get("Status")
            if str(state).upper() != "ACTIVE":
                continue
            arn = f"arn:{partition}:iam::{account['Id']}:role/{role_name}"
            targets.append(AccountTarget(label=f"{account['Id']} ({account.get('Name', '')})"
                                         .replace(" ()", ""), role_arn=arn,
                                         account_id=str(account["Id"])))
    return targets


def resolve_targets(session: boto3.Session, options: AwsOptions) -> list[AccountTarget]:
    if options.org and not options.role_name:
        raise InputError("--org needs --role-name: the role to assume in every account")
    targets = [role_target(arn) for arn in options.role_arns]
    if options.org:
        targets += org_targets(session, options, str(options.role_name))
    if not targets:
        targets = [AccountTarget(label="current credentials")]
    return list({t.label: t for t in targets}.values())


def account_session(base: boto3.Session, target: AccountTarget,
                    options: AwsOptions) -> tuple[boto3.Session, str]:
    """A session for the target and its account id (raises botocore errors to the caller)."""
    sts = client(base, "sts", options)
    if target.role_arn is None:
        return base, str(sts.get_caller_identity()["Account"])
    creds: Any = sts.assume_role(RoleArn=target.role_arn,
                                 RoleSessionName=SESSION_NAME)["Credentials"]
    session = boto3.Session(aws_access_key_id=creds["AccessKeyId"],
                            aws_secret_access_key=creds["SecretAccessKey"],
                            aws_session_token=creds["SessionToken"],
                            region_name=base.region_name)
    return session, str(target.account_id)
