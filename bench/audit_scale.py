"""Benchmark: `seskeys aws audit` against a naive per-user IAM loop, on a moto server.

A moto server runs on 127.0.0.1 in a child process, seeded in that process straight into
moto's backends (seeding is not what is measured). For each account size it prints, in the
same run: our audit's API calls (counted with a botocore event hook) and wall time, the whole
command's wall time as a fresh process, and the naive loop's calls and wall time.

Account shape per N users: every user one access key, every 3rd a second key (every 6th of
those inactive); every 2nd user in one of 5 groups, one of which grants SES sending (so 1 in
10 users is an SES sender), the others S3/CloudWatch/CodeDeploy/read-only rights; every 5th
user an inline S3 policy, every 10th a directly attached policy, every 50th an inline SES
send policy; every 20th user's first key is 120 days old (a key-age finding on an SES user, so
its keys are listed to name the key). Our audit runs with --no-vault (no vault in the bench):
with a vault, every SES user with an active key would be listed too (drift needs the ids).

    python bench/audit_scale.py            # 500 and 2,000 users
    python bench/audit_scale.py --full     # also 5,000 users (the naive loop takes minutes)
    python bench/audit_scale.py --sizes 500
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

ACCOUNT = "123456789012"
SEND = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                                                "Action": ["ses:SendEmail", "ses:SendRawEmail"],
                                                "Resource": "*"}]}
OTHER = {"s3-read": "s3:GetObject", "logs": "cloudwatch:PutMetricData",
         "deploy": "codedeploy:CreateDeployment", "readonly": "ec2:Describe*"}


def _doc(action: str) -> str:
    return json.dumps({"Version": "2012-10-17",
                       "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]})


# -- the server child: seed moto's backends directly, then serve ------------------------------

def seed(n: int) -> dict[str, int]:
    from moto.iam.models import iam_backends

    iam = iam_backends[ACCOUNT]["global"]
    groups = ["ses-send", *OTHER]
    policies = {}
    for g in groups:
        iam.create_group(g, "/")
        doc = json.dumps(SEND) if g == "ses-send" else _doc(OTHER[g])
        policies[g] = iam.create_policy(description="", path="/", policy_document=doc,
                                        policy_name=f"{g}-policy", tags=[]).arn
        iam.attach_group_policy(policies[g], g)
    keys = 0
    for i in range(n):
        name = f"user{i:05d}"
        iam.create_user(region_name="us-east-1", user_name=name, path="/", tags=[])
        first = iam.create_access_key(name)
        keys += 1
        if i % 20 == 0:  # an old key: a key-age finding that names the key (one ListAccessKeys)
            first.create_date = first.create_date - timedelta(days=120)
        if i % 3 == 0:
            second = iam.create_access_key(name)
            keys += 1
            if i % 6 == 0:
                iam.update_access_key(name, second.access_key_id, "Inactive")
        if i % 2 == 0:
            iam.add_user_to_group(groups[(i // 2) % len(groups)], name)
        if i % 5 == 0:
            iam.put_user_policy(name, "inline-s3", _doc("s3:PutObject"))
        if i % 10 == 0:
            iam.attach_user_policy(policies["s3-read"], name)
        if i % 50 == 0:
            iam.put_user_policy(name, "inline-ses", json.dumps(SEND))
    ses_users = sum(1 for i in range(n) if (i % 2 == 0 and (i // 2) % len(groups) == 0)
                    or i % 50 == 0)
    return {"users": n, "keys": keys, "ses_users": ses_users}


def serve(n: int, port: int) -> None:
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    started = time.perf_counter()
    shape = seed(n)
    shape["seed_seconds"] = round(time.perf_counter() - started, 2)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    print(json.dumps(shape), flush=True)
    sys.stdin.read()  # until the parent closes our stdin
    server.stop()


# -- the parent: measure ------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def moto_server(n: int) -> Iterator[tuple[str, dict[str, Any]]]:
    port = free_port()
    child = subprocess.Popen([sys.executable, __file__, "--serve", str(n), str(port)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        shape = json.loads(child.stdout.readline())
        url = f"http://127.0.0.1:{port}"
        urllib.request.urlopen(f"{url}/moto-api/data.json", timeout=30).read(1)  # noqa: S310
        yield url, shape
    finally:
        assert child.stdin is not None
        child.stdin.close()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()


class Counter:
    def __init__(self) -> None:
        self.calls: dict[str, int] = {}

    def __call__(self, model: Any, **_: Any) -> None:
        self.calls[model.name] = self.calls.get(model.name, 0) + 1

    @property
    def total(self) -> int:
        return sum(self.calls.values())


def counted_session(counter: Counter) -> Callable[..., Any]:
    import boto3

    from seskeys.aws import session as sessions

    real = sessions.make_session

    def make(options: Any) -> boto3.Session:
        session = real(options)
        session.events.register("before-call", counter)
        return session
    return make


def ours(url: str) -> tuple[float, Counter, int]:
    """The whole audit command in this process (imports warm), its API calls, exit code."""
    from seskeys.aws import audit as audit_mod
    from seskeys.cli import main

    counter = Counter()
    audit_mod.make_session = counted_session(counter)  # type: ignore[assignment]
    sink = io.StringIO()
    started = time.perf_counter()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(io.StringIO()):
        code = main(["aws", "audit", "--endpoint-url", url, "--no-vault", "-o", "json",
                     "--fail-on", "none"])
    elapsed = time.perf_counter() - started
    return elapsed, counter, code


def ours_process(url: str) -> float:
    """The whole command as a user runs it: a fresh interpreter, imports included."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "seskeys", "aws", "audit", "--endpoint-url", url,
                    "--no-vault", "-o", "json", "--fail-on", "none"], check=False,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env={**os.environ, "SESKEYS_VAULT": os.devnull + ".none"})
    return time.perf_counter() - started


