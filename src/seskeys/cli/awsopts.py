"""The AWS CLI-style options shared by every command that talks to AWS."""

from __future__ import annotations

from typing import Annotated

import typer

from seskeys.aws.session import AwsOptions

ProfileOpt = Annotated[str | None, typer.Option("--profile", envvar="AWS_PROFILE",
                                                help="AWS named profile.")]
RegionOpt = Annotated[str | None, typer.Option("--region", envvar="AWS_REGION",
                                               help="AWS region for the API calls.")]
EndpointOpt = Annotated[str | None, typer.Option(
    "--endpoint-url", envvar="AWS_ENDPOINT_URL",
    help="Send AWS API calls to this URL (e.g. a moto server).")]


def aws_options(profile: str | None, region: str | None, endpoint_url: str | None,
                **extra: object) -> AwsOptions:
    return AwsOptions(profile=profile, region=region, endpoint_url=endpoint_url,
                      **extra)  # type: ignore[arg-type]
