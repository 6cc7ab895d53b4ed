"""Leak-scan outcomes as checks, so every report format (table, JSON, Markdown, SARIF) shows
them. The scanner judges each value found (see ``seskeys.scan.attribution``); each verdict is
one check here, with its severity, rationale and what to do. Values are always redacted.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from seskeys.checks import Check, CheckReport, Finding, MissingInput, Severity, run_checks
from seskeys.model import KeyRecord, Status
from seskeys.redact import mask_key_id, redact_token
from seskeys.scan.attribution import Judged, Verdict
from seskeys.scan.detectors import Kind, classify_key_id
from seskeys.scan.scanner import ScanResult

ISO = "ISO/IEC 27001:2022"
SOC2 = "SOC 2"
NIST = "NIST SP 800-53"
CISC = "CIS Controls v8"
CWE = "CWE"
_LEAK_REFS = {ISO: ["A.5.17", "A.8.12"], SOC2: ["CC6.1"], NIST: ["IA-5(7)", "SC-28"],
              CISC: ["3.11", "16.12"], CWE: ["CWE-798", "CWE-312"]}


@dataclass(frozen=True)
class ScanContext:
    result: ScanResult


def _result(context: Any) -> ScanResult:
    if not isinstance(context, ScanContext):
        raise MissingInput("no scan was run")
    return context.result


def _runner(verdict: Verdict) -> Any:
    def run(context: Any, params: Mapping[str, Any]) -> Iterator[Finding]:
        result = _result(context)
        for item in result.judged:
            if item.verdict is verdict:
                yield _finding(item, attributed=result.attributed)
    return run


ACTIVE_KEY_LEAKED = Check(
    id="scan.active-key-leaked", title="Secret of a live ledger key found in plaintext",
    severity=Severity.CRITICAL, scope="scan",
    rationale="Keys live only in the password manager. A secret access key or SMTP password "
              "of a key that is not revoked, readable in a file, e-mail, document or history, "
              "lets anyone who reads it send mail as the client.",
    remediation="Treat the key as compromised: open a ticket, rotate it (seskeys rotate NAME "
                "--ticket T, or seskeys aws rotate) and revoke the old key, check its last use, "
                "then remove the copy (and purge it from history). Cannot be allowlisted.",
    run=_runner(Verdict.ACTIVE_LEAK), references=_LEAK_REFS)
REVOKED_KEY_LEAKED = Check(
    id="scan.revoked-key-leaked", title="Secret of a revoked ledger key found in plaintext",
    severity=Severity.LOW, scope="scan",
    rationale="A revoked key no longer works if it was deleted in AWS, but the copy shows "
              "where secrets are handled outside the password manager.",
    remediation="Confirm the key is deleted in AWS (seskeys aws audit), remove the copy, and "
                "fix the habit that put it there.",
    run=_runner(Verdict.REVOKED_LEAK), references=_LEAK_REFS)
SECRET_ACCESS_KEY = Check(
    id="scan.secret-access-key", title="AWS secret access key in plaintext",
    severity=Severity.HIGH, scope="scan",
    rationale="A 40-character secret access key next to AWS context; not matched to the "
              "ledger (unknown key, or no vault unlocked).",
    remediation="Find the owner (scan again with the vault unlocked), rotate the key if it is "
                "live, record SES keys in the ledger, and remove the copy.",
    run=_runner(Verdict.SECRET), references=_LEAK_REFS)
SMTP_PASSWORD = Check(
    id="scan.smtp-password", title="Amazon SES SMTP password in plaintext",
    severity=Severity.HIGH, scope="scan",
    rationale="A value that decodes as an SES SMTP password (version byte 4, or 2 for the "
              "legacy form) works with the key id as SMTP credentials; not matched to the "
              "ledger.",
    remediation="Find the owner (scan again with the vault unlocked), rotate the key behind "
                "it, and remove the copy.",
    run=_runner(Verdict.SMTP), references=_LEAK_REFS)
LEDGER_KEY_ID = Check(
    id="scan.ledger-key-id", title="Access key id of a ledger key in plaintext",
    severity=Severity.MEDIUM, scope="scan",
    rationale="A key id alone is not a credential, but it names the key to attack and often "
              "travels with its secret.",
    remediation="Check the surroundings for the secret; keep key ids out of shared text "
                "where they are not needed.",
    run=_runner(Verdict.LEDGER_KEY_ID), references={ISO: ["A.5.12"], CWE: ["CWE-200"]})
ACCESS_KEY_ID = Check(
    id="scan.access-key-id", title="AWS access key id in plaintext",
    severity=Severity.LOW, scope="scan",
    rationale="An AKIA (long-term) or ASIA (temporary) access key id that the ledger does not "
              "know; its secret may be nearby or elsewhere.",
    remediation="Find the owner; if it is an SES key, add it to the ledger.",
    run=_runner(Verdict.KEY_ID), references={ISO: ["A.5.12"], CWE: ["CWE-200"]})
EXAMPLE_KEY = Check(
    id="scan.example-key", title="AWS documentation example or placeholder key",
    severity=Severity.INFO, scope="scan",
    rationale="Example values from the AWS documentation (AKIAIOSFODNN7EXAMPLE and similar) "
              "and obvious placeholders are not credentials; shown only with "
              "--include-examples.",
    remediation="Nothing to do.", run=_runner(Verdict.EXAMPLE))
AWS_IDENTIFIER = Check(
    id="scan.aws-identifier", title="AWS unique identifier (not a credential)",
    severity=Severity.INFO, scope="scan",
    rationale="AIDA (user), AROA (role), AGPA (group) and similar ids name principals; they "
              "are not credentials. Shown only with --include-identifiers.",
    remediation="Nothing to do.", run=_runner(Verdict.IDENTIFIER))

CHECKS: tuple[Check, ...] = (ACTIVE_KEY_LEAKED, REVOKED_KEY_LEAKED, SECRET_ACCESS_KEY,
                             SMTP_PASSWORD, LEDGER_KEY_ID, ACCESS_KEY_ID, EXAMPLE_KEY,
                             AWS_IDENTIFIER)
CHECK_OF: Mapping[Verdict, Check] = {
    Verdict.ACTIVE_LEAK: ACTIVE_KEY_LEAKED, Verdict.REVOKED_LEAK: REVOKED_KEY_LEAKED,
    Verdict.SECRET: SECRET_ACCESS_KEY, Verdict.SMTP: SMTP_PASSWORD,
    Verdict.LEDGER_KEY_ID: LEDGER_KEY_ID, Verdict.KEY_ID: ACCESS_KEY_ID,
    Verdict.EXAMPLE: EXAMPLE_KEY, Verdict.IDENTIFIER: AWS_IDENTIFIER}


def check_id_of(item: Judged) -> str:
    return CHECK_OF[item.verdict].id


def scan_report(result: ScanResult, taken_at: datetime) -> CheckReport:
    return run_checks(CHECKS, ScanContext(result), taken_at=taken_at, scope="scan",
                      notes=_notes(result))


_LISTED_SKIPS = 20


def _notes(result: ScanResult) -> list[str]:
    notes = [f"scanned {result.files} file(s)/blob(s), {result.bytes / 2**20:.1f} MB in "
             f"{result.seconds:.2f} s ({result.mb_per_second:.0f} MB/s)",
             "attribution: " + ("on (ledger unlocked)" if result.attributed
                                else "off (no vault unlocked, or --no-ledger): values are "
                                     "not matched to records")]
    if result.skipped:
        listed = "; ".join(f"{path} ({why})" for path, why in result.skipped[:_LISTED_SKIPS])
        more = len(result.skipped) - _LISTED_SKIPS
        notes.append(f"{len(result.skipped)} not scanned: {listed}"
                     + (f"; and {more} more" if more > 0 else ""))
    if result.suppressed_inline or result.suppressed_baseline:
        notes.append(f"suppressed: {result.suppressed_inline} by inline allow comments, "
                     f"{result.suppressed_baseline} by the baseline")
    if result.hidden_examples:
        notes.append(f"{result.hidden_examples} documentation example(s) hidden "
                     "(--include-examples shows them)")
    return notes


# -- one finding --------------------------------------------------------------------------------

def _finding(item: Judged, *, attributed: bool) -> Finding:
    hit, loc = item.found.hit, item.found.location
    check = CHECK_OF[item.verdict]
    evidence: dict[str, Any] = {"kind": hit.kind.value}
    if hit.encoding:
        evidence["encoding"] = hit.encoding
    if loc.part:
        evidence["part"] = loc.part
        evidence["line"] = loc.line
    if loc.commit:
        evidence["commit"] = loc.commit
    if item.how:
        evidence["matched_by"] = item.how
    if hit.smtp_version:
        evidence["smtp_version"] = hit.smtp_version.value
    if item.smtp_region:
        evidence["smtp_region"] = item.smtp_region
    if hit.near_key_id and hit.kind is not Kind.KEY_ID:
        evidence["near_key_id"] = mask_key_id(hit.near_key_id)
    record = item.record
    key_id = hit.token if hit.kind is Kind.KEY_ID else (
        record.access_key_id if record else hit.near_key_id)
    return check.finding(
        _subject(item), _message(item, attributed=attributed),
        severity=_severity(item), location=loc.path if loc.part else f"{loc.path}:{loc.line}",
        key_id=mask_key_id(key_id) if key_id else None,
        record=record.key_name if record else None, client=record.client if record else None,
        evidence=evidence)


def _subject(item: Judged) -> str:
    hit = item.found.hit
    return mask_key_id(hit.token) if hit.kind is Kind.KEY_ID else redact_token(hit.token)


def _severity(item: Judged) -> Severity | None:
    if item.verdict is Verdict.ACTIVE_LEAK and item.record is not None \
            and item.record.status is Status.INACTIVE:
        return Severity.HIGH
    return None


def _what(item: Judged) -> str:
    hit = item.found.hit
    if hit.kind is Kind.SECRET:
        return "secret access key"
    if hit.kind is Kind.SMTP:
        version = "legacy v2" if hit.smtp_version and hit.smtp_version.value == "v2" else "v4"
        region = f", {item.smtp_region}" if item.smtp_region and "v2" not in item.smtp_region \
            else ""
        return f"SES SMTP password ({version}{region})"
    return classify_key_id(hit.token).value


def _owner(record: KeyRecord) -> str:
    state = record.status.value
    if record.revoked and record.revoked_on:
        state += f" on {record.revoked_on.isoformat()}"
    return f"key {record.key_name!r} (client {record.client}, {state})"


def _message(item: Judged, *, attributed: bool) -> str:
    what, record, hit = _what(item), item.record, item.found.hit
    where = " in the repository history" if item.found.location.commit else ""
    encoded = f" ({hit.encoding})" if hit.encoding else ""
    if item.verdict is Verdict.ACTIVE_LEAK and record is not None:
        return (f"{what} of {_owner(record)} found in plaintext{where}{encoded}: revoke and "
                f"rotate it now with a ticket (seskeys rotate {record.key_name} --ticket ...), "
                "then remove the copy")
    if item.verdict is Verdict.REVOKED_LEAK and record is not None:
        return (f"{what} of {_owner(record)} found{where}{encoded}: confirm the key is deleted "
                "in AWS and remove the copy")
    if item.verdict is Verdict.LEDGER_KEY_ID and record is not None:
        return f"access key id of {_owner(record)} found{where}"
    if item.verdict in (Verdict.SECRET, Verdict.SMTP):
        return (f"{what}{encoded}{_pairing(item)}; "
                + ("not in the ledger" if attributed else "owner unknown (not matched to a vault)"))
    if item.verdict is Verdict.EXAMPLE:
        return f"{what}: AWS documentation example or placeholder"
    return what


def _pairing(item: Judged) -> str:
    key_id = item.found.hit.near_key_id
    if not key_id:
        return ""
    if item.paired_record is not None:
        return (f" next to the key id of {_owner(item.paired_record)}, but it does not match "
                "that key's secret (stale, mistyped, or another key)")
    return f" next to key id {mask_key_id(key_id)}"
