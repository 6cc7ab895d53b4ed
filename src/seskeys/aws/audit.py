"""The AWS audit service: collect each account once, evaluate, judge, reconcile with the vault.

Entry point: :func:`audit`. It takes its dependencies as arguments (options or files, the
vault or ``None``, configuration, clock) and returns an :class:`AuditResult` holding one
:class:`~seskeys.checks.CheckReport` per account plus the accounts that could not be audited.
Reports and the CLI reuse it; it never prints.

Live accounts are audited concurrently; one failing account is recorded, not fatal to others.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import boto3

from seskeys.aws import collect
from seskeys.aws.access import UserAccess, analyze
from seskeys.aws.accounts import AccountTarget, account_session, resolve_targets
from seskeys.aws.context import AwsContext
from seskeys.aws.offline import AuditFiles, load_snapshot
from seskeys.aws.policy import ses_action_universe
from seskeys.aws.session import AwsOptions, client, describe_aws_error, make_session
from seskeys.aws.snapshot import AccountSnapshot
from seskeys.checks import Check, CheckReport, Skipped, run_checks
from seskeys.checks import drift as drift_checks
from seskeys.checks import iam as iam_checks
from seskeys.config import Config
from seskeys.model import KeyRecord
from seskeys.vault import Vault

Progress = Callable[[str, str], None]  # (account label, step) — "done" ends an account


@dataclass(frozen=True)
class AuditOptions:
    """Live (``aws``) or offline (``files``); exactly one is set."""

    aws: AwsOptions | None = None
    files: AuditFiles | None = None
    allow_bulk_sends: bool = True
    workers: int = 8
    account_workers: int = 4


@dataclass(frozen=True)
class AccountAudit:
    label: str
    account_id: str | None
    report: CheckReport | None = None
    snapshot: AccountSnapshot | None = None
    error: str | None = None  # the account could not be audited at all


@dataclass(frozen=True)
class AuditResult:
    taken_at: datetime
    accounts: tuple[AccountAudit, ...]
    checks: tuple[Check, ...]
    drift: bool
    notes: tuple[str, ...] = ()

    def failed(self) -> list[AccountAudit]:
        return [a for a in self.accounts if a.error]

    def combined(self) -> CheckReport:
        """All accounts as one report (SARIF, --fail-on); skips carry their account."""
        findings = tuple(f for a in self.accounts if a.report for f in a.report.findings)
        skipped = tuple(Skipped(s.check_id, s.outcome, f"{a.account_id}: {s.reason}")
                        for a in self.accounts if a.report for s in a.report.skipped)
        notes = self.notes + tuple(f"{a.label}: not audited: {a.error}" for a in self.failed())
        return CheckReport(taken_at=self.taken_at, scope="aws", checks=self.checks,
                           findings=findings, skipped=skipped, notes=notes)


@dataclass(frozen=True)
class _Run:
    """What every account's audit shares."""

    options: AuditOptions
    config: Config
    now: datetime
    universe: frozenset[str]
    records: Sequence[KeyRecord] | None
    no_vault_reason: str
    single: bool
    progress: Progress
    sleep: Callable[[float], None]


def all_aws_checks(drift: bool = True) -> tuple[Check, ...]:
    return iam_checks.CHECKS + (drift_checks.CHECKS if drift else ())


def parameters(config: Config, options: AuditOptions) -> dict[str, Mapping[str, Any]]:
    sends = {"allow_bulk_sends": options.allow_bulk_sends}
    return {"aws.key-age": {"max_key_age_days": config.max_key_age_days},
            "aws.key-unused": {"unused_key_days": config.unused_key_days},
            "aws.password-unused": {"unused_key_days": config.unused_key_days},
            "aws.ses-least-privilege": sends, "aws.ses-broad-access": sends}


def records_for(account: AccountSnapshot, records: Sequence[KeyRecord] | None,
                single: bool) -> list[KeyRecord] | None:
    """The vault records that belong to this account.

    A record naming an account belongs to it; one without an account id belongs to the only
    audited account, or to the account where its IAM user or key is found.
    """
    if records is None:
        return None
    users = set(account.users or ()) | set(account.listed_keys)
    found = {k for k, lk in account.key_lookups.items() if lk.exists}
    return [r for r in records
            if r.aws_account_id == account.account_id or
            (not r.aws_account_id and (single or r.iam_user in users
                                       or r.access_key_id in found))]


def _judge(snapshot: AccountSnapshot, access: Mapping[str, UserAccess], run: _Run) -> CheckReport:
    records = records_for(snapshot, run.records, run.single)
    ctx = AwsContext(snapshot=snapshot, access=access, now=run.now, records=records,
                     no_vault_reason=run.no_vault_reason)
    return run_checks(all_aws_checks(), ctx, taken_at=snapshot.taken_at, scope="aws",
                      parameters=parameters(run.config, run.options),
                      notes=account_notes(snapshot, access, run.now))


def account_notes(snapshot: AccountSnapshot, access: Mapping[str, UserAccess],
                  now: datetime) -> list[str]:
    notes = [f"source: {snapshot.source}" + (f" ({snapshot.label})" if snapshot.label else "")]
    report = snapshot.credential_report
    if report and report.generated_at:
        hours = (now - report.generated_at).total_seconds() / 3600
        notes.append(f"credential report generated {report.generated_at.isoformat()} "
                     f"({hours:.1f} h before the audit; AWS serves reports up to 4 h old)")
    elif report:
        notes.append("credential report generation time unknown (raw CSV)")
    notes += [f"not collected: {e.what}: {e.reason}" for e in snapshot.errors]
    notes += [f"input problem: {p}" for p in snapshot.problems]
    unresolved = sorted({u for a in access.values() for u in a.unresolved})
    if unresolved:
        notes.append("permissions unknown through (no document in the input): "
                     + ", ".join(unresolved[:10]) + (" …" if len(unresolved) > 10 else ""))
    notes += sorted({p for a in access.values() for p in a.problems})
    return notes


