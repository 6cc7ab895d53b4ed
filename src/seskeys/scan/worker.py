"""Scanning one file or blob into located hits; the functions a process pool runs.

Workers receive what they look for (the known-secret matcher) once, through the pool
initializer, in memory: never in argv, never on disk. That is the only state a worker keeps.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from seskeys.scan.detectors import Hit, Options, detect
from seskeys.scan.sources import Unit, Unscannable, bytes_units, file_units

_ALLOW = re.compile(rb"seskeys:allow|pragma: ?allowlist secret|gitleaks:allow")
_ALLOW_NEXT = re.compile(rb"seskeys:allow-next-line|pragma: ?allowlist nextline secret")


@dataclass(frozen=True)
class Location:
    path: str
    line: int
    part: str | None = None  # where inside an e-mail, document or notebook
    commit: str | None = None  # for blobs of a repository's history

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if not self.part else f"{self.path} [{self.part}]" \
            f":{self.line}"
        return f"{where} @{self.commit[:12]}" if self.commit else where


@dataclass(frozen=True)
class Found:
    hit: Hit
    location: Location
    allowed: bool = False  # an inline allow comment is on (or above) its line


@dataclass(frozen=True)
class FileResult:
    path: str
    size: int
    found: tuple[Found, ...] = ()
    skipped: str | None = None


def scan_units(units: Iterable[Unit], path: str, options: Options,
               commit: str | None = None) -> list[Found]:
    out: list[Found] = []
    for unit in units:
        data = unit.data
        line, counted = unit.first_line, 0
        for hit in detect(data, options):
            if hit.start < unit.skip_before:
                continue
            line += data.count(b"\n", counted, hit.start)
            counted = hit.start
            out.append(Found(hit, Location(_shown_path(path), line, unit.part, commit),
                             _allowed(data, hit.start)))
    return out


def _shown_path(path: str) -> str:
    """A path as text every report format can carry: bytes of a file name that are not
    UTF-8 (kept by Python as surrogates) are written as ``\xe9`` escapes."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(path).decode("utf-8", "backslashreplace")
    return path


def _allowed(data: bytes, start: int) -> bool:
    line_start = data.rfind(b"\n", 0, start) + 1
    line_end = data.find(b"\n", start)
    if _ALLOW.search(data, line_start, line_end if line_end >= 0 else len(data)):
        return True
    if line_start == 0:
        return False
    previous = data.rfind(b"\n", 0, line_start - 1) + 1
    return _ALLOW_NEXT.search(data, previous, line_start) is not None


def scan_path(path: str, options: Options, max_bytes: int) -> FileResult:
    try:
        size = os.path.getsize(path)
        if size > max_bytes:
            return FileResult(path, 0, skipped=f"larger than {max_bytes // 2**20} MB")
        with open(path, "rb") as stream:
            found = scan_units(file_units(stream, path), path, options)
    except Unscannable as exc:
        return FileResult(path, 0, skipped=str(exc))
    except OSError as exc:
        return FileResult(path, 0, skipped=f"unreadable ({exc.strerror or type(exc).__name__})")
    return FileResult(path, size, tuple(found))


def scan_blob(path: str, data: bytes, commit: str | None, options: Options) -> FileResult:
    try:
        found = scan_units(bytes_units(data, path), path, options, commit)
    except Unscannable as exc:
        return FileResult(path, 0, skipped=str(exc))
    return FileResult(path, len(data), tuple(found))


# -- process pool -------------------------------------------------------------------------------

_worker: dict[str, Options] = {}  # per worker process, filled once by init_worker


def init_worker(options: Options) -> None:
    _worker["options"] = options


def paths_task(paths: Sequence[str], max_bytes: int) -> list[FileResult]:
    options = _worker["options"]
    return [scan_path(p, options, max_bytes) for p in paths]


def blobs_task(blobs: Sequence[tuple[str, bytes, str | None]]) -> list[FileResult]:
    options = _worker["options"]
    return [scan_blob(path, data, commit, options) for path, data, commit in blobs]
