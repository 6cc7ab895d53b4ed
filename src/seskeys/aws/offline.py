"""The offline audit's input: files the AWS CLI writes, parsed into the same snapshot.

* ``aws iam get-account-authorization-details`` (one merged object, or a list of pages);
  policy documents as objects, JSON strings or URL-encoded strings;
* ``aws iam get-credential-report`` (its JSON with base64 ``Content``) or the raw CSV;
* optionally ``aws iam list-access-keys`` output(s), which give key ids for drift.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from seskeys.aws import credreport, gaad
from seskeys.aws.snapshot import AccountSnapshot, ApiKey, CredentialReport, account_of_arn
from seskeys.errors import InputError


@dataclass(frozen=True)
class AuditFiles:
    authorization_details: Path | None = None
    credential_report: Path | None = None
    access_keys: tuple[Path, ...] = ()
    account_id: str | None = None


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {what} file {path}: {exc.strerror}") from None


def _json(path: Path, what: str) -> Any:
    try:
        return json.loads(credreport.decode_text(_read(path, what)))
    except UnicodeDecodeError:
        raise InputError(f"{what} file {path} is not UTF-8 (or UTF-16 with a BOM) text") \
            from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{what} file {path} is not JSON: {exc.msg} (line {exc.lineno})") \
            from None


def load_report(path: Path) -> CredentialReport:
    try:
        return credreport.parse_file(_read(path, "credential report"))
    except UnicodeDecodeError:
        raise InputError(f"credential report file {path} is not UTF-8 (or UTF-16 with a BOM) "
                         "text") from None
    except InputError as exc:
        raise InputError(f"{path}: {exc.message}", hint=exc.hint) from None


def load_access_keys(paths: Sequence[Path]) -> dict[str, tuple[ApiKey, ...]]:
    by_user: dict[str, list[ApiKey]] = {}
    for path in paths:
        document = _json(path, "access keys")
        items = document if isinstance(document, list) else [document]
        for item in items:
            entries = item.get("AccessKeyMetadata", [item]) if isinstance(item, Mapping) else None
            if entries is None:
                raise InputError(f"{path}: not the output of `aws iam list-access-keys`")
            for k in entries:
                try:
                    key = ApiKey(key_id=str(k["AccessKeyId"]), user=str(k["UserName"]),
                                 status=str(k.get("Status", "")),
                                 created=credreport.parse_time(k.get("CreateDate")))
                except (KeyError, TypeError, InputError):
                    raise InputError(f"{path}: an access key entry lacks AccessKeyId, "
                                     "UserName or a valid CreateDate") from None
                by_user.setdefault(key.user, []).append(key)
    return {u: tuple(keys) for u, keys in by_user.items()}


def _account(files: AuditFiles, report: CredentialReport | None,
             inventory: gaad.Inventory | None) -> str:
    if files.account_id:
        return files.account_id
    arns = [r.arn for r in report.rows] if report else []
    arns += [u.arn for u in inventory.users.values()] if inventory else []
    accounts = Counter(a for a in map(account_of_arn, arns) if a)
    return accounts.most_common(1)[0][0] if accounts else "unknown"


def load_snapshot(files: AuditFiles, taken_at: datetime) -> AccountSnapshot:
    if files.authorization_details is None and files.credential_report is None:
        raise InputError("offline audit needs --authorization-details and/or "
                         "--credential-report")
    inventory = None
    if files.authorization_details:
        inventory = gaad.parse_pages(gaad.pages_from_json(
            _json(files.authorization_details, "authorization details")))
    report = load_report(files.credential_report) if files.credential_report else None
    label = ", ".join(str(p.name) for p in (files.authorization_details,
                                            files.credential_report) if p)
    return AccountSnapshot(
        account_id=_account(files, report, inventory), taken_at=taken_at, source="files",
        users=inventory.users if inventory else None,
        groups=inventory.groups if inventory else {},
        policies=inventory.policies if inventory else {},
        credential_report=report, listed_keys=load_access_keys(files.access_keys),
        problems=inventory.problems if inventory else (), label=label)
