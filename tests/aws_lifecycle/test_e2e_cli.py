"""The `seskeys` CLI end to end, as separate processes, against moto's server on 127.0.0.1.

Kills are real: the test hook makes the CLI SIGKILL itself at a named step, then a new process
resumes. Afterwards the AWS state and the vault (opened directly) must keep every promise.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from seskeys.aws import rotation as rot
from seskeys.cli.aws_lifecycle import KILL_HOOK_ENV
from seskeys.model import KeyRecord, Status
from seskeys.smtp import derive_v4
from seskeys.vault import crypto
from seskeys.vault.local import LocalVault

pytestmark = pytest.mark.slow

PASSWORD = "correct horse battery staple"
REGION = "eu-west-1"
USER = "ses-acme.example-eu-west-1"
NAME = "acme-mailer"


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str


@dataclass
class Env:
    url: str
    vault_path: Path
    tmp: Path

    def env(self, **extra: str) -> dict[str, str]:
        keep = {k: v for k, v in os.environ.items()
                if not k.startswith(("AWS_", "SESKEYS_"))}
        return {**keep, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_DEFAULT_REGION": "us-east-1", "SESKEYS_VAULT": str(self.vault_path),
                "SESKEYS_PASSWORD": PASSWORD, "SESKEYS_ACTOR": "e2e@host",
                "SESKEYS_CONFIG": os.devnull, "COLUMNS": "200", **extra}

    def seskeys(self, *args: str, aws: bool = True, input: str = "", **env: str) -> Run:
        argv = [sys.executable, "-m", "seskeys", *args]
        if aws:
            argv += ["--endpoint-url", self.url]
        done = subprocess.run(argv, input=input, capture_output=True, text=True,
                              env=self.env(**env), timeout=120, check=False)
        return Run(done.returncode, done.stdout, done.stderr)

    def client(self, service: str, region: str = "us-east-1") -> Any:
        return boto3.client(service, region_name=region, endpoint_url=self.url,
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    def access_keys(self, user: str = USER) -> dict[str, str]:
        meta = self.client("iam").list_access_keys(UserName=user)["AccessKeyMetadata"]
        return {k["AccessKeyId"]: k["Status"] for k in meta}

    def records(self) -> list[KeyRecord]:
        vault = LocalVault.open(self.vault_path, PASSWORD)
        try:
            assert vault.verify().ok
            return vault.records()
        finally:
            vault.close()

    def live(self) -> KeyRecord:
        (record,) = [r for r in self.records() if r.key_name == NAME and r.status.holds_name]
        return record


@pytest.fixture
def e2e(tmp_path: Path) -> Iterator[Env]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:  # the server's backends are process-global: start every test from nothing
        urllib.request.urlopen(urllib.request.Request(
            f"http://{host}:{port}/moto-api/reset", method="POST"), timeout=10).close()
        env = Env(url=f"http://{host}:{port}", vault_path=tmp_path / "vault.db", tmp=tmp_path)
        LocalVault.create(env.vault_path, PASSWORD, crypto.insecure_test_params(),
                          actor="e2e@host").close()
        env.client("ses", REGION).verify_domain_identity(Domain="acme.example")
        yield env
    finally:
        server.stop()


def _provision(e2e: Env) -> dict[str, Any]:
    run = e2e.seskeys("aws", "provision", "--client", "Acme", "--identity", "acme.example",
                      "--region", REGION, "--ticket", "OPS-1", "--key-name", NAME, "--json")
    assert run.code == 0, run.stderr
    view: dict[str, Any] = json.loads(run.stdout)
    return view


def _stored_secrets(records: list[KeyRecord]) -> dict[str, str]:
    out = {r.access_key_id: r.secret() or "" for r in records if r.secret()}
    for r in records:
        if r.rotation and r.rotation.new_secret and r.rotation.new_access_key_id:
            out[r.rotation.new_access_key_id] = r.rotation.new_secret.get_secret_value()
    return out


def test_provision_rotate_finish_and_smtp_end_to_end(e2e: Env) -> None:
    view = _provision(e2e)
    record = view["record"]
    assert record["secret_access_key"] == "••••••••" and record["creation_ticket"] == "OPS-1"
    first = e2e.live()
    again = e2e.seskeys("aws", "provision", "--client", "Acme", "--identity", "acme.example",
                        "--region", REGION, "--ticket", "OPS-1", "--key-name", NAME)
    assert again.code == 0 and "reused access key" in again.stderr
    assert set(e2e.access_keys()) == {first.access_key_id}

    started = e2e.seskeys("aws", "rotate", NAME, "--ticket", "OPS-2")
    assert started.code == 0, started.stderr
    assert "state switched" in started.stderr and "--finish" in started.stderr
    new = e2e.live()
    assert e2e.access_keys() == {first.access_key_id: "Active", new.access_key_id: "Active"}

    smtp = e2e.seskeys("smtp-password", NAME, "--region", "eu-central-1", aws=False)
    assert smtp.stdout == derive_v4(new.secret() or "", "eu-central-1") + "\n"
    assert new.access_key_id in smtp.stderr

    finished = e2e.seskeys("aws", "rotate", NAME, "--finish", "--delete-after", "0")
    assert finished.code == 0, finished.stderr
    assert e2e.access_keys() == {new.access_key_id: "Active"}
    old = next(r for r in e2e.records() if r.access_key_id == first.access_key_id)
    assert (old.status, old.revocation_reason, old.revocation_ticket) == (
        Status.REVOKED, "rotated", "OPS-2")
    assert e2e.seskeys("log", "--verify", aws=False).code == 0
    everything = "".join(r.stdout + r.stderr for r in (again, started, finished))
    for secret in (first.secret() or "x" * 40, new.secret() or "x" * 40):
        assert secret not in everything + json.dumps(view)


def test_two_active_keys_stop_with_nothing_changed(e2e: Env) -> None:
    _provision(e2e)
    e2e.client("iam").create_access_key(UserName=USER)
    before, records = e2e.access_keys(), e2e.records()
    run = e2e.seskeys("aws", "rotate", NAME, "--ticket", "OPS-2")
    assert run.code == 2 and "two active keys" in run.stderr
    assert e2e.access_keys() == before and e2e.records() == records


def test_unknown_inactive_key_deleted_only_with_consent(e2e: Env) -> None:
    _provision(e2e)
    iam = e2e.client("iam")
    stray = iam.create_access_key(UserName=USER)["AccessKey"]["AccessKeyId"]
    iam.update_access_key(UserName=USER, AccessKeyId=stray, Status="Inactive")
    refused = e2e.seskeys("aws", "rotate", NAME, "--ticket", "OPS-2")
    assert refused.code == 2 and "--delete-inactive-unknown" in refused.stderr
    assert stray in e2e.access_keys()
    done = e2e.seskeys("aws", "rotate", NAME, "--ticket", "OPS-2", "--delete-inactive-unknown",
                       "--deactivate-old", "--delete-after", "0")
    assert done.code == 0, done.stderr
    assert e2e.access_keys() == {e2e.live().access_key_id: "Active"}


@pytest.mark.parametrize("step", rot.STEPS[1:])
def test_killed_at_each_step_then_resume(e2e: Env, step: str) -> None:
    _provision(e2e)
    first = e2e.live()
    killed = e2e.seskeys("aws", "rotate", NAME, "--ticket", "OPS-2", "--deactivate-old",
                         "--delete-after", "0", **{KILL_HOOK_ENV: step})
    assert killed.code == -9, killed.stderr
    records = e2e.records()  # the vault opens and its log verifies after the kill
    secrets = _stored_secrets(records)
    unknown = [k for k in e2e.access_keys() if k not in secrets]
    if step == "created":  # the one window no vault write can close: the intent covers it
        assert len(unknown) == 1
    else:
        assert unknown == []
    current = next(r for r in records if r.id == first.id)
    if current.status is Status.ACTIVE:
        assert e2e.access_keys()[first.access_key_id] == "Active"

    resumed = e2e.seskeys("aws", "rotate", "--resume")
    assert resumed.code == 0, resumed.stderr
    new = e2e.live()
    assert new.access_key_id != first.access_key_id
    assert e2e.access_keys() == {new.access_key_id: "Active"}
    old = next(r for r in e2e.records() if r.id == first.id)
    assert old.status is Status.REVOKED and old.revocation_reason == "rotated"
    log = e2e.seskeys("log", "--json", aws=False)
    details = [e["detail"] or "" for e in json.loads(log.stdout)]
    if step == "created":
        assert any("interrupted run whose secret was never stored" in d for d in details)
    assert any("revocation recorded" in d for d in details)


def test_killed_provision_then_rerun(e2e: Env) -> None:
    killed = e2e.seskeys("aws", "provision", "--client", "Acme", "--identity", "acme.example",
                         "--region", REGION, "--ticket", "OPS-1", "--key-name", NAME,
                         **{KILL_HOOK_ENV: "provision-created"})
    assert killed.code == -9
    assert len(e2e.access_keys()) == 1 and e2e.records() == []
    _provision(e2e)
    assert e2e.access_keys() == {e2e.live().access_key_id: "Active"}


def test_emergency_revoke_end_to_end(e2e: Env) -> None:
    _provision(e2e)
    secret = e2e.live().secret() or ""
    run = e2e.seskeys("aws", "revoke", NAME, "--ticket", "SEC-9", "--reason", "leaked", "--json")
    assert run.code == 0, run.stderr
    assert e2e.access_keys() == {}
    (record,) = e2e.records()
    assert record.status is Status.REVOKED and record.secret_access_key is None
    assert secret not in run.stdout + run.stderr
    identify = e2e.seskeys("smtp-password", "--identify", "--json", aws=False,
                           input=derive_v4(secret, REGION) + "\n")
    owners = json.loads(identify.stdout)["owners"]
    assert [o["key_name"] for o in owners] == [NAME]


def test_unknown_kill_hook_step_is_refused(e2e: Env) -> None:
    run = e2e.seskeys("aws", "rotate", "--resume", **{KILL_HOOK_ENV: "no-such-step"})
    assert run.code == 2 and "unknown step" in run.stderr
