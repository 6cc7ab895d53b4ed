"""The on-disk format: summary pages, and the upgrade of a format-1 file made by an older
seskeys (tests/data/vault/format-1.db)."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from seskeys import lifecycle
from seskeys.errors import IntegrityError
from seskeys.lifecycle import Actor
from seskeys.model import Status
from seskeys.vault import crypto
from seskeys.vault.local import FORMAT_VERSION, LocalVault
from tests import factories
from tests import tamper as t
from tests.conftest import NOW, PASSWORD, TODAY, CliRunner

FORMAT_1 = Path(__file__).parents[1] / "data" / "vault" / "format-1.db"


@pytest.fixture
def old_vault(tmp_path: Path) -> Path:
    path = tmp_path / "old.db"
    shutil.copy(FORMAT_1, path)
    return path


def columns(path: Path, table: str) -> list[str]:
    return [row[1] for row in t.query(path, f"PRAGMA table_info({table})")]


def test_format_1_is_upgraded_in_place_and_logged(old_vault: Path) -> None:
    assert t.meta(old_vault, "format_version") == 1
    assert "summary" in columns(old_vault, "records")
    with LocalVault.open(old_vault, PASSWORD, clock=lambda: NOW) as vault:
        assert vault.info().format_version == FORMAT_VERSION == 2
        summaries = {s.key_name: s for s in vault.summaries()}
        assert sorted(summaries) == ["alpha", "bravo", "charlie"]
        assert summaries["bravo"].status is Status.REVOKED
        assert summaries["bravo"].revoked_on == date(2026, 12, 2)
        assert summaries["alpha"].version == 2  # added, then edited
        records = {r.key_name: r for r in vault.records()}
        assert records["alpha"].notes == "moved to the new CRM"
        assert records["bravo"].revocation_reason == "compromised"
        assert records["charlie"].secret() == factories.secret("charlie")
        assert lifecycle.find(vault, factories.key_id("charlie")).key_name == "charlie"
        events = vault.events()
        assert [e.action for e in events][-1] == "upgrade" and len(events) == 7
        assert events[-1].detail == "vault format 1 -> 2"
        assert vault.verify().ok
    assert t.meta(old_vault, "format_version") == 2
    assert "summary" not in columns(old_vault, "records") and "page" in columns(old_vault,
                                                                               "records")
    with LocalVault.open(old_vault, PASSWORD) as vault:  # once only
        assert len(vault.events()) == 7


def test_a_damaged_format_1_file_is_refused_and_left_as_it_was(old_vault: Path) -> None:
    (record_id,) = t.query(old_vault, "SELECT id FROM records LIMIT 1")[0]
    t.flip_column(old_vault, "records", "body", "id = ?", (record_id,))
    before = old_vault.read_bytes()
    with pytest.raises(IntegrityError, match=f"record {record_id}"):
        LocalVault.open(old_vault, PASSWORD)
    assert old_vault.read_bytes() == before
    assert t.meta(old_vault, "format_version") == 1


def test_the_cli_reads_a_format_1_vault(old_vault: Path, cli: CliRunner,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SESKEYS_VAULT", str(old_vault))
    listed = cli("list", "--json")
    assert listed.code == 0, listed.stderr
    assert {r["key_name"] for r in json.loads(listed.stdout)} == {"alpha", "bravo", "charlie"}
    assert cli("log", "--verify").code == 0


def test_a_write_reseals_one_page_whatever_the_vault_size(tmp_path: Path) -> None:
    path = tmp_path / "paged.db"
    actor = Actor(name="tester@host", today=TODAY)
    with LocalVault.create(path, PASSWORD, crypto.insecure_test_params(), actor="t",
                           clock=lambda: NOW, page_size=2) as vault:
        for name in ("a1", "a2", "b1", "b2", "c1"):
            lifecycle.add(vault, factories.record_input(name), actor)
    pages = dict(t.query(path, "SELECT page, blob FROM pages"))
    assert sorted(pages) == [0, 1, 2]
    assert {page for (page,) in t.query(path, "SELECT page FROM records")} == {0, 1, 2}
    with LocalVault.open(path, PASSWORD, clock=lambda: NOW) as vault:
        lifecycle.edit(vault, "b1", {"notes": "edited"}, actor, ticket="OPS-9")
        lifecycle.add(vault, factories.record_input("c2"), actor)  # fills the last page
        assert [s.key_name for s in vault.summaries()] == ["a1", "a2", "b1", "b2", "c1", "c2"]
        assert vault.verify().ok
    after = dict(t.query(path, "SELECT page, blob FROM pages"))
    assert after[0] == pages[0]  # untouched pages keep their bytes
    assert after[1] != pages[1] and after[2] != pages[2]
    assert sorted(after) == [0, 1, 2]


def test_a_read_only_file_is_an_input_error_not_damage(tmp_path: Path) -> None:
    """An upgrade (or any write) to a file that cannot be written is not tampering: exit 2."""
    from seskeys.errors import InputError
    from seskeys.vault.local import _db_errors

    with pytest.raises(InputError, match="read-only"), _db_errors(tmp_path / "v.db"):
        raise sqlite3.OperationalError("attempt to write a readonly database")


def _flip_event_body(path: Path) -> None:
    t.flip_column(path, "events", "body", "seq = 3", ())


def _delete_event(path: Path) -> None:
    t.execute(path, "DELETE FROM events WHERE seq = 2")


def _flip_summary(path: Path) -> None:
    (record_id,) = t.query(path, "SELECT id FROM records LIMIT 1")[0]
    t.flip_column(path, "records", "summary", "id = ?", (record_id,))


def _text_tag(path: Path) -> None:
    t.execute(path, "UPDATE records SET name_tag = 'x' WHERE rowid = 1")


@pytest.mark.parametrize("damage", [_flip_event_body, _delete_event, _flip_summary, _text_tag])
def test_only_an_intact_format_1_file_is_upgraded(old_vault: Path,
                                                   damage: Callable[[Path], None]) -> None:
    """The upgrade first proves the old file: its log, every blob, every row."""
    damage(old_vault)
    before = old_vault.read_bytes()
    with pytest.raises(IntegrityError):
        LocalVault.open(old_vault, PASSWORD)
    assert old_vault.read_bytes() == before


def test_a_vault_stripped_to_nothing_is_not_an_empty_vault(tmp_path: Path, cli: CliRunner,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    """Sealed state and every row deleted, and no head note beside the file (a copy): the
    file must not read as a valid vault with no records."""
    path = tmp_path / "stripped.db"
    with LocalVault.create(path, PASSWORD, crypto.insecure_test_params(), actor="t") as vault:
        lifecycle.add(vault, factories.record_input("alpha"),
                      Actor(name="tester@host", today=TODAY))
    for statement in ("DELETE FROM meta WHERE key = 'state'", "DELETE FROM records",
                      "DELETE FROM pages", "DELETE FROM events", "DELETE FROM event_records"):
        t.execute(path, statement)
    path.with_name(path.name + ".head").unlink()
    monkeypatch.setenv("SESKEYS_VAULT", str(path))
    for args in (("list",), ("log", "--verify"), ("info",), ("check",)):
        result = cli(*args)
        assert result.code == 4, (args, result.stdout, result.stderr)
        assert "sealed state is missing" in result.stderr


def test_a_file_that_is_not_a_vault_is_left_as_it_was(tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite"
    t.execute(other, "CREATE TABLE notes (text TEXT)")
    before = other.read_bytes()
    with pytest.raises(IntegrityError):
        LocalVault.open(other, PASSWORD)
    assert other.read_bytes() == before
    assert t.query(other, "PRAGMA journal_mode") == [("delete",)]


def test_info_refuses_counts_the_sealed_state_does_not_hold(tmp_path: Path) -> None:
    path = tmp_path / "v.db"
    with LocalVault.create(path, PASSWORD, crypto.insecure_test_params(), actor="t") as vault:
        for name in ("alpha", "bravo"):
            lifecycle.add(vault, factories.record_input(name),
                          Actor(name="tester@host", today=TODAY))
    t.execute(path, "DELETE FROM records WHERE rowid = 1")
    with LocalVault.open(path, PASSWORD) as vault, pytest.raises(IntegrityError, match="2"):
        vault.info()


def test_an_old_row_written_back_is_found_by_the_sealed_events_before_upgrading(
        tmp_path: Path) -> None:
    path = tmp_path / "replayed.db"
    shutil.copy(FORMAT_1.with_name("format-1-replayed-row.db"), path)
    before = path.read_bytes()
    with pytest.raises(IntegrityError, match="not the version its newest event wrote"):
        LocalVault.open(path, PASSWORD)
    assert path.read_bytes() == before
