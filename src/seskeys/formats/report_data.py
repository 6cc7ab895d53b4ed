"""The audit report as plain data (JSON) and as Markdown for a ticket."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from seskeys.formats.markdown import cell as _cell
from seskeys.formats.markdown import findings_markdown
from seskeys.formats.views import event_view, report_view
from seskeys.report import Report


def report_dict(report: Report) -> dict[str, Any]:
    return {
        "format": "seskeys-report", "format_version": 1,
        "title": report.title,
        "generated_at": report.generated_at.isoformat().replace("+00:00", "Z"),
        "vault": asdict(report.vault),
        "event_log": report.log.model_dump(),
        "policy": {"max_key_age_days": report.max_key_age_days,
                   "due_soon_days": report.due_soon_days},
        "inventory": [asdict(r) for r in report.inventory],
        "clients": [asdict(c) for c in report.clients],
        "sections": [{"key": s.key, "title": s.title, "unavailable": s.unavailable,
                      "notes": list(s.notes),
                      **({"result": report_view(s.report)} if s.report else {})}
                     for s in report.sections],
        "compliance": [{
            "framework": fr.framework.name, "short": fr.framework.short,
            "requirements": [{"id": rr.requirement.id, "title": rr.requirement.title,
                              "aliases": dict(rr.requirement.aliases),
                              "status": rr.status.value, "checks": list(rr.requirement.checks),
                              "failing": list(rr.failing), "passing": list(rr.passing),
                              "not_assessed": list(rr.unassessed), "findings": rr.findings}
                             for rr in fr.results]}
            for fr in report.compliance],
        "activity": [asdict(m) for m in report.activity],
        "events": [event_view(e) for e in report.events],
    }


def report_markdown(report: Report) -> str:
    log = report.log
    head = (f"verified: {log.events} events, head #{log.head_seq} `{log.head_mac}`" if log.ok
            else f"**BROKEN** at event {log.first_bad_seq}: {log.problem}")
    lines = [f"# {report.title}", "",
             f"Generated {report.generated_at:%Y-%m-%d %H:%M} UTC by seskeys · vault "
             f"`{report.vault.vault_id}` ({report.vault.records} records)", "",
             f"Event log {head}", "", "## Key inventory", "",
             "| Client | Key name | Key | Status | Created | Age (d) | Rotation due | "
             "Creation ticket | Revoked | Revocation ticket | Reason |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for k in report.inventory:
        status = k.status + (f" ({k.state})" if k.state in ("overdue", "due-soon") else "")
        lines.append(f"| {_cell(k.client)} | {_cell(k.key_name)} | `{k.key_id}` | {status} | "
                     f"{k.created_on} | {k.age_days} | {k.due_on or ''} | "
                     f"{_cell(k.creation_ticket)} | {k.revoked_on or ''} | "
                     f"{_cell(k.revocation_ticket)} | {_cell(k.revocation_reason)} |")
    for s in report.sections:
        lines.append("")
        if s.report is None:
            lines += [f"## {s.title}", "", f"Not assessed: {s.unavailable}"]
        else:
            lines.append(findings_markdown(s.report, heading=s.title).rstrip())
    lines += ["", "## Compliance view", ""]
    for fr in report.compliance:
        lines += [f"### {fr.framework.name}", "", "| Requirement | Title | Status | Checks |",
                  "|---|---|---|---|"]
        for rr in fr.results:
            checks = ", ".join(f"`{c}`" for c in rr.requirement.checks) or "procedure"
            lines.append(f"| {rr.requirement.id} | {_cell(rr.requirement.title)} | "
                         f"{rr.status.value} | {checks} |")
        lines.append("")
    return "\n".join(lines) + "\n"
