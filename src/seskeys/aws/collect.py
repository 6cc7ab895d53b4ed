"""Live collection from one AWS account, in bulk first, targeted calls only where needed.

Bulk: the credential report (generated, polled with backoff) and every page of
``GetAccountAuthorizationDetails``. Targeted: ``GetPolicy``/``GetPolicyVersion`` for attached
policies the bulk answer lacked, ``ListAccessKeys`` for the users the caller names (SES users and
vault users), ``GetAccessKeyLastUsed`` for the vault's key ids. Every failure is recorded in the
snapshot as a :class:`CollectionError`; nothing is swallowed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from seskeys.aws import credreport, gaad
from seskeys.aws.session import describe_aws_error
from seskeys.aws.snapshot import (
    AccountSnapshot,
    ApiKey,
    CollectionError,
    KeyLookup,
    ManagedPolicy,
)
from seskeys.errors import InputError

AWS_ERRORS = (ClientError, BotoCoreError)
GAAD_FILTER = ["User", "Group", "LocalManagedPolicy", "AWSManagedPolicy"]
RETRY_CODES = frozenset({"ReportInProgress", "ReportNotPresent", "ReportExpired",
                         "LimitExceeded"})


@dataclass(frozen=True)
class Pace:
    """How long to wait for the credential report; ``sleep`` is injectable for tests."""

    sleep: Callable[[float], None]
    first_delay: float = 0.05
    max_delay: float = 5.0
    max_wait: float = 300.0
    workers: int = 8  # concurrent targeted calls; 1 makes every call sequential


def _code(exc: Exception) -> str:
    return str(exc.response.get("Error", {}).get("Code", "")) if isinstance(exc, ClientError) \
        else ""


def fetch_credential_report(iam: Any, pace: Pace) -> Mapping[str, Any]:
    """Generate, then get; on ReportInProgress, LimitExceeded or ReportExpired wait and retry.

    Raises the last ``ClientError`` when the report is not ready within ``pace.max_wait``.
    """
    delay, waited = pace.first_delay, 0.0
    while True:
        try:
            iam.generate_credential_report()
            return dict(iam.get_credential_report())
        except ClientError as exc:
            if _code(exc) not in RETRY_CODES or waited >= pace.max_wait:
                raise
        pace.sleep(delay)
        waited += delay
        delay = min(delay * 2, pace.max_delay)


def fetch_authorization_details(iam: Any) -> list[Mapping[str, Any]]:
    """Every page: botocore's paginator follows ``IsTruncated``/``Marker`` (AWS truncates)."""
    paginator = iam.get_paginator("get_account_authorization_details")
    return list(paginator.paginate(Filter=GAAD_FILTER, PaginationConfig={"PageSize": 1000}))


def fetch_policy(iam: Any, arn: str, problems: list[str]) -> ManagedPolicy:
    policy = iam.get_policy(PolicyArn=arn)["Policy"]
    version = iam.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"])
    return gaad.managed_policy({**policy, "PolicyVersionList": [
        {**version["PolicyVersion"], "IsDefaultVersion": True}]}, problems)


def _parallel(fn: Callable[[str], Any], items: Iterable[str], workers: int,
              what: str) -> tuple[dict[str, Any], list[CollectionError]]:
    items = sorted(set(items))
    results: dict[str, Any] = {}
    errors: list[CollectionError] = []

    def one(item: str) -> tuple[str, Any, CollectionError | None]:
        try:
            return item, fn(item), None
        except AWS_ERRORS as exc:
            return item, None, CollectionError(f"{what} {item}", describe_aws_error(exc))

    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(items) or 1))) as pool:
        for item, value, error in pool.map(one, items):
            if error:
                errors.append(error)
            else:
                results[item] = value
    return results, errors


def _listed(iam: Any, user: str) -> tuple[ApiKey, ...]:
    keys = []
    for page in iam.get_paginator("list_access_keys").paginate(UserName=user):
        for k in page.get("AccessKeyMetadata", []):
            keys.append(ApiKey(key_id=k["AccessKeyId"], user=k.get("UserName", user),
                               status=k.get("Status", ""),
                               created=credreport.parse_time(k.get("CreateDate"))))
    return tuple(keys)


