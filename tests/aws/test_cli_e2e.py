"""`seskeys aws audit` end to end: the real entry point against moto's ThreadedMotoServer on
127.0.0.1 (via --endpoint-url), and offline on exported files."""

from __future__ import annotations

import base64
import csv
import io
import json
import logging
import urllib.request
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import boto3
import pytest

from seskeys import lifecycle
from seskeys.lifecycle import Actor
from seskeys.vault.local import LocalVault
from tests.aws.helpers import DATA
from tests.conftest import PASSWORD, CliRunner
from tests.factories import record_input, secret

SEND = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ses:SendRawEmail",
                                                "Resource": "*"}]}


@pytest.fixture
def server() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    srv = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    srv.start()
    host, port = srv.get_host_and_port()
    url = f"http://{host}:{port}"
    # the in-process server keeps moto's global state between instances: start clean
    reset = urllib.request.Request(f"{url}/moto-api/reset", method="POST")  # noqa: S310
    urllib.request.urlopen(reset)  # noqa: S310
    try:
        yield url
    finally:
        srv.stop()


@pytest.fixture
def account(server: str) -> dict[str, str]:
    iam = boto3.client("iam", region_name="us-east-1", endpoint_url=server)
    iam.create_group(GroupName="ses-send")
    iam.put_group_policy(GroupName="ses-send", PolicyName="send", PolicyDocument=json.dumps(SEND))
    keys = {}
    for name in ("smtp-app1", "smtp-app2"):
        iam.create_user(UserName=name)
        iam.add_user_to_group(GroupName="ses-send", UserName=name)
        keys[name] = iam.create_access_key(UserName=name)["AccessKey"]["AccessKeyId"]
    return keys


def _vault_with(tmp_path: Path, records: list[tuple[str, str, bool]]) -> None:
    vault = LocalVault.open(tmp_path / "cli-vault.db", PASSWORD)
    actor = Actor(name="t", today=date.today())
    try:
        for name, key_id, revoked in records:
            lifecycle.add(vault, record_input(name, access_key_id=key_id,
                                              secret_access_key=secret(name),
                                              iam_user="smtp-" + name, iam_groups="ses-send",
                                              created_on=date.today().isoformat()), actor)
            if revoked:
                lifecycle.revoke(vault, name, actor, ticket="OPS-2", reason="rotated")
    finally:
        vault.close()


def test_live_audit_with_drift_json(cli_vault: CliRunner, tmp_path: Path, server: str,
                                    account: dict[str, str]) -> None:
    _vault_with(tmp_path, [("app1", account["smtp-app1"], True)])
    result = cli_vault("aws", "audit", "--endpoint-url", server, "-o", "json")
    assert result.code == 1, result.stderr  # the revoked-but-active key is critical
    data = json.loads(result.stdout)
    assert data["drift"] is True and data["summary"]["failed_accounts"] == 0
    findings = data["accounts"][0]["report"]["findings"]
    revoked = [f for f in findings if f["check_id"] == "drift.revoked-key-active"]
    assert [(f["principal"], f["record"], f["severity"]) for f in revoked] == [
        ("smtp-app1", "app1", "critical")]
    key = account["smtp-app1"]
    assert revoked[0]["key_id"] == f"{key[:4]}…{key[-4:]}"
    assert key not in result.stdout and key not in result.stderr  # ids are masked
    unknown = [f["principal"] for f in findings if f["check_id"] == "drift.unknown-active-key"]
    assert unknown == ["smtp-app2"]
    for f in findings:
        assert f["account"] == "123456789012" and f["principal"] and f["remediation"]
    assert "finding(s) in 1 account(s), worst critical" in result.stderr


def test_live_audit_other_formats_and_fail_on(cli_vault: CliRunner, server: str,
                                              account: dict[str, str]) -> None:
    sarif = cli_vault("aws", "audit", "--endpoint-url", server, "--no-vault", "-o", "sarif",
                      "--fail-on", "none")
    assert sarif.code == 0, sarif.stderr
    run = json.loads(sarif.stdout)["runs"][0]
    assert {r["ruleId"] for r in run["results"]} >= {"aws.ses-least-privilege"}
    rows = list(csv.DictReader(io.StringIO(cli_vault(
        "aws", "audit", "--endpoint-url", server, "--no-vault", "-o", "csv").stdout)))
    assert rows and {"account", "check_id", "principal", "key_id", "evidence"} <= set(rows[0])
    md = cli_vault("aws", "audit", "--endpoint-url", server, "--no-vault", "-o", "markdown")
    assert md.stdout.startswith("# AWS audit") and "## Account 123456789012" in md.stdout
    table = cli_vault("aws", "audit", "--endpoint-url", server, "--no-vault")
    assert table.code == 0 and "aws.ses-least-privilege" in table.stdout  # low < high
    assert "drift" in table.stdout  # drift checks shown as not assessed


