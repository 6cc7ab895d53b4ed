"""The check framework: a check is metadata plus one pure function of a context.

Thresholds live in parameters (with defaults), never in ids. Compliance references are data on
the check; framework-wide mappings live in ``seskeys/data/compliance``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from seskeys.errors import InputError


class Severity(StrEnum):
    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return list(Severity).index(self)

    @classmethod
    def parse(cls, value: str) -> Severity:
        try:
            return cls(value.strip().lower())
        except ValueError:
            raise InputError(f"unknown severity {value!r}; use one of: "
                             + ", ".join(s.value for s in cls)) from None


class Outcome(StrEnum):
    FAIL = "fail"
    SKIPPED = "skipped"
    ERROR = "error"


@dataclass(frozen=True)
class Finding:
    """One problem found by one check about one subject. Never holds a secret."""

    check_id: str
    severity: Severity
    title: str
    message: str
    subject: str
    remediation: str
    account: str | None = None
    principal: str | None = None
    key_id: str | None = None  # always masked
    record: str | None = None
    client: str | None = None
    evidence: Mapping[str, Any] = field(default_factory=dict)
    location: str | None = None  # file:line for the scanner


@dataclass(frozen=True)
class Skipped:
    """A check that could not judge: its input was missing or failed to collect."""

    check_id: str
    outcome: Outcome
    reason: str


@dataclass(frozen=True)
class Check:
    id: str
    title: str
    severity: Severity
    scope: str
    rationale: str
    remediation: str
    run: Callable[[Any, Mapping[str, Any]], Iterable[Finding]]
    references: Mapping[str, Sequence[str]] = field(default_factory=dict)
    parameters: Mapping[str, Any] = field(default_factory=dict)

    def finding(self, subject: str, message: str, *, severity: Severity | None = None,
                **extra: Any) -> Finding:
        return Finding(check_id=self.id, severity=severity or self.severity, title=self.title,
                       message=message, subject=subject, remediation=self.remediation, **extra)


@dataclass(frozen=True)
class CheckReport:
    taken_at: datetime
    scope: str
    checks: tuple[Check, ...]
    findings: tuple[Finding, ...]
    skipped: tuple[Skipped, ...] = ()
    notes: tuple[str, ...] = ()

    def worst(self) -> Severity | None:
        return max((f.severity for f in self.findings), key=lambda s: s.rank, default=None)

    def fails_at(self, threshold: Severity) -> bool:
        return any(f.severity.rank >= threshold.rank for f in self.findings)

    def passed(self) -> list[Check]:
        failed = {f.check_id for f in self.findings} | {s.check_id for s in self.skipped}
        return [c for c in self.checks if c.id not in failed]


class MissingInput(Exception):
    """Raised by a check whose input is not in the context; reported as skipped."""


def run_checks(checks: Sequence[Check], context: Any, *, taken_at: datetime, scope: str,
               parameters: Mapping[str, Mapping[str, Any]] | None = None,
               notes: Sequence[str] = ()) -> CheckReport:
    findings: list[Finding] = []
    skipped: list[Skipped] = []
    for check in checks:
        params = {**check.parameters, **(parameters or {}).get(check.id, {})}
        try:
            findings.extend(check.run(context, params))
        except MissingInput as exc:
            skipped.append(Skipped(check.id, Outcome.SKIPPED, str(exc)))
    findings.sort(key=lambda f: (-f.severity.rank, f.check_id, f.subject))
    return CheckReport(taken_at=taken_at, scope=scope, checks=tuple(checks),
                       findings=tuple(findings), skipped=tuple(skipped), notes=tuple(notes))


def all_checks() -> tuple[Check, ...]:
    """The explicit registry: every check of every scope."""
    from seskeys.checks import ledger

    registry: list[Check] = [*ledger.CHECKS]
    registry.extend(_optional_checks())
    ids = [c.id for c in registry]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise RuntimeError(f"duplicate check ids: {sorted(duplicates)}")
    return tuple(registry)


def _optional_checks() -> list[Check]:
    """Checks of the other scopes (AWS, drift), registered here as they are added."""
    from seskeys.checks import drift, iam, scan

    return [*iam.CHECKS, *drift.CHECKS, *scan.CHECKS]
