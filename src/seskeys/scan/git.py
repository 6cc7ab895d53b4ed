"""Every blob in a repository's history, with the commit that introduced it and its path.

``git log --all --raw`` names, for each commit, the blobs it added or changed (oldest commit
first, so the first sighting is where a value entered the history); ``git rev-list --all
--objects`` adds blobs only merges introduced. ``git cat-file --batch`` then streams the
contents. Only object ids and paths travel to git, and all of it through
:mod:`seskeys.external`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

from seskeys import external
from seskeys.errors import ExternalError, InputError

_TIMEOUT = 600.0
_NO_BLOB = "0" * 40


@dataclass(frozen=True)
class BlobRef:
    sha: str
    path: str
    commit: str | None  # None when only a merge introduced it


def _git(repo: str, *args: str) -> list[str]:
    return ["git", "-C", repo, "-c", "core.quotepath=off", *args]


def _env() -> dict[str, str]:
    return external.child_environment(os.environ, {"GIT_TERMINAL_PROMPT": "0",
                                                    "LC_ALL": "C"})


def repository_root(path: str) -> str:
    done = external.run(_git(path, "rev-parse", "--show-toplevel"), timeout=60, env=_env())
    if not done.ok:
        raise InputError(f"{path} is not inside a git repository: {done.first_error_line()}")
    return done.stdout.strip()


def history_blobs(repo: str) -> list[BlobRef]:
    """Each distinct blob once, at the oldest commit and path where it appears."""
    log = external.run(_git(repo, "log", "--all", "--reverse", "--no-renames", "--raw",
                            "--no-abbrev", "-z", "--format=%x01%H"), timeout=_TIMEOUT,
                       env=_env())
    if not log.ok:
        if "does not have any commits" in log.stderr:
            return []
        raise ExternalError(f"git log failed: {log.first_error_line()}")
    blobs: dict[str, BlobRef] = {}
    for ref in _parse_raw_log(log.stdout):
        blobs.setdefault(ref.sha, ref)
    listing = external.run(_git(repo, "rev-list", "--all", "--objects"), timeout=_TIMEOUT,
                           env=_env())
    if not listing.ok:
        raise ExternalError(f"git rev-list failed: {listing.first_error_line()}")
    for line in listing.stdout.splitlines():
        sha, _, path = line.partition(" ")
        if path and sha not in blobs:
            blobs[sha] = BlobRef(sha, path, None)  # trees and commits drop out at cat-file
    return list(blobs.values())


def _parse_raw_log(text: str) -> Iterator[BlobRef]:
    commit = None
    fields = text.split("\0")
    i = 0
    while i < len(fields):
        token = fields[i].lstrip("\n")
        i += 1
        if token.startswith("\x01"):
            commit = token[1:]
        elif token.startswith(":") and i < len(fields):
            meta, path = token.split(), fields[i]
            i += 1
            if len(meta) >= 5 and meta[1] != "160000" and meta[3] != _NO_BLOB:
                yield BlobRef(meta[3], path, commit)


def read_blobs(repo: str, refs: list[BlobRef], max_bytes: int
               ) -> Iterator[tuple[BlobRef, bytes | None]]:
    """(ref, content) per blob; content None when the object is too large or not a blob."""
    wanted = {r.sha: r for r in refs}
    lines = (f"{sha}\n".encode("ascii") for sha in wanted)
    with external.feed_and_read(_git(repo, "cat-file", "--batch"), lines, env=_env()) as out:
        for _ in range(len(wanted)):
            header = out.readline().split()
            if len(header) < 2 or header[1] == b"missing":
                continue
            sha, kind, size = header[0].decode("ascii"), header[1], int(header[2])
            data = out.read(size)
            out.read(1)  # the newline after each object
            ref = wanted.get(sha)
            if ref is None or kind != b"blob":
                continue
            yield ref, (data if size <= max_bytes else None)


def unignored_files(directory: str) -> list[str] | None:
    """Files under ``directory`` that git does not ignore, or None outside a work tree."""
    inside = external.run(_git(directory, "rev-parse", "--is-inside-work-tree"), timeout=60,
                          env=_env())
    if not inside.ok or inside.stdout.strip() != "true":
        return None
    listing = external.run(_git(directory, "ls-files", "-z", "--cached", "--others",
                                "--exclude-standard"), timeout=_TIMEOUT, env=_env())
    if not listing.ok:
        raise ExternalError(f"git ls-files failed: {listing.first_error_line()}")
    return [os.path.join(directory, p) for p in listing.stdout.split("\0") if p]
