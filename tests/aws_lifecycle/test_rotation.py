"""Rotation against moto in-process: key slots, the state machine, and faults at every step."""

from __future__ import annotations

import boto3
import pytest

from seskeys import lifecycle, model
from seskeys.aws import rotation as rot
from seskeys.errors import Conflict, ExternalError, NotFound
from seskeys.model import KeyRecord, Status
from seskeys.rotation_state import RotationStep
from seskeys.smtp import derive_v4
from tests.aws_lifecycle.conftest import REGION, Fault, World, client_error

USER = "ses-acme"


def _opts(**kw: object) -> rot.RotateOptions:
    values: dict[str, object] = {"ticket": "OPS-9"}
    values.update(kw)
    return rot.RotateOptions(**values)  # type: ignore[arg-type]


def _stored_secrets(world: World) -> dict[str, str]:
    out: dict[str, str] = {}
    for r in world.vault.records():
        if r.secret():
            out[r.access_key_id] = r.secret() or ""
        if r.rotation and r.rotation.new_secret and r.rotation.new_access_key_id:
            out[r.rotation.new_access_key_id] = r.rotation.new_secret.get_secret_value()
    return out


def assert_safe(world: World, old: KeyRecord) -> None:
    """The rotation's promises, whatever happened: checked against AWS and the vault."""
    live = world.live_keys(USER)
    secrets = _stored_secrets(world)
    for key_id in live:  # every key in AWS is in the vault, with a secret that works
        assert key_id in secrets, f"{key_id} exists in AWS but not in the vault"
        if key_id == old.access_key_id:
            continue  # signing with the old key would count as its use after the switch
        sts = boto3.client("sts", region_name="us-east-1", aws_access_key_id=key_id,
                           aws_secret_access_key=secrets[key_id])
        assert sts.get_caller_identity()["Arn"].endswith(f"/{USER}")
    current = world.vault.get(old.id)
    if current.status is Status.ACTIVE:  # not switched: the old key must still work
        assert live.get(old.access_key_id) == "Active"
    for record in world.vault.records():  # nothing half-recorded
        model.check_invariants(record)
    assert world.vault.verify().ok


def assert_done(world: World, old: KeyRecord) -> KeyRecord:
    live = world.live_keys(USER)
    new = lifecycle.find(world.vault, old.key_name)
    assert new.access_key_id != old.access_key_id
    assert live == {new.access_key_id: "Active"}
    retired = world.vault.get(old.id)
    assert retired.status is Status.REVOKED and retired.rotation is None
    assert (retired.revocation_reason, retired.revocation_ticket) == ("rotated", "OPS-9")
    assert retired.replaced_by == new.access_key_id and new.replaces == old.access_key_id
    assert retired.secret_access_key is None and retired.fingerprints
    assert new.rotation is None and new.creation_ticket == "OPS-9"
    assert new.smtp_password is not None
    assert new.smtp_password.get_secret_value() == derive_v4(new.secret() or "", REGION)
    assert_safe(world, old)
    return new


def test_full_rotation_in_one_run(world: World) -> None:
    old = world.seed()
    report = rot.start(world.vault, world.deps(), "acme-mailer", world.actor(),
                       _opts(deactivate_old=True, delete_after_days=0))
    assert report.state == "revoked"
    new = assert_done(world, old)
    assert new.iam_groups == old.iam_groups and new.ses_identity == old.ses_identity
    assert world.steps == list(rot.STEPS)
    details = [e.detail or "" for e in world.vault.events()[1:]]
    expected = ["rotation started", "created new key", "verified new key", "switched",
                "deactivated old key", "deleted in AWS; revocation recorded"]
    assert [d for d in details if any(x in d for x in expected)] == details
    assert all(e.ticket == "OPS-9" for e in world.vault.events()[1:])


