from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from seskeys import lifecycle, report
from seskeys.config import Config
from seskeys.events import LogVerification
from seskeys.lifecycle import Actor
from seskeys.vault.memory import MemoryVault
from tests import factories
from tests.conftest import NOW, TODAY


def _populate(vault: MemoryVault) -> None:
    actor = Actor(name="auditor@example", today=TODAY)
    specs = [("acme-transactional", "Acme Corp", 30, "ses-send-acme"),
             ("acme-newsletter", "Acme Corp", 140, "ses-send-acme"),
             ("globex-invoices", "Globex", 80, "ses-send-globex"),
             ("initech-alerts", "Initech", 10, ""),
             ("umbrella-portal", "Umbrella", 200, "ses-send-umbrella"),
             ("umbrella-old", "Umbrella", 300, "ses-send-umbrella")]
    for name, client, age, groups in specs:
        lifecycle.add(vault, factories.record_input(
            name, client=client, iam_groups=groups,
            created_on=(TODAY - timedelta(days=age)).isoformat(),
            creation_ticket=f"OPS-{age}"), actor)
    lifecycle.revoke(vault, "umbrella-portal", actor, ticket="SEC-42",
                     reason="compromised: pasted into a ticket", on=TODAY - timedelta(days=3))
    lifecycle.revoke(vault, "umbrella-old", actor, ticket="SEC-43", reason="client left",
                     on=TODAY - timedelta(days=40))


@pytest.fixture
def demo_report() -> report.Report:
    """A report with every volatile value (vault id, MACs) pinned, for golden files."""
    vault = MemoryVault(clock=lambda: NOW)
    _populate(vault)
    built = report.build(vault, Config(), NOW, title="Test audit")
    ids: dict[str, str] = {}
    events = tuple(e.model_copy(update={
        "mac": f"{e.seq:064x}",
        "record_id": ids.setdefault(e.record_id, f"record-{len(ids) + 1}") if e.record_id
        else None,
        "records": tuple(ids.setdefault(r, f"record-{len(ids) + 1}") for r in e.records),
    }) for e in built.events)
    head = LogVerification(ok=True, events=len(events), head_seq=len(events),
                           head_mac=f"{len(events):064x}")
    return dataclasses.replace(
        built, vault=dataclasses.replace(built.vault, vault_id="0" * 16), log=head, events=events)
