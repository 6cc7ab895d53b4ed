"""Attribution against a vault with active, inactive and revoked keys."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from seskeys import lifecycle
from seskeys.checks import Severity
from seskeys.checks.scan import scan_report
from seskeys.lifecycle import Actor
from seskeys.scan.attribution import Ledger, Verdict
from seskeys.smtp import derive_v2, derive_v4
from seskeys.vault.memory import MemoryVault
from tests.factories import key_id, record_input, secret
from tests.scan.helpers import by_value, run_scan

NOW = datetime(2026, 12, 3, 12, tzinfo=UTC)


@pytest.fixture
def ledger(mem_vault: MemoryVault, actor: Actor) -> Ledger:
    lifecycle.add(mem_vault, record_input("acme-prod", client="Acme Corp"), actor)
    lifecycle.add(mem_vault, record_input("globex-old", client="Globex"), actor)
    lifecycle.revoke(mem_vault, "globex-old", actor, ticket="SEC-9", reason="leaked in chat")
    return Ledger.from_vault(mem_vault)


def scan_text(tmp_path: Path, text: str, ledger: Ledger | None) -> list:  # type: ignore[type-arg]
    (tmp_path / "note.txt").write_text(text)
    return list(run_scan(tmp_path, ledger=ledger).judged)


def test_active_secret_is_critical_and_named(tmp_path: Path, ledger: Ledger) -> None:
    result = run_scan(_write(tmp_path, f"aws_secret_access_key={secret('acme-prod')}\n"),
                      ledger=ledger)
    [item] = result.judged
    assert item.verdict is Verdict.ACTIVE_LEAK and item.record is not None
    assert item.record.key_name == "acme-prod" and item.how == "exact search"
    [finding] = scan_report(result, NOW).findings
    assert finding.check_id == "scan.active-key-leaked"
    assert finding.severity is Severity.CRITICAL
    assert finding.record == "acme-prod" and finding.client == "Acme Corp"
    assert "rotate" in finding.message and "ticket" in finding.message
    assert secret("acme-prod") not in repr(finding)


def test_revoked_secret_found_through_its_fingerprint(tmp_path: Path, ledger: Ledger) -> None:
    """The revoked record holds no secret any more: only its keyed fingerprint can match."""
    assert ledger.by_key_id[key_id("globex-old")].secret("secret_access_key") is None
    text = f"old value: {secret('globex-old')}\n"  # no AWS word near: attribution only
    [item] = run_scan(_write(tmp_path, text), ledger=ledger).judged
    assert item.verdict is Verdict.REVOKED_LEAK and item.how == "fingerprint"
    assert item.record is not None and item.record.key_name == "globex-old"
    [finding] = scan_report(run_scan(tmp_path, ledger=ledger), NOW).findings
    assert finding.severity is Severity.LOW and "revoked on" in finding.message


@pytest.mark.parametrize("region", ["eu-west-1", "us-east-2", "eu-central-1"])
def test_smtp_password_of_active_key_names_region(tmp_path: Path, ledger: Ledger,
                                                  region: str) -> None:
    password = derive_v4(secret("acme-prod"), region)
    [item] = run_scan(_write(tmp_path, f"pass={password}\n"), ledger=ledger).judged
    assert item.verdict is Verdict.ACTIVE_LEAK and item.smtp_region == region


@pytest.mark.parametrize("make", [lambda s: derive_v4(s, "ap-southeast-2"), derive_v2])
def test_smtp_password_of_revoked_key(tmp_path: Path, ledger: Ledger, make: object) -> None:
    password = make(secret("globex-old"))  # type: ignore[operator]
    [item] = run_scan(_write(tmp_path, f"MAIL_PASSWORD={password}\n"), ledger=ledger).judged
    assert item.verdict is Verdict.REVOKED_LEAK and item.how == "fingerprint"


def test_exact_search_finds_a_glued_secret(tmp_path: Path, ledger: Ledger) -> None:
    text = f"token={key_id('acme-prod')}{secret('acme-prod')}xyz\n"
    result = run_scan(_write(tmp_path, text), ledger=ledger)
    assert [j.verdict for j in by_value(result, secret("acme-prod"))] == [Verdict.ACTIVE_LEAK]
    assert run_scan(tmp_path).judged == ()  # no pattern would have found it


def test_key_ids_match_exactly(tmp_path: Path, ledger: Ledger) -> None:
    text = f"id {key_id('acme-prod')}\nid {key_id('globex-old')}\nid {key_id('unknown')}\n"
    result = run_scan(_write(tmp_path, text), ledger=ledger)
    verdicts = {j.found.hit.token: (j.verdict, j.record.key_name if j.record else None)
                for j in result.judged}
    assert verdicts == {key_id("acme-prod"): (Verdict.LEDGER_KEY_ID, "acme-prod"),
                        key_id("globex-old"): (Verdict.LEDGER_KEY_ID, "globex-old"),
                        key_id("unknown"): (Verdict.KEY_ID, None)}


def test_unknown_secret_next_to_a_ledger_key_id(tmp_path: Path, ledger: Ledger) -> None:
    text = f"{key_id('acme-prod')}:{secret('stale')}\n"
    result = run_scan(_write(tmp_path, text), ledger=ledger)
    [item] = by_value(result, secret("stale"))
    assert item.verdict is Verdict.SECRET
    assert item.paired_record is not None and item.paired_record.key_name == "acme-prod"
    [finding] = [f for f in scan_report(result, NOW).findings
                 if f.check_id == "scan.secret-access-key"]
    assert "does not match" in finding.message


def test_inactive_key_is_high(tmp_path: Path, mem_vault: MemoryVault, actor: Actor) -> None:
    lifecycle.add(mem_vault, record_input("idle", status="inactive"), actor)
    result = run_scan(_write(tmp_path, f"aws {secret('idle')}\n"),
                      ledger=Ledger.from_vault(mem_vault))
    [finding] = scan_report(result, NOW).findings
    assert finding.check_id == "scan.active-key-leaked" and finding.severity is Severity.HIGH


def test_without_vault_still_detects_and_classifies(tmp_path: Path) -> None:
    text = f"aws_secret_access_key={secret('acme-prod')}\n{key_id('acme-prod')}\n"
    verdicts = sorted(j.verdict for j in run_scan(_write(tmp_path, text)).judged)
    assert verdicts == sorted([Verdict.SECRET, Verdict.KEY_ID])


def test_unkeyed_unknown_candidates_are_dropped(tmp_path: Path, ledger: Ledger) -> None:
    assert run_scan(_write(tmp_path, f"value {secret('nobody')}\n"), ledger=ledger).judged == ()


def test_example_keys_hidden_unless_asked(tmp_path: Path) -> None:
    text = ("AKIAIOSFODNN7EXAMPLE wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"
            f"smtp {derive_v4('wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'us-east-2')}\n")
    _write(tmp_path, text)
    hidden = run_scan(tmp_path)
    assert hidden.judged == () and hidden.hidden_examples == 3
    shown = run_scan(tmp_path, include_examples=True)
    assert {j.verdict for j in shown.judged} == {Verdict.EXAMPLE}
    assert len(shown.judged) == 3


def test_identifiers_only_on_request(tmp_path: Path) -> None:
    _write(tmp_path, "user AIDAJQABLZS4A3QDU576Q role AROA3XFRBF535PLBIFPI4\n")
    assert run_scan(tmp_path).judged == ()
    shown = run_scan(tmp_path, include_identifiers=True)
    assert [j.verdict for j in shown.judged] == [Verdict.IDENTIFIER] * 2


def _write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "note.txt").write_text(text)
    return tmp_path
