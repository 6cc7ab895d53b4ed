"""The scan service: walk the inputs, scan them (in a process pool when there is enough work),
attribute and judge the hits, apply allow comments and the baseline.
"""

from __future__ import annotations

import fnmatch
import multiprocessing
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from seskeys.errors import InputError
from seskeys.scan import git
from seskeys.scan.attribution import Judged, Ledger, Verdict, judge
from seskeys.scan.baseline import Baseline, Entry
from seskeys.scan.detectors import Options
from seskeys.scan.worker import (
    FileResult,
    Found,
    blobs_task,
    init_worker,
    paths_task,
    scan_blob,
    scan_path,
)

SKIPPED_DIRS = frozenset({".git", ".hg", ".svn"})
BATCH_BYTES = 4 * 1024 * 1024
BATCH_FILES = 256
POOL_MIN_BYTES = 8 * 1024 * 1024  # below this a pool costs more than it saves

Progress = Callable[[int], None]  # called with the bytes just scanned


@dataclass(frozen=True)
class ScanOptions:
    paths: tuple[str, ...]
    git: bool = False
    respect_gitignore: bool = False
    max_file_bytes: int = 50 * 1024 * 1024
    jobs: int = 0  # 0: one per core
    include_examples: bool = False
    include_identifiers: bool = False
    exclude: tuple[str, ...] = ()


@dataclass(frozen=True)
class ScanResult:
    judged: tuple[Judged, ...]
    files: int
    bytes: int
    seconds: float
    skipped: tuple[tuple[str, str], ...] = ()
    suppressed_inline: int = 0
    suppressed_baseline: int = 0
    hidden_examples: int = 0
    attributed: bool = False

    @property
    def mb_per_second(self) -> float:
        return self.bytes / 2**20 / self.seconds if self.seconds > 0 else 0.0


def scan(options: ScanOptions, *, ledger: Ledger | None = None,
         baseline: Baseline | None = None, progress: Progress | None = None) -> ScanResult:
    started = time.perf_counter()
    matcher = Options(known=ledger.known_secrets() if ledger else None,
                      unkeyed=ledger is not None)
    results: list[FileResult] = []
    sized = collect_files(options)
    files = [path for path, _ in sized]
    repos = sorted({git.repository_root(p) for p in options.paths}) if options.git else []
    jobs = options.jobs or os.cpu_count() or 1
    total = sum(size for _, size in sized)
    if jobs > 1 and (repos or total >= POOL_MIN_BYTES):
        with _pool(jobs, matcher) as pool:
            results.extend(_pooled_files(pool, sized, options.max_file_bytes, progress))
            for repo in repos:
                results.extend(_pooled_blobs(pool, repo, options.max_file_bytes, progress, jobs))
    else:
        for path in files:
            results.append(scan_path(path, matcher, options.max_file_bytes))
            _report(progress, results[-1])
        for repo in repos:
            for ref, data in git.read_blobs(repo, git.history_blobs(repo),
                                            options.max_file_bytes):
                results.append(_blob_result(ref, data, matcher, options.max_file_bytes))
                _report(progress, results[-1])
    return _finish(options, results, ledger, baseline, time.perf_counter() - started)


def collect_files(options: ScanOptions) -> list[tuple[str, int]]:
    """(path, size) of every regular file to scan, each once, in a stable order."""
    seen: dict[str, int] = {}
    for raw in options.paths:
        path = Path(raw)
        if not path.exists():
            raise InputError(f"{raw}: no such file or directory")
        if path.is_file():
            seen.setdefault(str(path), path.stat().st_size)
            continue
        listed = git.unignored_files(str(path)) if options.respect_gitignore else None
        found = _listed(listed) if listed is not None else _walk(str(path))
        for name, size in found:
            if not options.exclude or not _excluded(name, options.exclude):
                seen.setdefault(name, size)
    return list(seen.items())


def _walk(root: str) -> Iterator[tuple[str, int]]:
    """Regular files under ``root`` (symbolic links and VCS folders left out), with sizes."""
    with os.scandir(root) as listing:
        entries = sorted(listing, key=lambda e: e.name)
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            if entry.name not in SKIPPED_DIRS:
                yield from _walk(entry.path)
        elif entry.is_file(follow_symlinks=False):
            yield entry.path, entry.stat(follow_symlinks=False).st_size


def _listed(paths: list[str]) -> Iterator[tuple[str, int]]:
    for name in paths:
        if os.path.isfile(name) and not os.path.islink(name):
            yield name, _size(name)


