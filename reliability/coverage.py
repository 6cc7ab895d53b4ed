"""Coverage-guided fuzzing of one target with atheris (libFuzzer for Python), where installed.

    pip install atheris
    python -m reliability.coverage scan-email -runs=100000
    python -m reliability.coverage lastpass-csv -max_total_time=300

The targets and their seed inputs are those of the mutational fuzzer (`reliability/targets.py`);
seskeys is instrumented, so libFuzzer steers the inputs towards new branches of our parsers. A
typed error (SeskeysError) is a correct answer; any other exception stops the run with the input
saved by libFuzzer (``crash-<sha1>``), to become a regression test in ``tests/data/fuzz/``.
Arguments after the target go to libFuzzer.
"""

from __future__ import annotations

import contextlib
import sys
import tempfile
from pathlib import Path


def main(argv: list[str]) -> int:
    if not argv or argv[0].startswith("-"):
        print(__doc__, file=sys.stderr)
        return 2
    try:
        import atheris  # type: ignore[import-not-found]
    except ImportError:
        print("atheris is not installed (pip install atheris)", file=sys.stderr)
        return 2
    name, libfuzzer_args = argv[0], argv[1:]
    with atheris.instrument_imports(include=["seskeys"]):
        from reliability import targets
        from seskeys.errors import SeskeysError
    with tempfile.TemporaryDirectory(prefix="seskeys-atheris-") as tmp:
        registry = targets.registry(Path(tmp))
        if name not in registry:
            print(f"no target {name!r}; targets: {', '.join(registry)}", file=sys.stderr)
            return 2
        target, seeds = registry[name]
        corpus = Path(tmp) / "corpus"
        corpus.mkdir()
        for n, seed in enumerate(seeds):
            (corpus / f"seed-{n}").write_bytes(seed)

        def one_input(data: bytes) -> None:
            with contextlib.suppress(SeskeysError):  # a typed error is a correct answer
                target(data)

        atheris.Setup([sys.argv[0], *libfuzzer_args, str(corpus)], one_input)
        atheris.Fuzz()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
