"""Run every reliability suite and print one table of figures (``make reliability``).

``--quick`` runs the short versions that CI runs.
"""

from __future__ import annotations

import argparse
import sys
import time

from reliability import concurrency, crash, fuzz, hygiene, tamper


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m reliability")
    parser.add_argument("--quick", action="store_true", help="short versions (as in CI)")
    args = parser.parse_args(argv)
    quick = args.quick
    rows: list[tuple[str, str, str]] = []
    failed = False

    def timed(name: str, fn, judge) -> None:  # type: ignore[no-untyped-def]
        nonlocal failed
        started = time.perf_counter()
        result = fn()
        ok, figures = judge(result)
        failed |= not ok
        seconds = time.perf_counter() - started
        rows.append((name, figures, f"{'ok' if ok else 'FAIL'} ({seconds:.0f} s)"))
        print(f"{name}: {figures}", file=sys.stderr)

    timed("crash injection", lambda: crash.run(points_per_op=3 if quick else 12),
          lambda r: (r.losses + r.mixed + r.unreadable == 0,
                     f"{r.points} kill points, {r.killed} killed, {r.losses} losses, "
                     f"{r.mixed} mixed states, {r.unreadable} unreadable"))
    timed("tamper", lambda: tamper.run(flips=100 if quick else 1000),
          lambda r: (r.bad == 0,
                     f"{r.copies} damaged copies, {r.runs} reads: {r.identical} identical, "
                     f"{r.clean_errors} clean exit 4, {r.different_data} different data, "
                     f"{r.tracebacks} tracebacks; "
                     + "; ".join(f"{k}: {v}" for k, v in r.structured.items())))
    for result in fuzz.run(2_000 if quick else 100_000):
        rows.append((f"fuzz {result.target}",
                     f"{result.inputs} inputs, {result.typed_errors} typed errors, "
                     f"{result.crashes} crashes",
                     "ok" if result.crashes == 0 else "FAIL"))
        failed |= result.crashes > 0
    for processes in (2, 4):
        timed(f"concurrency x{processes}",
              lambda p=processes: concurrency.run(p, 50 if quick else 200),
              lambda r: (r.lost == 0 and r.failures == 0 and r.log_verified,
                         f"{r.acknowledged} writes acknowledged, {r.lost} lost, "
                         f"{r.busy_retries} busy retries, {r.conflict_retries} version "
                         f"conflicts retried, log verified: {r.log_verified}"))
    timed("secret hygiene", hygiene.run,
          lambda r: (not r.leaks, f"{r.commands} commands, {r.bytes_searched} bytes and "
                                  f"{r.argv_samples} argv samples searched for {r.secrets} "
                                  f"secret values: {len(r.leaks)} leaks, {r.allowed} allowed "
                                  "reveals"))
    width = max(len(r[0]) for r in rows)
    print(f"{'suite':<{width}}  result  figures")
    for name, figures, verdict in rows:
        print(f"{name:<{width}}  {verdict.split()[0]:<6}  {figures}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
