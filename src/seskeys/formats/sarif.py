"""SARIF 2.1.0 for check reports: one rule per check, one result per finding."""

from __future__ import annotations

from typing import Any

from seskeys import __version__
from seskeys.checks import CheckReport, Finding, Severity

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning",
          Severity.LOW: "note", Severity.INFO: "note"}
_SCORE = {Severity.CRITICAL: "9.5", Severity.HIGH: "8.0", Severity.MEDIUM: "5.5",
          Severity.LOW: "3.0", Severity.INFO: "0.0"}


def _location(f: Finding) -> list[dict[str, Any]]:
    if not f.location:
        return [{"logicalLocations": [{"name": f.subject, "kind": "resource",
                                       **({"fullyQualifiedName": f"{f.account}/{f.subject}"}
                                          if f.account else {})}]}]
    path, _, line = f.location.rpartition(":")
    if not path or not line.isdigit():
        path, line = f.location, ""
    region: dict[str, Any] = {"startLine": int(line)} if line else {}
    physical: dict[str, Any] = {"artifactLocation": {"uri": path}}
    if region:
        physical["region"] = region
    return [{"physicalLocation": physical}]


def _result(f: Finding, rule_index: int) -> dict[str, Any]:
    named = (("account", f.account), ("principal", f.principal), ("keyId", f.key_id),
             ("record", f.record), ("client", f.client))
    properties: dict[str, Any] = {k: v for k, v in named if v}
    if f.evidence:
        properties["evidence"] = dict(f.evidence)
    properties["severity"] = f.severity.value
    return {"ruleId": f.check_id, "ruleIndex": rule_index, "level": _LEVEL[f.severity],
            "message": {"text": f"{f.subject}: {f.message}"}, "locations": _location(f),
            "properties": properties}


def to_sarif(report: CheckReport, tool_name: str = "seskeys") -> dict[str, Any]:
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    for check in report.checks:
        index[check.id] = len(rules)
        rules.append({
            "id": check.id, "name": check.id.replace(".", "_").replace("-", "_"),
            "shortDescription": {"text": check.title},
            "fullDescription": {"text": check.rationale},
            "help": {"text": check.remediation},
            "defaultConfiguration": {"level": _LEVEL[check.severity]},
            "properties": {"security-severity": _SCORE[check.severity],
                           "tags": ["security"],
                           "references": {k: list(v) for k, v in check.references.items()}},
        })
    for f in report.findings:  # findings from checks not listed still need a rule
        if f.check_id not in index:
            index[f.check_id] = len(rules)
            rules.append({"id": f.check_id, "shortDescription": {"text": f.title}})
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": tool_name, "version": __version__,
                                "informationUri": "https://github.com/seskeys/seskeys",
                                "rules": rules}},
            "results": [_result(f, index[f.check_id]) for f in report.findings],
            "invocations": [{"executionSuccessful": True,
                             "endTimeUtc": report.taken_at.isoformat().replace("+00:00", "Z"),
                             "toolExecutionNotifications": [
                                 {"level": "warning",
                                  "message": {"text": f"{s.check_id} {s.outcome.value}: "
                                                      f"{s.reason}"}}
                                 for s in report.skipped]}],
        }],
    }
