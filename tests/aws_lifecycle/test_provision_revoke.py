"""Provisioning and emergency revocation against moto in-process."""

from __future__ import annotations

import json

import boto3
import pytest

from seskeys import lifecycle
from seskeys.aws import provision as prov
from seskeys.aws import revoke as rev
from seskeys.aws import rotation as rot
from seskeys.errors import Conflict, InputError
from seskeys.model import Status
from seskeys.smtp import derive_v4
from seskeys.template import TEMPLATE
from tests.aws_lifecycle.conftest import REGION, Fault, World

ACCOUNT = "123456789012"


def _request(**kw: str) -> prov.ProvisionRequest:
    values = {"client": "Acme Corp", "identity": "acme.example", "region": REGION,
              "ticket": "OPS-311"}
    values.update(kw)
    return prov.ProvisionRequest(**values)


@pytest.fixture
def verified(world: World) -> World:
    ses = boto3.client("ses", region_name=REGION)
    ses.verify_domain_identity(Domain="acme.example")
    return world


def test_sending_policy_is_scoped_to_the_identity() -> None:
    domain = prov.sending_policy("eu-west-1", ACCOUNT, "acme.example")
    assert domain == {"Version": "2012-10-17", "Statement": [{
        "Sid": "SendAsIdentityOnly", "Effect": "Allow",
        "Action": ["ses:SendEmail", "ses:SendRawEmail"],
        "Resource": "arn:aws:ses:eu-west-1:123456789012:identity/acme.example"}]}
    address = prov.sending_policy("us-gov-west-1", ACCOUNT, "news@acme.example")
    statement = address["Statement"][0]
    assert statement["Resource"] == \
        "arn:aws-us-gov:ses:us-gov-west-1:123456789012:identity/news@acme.example"
    assert statement["Condition"] == {"StringEquals": {"ses:FromAddress": "news@acme.example"}}


def test_provision_creates_group_user_key_and_a_complete_record(verified: World) -> None:
    world = verified
    report = prov.provision(world.vault, world.deps(), _request(), world.actor())
    record = report.record
    assert record is not None
    # moto lacks sesv2 GetAccount: the only warning is that sandbox/production is unknown.
    assert [w for w in report.warnings if "sandbox from production" not in w] == []
    iam = world.iam
    user = iam.get_user(UserName="ses-acme.example-eu-west-1")["User"]
    assert user["Path"] == "/seskeys/"
    assert iam.list_user_policies(UserName=user["UserName"])["PolicyNames"] == []
    assert iam.list_attached_user_policies(UserName=user["UserName"])["AttachedPolicies"] == []
    groups = [g["GroupName"] for g in iam.list_groups_for_user(
        UserName=user["UserName"])["Groups"]]
    assert groups == ["ses-send-acme.example-eu-west-1"]
    doc = iam.get_group_policy(GroupName=groups[0], PolicyName=prov.POLICY_NAME)
    assert doc["PolicyDocument"] == prov.sending_policy(REGION, ACCOUNT, "acme.example")
    # Every template field that applies to an active key is filled.
    not_for_active = {"revocation_reason", "revoked_on", "revocation_ticket", "replaces",
                      "replaced_by"}
    empty = [f.id for f in TEMPLATE if f.id not in not_for_active
             and record.field_value(f.id) in (None, "", ())]
    assert empty == []
    assert record.creation_ticket == "OPS-311" and record.aws_account_id == ACCOUNT
    assert record.smtp_password is not None
    assert record.smtp_password.get_secret_value() == derive_v4(record.secret() or "", REGION)
    assert "24-hour quota 200 messages" in (record.ses_limits or "")
    assert json.loads(record.iam_permissions or "") == doc["PolicyDocument"]
    assert set(world.live_keys(user["UserName"])) == {record.access_key_id}
    assert any("the key works" in line for line in report.verified)