KEY_LEVEL_CHECKS = (iam_checks.KEY_AGE, iam_checks.KEY_UNUSED, iam_checks.TWO_KEYS,
                    iam_checks.INACTIVE_KEY)


def _key_targets(snapshot: AccountSnapshot, access: Mapping[str, UserAccess],
                 run: _Run) -> tuple[set[str], set[str]]:
    """(users to list keys of, key ids to look up).

    The credential report already holds every key's state, age and last use; only key ids are
    missing, and ids matter where a record must be matched or a finding names a key. So keys
    are listed for: the vault's users; SES key users with a key-level finding in the report;
    and, when a vault is open, every SES key user with an active key (an id the vault lacks is
    a drift finding). Without a report, every SES key user is listed.
    """
    records = records_for(snapshot, run.records, run.single) or []
    ctx = AwsContext(snapshot=snapshot, access=access, now=run.now, records=records)
    existing = set(snapshot.users or ())
    users = ctx.vault_users() & existing
    ses_users = set(ctx.ses_key_users)
    if snapshot.credential_report is None:
        users |= ses_users
    else:
        pre = run_checks(KEY_LEVEL_CHECKS, ctx, taken_at=run.now, scope="aws",
                         parameters=parameters(run.config, run.options))
        users |= {f.principal for f in pre.findings if f.principal in ses_users}
        if run.records is not None:
            users |= {k.user for k in ctx.keys if k.active and k.user in ses_users}
    return users, {r.access_key_id for r in records}


def _audit_live(target: AccountTarget, session: boto3.Session, account_id: str,
                run: _Run) -> AccountAudit:
    assert run.options.aws is not None
    pace = collect.Pace(sleep=run.sleep, workers=run.options.workers)
    iam = client(session, "iam", run.options.aws)
    run.progress(target.label, "inventory")
    snapshot = collect.collect_inventory(iam, account_id, run.now, pace, label=target.label)
    run.progress(target.label, "permissions")
    access = analyze(snapshot, run.universe)
    users, key_ids = _key_targets(snapshot, access, run)
    run.progress(target.label, f"keys of {len(users)} user(s)")
    snapshot = collect.collect_keys(iam, snapshot, users, key_ids, pace)
    report = _judge(snapshot, access, run)
    run.progress(target.label, "done")
    return AccountAudit(target.label, account_id, report, snapshot)


def _safe_live(target: AccountTarget, session: boto3.Session, account_id: str,
               run: _Run) -> AccountAudit:
    try:
        return _audit_live(target, session, account_id, run)
    except collect.AWS_ERRORS as exc:
        run.progress(target.label, "done")
        return AccountAudit(target.label, account_id, error=describe_aws_error(exc))


def _live(run: _Run) -> list[AccountAudit]:
    options = run.options.aws
    assert options is not None
    base = make_session(options)
    targets = resolve_targets(base, options)
    run = dataclasses.replace(run, single=len(targets) == 1)
    ready: list[tuple[AccountTarget, boto3.Session, str]] = []
    failed: list[AccountAudit] = []
    for target in targets:  # sessions are made here: boto3 sessions are not thread-safe
        try:
            session, account_id = account_session(base, target, options)
            ready.append((target, session, account_id))
        except collect.AWS_ERRORS as exc:
            failed.append(AccountAudit(target.label, target.account_id,
                                       error=describe_aws_error(exc)))
            run.progress(target.label, "done")
    workers = max(1, min(run.options.account_workers, len(ready)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        done = list(pool.map(lambda t: _safe_live(t[0], t[1], t[2], run), ready))
    by_label = {a.label: a for a in [*done, *failed]}
    return [by_label[t.label] for t in targets]


def _offline(run: _Run) -> list[AccountAudit]:
    files = run.options.files
    assert files is not None
    snapshot = load_snapshot(files, run.now)
    run.progress(snapshot.label or "files", "permissions")
    access = analyze(snapshot, run.universe)
    report = _judge(snapshot, access, run)
    run.progress(snapshot.label or "files", "done")
    return [AccountAudit(snapshot.label or "files", snapshot.account_id, report, snapshot)]


def audit(options: AuditOptions, vault: Vault | None, config: Config,
          clock: Callable[[], datetime], *, progress: Progress | None = None,
          sleep: Callable[[float], None] = time.sleep,
          no_vault_reason: str = "no vault was opened (drift not judged)",
          universe: frozenset[str] | None = None) -> AuditResult:
    """Audit the accounts (live) or the exported files (offline) named by ``options``.

    ``vault`` None skips the drift checks, which are then reported as skipped with
    ``no_vault_reason``. ``universe`` is the SES action set (loaded from botocore's models
    when not given; callers that audit many times load it once). Raises
    :class:`~seskeys.errors.InputError` for unreadable files and
    :class:`~seskeys.errors.ExternalError` when no AWS session can be made; an account that
    fails is returned in the result with its error.
    """
    if (options.aws is None) == (options.files is None):
        raise ValueError("audit needs exactly one of live options and files")
    now = clock()
    records = vault.records() if vault is not None else None
    run = _Run(options=options, config=config, now=now,
               universe=universe if universe is not None else ses_action_universe(),
               records=records, no_vault_reason=no_vault_reason, single=True,
               progress=progress or (lambda label, step: None), sleep=sleep)
    accounts = _offline(run) if options.files else _live(run)
    notes = () if vault is not None else (no_vault_reason,)
    return AuditResult(taken_at=now, accounts=tuple(accounts), checks=all_aws_checks(),
                       drift=vault is not None, notes=notes)
