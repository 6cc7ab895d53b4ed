from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from seskeys import compliance, report
from seskeys.checks import all_checks
from seskeys.compliance import Status
from seskeys.formats.jsonfmt import to_json
from seskeys.formats.report_data import report_dict, report_markdown
from seskeys.formats.report_html import to_html

GOLDEN = Path(__file__).parent.parent / "data" / "report"
RENDERERS = {"report.md": report_markdown, "report.html": to_html,
             "report.json": lambda r: to_json(report_dict(r))}


@pytest.mark.parametrize("name", sorted(RENDERERS))
def test_rendering_matches_golden_file(demo_report: report.Report, name: str) -> None:
    rendered = RENDERERS[name](demo_report)
    golden = GOLDEN / name
    if os.environ.get("SESKEYS_UPDATE_GOLDEN"):
        golden.write_text(rendered, encoding="utf-8")
    assert rendered == golden.read_text(encoding="utf-8"), (
        f"{name} drifted; rerun with SESKEYS_UPDATE_GOLDEN=1 and review the diff")


def test_every_mapped_check_exists() -> None:
    known = {c.id for c in all_checks()}
    for framework in compliance.load_frameworks():
        for requirement in framework.requirements:
            missing = set(requirement.checks) - known
            assert not missing, f"{framework.short} {requirement.id} maps unknown {missing}"


def test_every_framework_the_seed_names_is_mapped() -> None:
    shorts = {f.short for f in compliance.load_frameworks()}
    assert shorts == {"iso27001", "soc2", "nist", "cisa-cpg", "cis-controls", "cis-aws"}


def test_client_summary_counts_revoked_once(demo_report: report.Report) -> None:
    umbrella = next(c for c in demo_report.clients if c.client == "Umbrella")
    assert (umbrella.active, umbrella.revoked) == (0, 2)
    acme = next(c for c in demo_report.clients if c.client == "Acme Corp")
    assert (acme.active, acme.overdue, acme.revoked) == (2, 1, 0)


def test_compliance_statuses_follow_findings(demo_report: report.Report) -> None:
    iso = next(f for f in demo_report.compliance if f.framework.short == "iso27001")
    status = {r.requirement.id: r for r in iso.results}
    assert status["A.5.17"].status is Status.FAIL  # an overdue key
    assert "ledger.key-age" in status["A.5.17"].failing
    assert status["A.8.32"].status is Status.PASS  # every key has a creation ticket
    assert status["A.8.2"].status is Status.NOT_ASSESSED  # no check ran for it


def test_sections_say_when_data_was_taken(demo_report: report.Report) -> None:
    data = report_dict(demo_report)
    assert data["sections"][0]["result"]["taken_at"] == "2026-12-03T12:00:00Z"
    assert data["event_log"]["ok"] is True
    parsed = json.loads(to_json(data))
    assert parsed["inventory"][0]["created_on"] == data["inventory"][0]["created_on"].isoformat()


def test_report_holds_no_secret(demo_report: report.Report) -> None:
    from tests import factories

    for name in ("acme-transactional", "acme-newsletter", "umbrella-portal"):
        secret = factories.secret(name)
        for render in RENDERERS.values():
            assert secret not in render(demo_report)
