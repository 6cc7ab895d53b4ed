"""One IAM user's access keys, live: list, create, deactivate, delete, last use, and proof that a
new key works (a call signed with it, with bounded backoff for IAM's eventual consistency).

Every AWS failure becomes an :class:`ExternalError` naming the operation; a missing key on
deactivate/delete is reported as ``False`` so callers can resume idempotently.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from seskeys.aws.session import describe_aws_error
from seskeys.errors import Conflict, ExternalError
from seskeys.redact import mask_key_id

Clock = Callable[[], datetime]
StepHook = Callable[[str], None]

# Errors a freshly created key gets until IAM has propagated it.
_NOT_YET_VALID = {"InvalidClientTokenId", "SignatureDoesNotMatch", "AuthFailure",
                  "UnrecognizedClientException", "AccessDenied", "Throttling",
                  "ThrottlingException", "RequestLimitExceeded"}


def _no_step(step: str) -> None:
    return None


@dataclass(frozen=True)
class AwsDeps:
    """What the AWS lifecycle services need, injected so tests control time and faults.

    ``client(service, region)`` uses the operator's credentials; ``signed_client(service,
    key_id, secret)`` signs with a given key (to verify a new one). ``on_step`` is called at
    every step boundary with the step's name (fault injection in tests; a no-op otherwise).
    """

    client: Callable[[str, str | None], Any]
    signed_client: Callable[[str, str, str], Any]
    clock: Clock = field(default=lambda: datetime.now(UTC))
    sleep: Callable[[float], None] = field(default=lambda seconds: None)
    on_step: StepHook = _no_step
    verify_attempts: int = 8
    max_backoff_seconds: float = 30.0


@dataclass(frozen=True)
class LiveKey:
    access_key_id: str
    status: str  # Active | Inactive (botocore also knows Expired)
    created: datetime

    @property
    def active(self) -> bool:
        return self.status == "Active"


@dataclass(frozen=True)
class NewKey:
    access_key_id: str
    secret: str = field(repr=False)
    created: datetime


def error_code(exc: BaseException) -> str | None:
    return exc.response.get("Error", {}).get("Code") if isinstance(exc, ClientError) else None


@contextmanager
def aws_errors(what: str) -> Iterator[None]:
    try:
        yield
    except (ClientError, BotoCoreError) as exc:
        raise ExternalError(f"{what}: {describe_aws_error(exc)}") from None


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def list_keys(iam: Any, user: str) -> list[LiveKey]:
    """The user's keys, oldest first by create date (never by list order)."""
    keys: list[LiveKey] = []
    with aws_errors(f"listing the access keys of IAM user {user}"):
        for page in iam.get_paginator("list_access_keys").paginate(UserName=user):
            keys += [LiveKey(k["AccessKeyId"], k["Status"], _utc(k["CreateDate"]))
                     for k in page["AccessKeyMetadata"]]
    return sorted(keys, key=lambda k: (k.created, k.access_key_id))


def user_arn(iam: Any, user: str) -> str:
    with aws_errors(f"reading IAM user {user}"):
        return str(iam.get_user(UserName=user)["User"]["Arn"])


def user_of_key(iam: Any, key_id: str) -> str:
    with aws_errors(f"looking up the owner of {mask_key_id(key_id)}"):
        return str(iam.get_access_key_last_used(AccessKeyId=key_id)["UserName"])


def last_used(iam: Any, key_id: str) -> datetime | None:
    with aws_errors(f"reading the last use of {mask_key_id(key_id)}"):
        info = iam.get_access_key_last_used(AccessKeyId=key_id)["AccessKeyLastUsed"]
    used = info.get("LastUsedDate")
    return _utc(used) if used else None


def create_key(iam: Any, user: str) -> NewKey:
    try:
        made = iam.create_access_key(UserName=user)["AccessKey"]
    except ClientError as exc:
        if error_code(exc) == "LimitExceeded":
            raise Conflict(f"IAM user {user} already has two access keys",
                           hint="AWS allows two keys per user; inactive keys count") from None
        raise ExternalError(f"creating an access key: {describe_aws_error(exc)}") from None
    except BotoCoreError as exc:
        raise ExternalError(f"creating an access key: {describe_aws_error(exc)}") from None
    return NewKey(made["AccessKeyId"], made["SecretAccessKey"], _utc(made["CreateDate"]))


def _gone_is_false(what: str, call: Callable[[], Any]) -> bool:
    try:
        call()
    except ClientError as exc:
        if error_code(exc) == "NoSuchEntity":
            return False
        raise ExternalError(f"{what}: {describe_aws_error(exc)}") from None
    except BotoCoreError as exc:
        raise ExternalError(f"{what}: {describe_aws_error(exc)}") from None
    return True


def deactivate(iam: Any, user: str, key_id: str) -> bool:
    """Set the key Inactive; False when it no longer exists."""
    return _gone_is_false(f"deactivating {mask_key_id(key_id)}", lambda: iam.update_access_key(
        UserName=user, AccessKeyId=key_id, Status="Inactive"))


def delete(iam: Any, user: str, key_id: str) -> bool:
    """Delete the key; False when it was already gone."""
    return _gone_is_false(f"deleting {mask_key_id(key_id)}", lambda: iam.delete_access_key(
        UserName=user, AccessKeyId=key_id))


def verify(deps: AwsDeps, key_id: str, secret: str, expected_arn: str) -> int:
    """Prove the key works: sts:GetCallerIdentity signed with it must name the expected user.

    New IAM keys take seconds to propagate, so rejections are retried with capped exponential
    backoff, at most ``deps.verify_attempts`` calls. Returns the number of calls made.
    """
    last = "no attempt made"
    for attempt in range(1, deps.verify_attempts + 1):
        try:
            arn = deps.signed_client("sts", key_id, secret).get_caller_identity()["Arn"]
        except ClientError as exc:
            if error_code(exc) not in _NOT_YET_VALID:
                raise ExternalError(f"verifying {mask_key_id(key_id)}: "
                                    f"{describe_aws_error(exc)}") from None
            last = describe_aws_error(exc)
        except BotoCoreError as exc:
            last = describe_aws_error(exc)
        else:
            if arn == expected_arn:
                return attempt
            last = "the key signs as another identity"
        if attempt < deps.verify_attempts:
            deps.sleep(min(2.0 ** (attempt - 1), deps.max_backoff_seconds))
    raise ExternalError(f"{mask_key_id(key_id)} was not accepted by AWS after "
                        f"{deps.verify_attempts} attempts ({last})")
