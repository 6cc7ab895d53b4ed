"""Tamper: damage a populated vault file and check every read is identical or a clean exit 4.

Random single-byte flips (one per copy) anywhere in the file, then structured attacks: two
records' bodies swapped, two summary pages swapped, an old row or an old summary page replayed,
the file truncated, a hot journal deleted, and a header whose KDF parameters were lowered. For
each damaged copy `list`, `show` and `log --verify` must print exactly what they print for the
untouched vault, or fail with exit 4; never other data, never an empty list, never a traceback.
"""

from __future__ import annotations

import json
import random
import shutil
import sqlite3
import tempfile
from collections import Counter
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from reliability import inprocess
from reliability.common import PASSWORD, build_vault

COMMANDS = (["list", "-o", "json"], ["show", "client0-key0", "-o", "json"], ["log", "--verify"])


@dataclass
class TamperResult:
    copies: int = 0
    runs: int = 0
    identical: int = 0
    clean_errors: int = 0
    other_exit: Counter[int] = field(default_factory=Counter)
    different_data: int = 0
    tracebacks: int = 0
    structured: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def bad(self) -> int:
        return self.different_data + self.tracebacks + sum(self.other_exit.values())


def _judge(result: TamperResult, label: str, outcome: inprocess.Outcome, baseline: str,
           allowed: tuple[int, ...] = (4,)) -> str:
    result.runs += 1
    if outcome.traceback:
        result.tracebacks += 1
        result.problems.append(f"{label}: traceback {outcome.traceback.splitlines()[-1]}")
        return "traceback"
    if outcome.code == 0:
        if outcome.stdout == baseline:
            result.identical += 1
            return "identical"
        result.different_data += 1
        result.problems.append(f"{label}: exit 0 with different output")
        return "different"
    if outcome.code in allowed:
        result.clean_errors += 1
        return f"exit {outcome.code}"
    result.other_exit[outcome.code] += 1
    result.problems.append(f"{label}: exit {outcome.code}: {outcome.stderr.strip()[:120]}")
    return f"exit {outcome.code}"