def _excluded(path: str, patterns: Sequence[str]) -> bool:
    return any(fnmatch.fnmatch(path, p) or fnmatch.fnmatch(os.path.basename(path), p)
               for p in patterns)


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def _report(progress: Progress | None, result: FileResult) -> None:
    if progress:
        progress(result.size)


def _blob_result(ref: git.BlobRef, data: bytes | None, matcher: Options, limit: int
                 ) -> FileResult:
    if data is None:
        return FileResult(ref.path, 0, skipped=f"larger than {limit // 2**20} MB "
                                                 f"(blob {ref.sha[:12]})")
    return scan_blob(ref.path, data, ref.commit, matcher)


# -- the pool -----------------------------------------------------------------------------------

def _pool(jobs: int, matcher: Options) -> ProcessPoolExecutor:
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    return ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context(method),
                               initializer=init_worker, initargs=(matcher,))


def _batches(sized: Iterable[tuple[str, int]]) -> Iterator[list[str]]:
    batch: list[str] = []
    size = 0
    for path, length in sized:
        batch.append(path)
        size += length
        if size >= BATCH_BYTES or len(batch) >= BATCH_FILES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _pooled_files(pool: ProcessPoolExecutor, sized: list[tuple[str, int]], limit: int,
                  progress: Progress | None) -> Iterator[FileResult]:
    futures = [pool.submit(paths_task, batch, limit) for batch in _batches(sized)]
    for future in futures:
        for result in future.result():
            _report(progress, result)
            yield result


def _pooled_blobs(pool: ProcessPoolExecutor, repo: str, limit: int, progress: Progress | None,
                  jobs: int) -> Iterator[FileResult]:
    pending: list[Future[list[FileResult]]] = []
    batch: list[tuple[str, bytes, str | None]] = []
    size = 0
    for ref, data in git.read_blobs(repo, git.history_blobs(repo), limit):
        if data is None:
            yield _blob_result(ref, None, Options(), limit)
            continue
        batch.append((ref.path, data, ref.commit))
        size += len(data)
        if size >= BATCH_BYTES or len(batch) >= BATCH_FILES:
            pending.append(pool.submit(blobs_task, batch))
            batch, size = [], 0
            while len(pending) > 2 * jobs:  # keep memory bounded
                yield from _drain(pending.pop(0), progress)
    if batch:
        pending.append(pool.submit(blobs_task, batch))
    for future in pending:
        yield from _drain(future, progress)


def _drain(future: Future[list[FileResult]], progress: Progress | None) -> Iterator[FileResult]:
    for result in future.result():
        _report(progress, result)
        yield result


# -- judging and filtering ----------------------------------------------------------------------

def _finish(options: ScanOptions, results: list[FileResult], ledger: Ledger | None,
            baseline: Baseline | None, seconds: float) -> ScanResult:
    found: list[Found] = [f for r in results for f in r.found]
    judged = [j for j in judge(found, ledger) if j.verdict is not Verdict.DROP]
    kept: list[Judged] = []
    inline = in_baseline = examples = 0
    for item in judged:
        if item.verdict is Verdict.EXAMPLE and not options.include_examples:
            examples += 1
        elif item.verdict is Verdict.IDENTIFIER and not options.include_identifiers:
            continue
        elif item.verdict is not Verdict.ACTIVE_LEAK and item.found.allowed:
            inline += 1  # a live key in plaintext is never allowed: it must be rotated
        elif item.verdict is not Verdict.ACTIVE_LEAK and baseline \
                and baseline.contains(item.found.hit.token):
            in_baseline += 1
        else:
            kept.append(item)
    return ScanResult(
        judged=tuple(kept), files=sum(1 for r in results if r.skipped is None),
        bytes=sum(r.size for r in results), seconds=seconds,
        skipped=tuple((r.path, r.skipped) for r in results if r.skipped),
        suppressed_inline=inline, suppressed_baseline=in_baseline, hidden_examples=examples,
        attributed=ledger is not None)


def baseline_entries(result: ScanResult, baseline: Baseline,
                     check_of: Callable[[Judged], str]) -> Baseline:
    """``baseline`` with an entry for every reported value (the salted hash, never the value)."""
    entries = [Entry(hash=baseline.digest(j.found.hit.token), kind=j.found.hit.kind.value,
                     check=check_of(j), location=str(j.found.location))
               for j in result.judged if j.verdict is not Verdict.ACTIVE_LEAK]
    return baseline.with_entries(entries)
