"""Checks on the vault's own records: the ledger against the template's rules."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from seskeys.checks import Check, Finding, MissingInput, Severity
from seskeys.events import LogVerification
from seskeys.model import KeyRecord, Status
from seskeys.redact import mask_key_id
from seskeys.template import TEMPLATE
from seskeys.validators import looks_like_secret
from seskeys.vault import VaultInfo

ISO = "ISO/IEC 27001:2022"
SOC2 = "SOC 2"
NIST = "NIST SP 800-53"
NIST63B = "NIST SP 800-63B"
CISC = "CIS Controls v8"


@dataclass(frozen=True)
class LedgerContext:
    records: Sequence[KeyRecord]
    today: date
    vault: VaultInfo | None = None
    log: LogVerification | None = None


def _about(record: KeyRecord) -> dict[str, Any]:
    return {"record": record.key_name, "client": record.client,
            "key_id": mask_key_id(record.access_key_id)}


def _live(records: Sequence[KeyRecord]) -> Iterator[KeyRecord]:
    return (r for r in records if r.status is not Status.REVOKED)


def _key_age(ctx: LedgerContext, p: Mapping[str, Any]) -> Iterator[Finding]:
    max_age, soon = int(p["max_key_age_days"]), int(p["due_soon_days"])
    for r in _live(ctx.records):
        age = r.age_days(ctx.today)
        due = r.created_on + timedelta(days=max_age)
        evidence = {"created_on": r.created_on.isoformat(), "age_days": age,
                    "due_on": due.isoformat(), "max_key_age_days": max_age}
        if age > max_age:
            yield KEY_AGE.finding(r.key_name, f"key is {age} days old (limit {max_age}); "
                                  f"rotation was due on {due.isoformat()}",
                                  evidence=evidence, **_about(r))
        elif age > max_age - soon:
            yield KEY_AGE.finding(r.key_name, f"rotation due on {due.isoformat()} "
                                  f"(in {max_age - age} days)", severity=Severity.LOW,
                                  evidence=evidence, **_about(r))


def _creation_ticket(ctx: LedgerContext, p: Mapping[str, Any]) -> Iterator[Finding]:
    for r in ctx.records:
        if not (r.creation_ticket or "").strip():
            yield CREATION_TICKET.finding(r.key_name, "no creation ticket is recorded",
                                          **_about(r))


def _revocation_record(ctx: LedgerContext, p: Mapping[str, Any]) -> Iterator[Finding]:
    for r in ctx.records:
        if r.status is not Status.REVOKED:
            continue
        missing = [name for name, value in (("revocation ticket", r.revocation_ticket),
                                            ("revocation reason", r.revocation_reason),
                                            ("revocation date", r.revoked_on)) if not value]
        if missing:
            yield REVOCATION_RECORD.finding(r.key_name, "revoked without " + ", ".join(missing),
                                            evidence={"missing": missing}, **_about(r))


def _no_groups(ctx: LedgerContext, p: Mapping[str, Any]) -> Iterator[Finding]:
    for r in _live(ctx.records):
        if not r.iam_groups:
            yield NO_GROUPS.finding(r.key_name, "no IAM group memberships are recorded",
                                    **_about(r))


def _active_without_secret(ctx: LedgerContext, p: Mapping[str, Any]) -> Iterator[Finding]:
    for r in ctx.records:
        if r.status is Status.ACTIVE and r.secret_access_key is None:
            yield ACTIVE_WITHOUT_SECRET.finding(
                r.key_name, "the record is active but the vault holds no secret for it",
                **_about(r))


def _duplicate_key_id(ctx: LedgerContext, p: Mapping[str, Any]) -> Iterator[Finding]:
    by_id: dict[str, list[KeyRecord]] = defaultdict(list)
    for r in ctx.records:
        by_id[r.access_key_id].append(r)
    for key_id, records in sorted(by_id.items()):
        live = [r for r in records if r.status is not Status.REVOKED]
        if len(records) > 1 and live:
            names = sorted(r.key_name for r in records)
            yield DUPLICATE_KEY_ID.finding(
                ", ".join(names), f"{len(records)} records hold access key "
                f"{mask_key_id(key_id)}", key_id=mask_key_id(key_id),
                evidence={"records": names}, client=live[0].client)


def _secret_in_text(ctx: LedgerContext, p: Mapping[str, Any]) -> Iterator[Finding]:
    """Records written before a stricter rule, or by a tool that did not apply it."""
    for r in ctx.records:
        fields = [f.id for f in TEMPLATE if not f.secret
                  and looks_like_secret(str(r.field_value(f.id) or ""))]
        if fields:
            yield SECRET_IN_TEXT.finding(r.key_name, "a value that looks like a secret is "
                                         f"stored in {', '.join(fields)}",
                                         evidence={"fields": fields}, **_about(r))


def _duplicate_secret(ctx: LedgerContext, p: Mapping[str, Any]) -> Iterator[Finding]:
    by_secret: dict[str, list[KeyRecord]] = defaultdict(list)
    for r in _live(ctx.records):
        secret = r.secret()
        if secret:
            by_secret[secret].append(r)
    for records in by_secret.values():
        key_ids = sorted({r.access_key_id for r in records})
        if len(key_ids) > 1:
            names = sorted(r.key_name for r in records)
            yield DUPLICATE_SECRET.finding(
                ", ".join(names), f"{len(key_ids)} access keys are recorded with the same "
                "secret; at most one of them is right", client=records[0].client,
                evidence={"records": names, "key_ids": [mask_key_id(k) for k in key_ids]})


def _insecure_kdf(ctx: LedgerContext, p: Mapping[str, Any]) -> Iterator[Finding]:
    if ctx.vault is not None and ctx.vault.insecure_kdf:
        yield INSECURE_KDF.finding(ctx.vault.location, f"the vault's key derivation is "
                                   f"{ctx.vault.kdf}: a stolen copy can be brute-forced",
                                   evidence={"kdf": ctx.vault.kdf})


def _event_log(ctx: LedgerContext, p: Mapping[str, Any]) -> Iterator[Finding]:
    """Evidence that the log was proven; `check_ledger` refuses to judge a broken one, so a
    finding here comes only from callers that judge a context they built themselves."""
    if ctx.log is None:
        raise MissingInput("the event log was not verified")
    if not ctx.log.ok:
        yield EVENT_LOG.finding("event log", f"the event log is broken at event "
                                f"{ctx.log.first_bad_seq}: {ctx.log.problem}",
                                evidence={"events_verified": ctx.log.events})


KEY_AGE = Check(
    id="ledger.key-age", title="Key older than the rotation limit", severity=Severity.HIGH,
    scope="ledger", run=_key_age,
    rationale="Rule 5: keys are rotated regularly; an old key has had longer to leak.",
    remediation="Rotate the key: `seskeys aws rotate NAME --ticket T` (or `seskeys rotate`).",
    parameters={"max_key_age_days": 90, "due_soon_days": 14},
    references={ISO: ["A.5.17", "A.8.24"], SOC2: ["CC6.1"], NIST: ["IA-5(1)", "AC-2"],
                CISC: ["5.2"], "CIS AWS Foundations": ["1.14 (v1.5-v3.0)", "1.13 (v4.0-v6.0)"]},
)
CREATION_TICKET = Check(
    id="ledger.creation-ticket", title="Key without a creation ticket", severity=Severity.MEDIUM,
    scope="ledger", run=_creation_ticket,
    rationale="Rule 6: every key activity is logged with its creation ticket number.",
    remediation="Record the approving ticket: `seskeys edit NAME --set creation_ticket=T "
                "--ticket T`.",
    references={ISO: ["A.8.15", "A.8.32"], SOC2: ["CC8.1"], NIST: ["AU-2", "CM-3"],
                CISC: ["8.2"]},
)
REVOCATION_RECORD = Check(
    id="ledger.revocation-record", title="Revoked key without ticket, reason or date",
    severity=Severity.MEDIUM, scope="ledger", run=_revocation_record,
    rationale="Rule 6: a revocation is logged with its ticket number, reason and date.",
    remediation="Complete the record: `seskeys edit NAME --set revocation_ticket=T --set "
                "revocation_reason=R --set revoked_on=YYYY-MM-DD --ticket T`.",
    references={ISO: ["A.8.15", "A.5.18"], SOC2: ["CC6.2", "CC8.1"], NIST: ["AU-2", "AC-2"],
                CISC: ["8.2"]},
)
NO_GROUPS = Check(
    id="ledger.no-groups", title="Key user without IAM group memberships",
    severity=Severity.MEDIUM, scope="ledger", run=_no_groups,
    rationale="Rule 3: permissions are granted only through IAM groups.",
    remediation="Put the IAM user in its sending group and record it: `seskeys edit NAME --set "
                "iam_groups=GROUP --ticket T`.",
    references={ISO: ["A.5.15", "A.5.18"], SOC2: ["CC6.3"], NIST: ["AC-2", "AC-6"],
                CISC: ["6.8"], "CIS AWS Foundations": ["1.15 (v1.5-v3.0)", "1.14 (v4.0-v6.0)"]},
)
ACTIVE_WITHOUT_SECRET = Check(
    id="ledger.active-without-secret", title="Active key without its secret in the vault",
    severity=Severity.HIGH, scope="ledger", run=_active_without_secret,
    rationale="Rule 1: keys live only in the password manager; an active key whose secret is "
              "not in the vault lives somewhere else.",
    remediation="Find where the secret is kept, rotate the key, and store the new one here.",
    references={ISO: ["A.5.17", "A.8.24"], SOC2: ["CC6.1"], NIST63B: ["5.1.1"],
                NIST: ["IA-5"], CISC: ["3.11"]},
)
DUPLICATE_KEY_ID = Check(
    id="ledger.duplicate-key-id", title="One access key held by several records",
    severity=Severity.HIGH, scope="ledger", run=_duplicate_key_id,
    rationale="Each key has one owner and one history; duplicates make revocation unreliable.",
    remediation="Revoke or merge the duplicates so one live record holds the key.",
    references={ISO: ["A.5.16"], SOC2: ["CC6.1"], NIST: ["IA-4"], CISC: ["5.1"]},
)
SECRET_IN_TEXT = Check(
    id="ledger.secret-in-text", title="Secret stored in a text field",
    severity=Severity.CRITICAL, scope="ledger", run=_secret_in_text,
    rationale="Rule 1: text fields are shown, exported and logged in clear; a secret pasted "
              "into one has left the password manager's protection.",
    remediation="Rotate the key (the secret is in the event log and exports), then clear the "
                "field with `seskeys edit NAME --set FIELD=... --ticket T`.",
    references={ISO: ["A.5.17", "A.8.12"], SOC2: ["CC6.1"], NIST: ["IA-5"],
                NIST63B: ["5.1.1"], CISC: ["3.11"]},
)
DUPLICATE_SECRET = Check(
    id="ledger.duplicate-secret", title="One secret recorded for several access keys",
    severity=Severity.HIGH, scope="ledger", run=_duplicate_secret,
    rationale="Each access key has its own secret; the same secret under two key ids means a "
              "record was filled in wrong, and leak attribution names the wrong owner.",
    remediation="Find which key the secret belongs to (a test send with each key id), then "
                "give the other record its own secret with `seskeys edit NAME --secret-stdin "
                "--ticket T`, or rotate that key if its secret is lost.",
    references={ISO: ["A.5.17"], SOC2: ["CC6.1"], NIST: ["IA-5"], CISC: ["5.1"]},
)
INSECURE_KDF = Check(
    id="vault.insecure-kdf", title="Vault created with the insecure test KDF profile",
    severity=Severity.CRITICAL, scope="ledger", run=_insecure_kdf,
    rationale="The insecure-test profile makes the master password cheap to brute-force.",
    remediation="Create a vault with `seskeys init` (standard profile) and move the records, or "
                "run `seskeys passwd`, which re-derives with calibrated parameters.",
    references={ISO: ["A.8.24"], SOC2: ["CC6.1"], NIST63B: ["5.1.1.2"], CISC: ["3.11"]},
)

EVENT_LOG = Check(
    id="vault.event-log", title="Event log chain broken", severity=Severity.CRITICAL,
    scope="ledger", run=_event_log,
    rationale="Rule 6: the log of key activity is evidence only while its HMAC chain is "
              "unbroken; a break means events were removed, reordered or altered.",
    remediation="Restore the vault from a backup taken before the break and investigate who "
                "had write access to the vault file.",
    references={ISO: ["A.8.15"], SOC2: ["CC7.2"], NIST: ["AU-9", "AU-10"], CISC: ["8.3"]},
)

CHECKS: tuple[Check, ...] = (KEY_AGE, CREATION_TICKET, REVOCATION_RECORD, NO_GROUPS,
                             ACTIVE_WITHOUT_SECRET, DUPLICATE_KEY_ID, SECRET_IN_TEXT,
                             DUPLICATE_SECRET, INSECURE_KDF, EVENT_LOG)