def test_provision_again_reuses_everything(verified: World) -> None:
    world = verified
    first = prov.provision(world.vault, world.deps(), _request(), world.actor())
    events = len(world.vault.events())
    again = prov.provision(world.vault, world.deps(), _request(), world.actor())
    assert again.created == [] and again.record == first.record
    assert len(again.reused) == 3
    assert len(world.vault.records()) == 1 and len(world.vault.events()) == events
    assert len(world.live_keys("ses-acme.example-eu-west-1")) == 1


def test_provision_address_identity_pins_from_address(verified: World) -> None:
    world = verified
    report = prov.provision(world.vault, world.deps(), _request(identity="news@acme.example"),
                            world.actor())
    assert report.record is not None
    assert report.record.ses_identity_type == "Email address"
    policy = json.loads(report.record.iam_permissions or "")
    assert policy["Statement"][0]["Condition"]["StringEquals"]["ses:FromAddress"] == \
        "news@acme.example"


def test_provision_warns_for_an_unverified_identity(world: World) -> None:
    report = prov.provision(world.vault, world.deps(), _request(identity="other.example"),
                            world.actor())
    assert any("not a verified SES identity" in w for w in report.warnings)


def test_provision_refuses_unknown_region_and_extra_permissions(verified: World) -> None:
    world = verified
    with pytest.raises(InputError, match="no SES SMTP endpoint"):
        prov.provision(world.vault, world.deps(), _request(region="mars-north-1"),
                       world.actor())
    world.iam.create_user(UserName="ses-acme.example-eu-west-1", Path="/seskeys/")
    world.iam.put_user_policy(UserName="ses-acme.example-eu-west-1", PolicyName="extra",
                              PolicyDocument=json.dumps({"Version": "2012-10-17",
                                                         "Statement": [{
                                                             "Effect": "Allow",
                                                             "Action": "s3:*",
                                                             "Resource": "*"}]}))
    with pytest.raises(Conflict, match="permissions besides group"):
        prov.provision(world.vault, world.deps(), _request(), world.actor())
    assert world.live_keys("ses-acme.example-eu-west-1") == {}


def test_provision_never_touches_keys_it_does_not_own(verified: World) -> None:
    world = verified
    world.iam.create_user(UserName="ses-acme.example-eu-west-1", Path="/seskeys/")
    stray = world.iam.create_access_key(UserName="ses-acme.example-eu-west-1")["AccessKey"]
    with pytest.raises(Conflict, match="does not touch keys it does not own"):
        prov.provision(world.vault, world.deps(), _request(), world.actor())
    assert set(world.live_keys("ses-acme.example-eu-west-1")) == {stray["AccessKeyId"]}


@pytest.mark.parametrize("step", ["provision-intent", "provision-created", "provision-stored"])
def test_provision_fault_then_rerun_leaves_one_key_in_the_vault(verified: World,
                                                                 step: str) -> None:
    world = verified
    user = "ses-acme.example-eu-west-1"
    world.fail_at = {step}
    with pytest.raises(Fault):
        prov.provision(world.vault, world.deps(), _request(), world.actor())
    stored = {r.access_key_id for r in world.vault.records()}
    assert set(world.live_keys(user)) <= stored  # no key in AWS without its secret stored
    world.fail_at = set()
    report = prov.provision(world.vault, world.deps(), _request(), world.actor())
    assert report.record is not None
    assert set(world.live_keys(user)) == {report.record.access_key_id}
    tags = world.iam.list_user_tags(UserName=user)["Tags"]
    assert prov.INTENT_TAG not in {t["Key"] for t in tags}


def test_provision_cleans_a_key_left_by_a_killed_run(verified: World) -> None:
    """Simulate a kill between CreateAccessKey and the vault write: tag set, key unknown."""
    world = verified
    user = "ses-acme.example-eu-west-1"
    deps = world.deps()
    world.fail_at = {"provision-intent"}
    with pytest.raises(Fault):
        prov.provision(world.vault, deps, _request(), world.actor())
    lost = world.iam.create_access_key(UserName=user)["AccessKey"]["AccessKeyId"]
    world.fail_at = set()
    report = prov.provision(world.vault, deps, _request(), world.actor())
    assert lost not in world.live_keys(user)
    assert any("interrupted provisioning" in w for w in report.warnings)
    assert any("interrupted provisioning" in (e.detail or "") for e in world.vault.events())


