"""Shared fixtures for AWS lifecycle tests: moto in-process, injectable clock, faulty clients."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from seskeys import lifecycle
from seskeys.aws.keys import AwsDeps
from seskeys.lifecycle import Actor
from seskeys.model import KeyRecord
from seskeys.vault.memory import MemoryVault

REGION = "eu-west-1"


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_CONFIG_FILE",
                "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


@pytest.fixture
def moto(aws_env: None) -> Iterator[None]:
    with mock_aws():
        yield


@dataclass
class Clock:
    """Real time plus a controllable offset (moto stamps keys with real time)."""

    offset: timedelta = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, **kwargs: float) -> None:
        self.offset += timedelta(**kwargs)


class Fault(Exception):
    """An injected failure."""


def client_error(code: str, op: str, status: int = 400) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": f"injected {code}"},
                        "ResponseMetadata": {"HTTPStatusCode": status}}, op)


@dataclass
class FaultyClient:
    """A real (moto) client whose named operations raise a planned error (``times`` times)."""

    inner: Any
    faults: dict[str, tuple[BaseException, int]] = field(default_factory=dict)

    def get_paginator(self, op: str) -> Any:
        paginator = self.inner.get_paginator(op)
        if op not in self.faults:
            return paginator
        outer = self

        class Paginator:
            def paginate(self, **kwargs: Any) -> Any:
                return outer._planned(op, paginator.paginate)(**kwargs)

        return Paginator()

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.inner, name)
        if name not in self.faults:
            return attr
        return self._planned(name, attr)

    def _planned(self, name: str, attr: Any) -> Any:

        def call(*args: Any, **kwargs: Any) -> Any:
            error, times = self.faults[name]
            if times != 0:
                self.faults[name] = (error, times - 1)
                raise error
            return attr(*args, **kwargs)

        return call


@dataclass
class World:
    vault: MemoryVault
    clock: Clock
    sleeps: list[float]
    steps: list[str]
    iam_faults: dict[str, tuple[BaseException, int]]
    sts_faults: dict[str, tuple[BaseException, int]]
    fail_at: set[str] = field(default_factory=set)

    @property
    def iam(self) -> Any:
        return boto3.client("iam", region_name="us-east-1")

    def actor(self) -> Actor:
        return Actor(name="tester@host", today=self.clock().date())

    def on_step(self, step: str) -> None:
        self.steps.append(step)
        if step in self.fail_at:
            raise Fault(f"injected at {step}")

    def deps(self, **overrides: Any) -> AwsDeps:
        def client(service: str, region: str | None) -> Any:
            made = boto3.client(service, region_name=region or "us-east-1")
            return FaultyClient(made, self.iam_faults) if service == "iam" else made

        def signed(service: str, key_id: str, secret: str) -> Any:
            made = boto3.client(service, region_name="us-east-1", aws_access_key_id=key_id,
                                aws_secret_access_key=secret)
            return FaultyClient(made, self.sts_faults)

        values: dict[str, Any] = {"client": client, "signed_client": signed,
                                  "clock": self.clock, "sleep": self.sleeps.append,
                                  "on_step": self.on_step}
        values.update(overrides)
        return AwsDeps(**values)

    def live_keys(self, user: str) -> dict[str, str]:
        meta = self.iam.list_access_keys(UserName=user)["AccessKeyMetadata"]
        return {k["AccessKeyId"]: k["Status"] for k in meta}

    def seed(self, name: str = "acme-mailer", user: str = "ses-acme",
             **overrides: Any) -> KeyRecord:
        """An IAM user with one key, recorded in the vault."""
        self.iam.create_user(UserName=user, Path="/seskeys/")
        made = self.iam.create_access_key(UserName=user)["AccessKey"]
        raw = {"key_name": name, "access_key_id": made["AccessKeyId"],
               "secret_access_key": made["SecretAccessKey"], "client": "Acme Corp",
               "purpose": "transactional mail", "iam_groups": "ses-send-acme",
               "ses_region": REGION, "ses_identity": "acme.example", "iam_user": user,
               "aws_account_id": "123456789012", "creation_ticket": "OPS-1"}
        raw.update(overrides)
        return lifecycle.add(self.vault, raw, self.actor())


@pytest.fixture
def world(moto: None) -> World:
    clock = Clock()
    return World(vault=MemoryVault(clock=clock), clock=clock, sleeps=[], steps=[],
                 iam_faults={}, sts_faults={})


WorldFactory = Callable[[], World]
