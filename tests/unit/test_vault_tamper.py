"""Every tamper class is exit 4 naming what failed; never garbage, never an empty vault.

A vault with two records (one edited) is built, read-only commands are run to record the
honest output, one fault is injected, and each command must then either fail with exit 4 and
one error line, or print exactly the honest output (the fault did not touch its data). The
commands listed per case must fail.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from seskeys import lifecycle
from seskeys.errors import IntegrityError, VaultLocked
from seskeys.lifecycle import Actor
from seskeys.vault import crypto
from seskeys.vault.local import LocalVault, _header_sum
from tests import factories
from tests import tamper as t
from tests.conftest import NOW, PASSWORD, TODAY, CliRunner, Result

READS: dict[str, tuple[str, ...]] = {
    "list": ("list", "--json"),
    "show-a": ("show", "alpha", "-o", "json"),
    "show-b": ("show", "bravo", "-o", "json"),
    "show-by-key-id": ("show", factories.key_id("bravo"), "-o", "json"),
    "history": ("history", "alpha", "-o", "json"),
    "log": ("log", "-o", "json"),
    "verify": ("log", "--verify"),
}


@dataclass
class Built:
    path: Path
    a: str
    b: str
    a_before_edit: dict[str, Any]
    page_before_edit: bytes
    honest: dict[str, Result]


def _build(path: Path) -> tuple[str, str, dict[str, Any], bytes]:
    """Alpha and bravo, one summary page each (page size 1), then alpha edited."""
    actor = Actor(name="tester@host", today=TODAY)
    vault = LocalVault.create(path, PASSWORD, crypto.insecure_test_params(), actor="tester@host",
                              clock=lambda: NOW, page_size=1)
    a = lifecycle.add(vault, factories.record_input("alpha"), actor)
    b = lifecycle.add(vault, factories.record_input("bravo"), actor)
    vault.close()
    before, page_before = t.record_row(path, a.id), t.page_blob(path, 0)
    vault = LocalVault.open(path, PASSWORD, clock=lambda: NOW)
    lifecycle.edit(vault, "alpha", {"notes": "moved to the new CRM"}, actor, ticket="OPS-2")
    vault.close()
    return a.id, b.id, before, page_before


@pytest.fixture
def built(cli: CliRunner, tmp_path: Path) -> Built:
    path = tmp_path / "cli-vault.db"
    a, b, before, page_before = _build(path)
    honest = {name: cli(*args) for name, args in READS.items()}
    assert all(r.code == 0 for r in honest.values()), {n: r.stderr for n, r in honest.items()}
    return Built(path, a, b, before, page_before, honest)


def _swap(path: Path, a: str, b: str, column: str) -> None:
    row_a, row_b = t.record_row(path, a), t.record_row(path, b)
    row_a[column], row_b[column] = row_b[column], row_a[column]
    t.write_record_row(path, row_a)
    t.write_record_row(path, row_b)


def _other_vault(built: Built, tmp: Path) -> Path:
    """Another vault (say a backup of a colleague's) holding a record with alpha's id."""
    other = tmp / "other.db"
    vault = LocalVault.create(other, PASSWORD, crypto.insecure_test_params(), actor="x",
                              clock=lambda: NOW, page_size=1)
    record = factories.record_input("alpha")
    record["id"] = built.a
    from seskeys import model
    vault.commit(lifecycle.VaultChange([model.build(record)], lifecycle.EventDraft(
        action="add", actor="x")))
    vault.close()
    return other


def _body_from_other_vault(built: Built, tmp: Path) -> None:
    mine = t.record_row(built.path, built.a)
    mine["body"] = t.record_row(_other_vault(built, tmp), built.a)["body"]
    t.write_record_row(built.path, mine)


def _page_from_other_vault(built: Built, tmp: Path) -> None:
    t.set_page_blob(built.path, 0, t.page_blob(_other_vault(built, tmp), 0))


def _swap_pages(built: Built) -> None:
    first, second = t.page_blob(built.path, 0), t.page_blob(built.path, 1)
    t.set_page_blob(built.path, 0, second)
    t.set_page_blob(built.path, 1, first)


def _downgrade(built: Built, profile: str) -> None:
    kdf = t.meta(built.path, "kdf")
    kdf.update(memory_kib=8, time_cost=1, parallelism=1, profile=profile)
    t.set_meta(built.path, "kdf", kdf)
    header = {k: t.meta(built.path, k) for k in ("format", "format_version", "vault_id", "kdf")}
    wrapped = bytes.fromhex(t.meta(built.path, "wrapped_key"))
    t.set_meta(built.path, "header_sum", _header_sum(header, wrapped))  # a careful attacker


def _truncate(built: Built, keep: float) -> None:
    data = built.path.read_bytes()
    built.path.write_bytes(data[: int(len(data) * keep)])


ALL = tuple(READS)
Tamper = Callable[[Built, Path], None]
# case: (inject, reads that must fail, word the error names)
CASES: dict[str, tuple[Tamper, tuple[str, ...], str]] = {
    "record-body-byte": (lambda b, _: t.flip_column(b.path, "records", "body", "id = ?", (b.a,)),
                         ("show-a",), "record"),
    "summary-page-byte": (lambda b, _: t.flip_column(b.path, "pages", "blob", "page = 1", (),
                                                     index=20), ("list",), "summary page"),
    "event-blob-byte": (lambda b, _: t.flip_column(b.path, "events", "body", "seq = 2", ()),
                        ("log", "verify", "history"), "event 2"),
    "event-mac-byte": (lambda b, _: t.flip_column(b.path, "events", "mac", "seq = 3", ()),
                       ("log", "verify"), "event 3"),
    "name-tag-byte": (lambda b, _: t.flip_column(b.path, "records", "name_tag", "id = ?",
                                                 (b.a,)), ("show-a",), "record"),
    "key-id-tag-byte": (lambda b, _: t.flip_column(b.path, "records", "akid_tag", "id = ?",
                                                   (b.b,)), ("show-by-key-id",), "record"),
    "version-column": (lambda b, _: t.execute(b.path, "UPDATE records SET version = version + 1 "
                                              "WHERE id = ?", (b.a,)), ("show-a", "verify"),
                       "record"),
    "event-seq-column": (lambda b, _: t.execute(b.path, "UPDATE records SET event_seq = 2 "
                                                "WHERE id = ?", (b.a,)), ("show-a", "verify"),
                         "record"),
    "page-column": (lambda b, _: t.execute(b.path, "UPDATE records SET page = 1 WHERE id = ?",
                                           (b.a,)), ("show-a", "verify"), "record"),
    "header-salt": (lambda b, _: t.set_meta(b.path, "kdf", {**t.meta(b.path, "kdf"), "salt": (
        "00" + t.meta(b.path, "kdf")["salt"][2:])}), ALL, "header"),
    "header-vault-id": (lambda b, _: t.set_meta(b.path, "vault_id", "0" * 32), ALL, "header"),
    "header-wrapped-key": (lambda b, _: t.set_meta(b.path, "wrapped_key", (
        "00" + t.meta(b.path, "wrapped_key")[2:])), ALL, "header"),
    "header-format-version": (lambda b, _: t.set_meta(b.path, "format_version", 0), ALL,
                              "header"),
    "sealed-state-byte": (lambda b, _: t.set_meta(b.path, "state", (
        t.meta(b.path, "state")[:-2] + "00")), ("list", "log", "verify"), "state"),
    "body-swapped-between-rows": (lambda b, _: _swap(b.path, b.a, b.b, "body"),
                                  ("show-a", "show-b"), "record"),
    "summary-pages-swapped": (lambda b, _: _swap_pages(b), ("list", "verify"), "summary page"),
    "body-from-another-vault": (_body_from_other_vault, ("show-a",), "record"),
    "page-from-another-vault": (_page_from_other_vault, ("list", "verify"), "summary page"),
    "replayed-old-row": (lambda b, _: t.write_record_row(b.path, b.a_before_edit),
                         ("show-a", "verify"), "record"),
    "replayed-old-page": (lambda b, _: t.set_page_blob(b.path, 0, b.page_before_edit),
                          ("list", "verify"), "summary page"),
    "deleted-page-row": (lambda b, _: t.execute(b.path, "DELETE FROM pages WHERE page = 1"),
                         ("list", "verify"), "summary page"),
    "replayed-old-row-and-index": (lambda b, _: (
        t.write_record_row(b.path, b.a_before_edit),
        t.execute(b.path, "DELETE FROM event_records WHERE seq = 4")),
        ("show-a", "history", "verify"), "record"),
    "deleted-event-row": (lambda b, _: t.execute(b.path, "DELETE FROM events WHERE seq = 4"),
                          ("show-a", "list", "log", "verify", "history"), "event 4"),
    "deleted-last-event-row": (lambda b, _: t.execute(b.path, "DELETE FROM events WHERE seq = "
                                                      "(SELECT MAX(seq) FROM events)"),
                               ("log", "verify", "list"), "event"),
    "deleted-record-row": (lambda b, _: t.execute(b.path, "DELETE FROM records WHERE id = ?",
                                                  (b.b,)), ("list", "show-b", "show-by-key-id",
                                                            "verify"), "record"),
    "downgraded-kdf-header": (lambda b, _: _downgrade(b, "standard"), ALL, "KDF"),
    "truncated-file-half": (lambda b, _: _truncate(b, 0.5), ALL, "damaged"),
    "truncated-file-empty": (lambda b, _: _truncate(b, 0.0), ALL, "vault"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_tamper_is_exit_4_naming_what_failed(case: str, built: Built, cli: CliRunner,
                                             tmp_path: Path) -> None:
    inject, must_fail, names = CASES[case]
    inject(built, tmp_path)
    for name, args in READS.items():
        result = cli(*args)
        if result.code == 0 and name not in must_fail:
            assert result.stdout == built.honest[name].stdout, f"{name}: changed output"
            continue
        assert result.code == 4, f"{name}: exit {result.code}: {result.stderr}{result.stdout}"
        errors = [line for line in result.stderr.splitlines() if line.startswith("seskeys: error")]
        assert len(errors) == 1 and "Traceback" not in result.stderr, result.stderr
        assert names.lower() in errors[0].lower(), errors[0]
        assert "alpha" not in result.stdout or name == "verify"


@pytest.fixture
def standard_vault(tmp_path: Path) -> Built:
    """A vault at the minimum standard parameters (one derivation, no calibration)."""
    path = tmp_path / "std.db"
    params = crypto.KdfParams(crypto.MIN_MEMORY_KIB, crypto.MIN_TIME_COST,
                              crypto.MIN_PARALLELISM, b"s" * 16)
    LocalVault.create(path, PASSWORD, params, actor="x").close()
    return Built(path, "", "", {}, b"", {})


def test_downgraded_kdf_header_is_refused_even_with_a_valid_checksum(
        standard_vault: Built) -> None:
    _downgrade(standard_vault, "standard")
    with pytest.raises(IntegrityError, match="below the minimum"):
        LocalVault.open(standard_vault.path, PASSWORD)


def test_kdf_profile_swapped_to_insecure_reads_as_wrong_password(
        standard_vault: Built) -> None:
    """Lower parameters under the insecure profile only change the derived key: no access."""
    _downgrade(standard_vault, "insecure-test")
    with pytest.raises(VaultLocked):
        LocalVault.open(standard_vault.path, PASSWORD)


def test_partial_rollback_with_rewritten_index_is_refused_and_cannot_be_laundered(
        built: Built, cli: CliRunner) -> None:
    """An old row written back with its newer index entries deleted passes the clear index;
    its sealed summary page still lists the newer version, so reads refuse it, and so does a
    write, which would otherwise make the old row current and erase the evidence."""
    CASES["replayed-old-row-and-index"][0](built, built.path)
    for args in (("show", "alpha"), ("check", "-o", "json"),
                 ("edit", "alpha", "--set", "purpose=laundered", "--ticket", "OPS-3"),
                 ("revoke", "alpha", "--ticket", "OPS-4", "--reason", "gone")):
        result = cli(*args)
        assert result.code == 4, (args, result.stderr)
        assert f"record {built.a}" in result.stderr
    assert cli("log", "--verify").code == 4


WRONG_TYPES = {"name_tag": ("x", 7), "akid_tag": ("x", 7.5), "body": ("x", 7),
               "version": ("x", b"\x01"), "page": ("x", 0.5)}


@pytest.mark.parametrize(("column", "value"), [(c, v) for c, vs in WRONG_TYPES.items()
                                               for v in vs])
def test_a_column_of_the_wrong_type_is_exit_4(built: Built, cli: CliRunner, column: str,
                                              value: object) -> None:
    """SQLite stores any type in any column: a damaged row is exit 4, never a traceback."""
    t.execute(built.path, f"UPDATE records SET {column} = ? WHERE id = ?",  # noqa: S608
              (value, built.b))
    for args in (("show", "bravo"), ("show", factories.key_id("bravo")), ("history", "bravo"),
                 ("check",)):
        result = cli(*args)
        assert "Traceback" not in result.stderr, (args, result.stderr)
        assert result.code == 4, (args, result.code, result.stderr)
        assert result.stderr.startswith("seskeys: error: ") and result.stdout == ""


def test_wrong_password_is_exit_3_with_one_line(built: Built, cli: CliRunner,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SESKEYS_PASSWORD", PASSWORD + "!")
    for args in READS.values():
        result = cli(*args)
        assert result.code == 3
        assert result.stdout == ""
        assert result.stderr.strip().splitlines() == [
            "seskeys: error: wrong master password (or the vault header was altered)"]


def test_vault_file_mode_is_0600(built: Built) -> None:
    assert built.path.stat().st_mode & 0o777 == 0o600


def test_flipped_byte_in_the_file_where_a_record_lives(built: Built, cli: CliRunner) -> None:
    """A bad sector: one byte of the file flipped, found by where the body blob is stored."""
    body = t.record_row(built.path, built.b)["body"]
    t.flip_in_file(built.path, body, offset=len(body) // 2)
    result = cli("show", "bravo")
    assert result.code == 4
    assert f"record {built.b} failed authentication" in result.stderr


@pytest.mark.parametrize("case", ["record-body-byte", "summary-page-byte",
                                  "body-swapped-between-rows", "summary-pages-swapped",
                                  "body-from-another-vault", "page-from-another-vault",
                                  "replayed-old-page", "deleted-page-row"])
def test_check_authenticates_every_blob(case: str, built: Built, cli: CliRunner,
                                        tmp_path: Path) -> None:
    """`check` is the whole-vault proof: a damaged blob, even one only `list` reads, is exit 4
    there, never a clean bill of health."""
    inject, _, names = CASES[case]
    inject(built, tmp_path)
    result = cli("check", "-o", "json")
    assert result.code == 4, result.stderr + result.stdout
    assert names in result.stderr and result.stdout == ""
