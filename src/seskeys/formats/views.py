"""Plain dictionaries of results, in template order, with Password fields masked unless revealed."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
from datetime import date
from typing import Any

from seskeys.checks import CheckReport, Finding
from seskeys.events import Event
from seskeys.model import KeyRecord, RecordSummary
from seskeys.redact import mask_key_id, mask_secret
from seskeys.template import TEMPLATE


def record_view(record: KeyRecord, *, reveal: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for spec in TEMPLATE:
        value = record.field_value(spec.id)
        if spec.secret:
            secret = record.secret(spec.id)
            out[spec.id] = secret if reveal else (mask_secret(secret) or None)
        elif isinstance(value, tuple):
            out[spec.id] = list(value)
        elif isinstance(value, date):
            out[spec.id] = value.isoformat()
        else:
            out[spec.id] = value.value if hasattr(value, "value") else value
    return out


def summary_view(s: RecordSummary, today: date, max_age_days: int) -> dict[str, Any]:
    age = (today - s.created_on).days if not s.revoked_on else None
    return {"key_name": s.key_name, "client": s.client, "status": s.status.value,
            "access_key_id": mask_key_id(s.access_key_id),
            "created_on": s.created_on.isoformat(),
            "age_days": age,
            "rotation_due": None if s.revoked_on else
            date.fromordinal(s.created_on.toordinal() + max_age_days).isoformat(),
            "revoked_on": s.revoked_on.isoformat() if s.revoked_on else None,
            "ses_region": s.ses_region}


def event_view(event: Event) -> dict[str, Any]:
    return {"seq": event.seq, "at": event.at.isoformat().replace("+00:00", "Z"),
            "actor": event.actor, "action": event.action, "ticket": event.ticket,
            "record_id": event.record_id, "key_name": event.key_name,
            "changes": [c.model_dump() for c in event.changes], "detail": event.detail,
            "mac": event.mac}


def change_text(event: Event, limit: int | None = 40) -> str:
    """What an event changed, on one line for a table (values cut at ``limit``); with
    ``limit=None``, every value whole, line breaks kept (CSV quotes them)."""
    parts = []
    for c in event.changes:
        if c.secret:
            parts.append(f"{c.field} (secret)")
        elif c.old is None:
            parts.append(f"{c.field}={_short(c.new, limit)}")
        else:
            parts.append(f"{c.field}: {_short(c.old, limit)} → {_short(c.new, limit)}")
    text = "; ".join(parts)
    return f"{event.detail}; {text}" if event.detail and text else (event.detail or text)


def _short(value: Any, limit: int | None) -> str:
    text = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
    if limit is None:
        return text
    text = text.replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def finding_view(f: Finding) -> dict[str, Any]:
    data = asdict(f)
    data["severity"] = f.severity.value
    data["evidence"] = dict(f.evidence)
    return data


def report_view(report: CheckReport) -> dict[str, Any]:
    worst = report.worst()
    return {
        "scope": report.scope,
        "taken_at": report.taken_at.isoformat().replace("+00:00", "Z"),
        "summary": {"checks": len(report.checks), "findings": len(report.findings),
                    "passed": len(report.passed()), "skipped": len(report.skipped),
                    "worst": worst.value if worst else None},
        "findings": [finding_view(f) for f in report.findings],
        "skipped": [{"check_id": s.check_id, "outcome": s.outcome.value, "reason": s.reason}
                    for s in report.skipped],
        "checks": [{"id": c.id, "title": c.title, "severity": c.severity.value,
                    "references": {k: list(v) for k, v in c.references.items()}}
                   for c in report.checks],
        "notes": list(report.notes),
    }


def records_views(records: Iterable[KeyRecord], *, reveal: bool = False) -> list[dict[str, Any]]:
    return [record_view(r, reveal=reveal) for r in records]


def place(finding: Finding) -> str:
    """Where a finding is, for people: ``path:line``, and the commit for git history."""
    commit = finding.evidence.get("commit")
    where = finding.location or ""
    return f"{where} @ {str(commit)[:12]}" if commit and where else where
