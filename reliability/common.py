"""Shared pieces of the suites: a populated test vault, snapshots, running the CLI."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from seskeys import demo, lifecycle
from seskeys.lifecycle import Actor
from seskeys.vault import crypto
from seskeys.vault.local import PAGE_SIZE, LocalVault

PASSWORD = "reliability-suite-password"
NEW_PASSWORD = "reliability-suite-new-password"


@dataclass(frozen=True)
class Secrets:
    """Every secret the suite planted, to search outputs for."""

    values: tuple[str, ...]


def build_vault(path: Path, records: int = 8, page_size: int = PAGE_SIZE) -> Secrets:
    """A vault (insecure-test KDF) with live, revoked and rotated records; a small
    ``page_size`` spreads even a few records over several summary pages."""
    today = datetime.now(UTC).date()
    actor = Actor(name="reliability@suite", today=today)
    secrets: list[str] = []
    vault = LocalVault.create(path, PASSWORD, crypto.insecure_test_params(), actor=actor.name,
                              page_size=page_size)
    try:
        for i in range(records):
            secret = demo.random_secret()
            secrets.append(secret)
            lifecycle.add(vault, {
                "key_name": f"client{i % 3}-key{i}", "client": f"Client {i % 3}",
                "purpose": "transactional mail", "access_key_id": demo.random_key_id(),
                "secret_access_key": secret, "ses_region": "eu-west-1",
                "ses_identity": f"client{i % 3}.example", "iam_groups": f"ses-send-{i % 3}",
                "created_on": today - timedelta(days=10 * i), "creation_ticket": f"OPS-{i}",
            }, actor)
        lifecycle.revoke(vault, "client1-key1", actor, ticket="SEC-1", reason="leaked")
        rotated = demo.random_secret()
        secrets.append(rotated)
        lifecycle.rotate(vault, "client2-key2", actor, ticket="CHG-2",
                         access_key_id=demo.random_key_id(), secret=rotated)
    finally:
        vault.close()
    return Secrets(tuple(secrets))


def snapshot(path: Path, password: str = PASSWORD) -> tuple[list[str], int]:
    """Records (ids dropped, so runs compare by content) and the number of events."""
    vault = LocalVault.open(path, password)
    try:
        verification = vault.verify()
        if not verification.ok:
            raise AssertionError(f"log does not verify: {verification.problem}")
        records = sorted(json.dumps({k: v for k, v in r.to_storage().items()
                                     if k not in ("id", "replaces", "replaced_by")},
                                    sort_keys=True, default=str)
                         for r in vault.records())
        return records, verification.events
    finally:
        vault.close()


def env_for(vault: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SESKEYS_")}
    env.update(SESKEYS_VAULT=str(vault), SESKEYS_PASSWORD=PASSWORD,
               SESKEYS_CONFIG=os.devnull,
               SESKEYS_ACTOR="reliability@suite", COLUMNS="160")
    env.update(extra or {})
    return env


def run_cli(args: Sequence[str], env: Mapping[str, str], stdin: str = "",
            module: Sequence[str] = ("-m", "seskeys"), timeout: float = 120
            ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *module, *args], input=stdin, env=dict(env),
                          capture_output=True, text=True, timeout=timeout, check=False)


@contextmanager
def moto_server() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    try:
        yield url
    finally:
        server.stop()
