"""Damage found by the tamper suite, each pinned: a clean exit 4, never a traceback."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from reliability import inprocess
from reliability.common import PASSWORD, build_vault


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tamper") / "base.db"
    build_vault(path, records=4)
    return path


@pytest.fixture
def damaged(base: Path, tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    copy = tmp_path / "copy.db"
    copy.write_bytes(base.read_bytes())
    pw = tmp_path / "pw"
    pw.write_text(PASSWORD)
    yield copy, pw


def _sql(path: Path, statement: str) -> None:
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute(statement)


def _assert_clean_integrity_error(copy: Path, pw: Path, *cmds: list[str]) -> None:
    for cmd in cmds:
        outcome = inprocess.run(cmd, copy, pw)
        assert outcome.traceback is None, outcome.traceback
        assert outcome.code == 4, (cmd, outcome.stderr)
        assert outcome.stderr.count("\n") <= 2


def _assert_list_unchanged(base: Path, copy: Path, pw: Path) -> None:
    """`list` reads the summary pages only: damage to a record row leaves it honest."""
    honest = inprocess.run(["list", "-o", "json"], base, pw)
    assert inprocess.run(["list", "-o", "json"], copy, pw) == honest


def test_text_column_that_is_not_utf8_is_an_integrity_error(base: Path,
                                                             damaged: tuple[Path, Path]
                                                             ) -> None:
    copy, pw = damaged
    _sql(copy, "UPDATE records SET id = CAST(X'C5C5' AS TEXT) WHERE rowid = 1")
    _assert_clean_integrity_error(copy, pw, ["show", "client0-key0"], ["log", "--verify"],
                                  ["check"])
    _assert_list_unchanged(base, copy, pw)


def test_sealed_state_that_is_not_hex_is_an_integrity_error(damaged: tuple[Path, Path]) -> None:
    copy, pw = damaged
    _sql(copy, "UPDATE meta SET value = '\"zz\"' WHERE key = 'state'")
    _assert_clean_integrity_error(copy, pw, ["list"], ["log", "--verify"])


def test_damaged_name_index_is_not_reported_as_a_missing_record(damaged: tuple[Path, Path]
                                                               ) -> None:
    copy, pw = damaged
    # Flip a bit of one record's tag inside the index's page only: the table row is intact.
    with closing(sqlite3.connect(copy, isolation_level=None)) as conn:
        (page_size,) = conn.execute("PRAGMA page_size").fetchone()
        (root,) = conn.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = 'records_name'").fetchone()
        tag = conn.execute("SELECT name_tag FROM records WHERE rowid = 1").fetchone()[0]
    raw = bytearray(copy.read_bytes())
    start = (root - 1) * page_size
    offset = raw.index(tag, start, start + page_size)
    raw[offset + 5] ^= 0x01
    copy.write_bytes(bytes(raw))
    outcome = inprocess.run(["list", "-o", "json"], copy, pw)
    assert outcome.code == 0  # the table itself is intact
    names = {line.split('"')[3] for line in outcome.stdout.splitlines() if '"key_name"' in line}
    codes = {name: inprocess.run(["show", name], copy, pw).code for name in names}
    assert sorted(codes.values()) == [0] * (len(names) - 1) + [4], codes


def test_event_row_with_a_non_integer_sequence_breaks_the_log_cleanly(
        base: Path, damaged: tuple[Path, Path]) -> None:
    copy, pw = damaged
    _sql(copy, "UPDATE records SET event_seq = X'D006AB' WHERE rowid = 2")
    _assert_clean_integrity_error(copy, pw, ["log", "--verify"], ["show", "client1-key1"],
                                  ["check"])
    _assert_list_unchanged(base, copy, pw)
