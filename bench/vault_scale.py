"""How the local vault scales: add one record, open and list all, find one, at 1k/10k/100k.

    python bench/vault_scale.py [--sizes 1000,10000,100000] [--runs 25] [--cli-runs 11]

Vaults use the INSECURE TEST KDF profile (Argon2id m=8 KiB, t=1, p=1) so the figures show the
vault's own cost; a standard vault adds its calibrated key derivation (about 0.5 s) to every
command that opens it, and the KDF time is printed separately below. Building a vault uses
`commit_many` batches (setup, not measured); every figure is the median of several runs.

Targets: adding one record at 100k costs what it costs at 1k, under 5 ms beyond process start
and KDF, under 150 ms for the whole `seskeys add` command; opening and listing 100k records
under 300 ms beyond the KDF.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from seskeys import lifecycle, model
from seskeys.demo import random_key_id, random_secret
from seskeys.events import EventDraft
from seskeys.lifecycle import Actor
from seskeys.vault import Change, crypto
from seskeys.vault.local import LocalVault

PASSWORD = "benchmark password"
TODAY = date(2026, 12, 3)
BATCH = 2000


def median_ms(fn: Callable[[], Any], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def raw_record(i: int) -> dict[str, Any]:
    return {"key_name": f"client{i % 997}-key{i}", "client": f"Client {i % 997}",
            "purpose": "transactional mail", "access_key_id": random_key_id(),
            "secret_access_key": random_secret(), "ses_region": "eu-west-1",
            "iam_groups": "ses-senders", "creation_ticket": f"OPS-{i}",
            "created_on": "2026-10-01", "ses_identity": f"client{i % 997}.example"}


def batches(size: int) -> Iterator[Change]:
    """Setup only: records without derived SMTP passwords, many per event (an import)."""
    for start in range(0, size, BATCH):
        records = [model.build(raw_record(i)) for i in range(start, min(size, start + BATCH))]
        yield Change(records, EventDraft(action="import", actor="bench",
                                         detail=f"records {start}..{start + len(records)}"))


def build(path: Path, size: int) -> float:
    started = time.perf_counter()
    vault = LocalVault.create(path, PASSWORD, crypto.insecure_test_params(), actor="bench")
    vault.commit_many(list(batches(size)))
    vault.close()
    return time.perf_counter() - started


def cli_env(path: Path) -> dict[str, str]:
    return {**os.environ, "SESKEYS_VAULT": str(path), "SESKEYS_PASSWORD": PASSWORD,
            "SESKEYS_CONFIG": os.devnull, "SESKEYS_ACTOR": "bench"}


def cli_add_ms(path: Path, runs: int) -> float:
    times = []
    for n in range(runs):
        args = ["add", "--secret-stdin", "--key-name", f"cli-{n}-{time.time_ns()}",
                "--client", "Bench", "--purpose", "bench", "--access-key-id", random_key_id(),
                "--ses-region", "eu-west-1", "--ticket", "OPS-1"]
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "seskeys", *args], input=random_secret() + "\n",
                       env=cli_env(path), capture_output=True, text=True, check=True)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


# What any command pays before our code runs: the interpreter and the runtime libraries.
LIBRARIES = ("import typer, pydantic.main, pydantic.types, argon2, sqlite3, platformdirs, "
             "cryptography.hazmat.primitives.ciphers.aead")


def compile_package() -> None:
    """Bytecode for the package, as an installed wheel has (an editable install under
    PYTHONDONTWRITEBYTECODE would otherwise recompile every module on every run)."""
    import compileall

    import seskeys
    compileall.compile_dir(Path(seskeys.__file__).parent, quiet=1)


def process_start_ms(runs: int) -> tuple[float, float, float]:
    """Bare interpreter start; start plus the runtime libraries; start plus the CLI."""
    env = {**os.environ, "PYDANTIC_DISABLE_PLUGINS": "__all__"}  # as the command sets it

    def start(code: str) -> float:
        return median_ms(lambda: subprocess.run([sys.executable, "-c", code], env=env,
                                                check=True), runs)
    return start("pass"), start(LIBRARIES), start("import seskeys.cli, seskeys.cli.records")


def measure(size: int, runs: int, cli_runs: int, workdir: Path) -> dict[str, float]:
    path = workdir / f"vault-{size}.db"
    built = build(path, size)
    params = LocalVault.open(path, PASSWORD).kdf
    kdf = median_ms(lambda: crypto.derive_kek(PASSWORD, params), runs)
    actor = Actor(name="bench", today=TODAY)
    vault = LocalVault.open(path, PASSWORD, clock=lambda: datetime.now(UTC))
    counter = iter(range(size, size + 10 * runs))
    add = median_ms(lambda: lifecycle.add(vault, raw_record(next(counter)), actor), runs)
    names = [f"client{i % 997}-key{i}" for i in range(0, size, max(1, size // runs))]
    pick = iter(names * 2)
    find = median_ms(lambda: lifecycle.find(vault, next(pick)), runs)
    vault.close()

    def open_and_list() -> None:
        with LocalVault.open(path, PASSWORD) as v:
            assert len(v.summaries()) >= size

    listing = median_ms(open_and_list, max(3, runs // 5))
    cli = cli_add_ms(path, cli_runs) if cli_runs else float("nan")
    return {"size": size, "build_s": built, "kdf_ms": kdf, "add_ms": add, "find_ms": find,
            "open_list_ms": listing, "cli_add_ms": cli}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000",
                        help="comma-separated record counts")
    parser.add_argument("--runs", type=int, default=25, help="runs per in-process figure")
    parser.add_argument("--cli-runs", type=int, default=11, help="`seskeys add` subprocess runs")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    print("KDF: insecure-test profile (Argon2id m=8 KiB, t=1, p=1) -- benchmark only; "
          "a standard vault adds ~0.5 s per command.", flush=True)
    compile_package()
    bare, libraries, imported = process_start_ms(max(5, args.cli_runs))
    print(f"process start: python {bare:.0f} ms; python + runtime libraries (typer, pydantic, "
          f"cryptography, argon2) {libraries:.0f} ms; python + the add command's modules "
          f"{imported:.0f} ms", flush=True)
    header = (f"{'records':>8} {'build s':>8} {'KDF ms':>7} {'add ms':>7} {'find ms':>8} "
              f"{'open+list ms':>13} {'seskeys add ms':>15}")
    print(header, flush=True)
    with tempfile.TemporaryDirectory(prefix="seskeys-bench-") as tmp:
        for size in sizes:
            r = measure(size, args.runs, args.cli_runs, Path(tmp))
            print(f"{size:>8} {r['build_s']:>8.1f} {r['kdf_ms']:>7.2f} {r['add_ms']:>7.2f} "
                  f"{r['find_ms']:>8.2f} {r['open_list_ms'] - r['kdf_ms']:>13.0f} "
                  f"{r['cli_add_ms']:>15.0f}", flush=True)
    print("add/find: in-process on an open vault (lifecycle.add incl. SMTP derivation and "
          "fingerprints; lifecycle.find by key name). open+list: LocalVault.open + summaries(), "
          "KDF time subtracted. seskeys add: the whole command as a subprocess, wall time.")


if __name__ == "__main__":
    main()