def test_rotation_stops_at_switch_then_finish_waits_for_delete_after(world: World) -> None:
    old = world.seed()
    report = rot.start(world.vault, world.deps(), "acme-mailer", world.actor(), _opts())
    assert report.state == "switched" and "--finish" in (report.next_step or "")
    new = lifecycle.find(world.vault, "acme-mailer")
    assert world.vault.get(old.id).status is Status.RETIRING
    assert world.live_keys(USER) == {old.access_key_id: "Active", new.access_key_id: "Active"}
    assert_safe(world, old)

    waiting = rot.finish(world.vault, world.deps(), "acme-mailer", world.actor())
    assert waiting.state == "deactivated" and "may be deleted from" in (waiting.next_step or "")
    assert world.live_keys(USER)[old.access_key_id] == "Inactive"
    world.clock.advance(days=6)
    assert rot.finish(world.vault, world.deps(), "acme-mailer", world.actor()).state == \
        "deactivated"
    world.clock.advance(days=1, minutes=1)
    done = rot.finish(world.vault, world.deps(), "acme-mailer", world.actor())
    assert done.state == "revoked"
    assert_done(world, old)
    with pytest.raises(NotFound):
        rot.finish(world.vault, world.deps(), "acme-mailer", world.actor())


def test_two_active_keys_stop_and_change_nothing(world: World) -> None:
    old = world.seed()
    world.iam.create_access_key(UserName=USER)
    before_keys, before_events = world.live_keys(USER), len(world.vault.events())
    with pytest.raises(Conflict, match="two active keys"):
        rot.start(world.vault, world.deps(), "acme-mailer", world.actor(), _opts())
    assert world.live_keys(USER) == before_keys
    assert len(world.vault.events()) == before_events
    assert world.vault.get(old.id) == old


def test_unknown_inactive_key_needs_explicit_consent(world: World) -> None:
    old = world.seed()
    stray = world.iam.create_access_key(UserName=USER)["AccessKey"]["AccessKeyId"]
    world.iam.update_access_key(UserName=USER, AccessKeyId=stray, Status="Inactive")
    with pytest.raises(Conflict, match="--delete-inactive-unknown"):
        rot.start(world.vault, world.deps(), "acme-mailer", world.actor(), _opts())
    assert stray in world.live_keys(USER)
    rot.start(world.vault, world.deps(), "acme-mailer", world.actor(),
              _opts(delete_inactive_unknown=True, deactivate_old=True, delete_after_days=0))
    assert stray not in world.live_keys(USER)
    assert any("unknown to the vault; deleted with --delete-inactive-unknown" in (e.detail or "")
               for e in world.vault.events())
    assert_done(world, old)


def test_key_owned_by_another_record_is_never_touched(world: World) -> None:
    world.seed()
    other = world.iam.create_access_key(UserName=USER)["AccessKey"]
    world.iam.update_access_key(UserName=USER, AccessKeyId=other["AccessKeyId"],
                                Status="Inactive")
    lifecycle.add(world.vault, {
        "key_name": "acme-spare", "access_key_id": other["AccessKeyId"], "client": "Acme Corp",
        "purpose": "spare", "status": "inactive", "creation_ticket": "OPS-2"}, world.actor())
    with pytest.raises(Conflict, match="belongs to record 'acme-spare'"):
        rot.start(world.vault, world.deps(), "acme-mailer", world.actor(),
                  _opts(delete_inactive_unknown=True))
    assert other["AccessKeyId"] in world.live_keys(USER)


def test_old_and_new_are_told_apart_by_the_vault_not_list_order(world: World) -> None:
    """moto lists keys in creation order; reverse it and the rotation must not care."""
    old = world.seed()

    class Reversed:
        def __init__(self, inner: object) -> None:
            self.inner = inner

        def __getattr__(self, name: str) -> object:
            return getattr(self.inner, name)

        def get_paginator(self, op: str) -> object:
            pages = self.inner.get_paginator(op)  # type: ignore[attr-defined]

            class P:
                def paginate(self, **kw: object) -> list[dict[str, object]]:
                    out = []
                    for page in pages.paginate(**kw):
                        page = dict(page)
                        page["AccessKeyMetadata"] = page["AccessKeyMetadata"][::-1]
                        out.append(page)
                    return out
            return P()

    base = world.deps()
    deps = world.deps(client=lambda s, r: Reversed(base.client(s, r)) if s == "iam"
                      else base.client(s, r))
    rot.start(world.vault, deps, "acme-mailer", world.actor(), _opts())
    rot.finish(world.vault, deps, "acme-mailer", world.actor(), delete_after_days=0)
    assert_done(world, old)