# -- emergency revoke ----------------------------------------------------------------------

def test_revoke_deactivates_deletes_and_purges(world: World) -> None:
    old = world.seed()
    report = rev.revoke(world.vault, world.deps(), "acme-mailer", world.actor(),
                        ticket="SEC-7", reason="leaked in a wiki page")
    assert world.live_keys("ses-acme") == {}
    record = report.record
    assert record.status is Status.REVOKED and record.secret_access_key is None
    assert (record.revocation_ticket, record.revocation_reason) == ("SEC-7",
                                                                    "leaked in a wiki page")
    assert record.fingerprints == old.fingerprints
    assert world.steps == list(rev.STEPS)
    event = world.vault.events()[-1]
    assert event.action == "aws-revoke" and "deactivated" in (event.detail or "")


@pytest.mark.parametrize("step", rev.STEPS)
def test_revoke_interrupted_then_rerun_completes(world: World, step: str) -> None:
    world.seed()
    world.fail_at = {step}
    with pytest.raises(Fault):
        rev.revoke(world.vault, world.deps(), "acme-mailer", world.actor(), ticket="SEC-7",
                   reason="leaked")
    assert lifecycle.find(world.vault, "acme-mailer").status is Status.ACTIVE  # not yet recorded
    assert all(s == "Inactive" for s in world.live_keys("ses-acme").values())  # never usable
    world.fail_at = set()
    report = rev.revoke(world.vault, world.deps(), "acme-mailer", world.actor(),
                        ticket="SEC-7", reason="leaked")
    assert report.record.status is Status.REVOKED and world.live_keys("ses-acme") == {}


def test_revoke_mid_rotation_deletes_the_unswitched_new_key(world: World) -> None:
    world.seed()
    world.fail_at = {"stored"}
    with pytest.raises(Fault):
        rot.start(world.vault, world.deps(), "acme-mailer", world.actor(),
                  rot.RotateOptions(ticket="OPS-9"))
    assert len(world.live_keys("ses-acme")) == 2
    world.fail_at = set()
    report = rev.revoke(world.vault, world.deps(), "acme-mailer", world.actor(),
                        ticket="SEC-8", reason="compromised")
    assert world.live_keys("ses-acme") == {}
    assert report.record.rotation is None
    assert any("unfinished rotation" in a for a in report.actions)


def test_revoke_refuses_bad_reason_before_touching_aws(world: World) -> None:
    world.seed()
    with pytest.raises(Exception, match="reason"):
        rev.revoke(world.vault, world.deps(), "acme-mailer", world.actor(), ticket="SEC-1",
                   reason="  ")
    assert set(world.live_keys("ses-acme").values()) == {"Active"}


def test_revoke_of_a_record_revoked_only_in_the_vault_removes_the_aws_key(
        world: World) -> None:
    """The remedy of drift.revoked-key-active: the ledger says revoked, AWS still accepts it."""
    world.seed()
    lifecycle.revoke(world.vault, "acme-mailer", world.actor(), ticket="SEC-1",
                     reason="client left")
    assert set(world.live_keys("ses-acme").values()) == {"Active"}
    before = lifecycle.find(world.vault, "acme-mailer")
    report = rev.revoke(world.vault, world.deps(), "acme-mailer", world.actor(),
                        ticket="SEC-2", reason="still active in AWS")
    assert world.live_keys("ses-acme") == {}
    assert report.record == before  # the recorded revocation is kept as it was
    event = world.vault.events()[-1]
    assert (event.action, event.ticket) == ("aws-revoke", "SEC-2")
    assert "still in AWS" in (event.detail or "")
    with pytest.raises(Conflict, match="no longer in AWS"):
        rev.revoke(world.vault, world.deps(), "acme-mailer", world.actor(), ticket="SEC-3",
                   reason="again")
