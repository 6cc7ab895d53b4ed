"""The one place that runs external programs (``lpass``, ``git``, ...).

Secrets travel on stdin, never in argv; every call has a timeout; the program's stderr is kept
for the error; a missing program is a clear error, not a traceback. The caller builds the
environment: nothing of ours (such as ``SESKEYS_PASSWORD``) is passed on unless it says so.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO

from seskeys.errors import ExternalError

# Variables of our own that a child process never needs (the master password among them).
_PRIVATE_PREFIXES = ("SESKEYS_",)


@dataclass(frozen=True)
class Completed:
    """A finished run: the argv (never holding a secret), exit code and decoded streams."""

    argv: tuple[str, ...]
    code: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.code == 0

    def first_error_line(self, limit: int = 300) -> str:
        lines = [ln.strip() for ln in self.stderr.splitlines() if ln.strip()]
        text = lines[0] if lines else f"exit status {self.code}"
        return text[:limit]


def child_environment(environ: Mapping[str, str], extra: Mapping[str, str] | None = None
                      ) -> dict[str, str]:
    """``environ`` without our private variables, plus ``extra``."""
    env = {k: v for k, v in environ.items() if not k.startswith(_PRIVATE_PREFIXES)}
    env.update(extra or {})
    return env


def run(argv: Sequence[str], *, stdin: str | None = None, timeout: float,
        env: Mapping[str, str] | None = None, cwd: str | None = None) -> Completed:
    """Run ``argv`` to completion; text is UTF-8 both ways, bytes that are not stay visible.

    ``stdin=None`` connects stdin to /dev/null, so a program that unexpectedly prompts reads
    EOF instead of waiting for us.
    """
    program = argv[0]
    try:
        proc = subprocess.run(
            list(argv), input=(stdin or "").encode("utf-8"),
            capture_output=True, timeout=timeout,
            env=dict(env) if env is not None else child_environment(os.environ),
            cwd=cwd, check=False)
    except FileNotFoundError:
        raise ExternalError(f"{os.path.basename(program)} is not installed (not found: "
                            f"{program})") from None
    except PermissionError:
        raise ExternalError(f"{program} cannot be executed (permission denied)") from None
    except subprocess.TimeoutExpired:
        raise ExternalError(f"{os.path.basename(program)} {_verb(argv)} did not finish within "
                            f"{timeout:g} s and was stopped") from None
    return Completed(tuple(argv), proc.returncode,
                     proc.stdout.decode("utf-8", "surrogateescape"),
                     proc.stderr.decode("utf-8", "replace"))


def _verb(argv: Sequence[str]) -> str:
    return argv[1] if len(argv) > 1 else ""


@contextmanager
def feed_and_read(argv: Sequence[str], lines: Iterable[bytes], *,
                  env: Mapping[str, str] | None = None, cwd: str | None = None
                  ) -> Iterator[IO[bytes]]:
    """Run ``argv``, write ``lines`` to its stdin from a thread, and yield its stdout as bytes.

    For batch programs such as ``git cat-file --batch`` whose output is too large to buffer.
    A non-zero exit is an :class:`ExternalError` carrying the first line of its stderr.
    """
    program = os.path.basename(argv[0])
    with tempfile.TemporaryFile() as errors:
        try:
            proc = subprocess.Popen(
                list(argv), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors,
                env=dict(env) if env is not None else child_environment(os.environ), cwd=cwd)
        except FileNotFoundError:
            raise ExternalError(f"{program} is not installed (not found: {argv[0]})") from None
        assert proc.stdin is not None and proc.stdout is not None
        writer = threading.Thread(target=_write_all, args=(proc.stdin, lines), daemon=True)
        writer.start()
        try:
            yield proc.stdout
        finally:
            proc.stdout.close()
            code = proc.wait()
            writer.join()
        if code != 0:
            errors.seek(0)
            first = next((ln.strip() for ln in errors.read().decode("utf-8", "replace")
                          .splitlines() if ln.strip()), f"exit status {code}")
            raise ExternalError(f"{program} {_verb(argv)} failed: {first[:300]}")


def _write_all(stream: IO[bytes], lines: Iterable[bytes]) -> None:
    try:
        for line in lines:
            stream.write(line)
        stream.close()
    except (BrokenPipeError, OSError):
        pass