def _sql(path: Path, statement: str, args: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        return conn.execute(statement, args).fetchall()


def _swap_rows(path: Path) -> None:
    """Every record's body moved to the next row, so whichever record is read got another's."""
    rows = _sql(path, "SELECT id, body FROM records ORDER BY id")
    for (record_id, _), (_, body) in zip(rows, rows[1:] + rows[:1], strict=True):
        _sql(path, "UPDATE records SET body=? WHERE id=?", (body, record_id))


def _swap_pages(path: Path) -> None:
    (pa, ba), (pb, bb) = _sql(path, "SELECT page, blob FROM pages ORDER BY page LIMIT 2")
    _sql(path, "UPDATE pages SET blob=? WHERE page=?", (bb, pa))
    _sql(path, "UPDATE pages SET blob=? WHERE page=?", (ba, pb))


def _replay_row(path: Path, stale: Path) -> None:
    """Put back the row of client0-key0 as it was before an edit."""
    columns = "version, event_seq, page, name_tag, akid_tag, body"
    old = {r[0]: r[1:] for r in _sql(stale, f"SELECT id, {columns} FROM records")}
    new = {r[0]: r[1:] for r in _sql(path, f"SELECT id, {columns} FROM records")}
    changed = [rid for rid in new if old.get(rid) != new[rid]]
    for rid in changed:
        sets = ", ".join(f"{c} = ?" for c in columns.split(", "))
        _sql(path, f"UPDATE records SET {sets} WHERE id = ?", (*old[rid], rid))


def _replay_page(path: Path, stale: Path) -> None:
    """Put back the summary page of client0-key0 as it was before an edit."""
    old = dict(_sql(stale, "SELECT page, blob FROM pages"))
    for page, blob in _sql(path, "SELECT page, blob FROM pages"):
        if old.get(page) != blob:
            _sql(path, "UPDATE pages SET blob = ? WHERE page = ?", (old[page], page))


def _truncate(path: Path) -> None:
    size = path.stat().st_size
    with path.open("r+b") as handle:
        handle.truncate(size // 2)


def _lower_kdf(path: Path) -> None:
    kdf = json.loads(_sql(path, "SELECT value FROM meta WHERE key='kdf'")[0][0])  # type: ignore[arg-type]
    kdf.update(profile="standard", memory_kib=8, time_cost=1, parallelism=1)
    _sql(path, "UPDATE meta SET value=? WHERE key='kdf'", (json.dumps(kdf),))


def run(flips: int = 1000, seed: int = 20261203) -> TamperResult:
    result = TamperResult()
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="seskeys-tamper-") as tmp:
        work = Path(tmp)
        pw = work / "password"
        pw.write_text(PASSWORD + "\n")
        base = work / "base.db"
        build_vault(base, records=8, page_size=3)  # several summary pages
        baselines = [inprocess.run(cmd, base, pw) for cmd in COMMANDS]
        if any(b.code != 0 for b in baselines):
            raise RuntimeError("the untouched vault does not read cleanly")
        raw = base.read_bytes()
        copy = work / "copy.db"
        for i in range(flips):
            data = bytearray(raw)
            offset = rng.randrange(len(data))
            data[offset] ^= 1 << rng.randrange(8)
            copy.write_bytes(bytes(data))
            result.copies += 1
            for cmd, baseline in zip(COMMANDS, baselines, strict=True):
                _judge(result, f"flip #{i} at byte {offset}: {' '.join(cmd)}",
                       inprocess.run(cmd, copy, pw), baseline.stdout)
        structured: dict[str, Callable[[Path], None]] = {
            "bodies swapped": _swap_rows, "pages swapped": _swap_pages,
            "file truncated": _truncate,
            "KDF header lowered": _lower_kdf,
        }
        stale = work / "stale.db"
        shutil.copy(base, stale)
        edited = work / "edited.db"
        shutil.copy(base, edited)
        edit = inprocess.run(["edit", "client0-key0", "--set", "notes=newer", "--ticket", "T-1"],
                             edited, pw)
        if edit.code != 0:
            raise RuntimeError(f"edit failed: {edit.stderr}")
        edited_baselines = [inprocess.run(cmd, edited, pw) for cmd in COMMANDS]
        for name, attack in structured.items():
            shutil.copy(base, copy)
            attack(copy)
            verdicts = {_judge(result, f"{name}: {' '.join(cmd)}", inprocess.run(cmd, copy, pw),
                               b.stdout) for cmd, b in zip(COMMANDS, baselines, strict=True)}
            result.structured[name] = ", ".join(sorted(verdicts))
        for name, replay in (("old row replayed", _replay_row),
                             ("old summary page replayed", _replay_page)):
            shutil.copy(edited, copy)
            replay(copy, stale)
            verdicts = {_judge(result, f"{name}: {' '.join(cmd)}",
                               inprocess.run(cmd, copy, pw), b.stdout)
                        for cmd, b in zip(COMMANDS, edited_baselines, strict=True)}
            result.structured[name] = ", ".join(sorted(verdicts))
        result.structured["WAL deleted after a crash"] = _wal_deleted(result, work, pw)
    return result


def _wal_deleted(result: TamperResult, work: Path, pw: Path) -> str:
    """A writer commits into the WAL and dies before closing; then the WAL is deleted."""
    from seskeys import lifecycle
    from seskeys.lifecycle import Actor
    from seskeys.vault.local import LocalVault

    live = work / "wal" / "vault.db"
    live.parent.mkdir()
    build_vault(live, records=3)
    writer = LocalVault.open(live, PASSWORD)
    lifecycle.edit(writer, "client0-key0", {"notes": "committed to the WAL"},
                   Actor("tamper@suite", datetime.now(UTC).date()), ticket="T-2")
    crashed = work / "crashed"
    crashed.mkdir()
    for f in live.parent.iterdir():
        shutil.copy(f, crashed / f.name)  # the files as a crash leaves them
    writer.close()
    baselines = [inprocess.run(cmd, live, pw) for cmd in COMMANDS]
    (crashed / "vault.db-wal").unlink()
    verdicts = {_judge(result, f"WAL deleted: {' '.join(cmd)}",
                       inprocess.run(cmd, crashed / "vault.db", pw), b.stdout)
                for cmd, b in zip(COMMANDS, baselines, strict=True)}
    return ", ".join(sorted(verdicts))


if __name__ == "__main__":
    figures = run()
    print({k: v for k, v in figures.__dict__.items() if k != "problems"})
    for p in figures.problems[:20]:
        print(" ", p)
