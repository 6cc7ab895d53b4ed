"""Concurrency: several processes write one vault at once.

Each worker adds its own records and edits one record they all share, so both the write lock
(SQLite's, "vault busy") and optimistic versions ("changed by another command") are exercised.
A worker retries what failed cleanly; afterwards every acknowledged write must be in the vault
and the event log must verify.
"""

from __future__ import annotations

import multiprocessing
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from reliability.common import PASSWORD, build_vault
from seskeys import demo, lifecycle
from seskeys.errors import Conflict, VaultBusy
from seskeys.lifecycle import Actor
from seskeys.vault.local import LocalVault


@dataclass
class WorkerResult:
    worker: int
    acknowledged: list[str] = field(default_factory=list)
    busy_retries: int = 0
    conflict_retries: int = 0
    failures: list[str] = field(default_factory=list)


@dataclass
class ConcurrencyResult:
    processes: int
    writes_per_process: int
    acknowledged: int = 0
    lost: int = 0
    busy_retries: int = 0
    conflict_retries: int = 0
    failures: int = 0
    log_verified: bool = False
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)


def _with_retries(action: object, result: WorkerResult, attempts: int = 50) -> bool:
    for attempt in range(attempts):
        try:
            action()  # type: ignore[operator]
            return True
        except VaultBusy:
            result.busy_retries += 1
        except Conflict:
            result.conflict_retries += 1
        time.sleep(0.002 * (attempt + 1))
    return False


def worker(path: str, index: int, writes: int) -> WorkerResult:
    result = WorkerResult(index)
    actor = Actor(name=f"worker{index}@suite", today=datetime.now(UTC).date())
    vault = LocalVault.open(Path(path), PASSWORD, busy_timeout=0.05)
    try:
        for n in range(writes):
            if n % 2:
                note = f"worker {index} write {n}"
                ticket = f"T-{index}-{n}"
                ok = _with_retries(lambda note=note, ticket=ticket: lifecycle.edit(
                    vault, "client0-key0", {"notes": note}, actor, ticket=ticket), result)
                tag = f"edit:{note}"
            else:
                name = f"w{index}-k{n}"
                ok = _with_retries(lambda name=name: lifecycle.add(vault, {
                    "key_name": name, "client": f"Worker {index}", "purpose": "concurrency",
                    "access_key_id": demo.random_key_id(),
                    "secret_access_key": demo.random_secret(), "creation_ticket": "T-1",
                    "iam_groups": "ses-send"}, actor), result)
                tag = f"add:{name}"
            (result.acknowledged if ok else result.failures).append(tag)
    finally:
        vault.close()
    return result


def run(processes: int = 4, writes: int = 200) -> ConcurrencyResult:
    summary = ConcurrencyResult(processes, writes)
    with tempfile.TemporaryDirectory(prefix="seskeys-concurrency-") as tmp:
        path = Path(tmp) / "shared.db"
        build_vault(path, records=3)
        started = time.perf_counter()
        ctx = multiprocessing.get_context("spawn")
        with ctx.Pool(processes) as pool:
            results = pool.starmap(worker, [(str(path), i, writes) for i in range(processes)])
        summary.seconds = time.perf_counter() - started
        vault = LocalVault.open(path, PASSWORD)
        try:
            verification = vault.verify()
            summary.log_verified = verification.ok
            names = {s.key_name for s in vault.summaries()}
            edits = {c.new for e in vault.events() if e.action == "edit"
                     for c in e.changes if c.field == "notes"}
        finally:
            vault.close()
    for r in results:
        summary.acknowledged += len(r.acknowledged)
        summary.busy_retries += r.busy_retries
        summary.conflict_retries += r.conflict_retries
        summary.failures += len(r.failures)
        for tag in r.acknowledged:
            kind, _, value = tag.partition(":")
            if (kind == "add" and value not in names) or (kind == "edit" and value not in edits):
                summary.lost += 1
                summary.problems.append(f"worker {r.worker}: acknowledged {tag} is missing")
    return summary


if __name__ == "__main__":
    for n in (2, 4):
        print(run(n))
