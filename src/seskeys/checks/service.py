"""Running the ledger checks against a vault."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from seskeys.checks import CheckReport, run_checks
from seskeys.checks.ledger import CHECKS, LedgerContext
from seskeys.config import Config
from seskeys.errors import IntegrityError
from seskeys.vault import Vault


def ledger_parameters(config: Config) -> dict[str, Mapping[str, Any]]:
    return {"ledger.key-age": {"max_key_age_days": config.max_key_age_days,
                               "due_soon_days": config.due_soon_days}}


def check_ledger(vault: Vault, config: Config, now: datetime) -> CheckReport:
    """Judge the records, after proving the log and every record row current (an audit must
    not pass on a partially rolled-back vault)."""
    proof = vault.verify()
    if not proof.ok:
        raise IntegrityError(f"event log broken at event {proof.first_bad_seq}: {proof.problem}",
                             hint="run `seskeys log --verify`")
    context = LedgerContext(records=vault.records(), today=now.date(), vault=vault.info(),
                            log=proof)
    return run_checks(CHECKS, context, taken_at=now, scope="ledger",
                      parameters=ledger_parameters(config))
