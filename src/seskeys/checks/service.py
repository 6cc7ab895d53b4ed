"""Running the ledger checks against a vault."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from seskeys.checks import CheckReport, run_checks
from seskeys.checks.ledger import CHECKS, LedgerContext
from seskeys.config import Config
from seskeys.errors import IntegrityError
from seskeys.model import KeyRecord, RecordSummary
from seskeys.vault import Vault


def ledger_parameters(config: Config) -> dict[str, Mapping[str, Any]]:
    return {"ledger.key-age": {"max_key_age_days": config.max_key_age_days,
                               "due_soon_days": config.due_soon_days}}


def _authenticated_records(vault: Vault) -> list[KeyRecord]:
    """Every record, with every stored blob of it read: the body and the summary that `list`
    shows must both authenticate and agree, or the audit judges data nobody can see."""
    records = vault.records()
    summaries = {s.id: s for s in vault.summaries()}
    for record in records:
        if summaries.pop(record.id, None) != RecordSummary.of(record):
            raise IntegrityError(f"record {record.id}: its summary and its body disagree "
                                 "(tampered)")
    if summaries:
        raise IntegrityError(f"record {next(iter(summaries))}: a summary without a body")
    return records


def check_ledger(vault: Vault, config: Config, now: datetime) -> CheckReport:
    """Judge the records, after proving the log and every record row current and every blob
    authentic (an audit must not pass on a partially rolled-back or damaged vault)."""
    proof = vault.verify()
    if not proof.ok:
        raise IntegrityError(f"vault verification failed at event {proof.first_bad_seq}: "
                             f"{proof.problem}", hint="run `seskeys log --verify`")
    context = LedgerContext(records=_authenticated_records(vault), today=now.date(),
                            vault=vault.info(), log=proof)
    return run_checks(CHECKS, context, taken_at=now, scope="ledger",
                      parameters=ledger_parameters(config))
