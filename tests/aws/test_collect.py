"""The live collector: botocore's Stubber where moto cannot (pagination, report states, the
root row), moto in-process for the rest."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from seskeys.aws import collect
from seskeys.aws.collect import GAAD_FILTER, Pace
from seskeys.checks import iam as c
from tests.aws.helpers import HEADER, NOW, context, run, user_row

ACCOUNT = "111122223333"
T = datetime(2026, 1, 1, tzinfo=UTC)


def iam_client() -> Any:
    return boto3.client("iam", region_name="us-east-1")


def pace(sleeps: list[float] | None = None, max_wait: float = 300.0) -> Pace:
    record = sleeps if sleeps is not None else []
    return Pace(sleep=record.append, max_wait=max_wait, workers=1)


def user(name: str) -> dict[str, Any]:
    return {"Path": "/", "UserName": name, "UserId": "AIDA" + name.upper()[:16].ljust(16, "X"),
            "Arn": f"arn:aws:iam::{ACCOUNT}:user/{name}", "CreateDate": T, "GroupList": [],
            "UserPolicyList": [], "AttachedManagedPolicies": []}


def policy(name: str) -> dict[str, Any]:
    return {"PolicyName": name, "PolicyId": "ANPA" + name.upper().ljust(16, "X"),
            "Arn": f"arn:aws:iam::{ACCOUNT}:policy/{name}", "Path": "/",
            "DefaultVersionId": "v1", "AttachmentCount": 0, "IsAttachable": True,
            "CreateDate": T, "UpdateDate": T,
            "PolicyVersionList": [{"Document": '{"Statement": []}', "VersionId": "v1",
                                   "IsDefaultVersion": True, "CreateDate": T}]}


def page(users: list[dict[str, Any]] = (), policies: list[dict[str, Any]] = (),  # type: ignore[assignment]
         marker: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"UserDetailList": list(users), "GroupDetailList": [],
                           "RoleDetailList": [], "Policies": list(policies),
                           "IsTruncated": marker is not None}
    if marker:
        out["Marker"] = marker
    return out


def gaad_params(marker: str | None = None) -> dict[str, Any]:
    params: dict[str, Any] = {"Filter": GAAD_FILTER, "MaxItems": 1000}
    if marker:
        params["Marker"] = marker
    return params


def report(*rows: str) -> dict[str, Any]:
    return {"Content": ("\n".join((HEADER, *rows)) + "\n").encode(), "ReportFormat": "text/csv",
            "GeneratedTime": datetime(2026, 12, 3, 9, 0, tzinfo=UTC)}


def test_pitfall_1_every_gaad_page_is_read() -> None:
    iam = iam_client()
    with Stubber(iam) as stub:
        stub.add_response("get_account_authorization_details",
                          page(policies=[policy("A")], marker="m1"), gaad_params())
        stub.add_response("get_account_authorization_details", page(policies=[policy("B")]),
                          gaad_params("m1"))
        pages = collect.fetch_authorization_details(iam)
        stub.assert_no_pending_responses()
    from seskeys.aws.gaad import parse_pages

    assert sorted(p.name for p in parse_pages(pages).policies.values()) == ["A", "B"]


def test_pitfall_2_101_users_over_two_pages() -> None:
    iam = iam_client()
    names = [f"user{i:03d}" for i in range(101)]
    with Stubber(iam) as stub:
        stub.add_response("get_account_authorization_details",
                          page(users=[user(n) for n in names[:100]], marker="m1"), gaad_params())
        stub.add_response("get_account_authorization_details",
                          page(users=[user(names[100])]), gaad_params("m1"))
        from seskeys.aws.gaad import parse_pages

        users = parse_pages(collect.fetch_authorization_details(iam)).users
    assert sorted(users) == names


def _not_ready(stub: Stubber, code: str, status: int, op: str = "get_credential_report") -> None:
    stub.add_client_error(op, service_error_code=code, http_status_code=status)


def test_pitfall_13_report_in_progress_is_polled_with_backoff() -> None:
    iam, sleeps = iam_client(), []
    with Stubber(iam) as stub:
        stub.add_response("generate_credential_report", {"State": "STARTED"})
        _not_ready(stub, "ReportInProgress", 404)
        stub.add_response("generate_credential_report", {"State": "INPROGRESS"})
        _not_ready(stub, "ReportInProgress", 404)
        stub.add_response("generate_credential_report", {"State": "COMPLETE"})
        stub.add_response("get_credential_report", report(user_row("u1")))
        answer = collect.fetch_credential_report(iam, pace(sleeps))
        stub.assert_no_pending_responses()
    assert b"u1" in answer["Content"]
    assert sleeps == [0.05, 0.1]  # exponential backoff


@pytest.mark.parametrize(("op", "code", "status"), [
    ("generate_credential_report", "LimitExceeded", 409),
    ("get_credential_report", "ReportExpired", 410),
    ("get_credential_report", "ReportNotPresent", 410),
])
def test_report_errors_that_mean_wait_and_retry(op: str, code: str, status: int) -> None:
    iam = iam_client()
    with Stubber(iam) as stub:
        if op == "get_credential_report":
            stub.add_response("generate_credential_report", {"State": "STARTED"})
        _not_ready(stub, code, status, op)
        stub.add_response("generate_credential_report", {"State": "COMPLETE"})
        stub.add_response("get_credential_report", report(user_row("u1")))
        assert collect.fetch_credential_report(iam, pace())["ReportFormat"] == "text/csv"


def _inventory_stub(stub: Stubber, report_ok: bool = True) -> None:
    stub.add_response("generate_credential_report", {"State": "COMPLETE"})
    if report_ok:
        root = ("<root_account>,arn:aws:iam::111122223333:root,2015-01-01T00:00:00+00:00,"
                "not_supported,N/A,not_supported,not_supported,true,true,"
                "2019-01-01T00:00:00+00:00,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,"
                "N/A")
        stub.add_response("get_credential_report", report(root, user_row("u1")))
    else:
        _not_ready(stub, "ServiceFailure", 500)
    stub.add_response("get_account_authorization_details", page(users=[user("u1")]),
                      gaad_params())
    stub.add_response("get_account_summary", {"SummaryMap": {"AccountAccessKeysPresent": 1}})


def test_pitfall_5_root_row_through_the_collector_makes_no_per_user_call() -> None:
    iam = iam_client()
    with Stubber(iam) as stub:  # any call not stubbed here fails the test (e.g. get_user)
        _inventory_stub(stub)
        snap = collect.collect_inventory(iam, ACCOUNT, NOW, pace())
        snap = collect.collect_keys(iam, snap, [], [], pace())
        stub.assert_no_pending_responses()
    assert snap.credential_report is not None and len(snap.credential_report.rows) == 2
    assert snap.root_keys_present is True
    assert [f.principal for f in run(c.ROOT_KEYS, context(snap))] == ["root"]


def test_a_failed_report_is_recorded_and_its_checks_skipped_not_passed() -> None:
    iam = iam_client()
    with Stubber(iam) as stub:
        _inventory_stub(stub, report_ok=False)
        snap = collect.collect_inventory(iam, ACCOUNT, NOW, pace(max_wait=0))
    assert snap.credential_report is None
    assert snap.errors[0].what == "credential report"
    assert "ServiceFailure" in snap.errors[0].reason
    from seskeys.checks import run_checks

    result = run_checks(c.CHECKS, context(snap), taken_at=NOW, scope="aws")
    skipped = {s.check_id: s.reason for s in result.skipped}
    assert "ServiceFailure" in skipped["aws.key-age"]
    assert "aws.direct-policies" not in skipped


def test_report_never_ready_gives_up_after_max_wait() -> None:
    iam, sleeps = iam_client(), []
    with Stubber(iam) as stub:
        for _ in range(4):
            stub.add_response("generate_credential_report", {"State": "STARTED"})
            _not_ready(stub, "ReportInProgress", 404)
        with pytest.raises(Exception, match="ReportInProgress"):
            collect.fetch_credential_report(iam, pace(sleeps, max_wait=0.3))
    assert sum(sleeps) >= 0.3


def test_access_denied_on_a_targeted_call_is_recorded_per_user() -> None:
    from seskeys.aws.snapshot import AccountSnapshot

    iam = iam_client()
    snap = AccountSnapshot(ACCOUNT, NOW, "live", users={})
    with Stubber(iam) as stub:
        stub.add_client_error("list_access_keys", "AccessDenied", "no", 403,
                              expected_params={"UserName": "u1"})
        out = collect.collect_keys(iam, snap, ["u1"], [], Pace(sleep=lambda s: None, workers=1))
    assert out.listed_keys == {}
    assert [(e.what, "AccessDenied" in e.reason) for e in out.errors] == [
        ("ListAccessKeys u1", True)]
