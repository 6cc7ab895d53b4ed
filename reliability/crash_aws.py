"""Crash injection for `seskeys aws rotate` against a moto server on 127.0.0.1.

Every kill point gets its own IAM user (provisioned once into the base vault), so the runs share
one server without sharing state. After each SIGKILL: the vault must open and verify, the old
key must still be active unless the vault switched to the new one, and after `aws rotate
--resume` every key the user holds in AWS must be known to the vault (a key whose secret was lost
at the kill is deleted by the resume) and the live record's key must be active.
"""

from __future__ import annotations

import json
import shutil
import signal
from pathlib import Path
from typing import Any

import boto3

from reliability.common import PASSWORD, build_vault, env_for, moto_server, run_cli
from reliability.crash import CrashResult, choose_points
from seskeys.vault.local import LocalVault

REGION = "eu-west-1"
IDENTITY = "crash.example"


def _aws_env(vault: Path, url: str) -> dict[str, str]:
    return env_for(vault, {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                           "AWS_DEFAULT_REGION": REGION, "AWS_ENDPOINT_URL": url})


def _iam(url: str) -> Any:
    return boto3.client("iam", region_name=REGION, endpoint_url=url,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def _known_keys(vault_path: Path, user: str) -> tuple[set[str], str | None]:
    """Key ids the vault holds for the user (records and rotations), and the live record's."""
    vault = LocalVault.open(vault_path, PASSWORD)
    try:
        if not vault.verify().ok:
            raise RuntimeError("log does not verify")
        known: set[str] = set()
        live = None
        for r in vault.records():
            if r.iam_user != user:
                continue
            known.add(r.access_key_id)
            if r.rotation is not None and r.rotation.new_access_key_id:
                known.add(r.rotation.new_access_key_id)
            if r.status.value == "active":
                live = r.access_key_id
        return known, live
    finally:
        vault.close()


def _aws_keys(iam: Any, user: str) -> dict[str, str]:
    return {k["AccessKeyId"]: k["Status"]
            for k in iam.list_access_keys(UserName=user)["AccessKeyMetadata"]}


def _provision(base: Path, url: str, count: int) -> None:
    boto3.client("ses", region_name=REGION, endpoint_url=url, aws_access_key_id="testing",
                 aws_secret_access_key="testing").verify_domain_identity(Domain=IDENTITY)
    for i in range(count):
        done = run_cli(["aws", "provision", "--client", "Crash Co", "--identity", IDENTITY,
                        "--region", REGION, "--ticket", "OPS-1", "--key-name", f"crash-{i}",
                        "--iam-user", f"crash-user-{i}"], _aws_env(base, url))
        if done.returncode != 0:
            raise RuntimeError(f"provisioning failed: {done.stderr.strip()}")


def _judge(result: CrashResult, where: str, copy: Path, url: str, user: str,
           old_key: str) -> None:
    iam = _iam(url)
    try:
        known, live = _known_keys(copy, user)
    except Exception as exc:  # any failure to open is the finding
        result.unreadable += 1
        result.problems.append(f"{where}: vault unreadable: {exc}")
        return
    if live == old_key and _aws_keys(iam, user).get(old_key) != "Active":
        result.mixed += 1
        result.problems.append(f"{where}: old key inactive before the switch")
    resumed = run_cli(["aws", "rotate", "--resume"], _aws_env(copy, url))
    known, live = _known_keys(copy, user)
    keys = _aws_keys(iam, user)
    lost = set(keys) - known
    if resumed.returncode != 0 or lost or live is None or keys.get(live) != "Active":
        result.losses += 1
        result.problems.append(f"{where}: after --resume (exit {resumed.returncode}) keys "
                               f"unknown to the vault: {len(lost)}, live key active: "
                               f"{live is not None and keys.get(live) == 'Active'}; "
                               f"{resumed.stderr.strip()[-200:]}")


def run(points: int, result: CrashResult, workdir: Path) -> None:
    with moto_server() as url:
        base = workdir / "aws-base.db"
        build_vault(base, records=3)
        _provision(base, url, points + 1)
        old_keys = {i: next(iter(_known_keys(base, f"crash-user-{i}")[0]))
                    for i in range(points + 1)}
        record = workdir / "aws-record.db"
        shutil.copy(base, record)
        events_file = workdir / "aws-events.json"
        args = ["aws", "rotate", "crash-0", "--ticket", "CHG-1"]
        done = run_cli(["record", str(events_file), "--", *args], _aws_env(record, url),
                       module=("-m", "reliability.crashchild"))
        if done.returncode != 0:
            raise RuntimeError(f"aws rotate failed without a crash: {done.stderr.strip()}")
        events = json.loads(events_file.read_text())
        chosen = choose_points(events, points, extra=("aws/rotation.py", "aws/keys.py",
                                                      "cli/aws_lifecycle.py"))
        for i, point in enumerate(chosen, start=1):
            copy = workdir / f"aws-{i}.db"
            shutil.copy(base, copy)
            proc = run_cli(["kill", str(point), "--", "aws", "rotate", f"crash-{i}",
                            "--ticket", "CHG-1"], _aws_env(copy, url),
                           module=("-m", "reliability.crashchild"))
            result.points += 1
            killed = proc.returncode == -signal.SIGKILL
            result.killed += killed
            result.completed += not killed
            _judge(result, f"aws rotate at line event {point} ({events[point - 1]})", copy,
                   url, f"crash-user-{i}", old_keys[i])
