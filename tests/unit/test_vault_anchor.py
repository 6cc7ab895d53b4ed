"""The head anchor beside the vault file: a vault found at an older head than it was last seen
at (WAL deleted after a crash, an older copy restored in place) is refused with exit 4."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from seskeys import lifecycle
from seskeys.errors import IntegrityError
from seskeys.lifecycle import Actor
from seskeys.vault import crypto
from seskeys.vault.local import LocalVault
from tests import factories
from tests.conftest import PASSWORD, TODAY


def _vault(path: Path) -> LocalVault:
    return LocalVault.create(path, PASSWORD, crypto.insecure_test_params(), actor="t")


def _add(vault: LocalVault, name: str) -> None:
    lifecycle.add(vault, factories.record_input(name), Actor("t", TODAY))


def test_anchor_follows_every_commit(tmp_path: Path) -> None:
    path = tmp_path / "v.db"
    vault = _vault(path)
    _add(vault, "one")
    anchor = json.loads((tmp_path / "v.db.head").read_text())
    assert anchor["vault_id"] == vault.vault_id
    assert anchor["head_seq"] == vault.verify().head_seq == 2
    assert (tmp_path / "v.db.head").stat().st_mode & 0o777 == 0o600
    vault.close()


def test_wal_deleted_after_a_crash_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "v.db"
    vault = _vault(path)
    _add(vault, "one")
    vault.close()
    writer = LocalVault.open(path, PASSWORD)
    _add(writer, "two")  # committed into the WAL; the process "dies" before closing
    crashed = tmp_path / "crashed"
    crashed.mkdir()
    for f in tmp_path.glob("v.db*"):
        if f.is_file():
            shutil.copy(f, crashed / f.name)
    writer.close()
    (crashed / "v.db-wal").unlink()
    with pytest.raises(IntegrityError, match="committed changes are missing"):
        LocalVault.open(crashed / "v.db", PASSWORD)


def test_older_copy_restored_in_place_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "v.db"
    vault = _vault(path)
    _add(vault, "one")
    vault.close()
    old = tmp_path / "old-copy.db"
    shutil.copy(path, old)
    vault = LocalVault.open(path, PASSWORD)
    _add(vault, "two")
    vault.close()
    shutil.copy(old, path)
    with pytest.raises(IntegrityError, match="last seen at event 3"):
        LocalVault.open(path, PASSWORD)


@pytest.mark.parametrize("anchor", ["", "not json", '{"vault_id": "other", "head_seq": 99}'])
def test_missing_unreadable_or_foreign_anchor_is_ignored(tmp_path: Path, anchor: str) -> None:
    path = tmp_path / "v.db"
    vault = _vault(path)
    _add(vault, "one")
    vault.close()
    (tmp_path / "v.db.head").write_text(anchor)
    LocalVault.open(path, PASSWORD).close()
    (tmp_path / "v.db.head").unlink()
    LocalVault.open(path, PASSWORD).close()
