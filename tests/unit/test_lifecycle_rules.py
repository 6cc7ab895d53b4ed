"""The ticketed lifecycle's rules, on both backends; a refused command changes nothing."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from seskeys import lifecycle
from seskeys.errors import Conflict, InputError, NotFound, ValidationFailed
from seskeys.events import Action
from seskeys.lifecycle import Actor
from seskeys.model import Status
from seskeys.smtp import all_smtp_passwords
from seskeys.vault import Vault, crypto
from seskeys.vault.local import LocalVault
from seskeys.vault.memory import MemoryVault
from tests import factories
from tests.conftest import NOW, PASSWORD, TODAY


@pytest.fixture(params=["memory", "local"])
def vault(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Vault]:
    if request.param == "memory":
        yield MemoryVault(clock=lambda: NOW)
        return
    local = LocalVault.create(tmp_path / "v.db", PASSWORD, crypto.insecure_test_params(),
                              actor="tester@host", clock=lambda: NOW)
    yield local
    local.close()


def _state(vault: Vault) -> tuple[Any, ...]:
    records = sorted(r.model_dump_json() for r in vault.records())
    events = [e.model_dump_json() for e in vault.events()]
    raw = (hashlib.sha256(vault.path.read_bytes()).hexdigest()
           if isinstance(vault, LocalVault) else None)
    return records, events, raw


def refused(vault: Vault, error: type[Exception], action: Callable[[], object],
            match: str | None = None) -> None:
    """The action fails with ``error`` and leaves records, log and file bytes as they were."""
    before = _state(vault)
    with pytest.raises(error, match=match):
        action()
    assert _state(vault) == before


def add(vault: Vault, actor: Actor, name: str = "acme-mailer", **overrides: Any) -> Any:
    return lifecycle.add(vault, factories.record_input(name, **overrides), actor)


# -- tickets -------------------------------------------------------------------------------


@pytest.mark.parametrize("ticket", [None, "", "   "])
def test_add_requires_a_ticket(vault: Vault, actor: Actor, ticket: str | None) -> None:
    refused(vault, ValidationFailed, lambda: add(vault, actor, creation_ticket=ticket),
            "creation_ticket: a ticket is required")


def test_ticket_pattern_is_configurable(vault: Vault) -> None:
    strict = Actor(name="t", today=TODAY, ticket_pattern=r"(OPS|CHG)-\d+")
    refused(vault, ValidationFailed, lambda: add(vault, strict, creation_ticket="JIRA-1"),
            "ticket pattern")
    record = add(vault, strict, creation_ticket="CHG-42")
    refused(vault, ValidationFailed, lambda: lifecycle.revoke(
        vault, record.key_name, strict, ticket="later", reason="r"), "ticket pattern")
    refused(vault, ValidationFailed, lambda: lifecycle.rotate(
        vault, record.key_name, strict, ticket="", access_key_id=factories.key_id("n"),
        secret=factories.secret("n")), "ticket")
    refused(vault, ValidationFailed, lambda: lifecycle.edit(
        vault, record.key_name, {"notes": "x"}, strict, ticket="nope"), "ticket pattern")


def test_edit_checks_ticket_fields_against_the_pattern(vault: Vault) -> None:
    """Regression: `edit --set creation_ticket=` blanked or bypassed the ticket rule."""
    strict = Actor(name="t", today=TODAY, ticket_pattern=r"OPS-\d+")
    add(vault, strict, creation_ticket="OPS-1")
    for value in ("", "free text"):
        refused(vault, ValidationFailed, lambda value=value: lifecycle.edit(
            vault, "acme-mailer", {"creation_ticket": value}, strict, ticket="OPS-2"),
            "creation_ticket")
    updated = lifecycle.edit(vault, "acme-mailer", {"creation_ticket": "OPS-9"}, strict,
                             ticket="OPS-2")
    assert updated.creation_ticket == "OPS-9"


# -- uniqueness ----------------------------------------------------------------------------


def test_key_names_unique_among_live_records(vault: Vault, actor: Actor) -> None:
    first = add(vault, actor)
    refused(vault, Conflict, lambda: add(vault, actor, "ACME-Mailer",
                                         access_key_id=factories.key_id("other"),
                                         secret_access_key=factories.secret("other")),
            "already used")
    lifecycle.revoke(vault, first.key_name, actor, ticket="SEC-1", reason="client left")
    again = add(vault, actor, "acme-mailer", access_key_id=factories.key_id("other"),
                secret_access_key=factories.secret("other"))
    assert lifecycle.find(vault, "acme-mailer").id == again.id


def test_duplicate_live_access_key_id_is_refused(vault: Vault, actor: Actor) -> None:
    add(vault, actor)
    refused(vault, Conflict, lambda: add(vault, actor, "second",
                                         access_key_id=factories.key_id("acme-mailer")),
            "already recorded")


def test_add_refuses_storage_owned_fields(vault: Vault, actor: Actor) -> None:
    """Regression: an "id" in `add --from-json` overwrote the record holding that id."""
    victim = add(vault, actor)
    for extra in ({"id": victim.id, "version": victim.version}, {"fingerprints": ["x"]}):
        data = {**factories.record_input("intruder"), **extra}
        refused(vault, InputError, lambda data=data: lifecycle.add(vault, data, actor),
                "cannot be supplied")
    assert lifecycle.find(vault, "acme-mailer") == victim


# -- add -------------------------------------------------------------------------------------


def test_add_rules(vault: Vault, actor: Actor) -> None:
    refused(vault, ValidationFailed, lambda: add(vault, actor, secret_access_key=None),
            "required for an active key")
    refused(vault, ValidationFailed, lambda: add(
        vault, actor, access_key_id="ASIA" + factories.key_id("t")[4:]), "temporary")
    refused(vault, ValidationFailed, lambda: add(
        vault, actor, created_on=(TODAY + timedelta(days=1)).isoformat()), "future")
    refused(vault, InputError, lambda: add(vault, actor, smtp_password="x"), "derived")
    refused(vault, InputError, lambda: add(vault, actor, status="revoked",
                                           secret_access_key=None), "live key")
    inactive = add(vault, actor, status="inactive", secret_access_key=None)
    assert inactive.status is Status.INACTIVE and inactive.secret_access_key is None


def test_add_derives_the_smtp_password_and_fingerprints(vault: Vault, actor: Actor) -> None:
    record = add(vault, actor)
    secret = factories.secret("acme-mailer")
    assert record.secret("smtp_password") in all_smtp_passwords(secret)
    assert vault.fingerprint(secret) in record.fingerprints
    assert len(record.fingerprints) == 1 + len(all_smtp_passwords(secret))


# -- revoke ----------------------------------------------------------------------------------


def test_revoke_purges_the_secret_and_keeps_fingerprints(vault: Vault, actor: Actor) -> None:
    record = add(vault, actor)
    revoked = lifecycle.revoke(vault, "acme-mailer", actor, ticket="SEC-9",
                               reason="leaked in a wiki page", on=TODAY - timedelta(days=1))
    assert revoked.status is Status.REVOKED
    assert revoked.secret_access_key is None and revoked.smtp_password is None
    assert revoked.fingerprints == record.fingerprints
    assert vault.fingerprint(factories.secret("acme-mailer")) in revoked.fingerprints
    assert (revoked.revocation_ticket, revoked.revocation_reason, revoked.revoked_on) == (
        "SEC-9", "leaked in a wiki page", TODAY - timedelta(days=1))
    stored = vault.get(record.id)
    assert stored.secret() is None and "secret_access_key" not in {
        k for k, val in stored.to_storage().items() if val}


def test_revoke_rules(vault: Vault, actor: Actor) -> None:
    add(vault, actor)  # created 2026-11-01
    for reason in ("", "   "):
        refused(vault, ValidationFailed, lambda reason=reason: lifecycle.revoke(
            vault, "acme-mailer", actor, ticket="SEC-1", reason=reason), "reason")
    refused(vault, ValidationFailed, lambda: lifecycle.revoke(
        vault, "acme-mailer", actor, ticket="SEC-1", reason="r",
        on=TODAY - timedelta(days=400)), "before the creation date")
    refused(vault, ValidationFailed, lambda: lifecycle.revoke(
        vault, "acme-mailer", actor, ticket="SEC-1", reason="r",
        on=TODAY + timedelta(days=2)), "future")
    secret = factories.secret("leak")
    refused(vault, ValidationFailed, lambda: lifecycle.revoke(
        vault, "acme-mailer", actor, ticket="SEC-1", reason=f"leaked: {secret}"),
        "looks like a secret")
    lifecycle.revoke(vault, "acme-mailer", actor, ticket="SEC-1", reason="r")
    refused(vault, Conflict, lambda: lifecycle.revoke(
        vault, "acme-mailer", actor, ticket="SEC-2", reason="again"), "already revoked")


# -- rotate ----------------------------------------------------------------------------------


def test_rotate_links_both_ways(vault: Vault, actor: Actor) -> None:
    old = add(vault, actor, iam_groups="ses-send-acme, ses-audit")
    new_id, new_secret = factories.key_id("next"), factories.secret("next")
    retired, new = lifecycle.rotate(vault, "acme-mailer", actor, ticket="CHG-5",
                                    access_key_id=new_id, secret=new_secret)
    assert retired.id == old.id and retired.status is Status.REVOKED
    assert retired.revocation_reason == "rotated" and retired.revocation_ticket == "CHG-5"
    assert retired.secret_access_key is None and retired.replaced_by == new_id
    assert new.replaces == old.access_key_id and new.status is Status.ACTIVE
    assert new.secret() == new_secret and new.creation_ticket == "CHG-5"
    assert new.iam_groups == old.iam_groups and new.key_name == old.key_name
    assert [r.id for r in lifecycle.rotation_chain(vault, new)] == [old.id, new.id]
    assert [r.id for r in lifecycle.rotation_chain(vault, retired)] == [old.id, new.id]
    assert lifecycle.find(vault, "acme-mailer").id == new.id
    event = vault.events()[-1]
    assert event.action == Action.ROTATE and set(event.records) == {old.id, new.id}


def test_rotate_rules(vault: Vault, actor: Actor) -> None:
    old = add(vault, actor)
    other = add(vault, actor, "other")
    refused(vault, InputError, lambda: lifecycle.rotate(
        vault, "acme-mailer", actor, ticket="C-1", access_key_id=old.access_key_id,
        secret=factories.secret("x")), "old one")
    refused(vault, Conflict, lambda: lifecycle.rotate(
        vault, "acme-mailer", actor, ticket="C-1", access_key_id=other.access_key_id,
        secret=factories.secret("x")), "already recorded")
    refused(vault, ValidationFailed, lambda: lifecycle.rotate(
        vault, "acme-mailer", actor, ticket="C-1", access_key_id="ASIA" + "A" * 16,
        secret=factories.secret("x")), "temporary")
    refused(vault, ValidationFailed, lambda: lifecycle.rotate(
        vault, "acme-mailer", actor, ticket="C-1", access_key_id=factories.key_id("x"),
        secret="too-short"), "secret_access_key")
    refused(vault, Conflict, lambda: lifecycle.rotate(
        vault, "acme-mailer", actor, ticket="C-1", access_key_id=factories.key_id("x"),
        secret=factories.secret("x"), key_name="other"), "already used")
    lifecycle.revoke(vault, "other", actor, ticket="S-1", reason="r")
    refused(vault, Conflict, lambda: lifecycle.rotate(
        vault, other.access_key_id, actor, ticket="C-1", access_key_id=factories.key_id("y"),
        secret=factories.secret("y")), "nothing to rotate")


# -- edit ------------------------------------------------------------------------------------


@pytest.mark.parametrize("field_id", ["secret_access_key", "smtp_password", "status",
                                      "access_key_id", "id", "version", "fingerprints"])
def test_edit_refuses_secret_and_owned_fields(vault: Vault, actor: Actor, field_id: str) -> None:
    add(vault, actor)
    refused(vault, InputError, lambda: lifecycle.edit(
        vault, "acme-mailer", {field_id: factories.secret("e")}, actor, ticket="T-1"),
        "cannot edit")


def test_edit_rules(vault: Vault, actor: Actor) -> None:
    add(vault, actor)
    refused(vault, ValidationFailed, lambda: lifecycle.edit(
        vault, "acme-mailer", {"notes": "x"}, actor, ticket=""), "ticket")
    refused(vault, InputError, lambda: lifecycle.edit(
        vault, "acme-mailer", {"client": "Acme Corp"}, actor, ticket="T-1"), "nothing to change")
    refused(vault, ValidationFailed, lambda: lifecycle.edit(
        vault, "acme-mailer", {"notes": f"key {factories.secret('n')}"}, actor, ticket="T-1"),
        "looks like a secret")
    refused(vault, ValidationFailed, lambda: lifecycle.edit(
        vault, "acme-mailer", {"revoked_on": "2026-11-20"}, actor, ticket="T-1"),
        "only a revoked record")
    refused(vault, NotFound, lambda: lifecycle.edit(
        vault, "nobody", {"notes": "x"}, actor, ticket="T-1"), "no record")


def test_edit_refuses_future_creation_date(vault: Vault, actor: Actor) -> None:
    """Regression: add refused a future created_on but edit accepted one."""
    add(vault, actor)
    refused(vault, ValidationFailed, lambda: lifecycle.edit(
        vault, "acme-mailer", {"created_on": (TODAY + timedelta(days=3)).isoformat()}, actor,
        ticket="T-1"), "future")


def test_edit_of_a_revoked_record(vault: Vault, actor: Actor) -> None:
    add(vault, actor)
    lifecycle.revoke(vault, "acme-mailer", actor, ticket="S-1", reason="client left")
    refused(vault, InputError, lambda: lifecycle.edit(
        vault, "acme-mailer", {"purpose": "x"}, actor, ticket="T-1"), "is revoked")
    refused(vault, ValidationFailed, lambda: lifecycle.edit(
        vault, "acme-mailer", {"revocation_reason": " "}, actor, ticket="T-1"),
        "required for a revoked record")
    refused(vault, ValidationFailed, lambda: lifecycle.edit(
        vault, "acme-mailer", {"revoked_on": "2026-10-01"}, actor, ticket="T-1"),
        "before the creation date")
    refused(vault, ValidationFailed, lambda: lifecycle.edit(
        vault, "acme-mailer", {}, actor, ticket="T-1", secret=factories.secret("z")),
        "must not hold a secret")
    edited = lifecycle.edit(vault, "acme-mailer", {"revocation_reason": "client left (OPS-9)"},
                            actor, ticket="T-1")
    assert edited.revocation_reason == "client left (OPS-9)"


def test_edit_recomputes_derived_fields(vault: Vault, actor: Actor) -> None:
    record = add(vault, actor)
    edited = lifecycle.edit(vault, "acme-mailer", {"ses_region": "us-east-1"}, actor,
                            ticket="T-1")
    assert edited.secret("smtp_password") != record.secret("smtp_password")
    assert edited.secret("smtp_password") in all_smtp_passwords(factories.secret("acme-mailer"))


# -- reveal ----------------------------------------------------------------------------------


def test_reveal_is_logged_without_values(vault: Vault, actor: Actor) -> None:
    add(vault, actor)
    _, values = lifecycle.reveal(vault, "acme-mailer", actor, ["secret_access_key"])
    assert values["secret_access_key"] == factories.secret("acme-mailer")
    event = vault.events()[-1]
    assert event.action == Action.REVEAL
    assert factories.secret("acme-mailer") not in event.model_dump_json()


def test_nothing_is_logged_when_no_secret_is_handed_out(vault: Vault, actor: Actor) -> None:
    """Regression: `copy` of a revoked key logged a copy, then failed for lack of a value."""
    add(vault, actor)
    lifecycle.revoke(vault, "acme-mailer", actor, ticket="S-1", reason="r")
    before = len(vault.events())
    _, values = lifecycle.reveal(vault, "acme-mailer", actor, ["secret_access_key"],
                                 action=Action.COPY)
    assert values == {"secret_access_key": None}
    assert len(vault.events()) == before


def test_every_change_logs_one_event_with_actor_and_ticket(vault: Vault, actor: Actor) -> None:
    start = len(vault.events())
    add(vault, actor)
    lifecycle.edit(vault, "acme-mailer", {"notes": "n"}, actor, ticket="T-2")
    lifecycle.rotate(vault, "acme-mailer", actor, ticket="T-3",
                     access_key_id=factories.key_id("n"), secret=factories.secret("n"))
    lifecycle.revoke(vault, "acme-mailer", actor, ticket="T-4", reason="r")
    events = vault.events()[start:]
    assert [(e.action, e.ticket, e.actor) for e in events] == [
        ("add", "OPS-1", actor.name), ("edit", "T-2", actor.name),
        ("rotate", "T-3", actor.name), ("revoke", "T-4", actor.name)]
    dump = "".join(e.model_dump_json() for e in events)
    for seed in ("acme-mailer", "n"):
        assert factories.secret(seed) not in dump
    assert vault.verify().ok


def test_find_by_name_or_key_id(vault: Vault, actor: Actor) -> None:
    record = add(vault, actor)
    assert lifecycle.find(vault, " acme-mailer ").id == record.id
    assert lifecycle.find(vault, record.access_key_id).id == record.id
    secret = factories.secret("q")
    with pytest.raises(NotFound) as info:
        lifecycle.find(vault, secret)
    assert secret not in info.value.message
