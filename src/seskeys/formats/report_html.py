"""The audit report as one self-contained HTML file: inline CSS and SVG, no script, no network."""

from __future__ import annotations

from collections import Counter
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from seskeys.checks import Severity
from seskeys.compliance import Status as ComplianceStatus
from seskeys.formats import charts
from seskeys.formats.views import change_text
from seskeys.report import Report

MAX_AGE_BARS = 60


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("seskeys", "formats/templates"),
                      autoescape=select_autoescape(["html", "j2"]), trim_blocks=True,
                      lstrip_blocks=True)
    env.filters["change_text"] = change_text
    env.filters["evidence"] = evidence_text
    return env


def evidence_text(value: Any) -> str:
    """Evidence values as a reader expects them: lists joined, no Python reprs."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(evidence_text(v) for v in value) or "—"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {evidence_text(v)}" for k, v in value.items()) or "—"
    return str(value)


def _charts(report: Report) -> dict[str, Markup]:
    live = sorted((r for r in report.inventory if r.status != "revoked"),
                  key=lambda r: -r.age_days)
    out: dict[str, Markup] = {}
    if live:
        out["ages"] = Markup(charts.key_ages(  # noqa: S704 - our own escaped SVG
            [(r.key_name, r.age_days, r.state) for r in live[:MAX_AGE_BARS]],
            report.max_key_age_days, report.due_soon_days))
    findings = [f for rep in report.reports() for f in rep.findings]
    severities = Counter(f.severity for f in findings)
    out["severity"] = Markup(charts.bars(  # noqa: S704
        [(s.value, severities.get(s, 0), charts.SEVERITY_COLOURS[s])
         for s in reversed(list(Severity))], "Findings by severity", label_w=90))
    by_check = Counter(f.check_id for f in findings).most_common(15)
    if by_check:
        out["checks"] = Markup(charts.bars(  # noqa: S704
            [(cid, n, "#455a64") for cid, n in by_check], "Findings by check", label_w=260))
    out["activity"] = Markup(charts.columns(  # noqa: S704
        [(m.month, [("created", m.created, charts.PALETTE["created"]),
                    ("rotated", m.rotated, charts.PALETTE["rotated"]),
                    ("revoked", m.revoked, charts.PALETTE["revoked-ev"])])
         for m in report.activity], "Keys created, rotated and revoked per month"))
    if report.clients:
        out["clients"] = Markup(charts.stacked(  # noqa: S704
            [(c.client, [("active", c.active - c.overdue - c.due_soon, charts.PALETTE["ok"]),
                         ("due soon", c.due_soon, charts.PALETTE["due-soon"]),
                         ("overdue", c.overdue, charts.PALETTE["overdue"]),
                         ("inactive", c.inactive, charts.PALETTE["inactive"]),
                         ("revoked", c.revoked, charts.PALETTE["revoked"])])
             for c in report.clients], "Key status per client"))
    return out


def context(report: Report) -> dict[str, Any]:
    findings = [f for rep in report.reports() for f in rep.findings]
    return {
        "r": report,
        "charts": _charts(report),
        "severities": list(reversed(list(Severity))),
        "severity_counts": Counter(f.severity for f in findings),
        "finding_total": len(findings),
        "live_keys": sum(1 for r in report.inventory if r.status != "revoked"),
        "overdue": sum(1 for r in report.inventory if r.state == "overdue"),
        "due_soon": sum(1 for r in report.inventory if r.state == "due-soon"),
        "CS": ComplianceStatus,
    }


def to_html(report: Report) -> str:
    return _environment().get_template("report.html.j2").render(**context(report))