def _lookup(iam: Any, key_id: str) -> KeyLookup:
    try:
        answer = iam.get_access_key_last_used(AccessKeyId=key_id)
    except ClientError as exc:
        if _code(exc) == "NoSuchEntity":
            return KeyLookup(key_id, exists=False)
        raise
    used = answer.get("AccessKeyLastUsed", {})
    return KeyLookup(key_id, exists=True, user=answer.get("UserName"),
                     last_used=credreport.parse_time(used.get("LastUsedDate")),
                     last_used_service=_na(used.get("ServiceName")),
                     last_used_region=_na(used.get("Region")))


def _na(value: Any) -> str | None:
    return None if value is None or str(value).upper() == "N/A" else str(value)


def _report_part(iam: Any, pace: Pace) -> tuple[Any, CollectionError | None]:
    try:
        return credreport.parse_response(fetch_credential_report(iam, pace)), None
    except AWS_ERRORS as exc:
        return None, CollectionError("credential report", describe_aws_error(exc))
    except InputError as exc:
        return None, CollectionError("credential report", exc.message)


def _details_part(iam: Any) -> tuple[Any, CollectionError | None]:
    try:
        return gaad.parse_pages(fetch_authorization_details(iam)), None
    except AWS_ERRORS as exc:
        return None, CollectionError("authorization details", describe_aws_error(exc))
    except InputError as exc:
        return None, CollectionError("authorization details", exc.message)


def collect_inventory(iam: Any, account_id: str, taken_at: datetime, pace: Pace,
                      label: str | None = None) -> AccountSnapshot:
    """The bulk part: credential report and authorization details (fetched side by side),
    then the account summary."""
    if pace.workers > 1:
        with ThreadPoolExecutor(max_workers=2) as pool:
            report_job = pool.submit(_report_part, iam, pace)
            details_job = pool.submit(_details_part, iam)
            report, report_error = report_job.result()
            inventory, details_error = details_job.result()
    else:  # one call at a time, in a fixed order (botocore's Stubber expects one)
        report, report_error = _report_part(iam, pace)
        inventory, details_error = _details_part(iam)
    errors = [e for e in (report_error, details_error) if e]
    root_keys = None
    try:
        summary = iam.get_account_summary().get("SummaryMap", {})
        if "AccountAccessKeysPresent" in summary:
            root_keys = bool(summary["AccountAccessKeysPresent"])
    except AWS_ERRORS as exc:
        errors.append(CollectionError("account summary", describe_aws_error(exc)))
    snapshot = AccountSnapshot(
        account_id=account_id, taken_at=taken_at, source="live",
        users=inventory.users if inventory else None,
        groups=inventory.groups if inventory else {},
        policies=inventory.policies if inventory else {},
        credential_report=report, root_keys_present=root_keys, errors=tuple(errors),
        problems=inventory.problems if inventory else (), label=label)
    return resolve_missing_policies(iam, snapshot, pace)


def resolve_missing_policies(iam: Any, snapshot: AccountSnapshot, pace: Pace) -> AccountSnapshot:
    """Fetch attached managed policies the bulk answer did not include (targeted calls)."""
    if snapshot.users is None:
        return snapshot
    attached = {a for u in snapshot.users.values() for a in u.attached}
    attached |= {a for g in snapshot.groups.values() for a in g.attached}
    missing = sorted(a for a in attached if a not in snapshot.policies)
    if not missing:
        return snapshot
    problems: list[str] = []
    found, errors = _parallel(lambda arn: fetch_policy(iam, arn, problems), missing,
                              pace.workers, "GetPolicy")
    return dataclasses.replace(snapshot, policies={**snapshot.policies, **found},
                               errors=snapshot.errors + tuple(errors),
                               problems=snapshot.problems + tuple(problems))


def collect_keys(iam: Any, snapshot: AccountSnapshot, users: Iterable[str],
                 key_ids: Iterable[str], pace: Pace) -> AccountSnapshot:
    """Targeted: last use of the given key ids, then the key lists of the users named."""
    lookups, lookup_errors = _parallel(lambda k: _lookup(iam, k), key_ids, pace.workers,
                                       "GetAccessKeyLastUsed")
    owners = {lk.user for lk in lookups.values() if lk.exists and lk.user}
    listed, list_errors = _parallel(lambda u: _listed(iam, u), set(users) | owners,
                                    pace.workers, "ListAccessKeys")
    return dataclasses.replace(snapshot, listed_keys=listed, key_lookups=lookups,
                               errors=snapshot.errors + tuple(lookup_errors + list_errors))
