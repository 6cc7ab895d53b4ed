"""Building snapshots and contexts for the AWS checks from the JSON/CSV fixtures."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from seskeys.aws import credreport
from seskeys.aws.access import analyze
from seskeys.aws.context import AwsContext
from seskeys.aws.offline import AuditFiles, load_snapshot
from seskeys.aws.policy import ses_action_universe
from seskeys.aws.snapshot import AccountSnapshot
from seskeys.checks import Check, Finding
from seskeys.model import KeyRecord

DATA = Path(__file__).resolve().parent.parent / "data" / "aws"
NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
HEADER = ("user,arn,user_creation_time,password_enabled,password_last_used,"
          "password_last_changed,password_next_rotation,mfa_active,access_key_1_active,"
          "access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,"
          "access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,"
          "access_key_2_last_used_date,access_key_2_last_used_region,"
          "access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,"
          "cert_2_last_rotated")


def report_csv(*rows: str) -> str:
    return "\n".join((HEADER, *rows)) + "\n"


def user_row(user: str, *, password: str = "false", password_last_used: str = "N/A",  # noqa: S107
             password_last_changed: str = "N/A", mfa: str = "false",  # noqa: S107
             key1: tuple[str, str, str] = ("false", "N/A", "N/A"),
             key2: tuple[str, str, str] = ("false", "N/A", "N/A"),
             account: str = "111122223333", created: str = "2020-01-01T00:00:00+00:00") -> str:
    k1 = f"{key1[0]},{key1[1]},{key1[2]},N/A,N/A"
    k2 = f"{key2[0]},{key2[1]},{key2[2]},N/A,N/A"
    return (f"{user},arn:aws:iam::{account}:user/{user},{created},{password},"
            f"{password_last_used},{password_last_changed},N/A,{mfa},{k1},{k2},false,N/A,"
            "false,N/A")


def snapshot_from_csv(text: str, **extra: Any) -> AccountSnapshot:
    return AccountSnapshot(account_id="111122223333", taken_at=NOW, source="files",
                           credential_report=credreport.parse_csv(text), **extra)


def snapshot_from_files(gaad: str | None = "gaad-ses.json",
                        report: str | None = "credential-report-root.csv",
                        **extra: Any) -> AccountSnapshot:
    files = AuditFiles(DATA / gaad if gaad else None, DATA / report if report else None)
    snapshot = load_snapshot(files, NOW)
    if extra:
        import dataclasses

        snapshot = dataclasses.replace(snapshot, **extra)
    return snapshot


def context(snapshot: AccountSnapshot, records: Sequence[KeyRecord] | None = None,
            now: datetime = NOW) -> AwsContext:
    return AwsContext(snapshot=snapshot, access=analyze(snapshot, ses_action_universe()),
                      now=now, records=records)


def run(check: Check, ctx: AwsContext, **params: Any) -> list[Finding]:
    return list(check.run(ctx, {**check.parameters, **params}))


def subjects(findings: Sequence[Finding]) -> list[str]:
    return sorted(f.subject for f in findings)
