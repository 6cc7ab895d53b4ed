"""The audit report: vault inventory, ledger checks, AWS audit and scan sections, compliance
view and the verified head of the event log, gathered into one result object.

Sections arrive as check reports from whichever services ran; a section that could not be
produced carries the reason instead, so the report always says what was not assessed.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from seskeys.aws.audit import AuditResult
from seskeys.checks import CheckReport
from seskeys.checks.scan import scan_report
from seskeys.checks.service import check_ledger
from seskeys.compliance import FrameworkResult, evaluate, load_frameworks
from seskeys.config import Config
from seskeys.events import Event, LogVerification
from seskeys.model import KeyRecord, Status
from seskeys.redact import mask_key_id
from seskeys.scan.scanner import ScanResult
from seskeys.vault import Vault, VaultInfo


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    report: CheckReport | None = None
    unavailable: str | None = None
    taken_at: datetime | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class InventoryRow:
    key_name: str
    client: str
    status: str
    key_id: str
    created_on: date
    age_days: int
    due_on: date | None
    state: str  # ok, due-soon, overdue, revoked, inactive
    creation_ticket: str | None
    revoked_on: date | None
    revocation_ticket: str | None
    revocation_reason: str | None
    region: str | None
    identity: str | None
    groups: tuple[str, ...]
    iam_user: str | None


@dataclass(frozen=True)
class ClientSummary:
    client: str
    active: int
    inactive: int
    revoked: int
    overdue: int
    due_soon: int


@dataclass(frozen=True)
class MonthActivity:
    month: str  # YYYY-MM
    created: int
    rotated: int
    revoked: int


@dataclass(frozen=True)
class Report:
    title: str
    generated_at: datetime
    vault: VaultInfo
    log: LogVerification
    max_key_age_days: int
    due_soon_days: int
    inventory: tuple[InventoryRow, ...]
    clients: tuple[ClientSummary, ...]
    sections: tuple[Section, ...]
    compliance: tuple[FrameworkResult, ...]
    activity: tuple[MonthActivity, ...]
    events: tuple[Event, ...] = field(default=())

    def reports(self) -> list[CheckReport]:
        return [s.report for s in self.sections if s.report is not None]


def _state(record: KeyRecord, today: date, max_age: int, soon: int) -> str:
    if record.status is Status.REVOKED:
        return "revoked"
    age = record.age_days(today)
    if age > max_age:
        return "overdue"
    if age > max_age - soon:
        return "due-soon"
    return "inactive" if record.status is Status.INACTIVE else "ok"


def inventory(records: Sequence[KeyRecord], today: date, max_age: int, soon: int
              ) -> tuple[InventoryRow, ...]:
    rows = []
    for r in records:
        live = r.status is not Status.REVOKED
        rows.append(InventoryRow(
            key_name=r.key_name, client=r.client, status=r.status.value,
            key_id=mask_key_id(r.access_key_id), created_on=r.created_on,
            age_days=((r.revoked_on or today) - r.created_on).days,
            due_on=r.created_on + timedelta(days=max_age) if live else None,
            state=_state(r, today, max_age, soon), creation_ticket=r.creation_ticket,
            revoked_on=r.revoked_on, revocation_ticket=r.revocation_ticket,
            revocation_reason=r.revocation_reason, region=r.ses_region,
            identity=r.ses_identity, groups=r.iam_groups, iam_user=r.iam_user))
    rows.sort(key=lambda x: (x.client.casefold(), x.status != "active", x.key_name))
    return tuple(rows)


def client_summaries(rows: Sequence[InventoryRow]) -> tuple[ClientSummary, ...]:
    status: dict[str, Counter[str]] = defaultdict(Counter)
    state: dict[str, Counter[str]] = defaultdict(Counter)
    for row in rows:
        status[row.client][row.status] += 1
        state[row.client][row.state] += 1
    return tuple(ClientSummary(client, s["active"], s["inactive"], s["revoked"],
                               state[client]["overdue"], state[client]["due-soon"])
                 for client, s in sorted(status.items(), key=lambda kv: kv[0].casefold()))


def monthly_activity(records: Sequence[KeyRecord], today: date, months: int = 12
                     ) -> tuple[MonthActivity, ...]:
    """Keys created, rotated (revoked with reason "rotated") and revoked, by ledger dates."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for r in records:
        counts[r.created_on.strftime("%Y-%m")]["created"] += 1
        if r.revoked_on:
            kind = "rotated" if (r.revocation_reason or "").strip().lower() == "rotated" \
                else "revoked"
            counts[r.revoked_on.strftime("%Y-%m")][kind] += 1
    out = []
    year, month = today.year, today.month
    for _ in range(months):
        key = f"{year:04d}-{month:02d}"
        c = counts.get(key, Counter())
        out.append(MonthActivity(key, c["created"], c["rotated"], c["revoked"]))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return tuple(reversed(out))


def build(vault: Vault, config: Config, now: datetime, extra_sections: Sequence[Section] = (),
          title: str = "SES access key audit") -> Report:
    """Gather the vault's side of the report and merge the sections other services produced."""
    verification = vault.verify()
    events = tuple(vault.events())
    records = vault.records()
    today = now.date()
    ledger = check_ledger(vault, config, now)
    sections = (Section("ledger", "Ledger checks", ledger, taken_at=now), *extra_sections)
    rows = inventory(records, today, config.max_key_age_days, config.due_soon_days)
    reports = [s.report for s in sections if s.report is not None]
    return Report(
        title=title, generated_at=now, vault=vault.info(), log=verification,
        max_key_age_days=config.max_key_age_days, due_soon_days=config.due_soon_days,
        inventory=rows, clients=client_summaries(rows), sections=tuple(sections),
        compliance=evaluate(load_frameworks(), reports),
        activity=monthly_activity(records, today), events=events)


def not_requested(key: str, title: str, how: str) -> Section:
    return Section(key, title, unavailable=f"not requested for this report ({how})")


def aws_sections(result: AuditResult) -> list[Section]:
    """One section per audited account; an account that failed says why."""
    return [Section(key=f"aws-{a.account_id or i}",
                    title=f"AWS audit — account {a.account_id or a.label}",
                    report=a.report, taken_at=result.taken_at,
                    unavailable=a.error if a.report is None else None,
                    notes=result.notes)
            for i, a in enumerate(result.accounts)]


def scan_section(result: ScanResult, taken_at: datetime, paths: Sequence[str]) -> Section:
    return Section(key="scan", title="Leak scan", report=scan_report(result, taken_at),
                   taken_at=taken_at,
                   notes=(f"scanned {result.files} files ({result.bytes / 2**20:.1f} MiB) under "
                          + ", ".join(paths)
                          + ("; attributed against the vault" if result.attributed else ""),))
