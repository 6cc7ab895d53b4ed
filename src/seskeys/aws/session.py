"""boto3 sessions and clients with the AWS CLI's conventions.

Standard credential chain; ``--profile``, ``--region``, ``--endpoint-url`` (``AWS_ENDPOINT_URL``
is honoured by botocore itself); adaptive retries. No client is created at import time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, ProfileNotFound

from seskeys.errors import ExternalError

DEFAULT_REGION = "us-east-1"


@dataclass(frozen=True)
class AwsOptions:
    profile: str | None = None
    region: str | None = None
    endpoint_url: str | None = None
    role_arns: tuple[str, ...] = ()
    org: bool = False
    role_name: str | None = None
    max_attempts: int = 8
    extra: dict[str, Any] = field(default_factory=dict)


def make_session(options: AwsOptions) -> boto3.Session:
    try:
        return boto3.Session(profile_name=options.profile, region_name=options.region)
    except ProfileNotFound as exc:
        raise ExternalError(f"AWS profile not found: {exc.kwargs.get('profile')}") from None


def boto_config(options: AwsOptions) -> BotoConfig:
    return BotoConfig(retries={"mode": "adaptive", "max_attempts": options.max_attempts},
                      connect_timeout=10, read_timeout=60)


def client(session: boto3.Session, service: str, options: AwsOptions) -> Any:
    """A client with adaptive retries, pointed at ``--endpoint-url`` when given."""
    region = options.region or session.region_name or DEFAULT_REGION
    try:
        return session.client(service, region_name=region, endpoint_url=options.endpoint_url,  # type: ignore[call-overload]
                              config=boto_config(options))
    except (BotoCoreError, ValueError) as exc:
        raise ExternalError(f"cannot create the AWS {service} client: {exc}") from None


def describe_aws_error(exc: Exception) -> str:
    """One line for an AWS failure; botocore messages carry no secrets."""
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        op = exc.operation_name
        return f"{op}: {err.get('Code', 'Error')}: {err.get('Message', '')}".strip()
    if isinstance(exc, NoCredentialsError):
        return "no AWS credentials found (set a profile, environment variables or SSO)"
    return f"{type(exc).__name__}: {exc}"