@pytest.mark.parametrize("step", rot.STEPS)
def test_exception_at_every_step_then_resume_completes(world: World, step: str) -> None:
    old = world.seed()
    world.fail_at = {step}
    with pytest.raises(Fault):
        rot.start(world.vault, world.deps(), "acme-mailer", world.actor(),
                  _opts(deactivate_old=True, delete_after_days=0))
    assert_safe(world, old)
    if step == "created":  # compensation: the unstored key was deleted at once
        assert set(world.live_keys(USER)) == {old.access_key_id}
        assert any("could not be stored in the vault" in (e.detail or "")
                   for e in world.vault.events())
    world.fail_at = set()
    reports = rot.resume(world.vault, world.deps(), world.actor())
    if step == "preflight":  # nothing had started
        assert reports == []
        assert world.live_keys(USER) == {old.access_key_id: "Active"}
        return
    assert [r.state for r in reports] == ["revoked"]
    assert_done(world, old)


@pytest.mark.parametrize(("op", "code"), [
    ("create_access_key", "Throttling"), ("create_access_key", "ServiceFailure"),
    ("update_access_key", "Throttling"), ("delete_access_key", "ServiceFailure"),
    ("list_access_keys", "Throttling"), ("get_user", "ServiceFailure"),
    ("get_access_key_last_used", "Throttling"),
])
def test_aws_errors_are_external_errors_and_resume_completes(world: World, op: str,
                                                             code: str) -> None:
    old = world.seed()
    world.iam_faults[op] = (client_error(code, op, 500), -1)  # fails until cleared
    with pytest.raises((ExternalError, Conflict)) as caught:
        rot.start(world.vault, world.deps(), "acme-mailer", world.actor(),
                  _opts(deactivate_old=True, delete_after_days=0))
    assert old.secret() not in str(caught.value.message)
    assert_safe(world, old)
    world.iam_faults.clear()
    rot.resume(world.vault, world.deps(), world.actor())
    if world.vault.get(old.id).status is Status.ACTIVE and world.vault.get(old.id).rotation \
            is None:  # failed before the intent: nothing to resume, start again
        rot.start(world.vault, world.deps(), "acme-mailer", world.actor(),
                  _opts(deactivate_old=True, delete_after_days=0))
    assert_done(world, old)


def test_verification_waits_with_bounded_backoff(world: World) -> None:
    old = world.seed()
    world.sts_faults["get_caller_identity"] = (
        client_error("InvalidClientTokenId", "GetCallerIdentity", 403), 3)
    rot.start(world.vault, world.deps(), "acme-mailer", world.actor(), _opts())
    assert world.sleeps == [1.0, 2.0, 4.0]
    assert any("(4 attempt(s))" in (e.detail or "") for e in world.vault.events())
    assert world.vault.get(old.id).status is Status.RETIRING


def test_verification_that_never_succeeds_keeps_old_key_and_new_key_safe(world: World) -> None:
    old = world.seed()
    world.sts_faults["get_caller_identity"] = (
        client_error("InvalidClientTokenId", "GetCallerIdentity", 403), -1)
    with pytest.raises(ExternalError, match="not accepted by AWS after 8 attempts"):
        rot.start(world.vault, world.deps(), "acme-mailer", world.actor(), _opts())
    assert world.sleeps == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
    record = world.vault.get(old.id)
    assert record.status is Status.ACTIVE and record.rotation is not None
    assert record.rotation.step is RotationStep.CREATED
    assert world.live_keys(USER)[old.access_key_id] == "Active"
    assert any("verification failed" in (e.detail or "") for e in world.vault.events())
    assert_safe(world, old)
    # Abort deletes the new key and clears the state; the old key is untouched.
    rot.abort(world.vault, world.deps(), "acme-mailer", world.actor())
    assert world.live_keys(USER) == {old.access_key_id: "Active"}
    assert world.vault.get(old.id).rotation is None


