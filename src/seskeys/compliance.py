"""Compliance views: framework requirements mapped to check ids, in data files, evaluated
against check reports as pass / fail / partial / not assessed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from typing import Any

from seskeys.checks import CheckReport

FORMAT_VERSION = 1


class Status(StrEnum):
    PASS = "pass"  # noqa: S105 - a status name
    FAIL = "fail"
    PARTIAL = "partial"  # what ran passed, but some of its checks did not run
    NOT_ASSESSED = "not assessed"


@dataclass(frozen=True)
class Requirement:
    id: str
    title: str
    checks: tuple[str, ...]
    aliases: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Framework:
    short: str
    name: str
    scope: str
    source: str
    requirements: tuple[Requirement, ...]


@dataclass(frozen=True)
class RequirementResult:
    requirement: Requirement
    status: Status
    failing: tuple[str, ...]  # check ids with findings
    passing: tuple[str, ...]
    unassessed: tuple[str, ...]
    findings: int


@dataclass(frozen=True)
class FrameworkResult:
    framework: Framework
    results: tuple[RequirementResult, ...]

    def count(self, status: Status) -> int:
        return sum(1 for r in self.results if r.status is status)


def _parse(data: dict[str, Any]) -> Framework:
    if data.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"compliance mapping {data.get('short')}: unsupported format version")
    return Framework(
        short=data["short"], name=data["framework"], scope=data.get("scope", ""),
        source=data.get("source", ""),
        requirements=tuple(
            Requirement(id=r["id"], title=r["title"], checks=tuple(r["checks"]),
                        aliases=tuple(sorted(r.get("aliases", {}).items())))
            for r in data["requirements"]))


def load_frameworks() -> tuple[Framework, ...]:
    """Every mapping shipped in ``seskeys/data/compliance``, in file-name order."""
    folder = resources.files("seskeys").joinpath("data/compliance")
    files = sorted((f for f in folder.iterdir() if f.name.endswith(".json")),
                   key=lambda f: f.name)
    return tuple(_parse(json.loads(f.read_text("utf-8"))) for f in files)


def evaluate(frameworks: Iterable[Framework], reports: Sequence[CheckReport]
             ) -> tuple[FrameworkResult, ...]:
    """A check counts as assessed when some report ran it and did not skip it."""
    ran: set[str] = set()
    skipped: set[str] = set()
    findings: dict[str, int] = {}
    for report in reports:
        ran.update(c.id for c in report.checks)
        skipped.update(s.check_id for s in report.skipped)
        for f in report.findings:
            findings[f.check_id] = findings.get(f.check_id, 0) + 1
    assessed = ran - (skipped - set(findings))
    out = []
    for fw in frameworks:
        results = []
        for req in fw.requirements:
            failing = tuple(c for c in req.checks if findings.get(c))
            passing = tuple(c for c in req.checks if c in assessed and not findings.get(c))
            unassessed = tuple(c for c in req.checks if c not in assessed)
            status = (Status.FAIL if failing else
                      Status.NOT_ASSESSED if not passing else
                      Status.PARTIAL if unassessed else Status.PASS)
            results.append(RequirementResult(req, status, failing, passing, unassessed,
                                             sum(findings.get(c, 0) for c in req.checks)))
        out.append(FrameworkResult(fw, tuple(results)))
    return tuple(out)