def test_no_password_source_audits_without_drift(cli_vault: CliRunner, server: str,
                                                 account: dict[str, str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import seskeys.cli.context as context

    monkeypatch.delenv("SESKEYS_PASSWORD")

    def no_tty(*args: Any, **kwargs: Any) -> Any:
        raise OSError("no tty")

    monkeypatch.setattr(context, "open", no_tty, raising=False)
    result = cli_vault("aws", "audit", "--endpoint-url", server, "-o", "json")
    assert result.code == 0, result.stderr
    assert "auditing without drift" in result.stderr
    assert json.loads(result.stdout)["drift"] is False


def test_wrong_password_is_exit_3(cli_vault: CliRunner, server: str, account: dict[str, str],
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SESKEYS_PASSWORD", "not the password")
    result = cli_vault("aws", "audit", "--endpoint-url", server)
    assert result.code == 3 and result.stdout == ""


def test_endpoint_from_aws_endpoint_url(cli_vault: CliRunner, server: str,
                                        account: dict[str, str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", server)
    result = cli_vault("aws", "audit", "--no-vault", "-o", "json", "--fail-on", "none")
    assert result.code == 0, result.stderr
    users = json.loads(result.stdout)["accounts"][0]["collected"]["users"]
    assert users == 2


def test_unreachable_account_is_exit_5_with_its_error(cli_vault: CliRunner) -> None:
    result = cli_vault("aws", "audit", "--endpoint-url", "http://127.0.0.1:9", "--no-vault",
                       "-o", "json")
    assert result.code == 5
    assert json.loads(result.stdout)["summary"]["failed_accounts"] == 1
    assert "could not be audited" in result.stderr


# -- offline -------------------------------------------------------------------------------

def test_offline_real_export(cli: CliRunner) -> None:
    result = cli("aws", "audit", "--no-vault", "--authorization-details",
                 str(DATA / "cloudsplaining-example-gaad.json"), "-o", "json")
    assert result.code == 0, result.stderr  # worst is medium; default --fail-on high
    account = json.loads(result.stdout)["accounts"][0]
    ids = [f["check_id"] for f in account["report"]["findings"]]
    assert ids.count("aws.direct-policies") == 42 and ids.count("aws.ses-broad-access") == 3
    skipped = {s["check_id"] for s in account["report"]["skipped"]}
    assert "aws.key-age" in skipped  # no credential report given: not assessed, not passed


def test_offline_credential_report_as_cli_json(cli: CliRunner, tmp_path: Path) -> None:
    csv_bytes = (DATA / "credential-report-root.csv").read_bytes()
    report = tmp_path / "report.json"
    report.write_text(json.dumps({"Content": base64.b64encode(csv_bytes).decode(),
                                  "ReportFormat": "text/csv",
                                  "GeneratedTime": "2026-12-03T08:00:00+00:00"}))
    result = cli("aws", "audit", "--no-vault", "--authorization-details",
                 str(DATA / "gaad-ses.json"), "--credential-report", str(report), "-o", "json")
    assert result.code == 1  # root key (critical)
    account = json.loads(result.stdout)["accounts"][0]
    assert account["account_id"] == "111122223333"
    assert account["credential_report_generated_at"] == "2026-12-03T08:00:00Z"
    ids = {f["check_id"] for f in account["report"]["findings"]}
    assert {"aws.root-access-key", "aws.console-mfa", "aws.ses-user-non-ses"} <= ids


@pytest.mark.parametrize(("content", "message"), [
    ("user,arn\nx,y\n", "lacks column(s): user_creation_time"),
    ('{"Content": "%%%"}', "not base64"),
    ("{oops", "credential report JSON: Expecting property name"),
])
def test_offline_bad_report_is_one_line_exit_2(cli: CliRunner, tmp_path: Path, content: str,
                                               message: str) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(content)
    result = cli("aws", "audit", "--no-vault", "--credential-report", str(bad))
    assert result.code == 2 and message in result.stderr
    assert "Traceback" not in result.stderr


def test_offline_and_roles_cannot_be_combined(cli: CliRunner) -> None:
    result = cli("aws", "audit", "--credential-report", "x.csv", "--role-arn",
                 "arn:aws:iam::111122223333:role/A")
    assert result.code == 2 and "cannot be combined" in result.stderr