def test_finish_refuses_while_the_old_key_is_still_used(world: World) -> None:
    old = world.seed()
    rot.start(world.vault, world.deps(), "acme-mailer", world.actor(), _opts())
    boto3.client("sts", region_name="us-east-1", aws_access_key_id=old.access_key_id,
                 aws_secret_access_key=old.secret()).get_caller_identity()
    with pytest.raises(Conflict, match="after the switch"):
        rot.finish(world.vault, world.deps(), "acme-mailer", world.actor())
    assert world.live_keys(USER)[old.access_key_id] == "Active"


def test_second_rotation_refused_until_first_finished(world: World) -> None:
    world.seed()
    rot.start(world.vault, world.deps(), "acme-mailer", world.actor(), _opts())
    with pytest.raises(Conflict, match="previous rotation"):
        rot.start(world.vault, world.deps(), "acme-mailer", world.actor(), _opts())


def test_ledger_revoke_refuses_a_record_holding_an_unswitched_key(world: World) -> None:
    world.seed()
    world.fail_at = {"stored"}
    with pytest.raises(Fault):
        rot.start(world.vault, world.deps(), "acme-mailer", world.actor(), _opts())
    with pytest.raises(Conflict, match="would lose that key"):
        lifecycle.revoke(world.vault, "acme-mailer", world.actor(), ticket="T", reason="x")


def test_rotation_state_never_reaches_views(world: World) -> None:
    from seskeys.formats.views import record_view

    old = world.seed()
    world.fail_at = {"stored"}
    with pytest.raises(Fault):
        rot.start(world.vault, world.deps(), "acme-mailer", world.actor(), _opts())
    record = world.vault.get(old.id)
    assert record.rotation is not None and record.rotation.new_secret is not None
    secret = record.rotation.new_secret.get_secret_value()
    for reveal in (False, True):
        view = record_view(record, reveal=reveal)
        assert "rotation" not in view and secret not in repr(view)
    assert secret not in repr(record)
    assert all(secret not in e.model_dump_json() for e in world.vault.events())


def test_finish_reconciles_a_key_deactivated_before_the_commit(world: World) -> None:
    """A run killed between UpdateAccessKey and its commit: AWS says inactive, vault switched."""
    old = world.seed()
    rot.start(world.vault, world.deps(), "acme-mailer", world.actor(), _opts())
    world.iam.update_access_key(UserName=USER, AccessKeyId=old.access_key_id, Status="Inactive")
    rot.finish(world.vault, world.deps(), "acme-mailer", world.actor(), delete_after_days=0)
    assert any("found inactive in AWS" in (e.detail or "") for e in world.vault.events())
    assert_done(world, old)


def test_resume_records_a_key_deleted_before_the_commit(world: World) -> None:
    old = world.seed()
    rot.start(world.vault, world.deps(), "acme-mailer", world.actor(), _opts())
    world.iam.delete_access_key(UserName=USER, AccessKeyId=old.access_key_id)
    reports = rot.resume(world.vault, world.deps(), world.actor())
    assert [r.state for r in reports] == ["revoked"]
    assert any("was already deleted in AWS" in (e.detail or "") for e in world.vault.events())
    assert_done(world, old)


def test_rotation_finds_the_iam_user_from_the_key_when_not_recorded(world: World) -> None:
    old = world.seed(iam_user=None)
    assert old.iam_user is None
    rot.start(world.vault, world.deps(), "acme-mailer", world.actor(),
              _opts(deactivate_old=True, delete_after_days=0))
    assert lifecycle.find(world.vault, "acme-mailer").iam_user == USER
    assert_done(world, old)
