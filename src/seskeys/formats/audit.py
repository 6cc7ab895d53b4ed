"""Renderings of an AWS audit result (one check report per account, plus failed accounts)."""

from __future__ import annotations

from typing import Any

from rich.console import Group, RenderableType
from rich.text import Text

from seskeys.aws.audit import AccountAudit, AuditResult
from seskeys.formats.csvfmt import to_csv
from seskeys.formats.markdown import findings_markdown
from seskeys.formats.sarif import to_sarif
from seskeys.formats.table import findings_table
from seskeys.formats.views import finding_view, report_view

CSV_COLUMNS = ("account", "severity", "check_id", "principal", "key_id", "subject", "message",
               "remediation", "record", "client", "evidence")


def _iso(value: Any) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def account_view(a: AccountAudit) -> dict[str, Any]:
    snap = a.snapshot
    report = snap.credential_report if snap else None
    return {
        "label": a.label, "account_id": a.account_id, "error": a.error,
        "source": snap.source if snap else None,
        "taken_at": _iso(snap.taken_at) if snap else None,
        "credential_report_generated_at": _iso(report.generated_at) if report else None,
        "collected": {"users": len(snap.users) if snap and snap.users is not None else None,
                      "groups": len(snap.groups) if snap else None,
                      "policies": len(snap.policies) if snap else None,
                      "credential_report_rows": len(report.rows) if report else None,
                      "users_with_listed_keys": len(snap.listed_keys) if snap else None,
                      "keys_looked_up": len(snap.key_lookups) if snap else None},
        "collection_errors": [{"what": e.what, "reason": e.reason}
                              for e in (snap.errors if snap else ())],
        "report": report_view(a.report) if a.report else None,
    }


def audit_view(result: AuditResult) -> dict[str, Any]:
    combined = result.combined()
    worst = combined.worst()
    return {
        "taken_at": _iso(result.taken_at), "drift": result.drift,
        "summary": {"accounts": len(result.accounts), "failed_accounts": len(result.failed()),
                    "findings": len(combined.findings), "skipped": len(combined.skipped),
                    "worst": worst.value if worst else None},
        "accounts": [account_view(a) for a in result.accounts],
        "notes": list(result.notes),
    }


def audit_csv(result: AuditResult) -> str:
    rows = [finding_view(f) for f in result.combined().findings]
    return to_csv(rows, CSV_COLUMNS)


def audit_sarif(result: AuditResult) -> dict[str, Any]:
    return to_sarif(result.combined())


def _heading(a: AccountAudit) -> str:
    account = a.account_id or "?"
    return f"Account {account}" + (f" — {a.label}" if a.label and a.label != account else "")


def audit_markdown(result: AuditResult) -> str:
    parts = [f"# AWS audit — {result.taken_at:%Y-%m-%d %H:%M} UTC", ""]
    for a in result.accounts:
        if a.report is None:
            parts += [f"## {_heading(a)}", "", f"Not audited: {a.error}", ""]
            continue
        parts.append(findings_markdown(a.report, heading=_heading(a)))
        parts += [f"- {n}" for n in a.report.notes] + [""]
    parts += [f"- {n}" for n in result.notes]
    return "\n".join(parts).rstrip("\n") + "\n"


def audit_table(result: AuditResult) -> RenderableType:
    items: list[RenderableType] = []
    for a in result.accounts:
        items.append(Text(_heading(a), style="bold"))
        if a.report is None:
            items.append(Text(f"not audited: {a.error}", style="bold red"))
            continue
        items.append(findings_table(a.report))
        items.extend(Text(n, style="dim") for n in a.report.notes)
    return Group(*items)
