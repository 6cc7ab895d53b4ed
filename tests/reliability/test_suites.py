"""Short versions of the reliability suites (`make reliability` runs the long ones)."""

from __future__ import annotations

import pytest

from reliability import concurrency, crash, fuzz, hygiene, tamper

pytestmark = pytest.mark.slow


def test_crash_injection_loses_nothing_and_never_mixes_states() -> None:
    result = crash.run(points_per_op=2)
    assert result.points >= 14  # seven operations, AWS rotation and import included
    assert result.killed == result.points
    assert (result.losses, result.mixed, result.unreadable) == (0, 0, 0), result.problems


def test_damaged_vault_reads_identically_or_fails_cleanly() -> None:
    result = tamper.run(flips=60)
    assert result.copies == 60
    assert result.bad == 0, result.problems
    assert result.clean_errors > 0  # the flips did reach data that matters
    for attack in ("bodies swapped", "pages swapped", "file truncated", "KDF header lowered",
                   "old row replayed", "old summary page replayed", "WAL deleted after a crash"):
        assert "exit 4" in result.structured[attack]


def test_parsers_raise_only_typed_errors() -> None:
    results = fuzz.run(1_500)
    assert {r.target for r in results} >= {"lastpass-csv", "record-json", "vault-file"}
    for r in results:
        assert r.crashes == 0, (r.target, r.examples)


def test_concurrent_writers_lose_nothing() -> None:
    result = concurrency.run(processes=4, writes=30)
    assert result.acknowledged == 120
    assert (result.lost, result.failures) == (0, 0), result.problems
    assert result.log_verified


def test_no_secret_leaks_anywhere_in_a_full_run() -> None:
    result = hygiene.run()
    assert result.commands > 40
    assert result.argv_samples > 0
    assert result.leaks == []
    assert result.allowed == 4  # show --reveal, two smtp-password runs, --include-secrets
