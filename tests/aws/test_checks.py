"""The AWS checks as pure functions of snapshots built from JSON/CSV fixtures."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from seskeys.aws import credreport
from seskeys.checks import MissingInput, Severity, all_checks
from seskeys.checks import iam as c
from seskeys.checks.iam import CIS_VERSIONS
from tests.aws.helpers import (
    context,
    report_csv,
    run,
    snapshot_from_csv,
    snapshot_from_files,
    subjects,
    user_row,
)


@pytest.fixture(scope="module")
def full():  # type: ignore[no-untyped-def]
    return context(snapshot_from_files())


# -- credentials (credential-report-root.csv at 2026-12-03) ----------------------------------

def test_root_access_key_and_root_mfa(full) -> None:  # type: ignore[no-untyped-def]
    keys = run(c.ROOT_KEYS, full)
    assert [(f.principal, f.evidence["slot"]) for f in keys] == [("root", 1)]
    assert keys[0].severity is Severity.CRITICAL
    assert [f.principal for f in run(c.ROOT_MFA, full)] == ["root"]


def test_console_users_without_mfa(full) -> None:  # type: ignore[no-untyped-def]
    assert subjects(run(c.CONSOLE_MFA, full)) == ["alice-console"]


def test_key_age_counts_only_active_keys(full) -> None:  # type: ignore[no-untyped-def]
    found = run(c.KEY_AGE, full)
    assert [(f.principal, f.evidence["slot"], f.evidence["age_days"]) for f in found] == [
        ("smtp-app1", 1, 2528), ("smtp-app2", 1, 93)]


def test_key_unused_includes_never_used_old_keys(full) -> None:  # type: ignore[no-untyped-def]
    found = run(c.KEY_UNUSED, full)
    assert [(f.principal, f.evidence["slot"]) for f in found] == [("smtp-app2", 1)]
    assert "never used" in found[0].message


def test_two_active_keys_and_inactive_keys(full) -> None:  # type: ignore[no-untyped-def]
    assert subjects(run(c.TWO_KEYS, full)) == ["smtp-app2"]
    inactive = run(c.INACTIVE_KEY, full)
    assert [(f.principal, f.evidence["slot"]) for f in inactive] == [("smtp-app1", 2)]
    assert inactive[0].severity is Severity.LOW


def test_password_never_used_counts_from_when_it_was_set(full) -> None:  # type: ignore[no-untyped-def]
    assert subjects(run(c.PASSWORD_UNUSED, full)) == ["bob-admin"]


def test_key_age_boundary_exactly_the_limit_passes() -> None:
    at_limit = user_row("u", key1=("true", "2026-09-04T12:00:00+00:00",
                                   "2026-12-01T00:00:00+00:00"))
    ctx = context(snapshot_from_csv(report_csv(at_limit)))
    assert run(c.KEY_AGE, ctx) == []  # 90 days exactly
    assert len(run(c.KEY_AGE, ctx, max_key_age_days=89)) == 1


# -- permissions (gaad-ses.json) -------------------------------------------------------------

def test_direct_policies(full) -> None:  # type: ignore[no-untyped-def]
    found = run(c.DIRECT_POLICIES, full)
    assert subjects(found) == ["smtp-app2"]
    assert found[0].evidence["inline"] == ["too-broad"]


def test_ses_key_users_are_the_named_senders(full) -> None:  # type: ignore[no-untyped-def]
    assert full.ses_key_users == {"smtp-app1", "smtp-app2"}


def test_send_only_user_scoped_with_from_address_passes(full) -> None:  # type: ignore[no-untyped-def]
    assert [f for f in run(c.SES_LEAST_PRIVILEGE, full) if f.principal == "smtp-app1"] == []
    app1 = full.access["smtp-app1"]
    assert sorted(app1.ses) == ["ses:SendEmail", "ses:SendRawEmail"]
    assert all(g.access.value == "conditional" for g in app1.ses.values())
    assert not app1.admin  # the non-default v1 (Action "*") is ignored


def test_url_encoded_ses_star_exceeds_sending(full) -> None:  # type: ignore[no-untyped-def]
    found = [f for f in run(c.SES_LEAST_PRIVILEGE, full) if f.principal == "smtp-app2"]
    high = [f for f in found if f.severity is Severity.HIGH]
    low = [f for f in found if f.severity is Severity.LOW]
    assert len(high) == 1 and high[0].evidence["count"] == 169  # 174 SES actions - 5 sends
    assert "ses:DeleteIdentity" in full.access["smtp-app2"].beyond(c.SEND_ACTIONS)
    assert high[0].evidence["resources"] == ["*"]
    # the group's statement has a ses:FromAddress condition, but the unconditional ses:* allow
    # makes it moot: the effective right to send is neither scoped nor address-limited
    assert [sorted(f.evidence) for f in low] == [["from_address", "resource"]]


def test_strict_sending_makes_templated_sends_a_finding() -> None:
    ctx = context(snapshot_from_files())
    app1 = ctx.access["smtp-app1"]
    assert app1.beyond(("ses:SendEmail",)) == ["ses:SendRawEmail"]


def test_non_ses_rights_on_an_ses_key_user_are_critical(full) -> None:  # type: ignore[no-untyped-def]
    found = run(c.SES_NON_SES, full)
    assert [(f.principal, f.severity, f.evidence["actions"]) for f in found] == [
        ("smtp-app2", Severity.CRITICAL, ["s3:GetObject"])]


def test_key_managers_without_mfa(full) -> None:  # type: ignore[no-untyped-def]
    found = run(c.KEY_MANAGER_MFA, full)
    # alice is an admin without MFA; bob's rights are gated by aws:MultiFactorAuthPresent
    assert [(f.principal, f.severity) for f in found] == [("alice-console", Severity.HIGH)]
    assert "iam:CreateAccessKey" in found[0].evidence["actions"]
    assert "user smtp-app1" in found[0].evidence["targets"]


def test_broad_ses_access_of_non_key_users(full) -> None:  # type: ignore[no-untyped-def]
    assert subjects(run(c.SES_BROAD, full)) == ["alice-console"]


def test_every_finding_names_account_principal_and_masks_keys(full) -> None:  # type: ignore[no-untyped-def]
    for check in c.CHECKS:
        for f in run(check, full):
            assert f.account == "111122223333" and f.principal and f.remediation
            assert f.key_id is None or "…" in f.key_id


# -- inputs missing are skipped with the reason, never passed --------------------------------

def test_checks_without_their_input_raise_missing_input() -> None:
    ctx = context(snapshot_from_files(report=None))
    with pytest.raises(MissingInput, match="no credential report"):
        run(c.KEY_AGE, ctx)
    ctx = context(snapshot_from_files(gaad=None))
    with pytest.raises(MissingInput, match="no authorization details"):
        run(c.DIRECT_POLICIES, ctx)


def test_every_aws_check_has_cis_references_for_every_version_and_other_frameworks() -> None:
    aws = [ch for ch in all_checks() if ch.scope in ("aws", "drift")]
    assert len(aws) == 17
    for check in aws:
        for version in CIS_VERSIONS:
            assert f"CIS AWS Foundations {version}" in check.references, check.id
        for framework in ("ISO/IEC 27001:2022", "SOC 2", "NIST SP 800-53", "CIS Controls v8"):
            assert check.references[framework], (check.id, framework)
        assert "NIST SP 800-63B" in check.references
    assert c.TWO_KEYS.references["CIS AWS Foundations 7.0.0"] == []
    assert c.KEY_AGE.references["CIS AWS Foundations 5.0.0"] == ["1.13"]
    assert c.DIRECT_POLICIES.references["CIS AWS Foundations 6.0.0"] == ["2.14"]


# -- regression tests: AWS.md §6 -------------------------------------------------------------

def test_pitfall_3_inactive_old_key_is_not_a_rotation_finding() -> None:
    row = user_row("bob", key1=("false", "2020-01-01T00:00:00+00:00", "N/A"))
    ctx = context(snapshot_from_csv(report_csv(row)),
                  now=datetime(2026, 1, 1, tzinfo=UTC))
    assert run(c.KEY_AGE, ctx) == []
    assert [f.principal for f in run(c.INACTIVE_KEY, ctx)] == ["bob"]


def test_pitfall_4_password_no_information_is_never_used_not_a_crash() -> None:
    row = user_row("carol", password="true", password_last_used="no_information",
                   password_last_changed="2020-04-11T18:45:06+00:00")
    ctx = context(snapshot_from_csv(report_csv(row)), now=datetime(2020, 6, 1, tzinfo=UTC))
    found = run(c.PASSWORD_UNUSED, ctx)
    assert [f.principal for f in found] == ["carol"]
    assert found[0].evidence["password_last_used"] is None
    assert "never used" in found[0].message


def test_pitfall_5_root_row_is_not_a_user() -> None:
    root = ("<root_account>,arn:aws:iam::111122223333:root,2015-01-01T00:00:00+00:00,"
            "not_supported,N/A,not_supported,not_supported,true,true,"
            "2019-01-01T00:00:00+00:00,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A")
    report = credreport.parse_csv(report_csv(root, user_row("dave")))
    assert len(report.rows) == 2 and report.root() is not None
    assert list(report.by_user()) == ["dave"]
    assert report.root().password_enabled is None  # type: ignore[union-attr]
    ctx = context(snapshot_from_csv(report_csv(root, user_row("dave"))))
    assert [f.principal for f in run(c.ROOT_KEYS, ctx)] == ["root"]
    assert all(k.user != "<root_account>" for k in ctx.keys)
    assert run(c.CONSOLE_MFA, ctx) == []


def test_pitfall_11_old_but_used_key_and_inactive_unused_key() -> None:
    used = user_row("erin", key1=("true", "2020-01-01T00:00:00+00:00",
                                  "2026-12-01T00:00:00+00:00"))
    idle = user_row("frank", key1=("false", "2025-01-01T00:00:00+00:00",
                                   "2025-12-01T00:00:00+00:00"))
    ctx = context(snapshot_from_csv(report_csv(used, idle)))
    assert [f.principal for f in run(c.KEY_AGE, ctx)] == ["erin"]
    assert run(c.KEY_UNUSED, ctx) == []


def test_pitfall_14_missing_column_fails_loudly_naming_it() -> None:
    text = report_csv(user_row("gina")).replace("password_last_used,", "password_last_used_date,",
                                                 1)
    with pytest.raises(credreport.ReportFormatError, match="password_last_used"):
        credreport.parse_csv(text)


def test_identity_scoped_sending_needs_no_from_address_condition() -> None:
    """Our own provisioning for a domain identity must pass our own audit (a new user found
    `aws provision` followed by `aws audit` flagged the key it had just made)."""
    from seskeys.aws import policy
    from seskeys.aws import provision as prov

    def statements(document: dict) -> tuple[policy.Statement, ...]:  # type: ignore[type-arg]
        return policy.parse_policy(document, "test").statements

    domain = statements(prov.sending_policy("eu-west-1", "123456789012", "acme.example"))
    assert all(c._one_identity(s) for s in domain)
    wildcard = statements({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "ses:SendRawEmail",
        "Resource": "arn:aws:ses:eu-west-1:123456789012:identity/*"}]})
    everything = statements({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "ses:SendRawEmail", "Resource": "*"}]})
    assert not any(c._one_identity(s) for s in (*wildcard, *everything))


def test_key_used_for_ses_with_its_policy_missing_from_the_export() -> None:
    """A filtered export lacks the managed policy that grants SES: the user whose key was
    last used for SES is still an SES key user, with its unjudged permissions a finding."""
    from seskeys.aws import gaad
    from seskeys.aws.snapshot import AccountSnapshot
    from tests.aws.helpers import NOW

    inventory = gaad.parse_pages([{"UserDetailList": [{
        "UserName": "mailer", "Arn": "arn:aws:iam::111122223333:user/mailer",
        "AttachedManagedPolicies": [{"PolicyName": "AmazonSESFullAccess",
                                     "PolicyArn": "arn:aws:iam::aws:policy/AmazonSESFullAccess"}],
    }], "Policies": []}])
    row = user_row("mailer", key1=("true", "2026-11-01T00:00:00+00:00",
                                   "2026-12-01T00:00:00+00:00"))
    row = row.replace("2026-12-01T00:00:00+00:00,N/A,N/A", "2026-12-01T00:00:00+00:00,"
                      "eu-west-1,ses", 1)
    snapshot = AccountSnapshot(
        account_id="111122223333", taken_at=NOW, source="files", users=inventory.users,
        groups=inventory.groups, policies=inventory.policies,
        credential_report=credreport.parse_csv(report_csv(row)))
    ctx = context(snapshot)
    assert ctx.ses_key_users == {"mailer"}
    [finding] = run(c.SES_LEAST_PRIVILEGE, ctx)
    assert finding.severity is Severity.MEDIUM and "cannot be fully judged" in finding.message
