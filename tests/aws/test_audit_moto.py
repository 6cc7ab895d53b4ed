"""The audit service against moto in-process: collection, judging, drift with a vault,
several accounts through roles and an Organization."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from seskeys import lifecycle
from seskeys.aws import audit as audit_mod
from seskeys.aws.audit import AuditOptions, audit
from seskeys.aws.session import AwsOptions
from seskeys.config import Config
from seskeys.lifecycle import Actor
from seskeys.vault.memory import MemoryVault
from tests.factories import record_input, secret

NOW = datetime.now(UTC)
SEND = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                                                "Action": ["ses:SendRawEmail", "ses:SendEmail"],
                                                "Resource": "*"}]}
DEFAULT = "123456789012"


@pytest.fixture
def moto() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("iam", region_name="us-east-1")


def sender(iam: Any, name: str, group: str = "ses-send") -> str:
    iam.create_user(UserName=name)
    iam.add_user_to_group(GroupName=group, UserName=name)
    return str(iam.create_access_key(UserName=name)["AccessKey"]["AccessKeyId"])


def setup_account(iam: Any) -> dict[str, str]:
    iam.create_group(GroupName="ses-send")
    iam.put_group_policy(GroupName="ses-send", PolicyName="send",
                         PolicyDocument=json.dumps(SEND))
    return {"app1": sender(iam, "smtp-app1"), "app2": sender(iam, "smtp-app2")}


def backdate(user: str, days: int, account: str = DEFAULT) -> None:
    from moto.iam.models import iam_backends

    for key in iam_backends[account]["global"].users[user].access_keys:
        key.create_date = key.create_date - timedelta(days=days)


def run_audit(vault: MemoryVault | None = None, **aws: Any) -> audit_mod.AuditResult:
    options = AuditOptions(aws=AwsOptions(region="us-east-1", **aws))
    return audit(options, vault, Config(), lambda: NOW, sleep=lambda s: None)


def findings(result: audit_mod.AuditResult, check_id: str) -> list[Any]:
    return [f for f in result.combined().findings if f.check_id == check_id]


def test_live_audit_collects_in_bulk_and_judges(moto: Any) -> None:
    keys = setup_account(moto)
    moto.create_access_key(UserName="smtp-app2")
    moto.put_user_policy(UserName="smtp-app2", PolicyName="extra",
                         PolicyDocument=json.dumps({"Version": "2012-10-17",
                                                     "Statement": {"Effect": "Allow",
                                                                  "Action": "*",
                                                                  "Resource": "*"}}))
    backdate("smtp-app1", 120)
    result = run_audit()
    assert [a.account_id for a in result.accounts] == [DEFAULT] and not result.failed()
    snap = result.accounts[0].snapshot
    assert snap is not None and snap.errors == ()
    assert set(snap.listed_keys) == {"smtp-app1", "smtp-app2"}  # SES users only
    age = findings(result, "aws.key-age")
    assert [(f.principal, f.key_id) for f in age] == [
        ("smtp-app1", keys["app1"][:4] + "…" + keys["app1"][-4:])]
    assert [f.principal for f in findings(result, "aws.two-active-keys")] == ["smtp-app2"]
    assert [f.principal for f in findings(result, "aws.ses-user-non-ses")] == ["smtp-app2"]
    assert [f.principal for f in findings(result, "aws.direct-policies")] == ["smtp-app2"]
    skipped = {s.check_id for s in result.combined().skipped}
    assert {"drift.revoked-key-active", "aws.root-mfa"} <= skipped  # no vault; no root row


def _add(vault: MemoryVault, name: str, key_id: str, **extra: Any) -> None:
    actor = Actor(name="t", today=date.today())
    raw = record_input(name, access_key_id=key_id, secret_access_key=secret(name),
                       created_on=date.today().isoformat(), **extra)
    lifecycle.add(vault, raw, actor)


def test_drift_against_the_vault(moto: Any) -> None:
    keys = setup_account(moto)
    third = sender(moto, "smtp-app3")
    moto.update_access_key(UserName="smtp-app3", AccessKeyId=third, Status="Inactive")
    vault = MemoryVault()
    actor = Actor(name="t", today=date.today())
    _add(vault, "app1", keys["app1"], iam_user="smtp-app1", iam_groups="ses-send")
    lifecycle.revoke(vault, "app1", actor, ticket="OPS-9", reason="leaked")
    _add(vault, "app3", third, iam_user="smtp-app3", iam_groups="ses-send,other")
    gone = "AKIA" + "Z" * 16
    _add(vault, "gone", gone, iam_user="smtp-app1", iam_groups="ses-send")
    result = run_audit(vault)
    revoked = findings(result, "drift.revoked-key-active")
    assert [(f.record, f.principal, f.severity.value) for f in revoked] == [
        ("app1", "smtp-app1", "critical")]
    assert [f.principal for f in findings(result, "drift.unknown-active-key")] == ["smtp-app2"]
    missing = {f.record: f.evidence["aws_status"]
               for f in findings(result, "drift.missing-in-aws")}
    assert missing == {"app3": "inactive", "gone": "missing"}
    groups = findings(result, "drift.groups")
    assert [(f.record, f.evidence["only_in_vault"]) for f in groups] == [("app3", ["other"])]
    snap = result.accounts[0].snapshot
    assert snap is not None and set(snap.key_lookups) == {keys["app1"], third, gone}
    assert snap.key_lookups[gone].exists is False


def test_several_accounts_through_roles_one_failing(moto: Any,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    other, broken = "222233334444", "999988887777"
    creds = boto3.client("sts", region_name="us-east-1").assume_role(
        RoleArn=f"arn:aws:iam::{other}:role/Audit", RoleSessionName="setup")["Credentials"]
    iam_b = boto3.client("iam", region_name="us-east-1",
                         aws_access_key_id=creds["AccessKeyId"],
                         aws_secret_access_key=creds["SecretAccessKey"],
                         aws_session_token=creds["SessionToken"])
    setup_account(iam_b)
    real = audit_mod.account_session

    def session(base: Any, target: Any, options: Any) -> Any:
        if target.account_id == broken:
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "not allowed"}},
                              "AssumeRole")
        return real(base, target, options)

    monkeypatch.setattr(audit_mod, "account_session", session)
    arns = tuple(f"arn:aws:iam::{a}:role/Audit" for a in (DEFAULT, other, broken))
    result = run_audit(role_arns=arns)
    assert [a.account_id for a in result.accounts] == [DEFAULT, other, broken]
    assert [a.error for a in result.accounts][:2] == [None, None]
    assert "AccessDenied" in str(result.accounts[2].error)
    users = [set(a.snapshot.users or ()) for a in result.accounts[:2]]  # type: ignore[union-attr]
    assert users == [set(), {"smtp-app1", "smtp-app2"}]  # IAM state is per account in moto
    assert {f.account for f in result.combined().findings} == {other}


def test_every_active_account_of_the_organization(moto: Any) -> None:
    orgs = boto3.client("organizations", region_name="us-east-1")
    orgs.create_organization(FeatureSet="ALL")
    orgs.create_account(AccountName="mail", Email="mail@example.com")
    result = run_audit(org=True, role_name="OrganizationAccountAccessRole")
    ids = [a.account_id for a in result.accounts]
    assert len(ids) == 2 and DEFAULT in ids and not result.failed()


def test_org_needs_a_role_name(moto: Any) -> None:
    from seskeys.errors import InputError

    with pytest.raises(InputError, match="--role-name"):
        run_audit(org=True)


def test_keys_are_listed_only_where_an_id_is_needed(moto: Any) -> None:
    setup_account(moto)
    sender(moto, "smtp-app3")
    backdate("smtp-app3", 200)  # a key-age finding will name this key
    bare = run_audit()
    assert bare.accounts[0].snapshot.listed_keys.keys() == {"smtp-app3"}  # type: ignore[union-attr]
    age = findings(bare, "aws.key-age")
    assert [f.principal for f in age] == ["smtp-app3"] and age[0].key_id
    with_vault = run_audit(MemoryVault())  # every active SES key is now a drift question
    assert with_vault.accounts[0].snapshot.listed_keys.keys() == {  # type: ignore[union-attr]
        "smtp-app1", "smtp-app2", "smtp-app3"}
    assert len(findings(with_vault, "drift.unknown-active-key")) == 3
