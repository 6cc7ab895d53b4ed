"""The real export (salesforce/cloudsplaining example GAAD): what a correct audit must show.

The expected values below were established by reading the file: which users hold policies
directly, which policies grant SES, where Deny statements cancel an Allow.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from seskeys.aws import gaad
from seskeys.aws.snapshot import AccountSnapshot
from seskeys.checks import iam as c
from tests.aws.helpers import DATA, NOW, context, run, snapshot_from_files, subjects

# Every user except these two has inline or attached policies of its own:
# privesc-sre-user gets its rights from privesc-sre-group only; privesc-AssumeRole-start-user
# has no policy at all.
GROUP_ONLY_OR_NONE = {"privesc-sre-user", "privesc-AssumeRole-start-user"}


@pytest.fixture(scope="module")
def export() -> dict[str, Any]:
    return json.loads((DATA / "cloudsplaining-example-gaad.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def ctx():  # type: ignore[no-untyped-def]
    return context(snapshot_from_files("cloudsplaining-example-gaad.json", report=None))


def test_inventory_counts(ctx) -> None:  # type: ignore[no-untyped-def]
    snap = ctx.snapshot
    assert (len(snap.users), len(snap.groups), len(snap.policies)) == (44, 5, 84)
    assert snap.problems == ()
    assert ctx.account == "200611803367"  # 41 of the 44 user ARNs


def test_users_with_direct_policies(ctx, export) -> None:  # type: ignore[no-untyped-def]
    names = {u["UserName"] for u in export["UserDetailList"]}
    found = run(c.DIRECT_POLICIES, ctx)
    assert set(subjects(found)) == names - GROUP_ONLY_OR_NONE
    assert len(found) == 42
    biden = next(f for f in found if f.principal == "biden")
    assert biden.evidence["inline"] == ["InsecureUserPolicy"]
    assert biden.evidence["attached"] == ["arn:aws:iam::aws:policy/AWSLambdaFullAccess"]
    assert biden.account == "012345678901"  # the export mixes two accounts


def test_who_can_use_ses_beyond_sending(ctx) -> None:  # type: ignore[no-untyped-def]
    # obama: AdministratorAccess attached and via group admin; userwithlotsofpermissions: group
    # admin; fn4: Allow NotAction [iam:Update*, iam:Create*, iam:Attach*] grants ses:* too.
    assert {u for u, a in ctx.access.items() if a.uses_ses} == {
        "obama", "userwithlotsofpermissions", "fn4-exploitableNotAction-user"}
    found = run(c.SES_BROAD, ctx)
    assert subjects(found) == ["fn4-exploitableNotAction-user", "obama",
                               "userwithlotsofpermissions"]
    assert {f.principal: f.evidence["admin"] for f in found} == {
        "fn4-exploitableNotAction-user": False, "obama": True,
        "userwithlotsofpermissions": True}


def test_explicit_deny_cancels_allow_all(ctx) -> None:  # type: ignore[no-untyped-def]
    # fp2: fp2-allow-all (Action "*") and deny-all (Deny "*"): nothing, not even SES
    fp2 = ctx.access["fp2-allow-and-deny-multiple-policies-user"]
    assert not fp2.uses_ses and not fp2.admin and fp2.non_ses == ()
    # fp1: iam:* allowed and denied in one policy
    assert ctx.access["fp1-allow-and-deny-user"].non_ses == ()


def test_no_ses_key_users_so_no_key_user_findings(ctx) -> None:  # type: ignore[no-untyped-def]
    assert ctx.ses_key_users == frozenset()
    assert run(c.SES_LEAST_PRIVILEGE, ctx) == run(c.SES_NON_SES, ctx) == []


def _with_ses_sender(export: dict[str, Any]) -> AccountSnapshot:
    """The export plus one SES sending user in a send-only group of the same account."""
    data = copy.deepcopy(export)
    acct = "200611803367"
    data["GroupDetailList"].append({
        "GroupName": "ses-senders", "GroupId": "AGPAEXAMPLE", "Path": "/",
        "Arn": f"arn:aws:iam::{acct}:group/ses-senders", "CreateDate": "2023-03-09 10:41:37+00:00",
        "GroupPolicyList": [{"PolicyName": "send", "PolicyDocument": {
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                                                    "Action": "ses:SendRawEmail",
                                                    "Resource": "*"}]}}],
        "AttachedManagedPolicies": []})
    data["UserDetailList"].append({
        "UserName": "smtp-sender", "UserId": "AIDAEXAMPLE", "Path": "/",
        "Arn": f"arn:aws:iam::{acct}:user/smtp-sender", "CreateDate": "2023-03-09 10:41:37+00:00",
        "GroupList": ["ses-senders"], "AttachedManagedPolicies": []})
    inv = gaad.parse_pages([data])
    return AccountSnapshot(account_id=acct, taken_at=NOW, source="files", users=inv.users,
                           groups=inv.groups, policies=inv.policies)


def test_who_can_manage_the_keys_of_an_ses_sender(export) -> None:  # type: ignore[no-untyped-def]
    ctx = context(_with_ses_sender(export))
    assert ctx.ses_key_users == {"smtp-sender"}
    found = run(c.KEY_MANAGER_MFA, ctx)
    # admins (obama, userwithlotsofpermissions); fn4 (NotAction leaves iam:DeleteAccessKey,
    # iam:PutGroupPolicy…); privesc-sre-user (iam:* via its group); privesc4 (CreateAccessKey
    # on *); privesc8 (AttachGroupPolicy on *); privesc11 (PutGroupPolicy on *).
    # Not: fp1 (iam:* allowed and denied), fp2 (deny all), fp3 (deny only), fp4 (resource
    # arn:aws:iam::aws:policy/fp4-* is not a group), privesc1/2 (policy versions: the group has
    # no customer managed policy), privesc7/10 (user policies are not key management here).
    assert subjects(found) == sorted([
        "obama", "userwithlotsofpermissions", "fn4-exploitableNotAction-user",
        "privesc-sre-user", "privesc4-CreateAccessKey-user", "privesc8-AttachGroupPolicy-user",
        "privesc11-PutGroupPolicy-user"])
    by = {f.principal: f for f in found}
    assert by["privesc4-CreateAccessKey-user"].evidence["actions"] == ["iam:CreateAccessKey"]
    assert by["privesc8-AttachGroupPolicy-user"].evidence["targets"] == ["group ses-senders"]
    assert "iam:CreateAccessKey" not in by["fn4-exploitableNotAction-user"].evidence["actions"]
    assert "iam:DeleteAccessKey" in by["fn4-exploitableNotAction-user"].evidence["actions"]
    # no credential report: MFA is unknown and said so
    assert all(f.evidence["mfa_active"] is None for f in found)


def test_url_encoded_and_string_documents_give_the_same_audit(export) -> None:  # type: ignore[no-untyped-def]
    from urllib.parse import quote

    data = copy.deepcopy(export)
    for n, p in enumerate(data["Policies"]):
        for v in p["PolicyVersionList"]:
            text = json.dumps(v["Document"])
            v["Document"] = quote(text, safe="") if n % 2 else text
    inv = gaad.parse_pages([data])
    original = gaad.parse_pages([export])
    assert {a: p.document for a, p in inv.policies.items()} == \
        {a: p.document for a, p in original.policies.items()}


@pytest.mark.parametrize("page, words", [
    ({"UserDetailList": [{"UserName": "u", "Arn": "a", "GroupList": 5}]},
     "UserDetailList holds a value of the wrong type"),
    ({"UserDetailList": [{"Arn": "a"}]}, "an entry of UserDetailList lacks 'UserName'"),
    ({"GroupDetailList": [{"Arn": "g"}]}, "an entry of GroupDetailList lacks .GroupName."),
])
def test_malformed_export_names_the_list_and_the_problem(page: dict, words: str) -> None:  # type: ignore[type-arg]
    """A new user got "an entry lacks or mistypes 'int' object is not iterable"."""
    from seskeys.aws import gaad
    from seskeys.errors import InputError

    with pytest.raises(InputError, match=words):
        gaad.parse_pages([page])