def naive(url: str) -> tuple[float, Counter]:
    """One call per user per question, sequentially: what a simple script does."""
    import boto3

    counter = Counter()
    session = boto3.Session(region_name="us-east-1")
    session.events.register("before-call", counter)
    iam = session.client("iam", endpoint_url=url)
    started = time.perf_counter()
    for page in iam.get_paginator("list_users").paginate():
        for user in page["Users"]:
            name = user["UserName"]
            for key in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]:
                iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])
            iam.list_user_policies(UserName=name)
            iam.list_attached_user_policies(UserName=name)
            iam.list_groups_for_user(UserName=name)
            iam.list_mfa_devices(UserName=name)
    return time.perf_counter() - started, counter


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", nargs=2, type=int, help=argparse.SUPPRESS)
    parser.add_argument("--full", action="store_true", help="also 5,000 users")
    parser.add_argument("--sizes", type=int, nargs="*", help="account sizes to run")
    args = parser.parse_args()
    if args.serve:
        serve(*args.serve)
        return 0
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    sizes = args.sizes or ([500, 2000, 5000] if args.full else [500, 2000])
    print(f"sizes run: {sizes} (5,000 with --full); moto server in a child process on "
          "127.0.0.1; seeding not measured")
    print(f"{'users':>6} {'keys':>6} {'ses':>5} {'seed s':>7} | {'ours calls':>10} "
          f"{'ours s':>7} {'cmd s':>6} | {'naive calls':>11} {'naive s':>8} | {'speed-up':>8}")
    for n in sizes:
        with moto_server(n) as (url, shape):
            took, calls, code = ours(url)
            whole = ours_process(url)
            naive_took, naive_calls = naive(url)
        assert code == 0, f"audit exited {code}"
        print(f"{n:>6} {shape['keys']:>6} {shape['ses_users']:>5} {shape['seed_seconds']:>7} | "
              f"{calls.total:>10} {took:>7.2f} {whole:>6.2f} | {naive_calls.total:>11} "
              f"{naive_took:>8.2f} | {naive_took / whole:>7.1f}x")
        print("       ours by operation: " + ", ".join(f"{k} {v}" for k, v in
                                                      sorted(calls.calls.items())))
    print("ours s: the audit command in this process; cmd s: the same as a fresh process "
          "(interpreter start and imports included); speed-up = naive s / cmd s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
