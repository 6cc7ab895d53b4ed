"""Fuzzing: every parser of outside input, fed mutated and random inputs.

A target takes bytes and either returns or raises a SeskeysError (the project's typed errors);
anything else is a crash, and its input is kept for a regression test. Inputs come from a
mutational fuzzer over seed files (bit flips, byte and block insertions, deletions, splices,
interesting values), deterministic per seed; `reliability/coverage.py` runs the same targets
coverage-guided with atheris where it is installed.
"""

from __future__ import annotations

import random
import tempfile
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from seskeys.errors import SeskeysError

Target = Callable[[bytes], object]

INTERESTING = [b"\x00", b"\xff", b'"', b",", b"\n", b"\r\n", b"\\", b"%", b"{", b"}", b"[",
               b"]", b":", b"=", b"\xef\xbb\xbf", b"\xc3\xa9", b"\\u0000", b"NaN", b"-1",
               b"99999999999999999999", b"N/A", b"no_information", b"not_supported"]


@dataclass
class FuzzResult:
    target: str
    inputs: int = 0
    typed_errors: int = 0
    crashes: int = 0
    examples: list[str] = field(default_factory=list)


def mutate(rng: random.Random, seeds: Sequence[bytes]) -> bytes:
    data = bytearray(rng.choice(seeds))
    for _ in range(rng.choice((1, 1, 2, 3, 8))):
        op = rng.randrange(7)
        pos = rng.randrange(len(data) + 1)
        if op == 0 and data:
            data[min(pos, len(data) - 1)] ^= 1 << rng.randrange(8)
        elif op == 1:
            data[pos:pos] = bytes([rng.randrange(256)])
        elif op == 2 and data:
            del data[pos:pos + rng.randrange(1, 16)]
        elif op == 3:
            data[pos:pos] = rng.choice(INTERESTING)
        elif op == 4 and data:
            start = rng.randrange(len(data))
            data[pos:pos] = data[start:start + rng.randrange(1, 64)]
        elif op == 5:
            other = rng.choice(seeds)
            cut = rng.randrange(len(other) + 1)
            data = data[:pos] + bytearray(other[cut:])
        else:
            data[pos:pos] = bytes(rng.randrange(32, 127) for _ in range(rng.randrange(1, 12)))
    return bytes(data)


def fuzz(name: str, target: Target, seeds: Sequence[bytes], inputs: int, seed: int = 1,
         crash_dir: Path | None = None) -> FuzzResult:
    result = FuzzResult(name)
    rng = random.Random(seed)
    for i in range(inputs):
        data = mutate(rng, seeds) if i % 10 else bytes(rng.randrange(256)
                                                       for _ in range(rng.randrange(64)))
        result.inputs += 1
        try:
            target(data)
        except SeskeysError:
            result.typed_errors += 1
        except Exception:
            result.crashes += 1
            if len(result.examples) < 5:
                result.examples.append(traceback.format_exc().strip().splitlines()[-1])
            if crash_dir is not None:
                crash_dir.mkdir(parents=True, exist_ok=True)
                (crash_dir / f"{name}-{i}.bin").write_bytes(data)
    return result


def run(inputs: int = 100_000, only: tuple[str, ...] = ()) -> list[FuzzResult]:
    from reliability import targets

    results = []
    with tempfile.TemporaryDirectory(prefix="seskeys-fuzz-") as tmp:
        for name, (target, seeds) in targets.registry(Path(tmp)).items():
            if only and name not in only:
                continue
            # The vault target opens a file per input (SQLite, KDF): a tenth of the inputs.
            count = inputs // 10 if name == "vault-file" else inputs
            results.append(fuzz(name, target, seeds, count, crash_dir=Path(tmp) / "crashes"))
    return results


if __name__ == "__main__":
    import sys

    for r in run(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000):
        print(r)
