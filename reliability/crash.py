"""Crash injection: SIGKILL a command at many points of our code, then reopen the vault.

Each point is a line event of the seskeys package in the command's own run (recorded once under
a tracer), so the kill lands between two statements anywhere in the write path. Afterwards the
vault must open, its log must verify, and its records must be exactly the state before the
command or exactly the state after it — never a mix — with one event per change.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import signal
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from reliability.common import NEW_PASSWORD, PASSWORD, build_vault, env_for, run_cli, snapshot
from seskeys import demo

WRITE_PATH = ("vault/local.py", "lifecycle.py", "model.py", "events.py", "vault/crypto.py",
              "cli/records.py", "cli/vault.py", "interop/lastpass_import.py")


# A vault in on-disk format 1 (made by an older seskeys): its first open upgrades it.
FORMAT_1 = Path(__file__).parents[1] / "tests" / "data" / "vault" / "format-1.db"
FORMAT_1_PASSWORD = "correct horse battery staple"


@dataclass
class Scenario:
    name: str
    args: list[str]
    stdin: str = ""
    passwords: tuple[str, ...] = (PASSWORD,)
    prepare: Callable[[Path], None] | None = None
    base: Path | None = None  # the vault to start from, if not the suite's own


@dataclass
class CrashResult:
    points: int = 0
    killed: int = 0
    completed: int = 0
    losses: int = 0
    mixed: int = 0
    unreadable: int = 0
    problems: list[str] = field(default_factory=list)


NOTE_TYPE = "Custom_1234567890123456789"


def _lastpass_export(path: Path) -> None:
    """A LastPass CSV (secrets included) of six fresh keys, as `seskeys export` writes it."""
    from datetime import UTC, datetime

    from seskeys.interop import lastpass_note
    from seskeys.interop.lastpass_csv import Header
    from seskeys.interop.lastpass_import import export_records
    from seskeys.lifecycle import Actor
    from seskeys.vault.memory import MemoryVault

    vault = MemoryVault()
    demo.populate(vault, Actor("crash@suite", datetime.now(UTC).date()))
    live = [r for r in vault.records() if not r.revoked]
    text, _ = export_records(live, lastpass_note.Layout(note_type=NOTE_TYPE),
                             include_secrets=True, header=Header.WEB, folder="SES")
    path.write_text(text, encoding="utf-8")


def scenarios(workdir: Path) -> list[Scenario]:
    new_pw = workdir / "new-password"
    new_pw.write_text(NEW_PASSWORD + "\n")
    export = workdir / "lastpass.csv"
    _lastpass_export(export)
    return [
        Scenario("add", ["add", "--key-name", "crash-added", "--client", "Crash Co",
                         "--purpose", "crash test", "--access-key-id", demo.random_key_id(),
                         "--ses-region", "eu-west-1", "--iam-groups", "ses-send-crash",
                         "--ticket", "OPS-9", "--secret-stdin"], demo.random_secret() + "\n"),
        Scenario("edit", ["edit", "client0-key0", "--set", "notes=edited under fire",
                          "--set", "ses_limits=production", "--ticket", "OPS-10"]),
        Scenario("revoke", ["revoke", "client0-key3", "--ticket", "SEC-11",
                            "--reason", "crash test"]),
        Scenario("rotate", ["rotate", "client0-key6", "--ticket", "CHG-12", "--access-key-id",
                            demo.random_key_id(), "--secret-stdin"], demo.random_secret() + "\n"),
        Scenario("import", ["import", "lastpass-csv", str(export), "--ticket", "OPS-13",
                            "--note-type", NOTE_TYPE]),
        Scenario("passwd", ["passwd", "--new-password-file", str(new_pw), "--kdf-profile",
                            "insecure-test"], passwords=(PASSWORD, NEW_PASSWORD)),
        Scenario("upgrade", ["list"], passwords=(FORMAT_1_PASSWORD,), base=FORMAT_1),
    ]


def choose_points(events: list[list[object]], wanted: int, extra: tuple[str, ...] = ()
                  ) -> list[int]:
    """Indices (1-based) of first occurrences of distinct write-path lines, evenly spread."""
    seen: set[tuple[str, int]] = set()
    candidates = []
    files = WRITE_PATH + extra
    for index, (file, line) in enumerate(events, start=1):
        key = (str(file), int(str(line)))
        if key[0] in files and key not in seen:
            seen.add(key)
            candidates.append(index)
    if len(candidates) <= wanted:
        return candidates
    step = len(candidates) / wanted
    return [candidates[int(i * step)] for i in range(wanted)]


def _open_state(path: Path, passwords: tuple[str, ...]) -> tuple[list[str], int] | None:
    """The vault's state under the first password that opens it; None if none does."""
    for password in passwords:
        with contextlib.suppress(Exception):  # any failure to open counts as unreadable
            return snapshot(path, password)
    return None


def run_scenario(scenario: Scenario, base: Path, workdir: Path, points_per_op: int,
                 result: CrashResult) -> None:
    base = scenario.base or base
    environ = {"SESKEYS_PASSWORD": scenario.passwords[0]}
    untouched = workdir / f"{scenario.name}-before.db"
    shutil.copy(base, untouched)  # opening may upgrade a file: never the base itself
    before = _open_state(untouched, scenario.passwords)
    trial = workdir / f"{scenario.name}-record.db"
    shutil.copy(base, trial)
    events_file = workdir / f"{scenario.name}-events.json"
    done = run_cli(["record", str(events_file), "--", *scenario.args], env_for(trial, environ),
                   scenario.stdin, module=("-m", "reliability.crashchild"))
    if done.returncode != 0:
        raise RuntimeError(f"{scenario.name} failed without a crash: {done.stderr.strip()}")
    after = _open_state(trial, scenario.passwords)
    events = json.loads(events_file.read_text())
    for point in choose_points(events, points_per_op):
        copy = workdir / f"{scenario.name}-{point}.db"
        shutil.copy(base, copy)
        proc = run_cli(["kill", str(point), "--", *scenario.args], env_for(copy, environ),
                       scenario.stdin, module=("-m", "reliability.crashchild"))
        result.points += 1
        killed = proc.returncode == -signal.SIGKILL
        result.killed += killed
        result.completed += not killed
        state = _open_state(copy, scenario.passwords)
        where = f"{scenario.name} at line event {point} ({events[point - 1]})"
        if state is None:
            result.unreadable += 1
            result.problems.append(f"{where}: vault unreadable or log broken")
        elif state not in (before, after):
            result.mixed += 1
            result.problems.append(f"{where}: state is neither before nor after")
        elif not killed and state == before:
            result.losses += 1
            result.problems.append(f"{where}: acknowledged change lost")
        copy.unlink()
        for leftover in copy.parent.glob(copy.name + "-*"):
            leftover.unlink()


def run(points_per_op: int = 12, only: tuple[str, ...] = ()) -> CrashResult:
    from reliability import crash_aws

    result = CrashResult()
    with tempfile.TemporaryDirectory(prefix="seskeys-crash-") as tmp:
        workdir = Path(tmp)
        base = workdir / "base.db"
        build_vault(base)
        for scenario in scenarios(workdir):
            if only and scenario.name not in only:
                continue
            run_scenario(scenario, base, workdir, points_per_op, result)
        if not only or "aws-rotate" in only:
            crash_aws.run(points_per_op, result, workdir)
    return result


if __name__ == "__main__":
    figures = run()
    print(figures)
