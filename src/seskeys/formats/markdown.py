"""Markdown renderings of check reports."""

from __future__ import annotations

from seskeys.checks import CheckReport
from seskeys.formats.terminal import visible
from seskeys.formats.views import place


def cell(text: object) -> str:
    """A table cell. Backslashes are escaped before pipes, so a value's own backslash cannot
    cancel the escape of the pipe after it."""
    return (visible(str(text if text is not None else "")).replace("\\", "\\\\")
            .replace("|", "\\|").replace("\n", " "))


def findings_markdown(report: CheckReport, heading: str = "Findings") -> str:
    lines = [f"## {heading}", "",
             f"Data taken {report.taken_at:%Y-%m-%d %H:%M} UTC; {len(report.checks)} checks, "
             f"{len(report.findings)} finding(s), {len(report.skipped)} not assessed.", ""]
    located = any(f.location for f in report.findings)  # scanner findings carry file:line
    if report.findings:
        lines += ["| Severity | Check | Subject | " + ("Location | " if located else "")
                  + "Finding | Remediation |", "|---|---|---|" + ("---|" if located else "")
                  + "---|---|"]
        for f in report.findings:
            subject = f"{f.account}: {f.subject}" if f.account else f.subject
            where = f"{cell(place(f))} | " if located else ""
            lines.append(f"| {f.severity.value} | `{f.check_id}` | {cell(subject)} | {where}"
                         f"{cell(f.message)} | {cell(f.remediation)} |")
    for s in report.skipped:
        lines.append(f"- `{s.check_id}` {s.outcome.value}: {cell(s.reason)}")
    return "\n".join(lines) + "\n"
