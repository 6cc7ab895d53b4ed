"""`seskeys aws provision | rotate | revoke`: create, rotate and revoke SES keys in AWS.

Test hook: when the environment variable ``SESKEYS_TESTHOOK_SIGKILL_AT`` names a step (see
``STEP_NAMES``), the process sends itself SIGKILL when it reaches that step. It exists so the
end-to-end tests can prove that a run killed at any step is completed by ``--resume``; nothing
sets it but those tests, and an unknown step name is refused rather than ignored.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import time
from collections.abc import Mapping
from typing import Annotated, Any

import boto3
import typer

from seskeys.aws import provision as prov
from seskeys.aws import revoke as rev
from seskeys.aws import rotation as rot
from seskeys.aws.keys import AwsDeps, StepHook
from seskeys.aws.session import DEFAULT_REGION, AwsOptions, make_session
from seskeys.aws.session import client as aws_client
from seskeys.cli.awsopts import EndpointOpt, ProfileOpt, RegionOpt, aws_options
from seskeys.cli.context import AppContext, app_context
from seskeys.cli.options import JSON_HELP, flag
from seskeys.errors import InputError
from seskeys.formats.aws_lifecycle import (
    provision_report_view,
    revoke_report_view,
    rotation_report_view,
)
from seskeys.formats.jsonfmt import to_json
from seskeys.redact import mask_key_id

KILL_HOOK_ENV = "SESKEYS_TESTHOOK_SIGKILL_AT"
STEP_NAMES = frozenset((*rot.STEPS, *rev.STEPS, *prov.STEPS))

Opt = typer.Option
TicketOpt = Annotated[str, Opt("--ticket", "-t", help="The change ticket that approves this.")]
JsonOpt = Annotated[bool, flag("--json", help=JSON_HELP)]


def _step_hook(environ: Mapping[str, str]) -> StepHook:
    target = environ.get(KILL_HOOK_ENV)
    if not target:
        return lambda step: None
    if target not in STEP_NAMES:
        raise InputError(f"{KILL_HOOK_ENV}: unknown step {target!r}")

    def kill_at(step: str) -> None:
        if step == target:
            os.kill(os.getpid(), signal.SIGKILL)

    return kill_at


def _deps(app: AppContext, options: AwsOptions) -> AwsDeps:
    session = make_session(options)

    def client(service: str, region: str | None) -> Any:
        where = dataclasses.replace(options, region=region) if region else options
        return aws_client(session, service, where)

    def signed_client(service: str, key_id: str, secret: str) -> Any:
        keyed = boto3.Session(aws_access_key_id=key_id, aws_secret_access_key=secret,
                              region_name=options.region or session.region_name
                              or DEFAULT_REGION)
        return aws_client(keyed, service, options)

    return AwsDeps(client=client, signed_client=signed_client, clock=app.clock,
                   sleep=time.sleep, on_step=_step_hook(app.environ))


def _summary(app: AppContext, lines: list[str], prefix: str = "") -> None:
    for line in lines:
        app.say(f"{prefix}{line}")


def provision(
    ctx: typer.Context,
    client: Annotated[str, Opt("--client", help="The client the key belongs to.")],
    identity: Annotated[str, Opt("--identity", help="Verified SES identity: a domain "
                                 "(example.com) or an address (user@example.com).")],
    region: Annotated[str, Opt("--region", help="SES region the key sends through.")],
    ticket: TicketOpt,
    key_name: Annotated[str | None, Opt(help="Key name (default: client-identity-region).")
                        ] = None,
    purpose: Annotated[str | None, Opt(help="Purpose of the key.")] = None,
    iam_user: Annotated[str | None, Opt(help="IAM user (default: ses-IDENTITY-REGION).")
                        ] = None,
    iam_path: Annotated[str, Opt(help="IAM path for the user and group.")] = "/seskeys/",
    group: Annotated[str | None, Opt(help="IAM group (default: ses-send-IDENTITY-REGION).")
                     ] = None,
    profile: ProfileOpt = None,
    endpoint_url: EndpointOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Create (or reuse) a least-privilege sending group, user and key, and record the key.

    The group's only policy allows ses:SendEmail and ses:SendRawEmail on the identity's ARN
    (pinned to the From address for an address identity); the user's only permissions come
    from the group. Running it again reuses what exists and creates no second key.

    Examples:

        seskeys aws provision --client Acme --identity acme.example --region eu-west-1
        --ticket OPS-311

        seskeys aws provision --client Acme --identity news@acme.example --region eu-west-1
        --ticket OPS-312 --iam-path /mail/ --key-name acme-news
    """
    app = app_context(ctx)
    request = prov.ProvisionRequest(client=client, identity=identity, region=region,
                                    ticket=ticket, key_name=key_name, purpose=purpose,
                                    iam_user=iam_user, iam_path=iam_path, group=group)
    deps = _deps(app, aws_options(profile, region, endpoint_url))
    with app.vault() as vault:
        report = prov.provision(vault, deps, request, app.actor())
    if json_out:
        app.emit(to_json(provision_report_view(report)))
    _summary(app, report.created, "created ")
    _summary(app, report.reused, "reused ")
    _summary(app, report.verified, "verified: ")
    _summary(app, report.warnings, "warning: ")
    if report.record:
        app.say(f"{report.record.key_name}: {mask_key_id(report.record.access_key_id)} for "
                f"{report.record.client}, ticket {report.record.creation_ticket}")


def rotate(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Argument(help="Key name or access key id.",
                                               show_default=False)] = None,
    ticket: Annotated[str | None, Opt("--ticket", "-t", help="Change ticket (required to "
                                      "start; --finish defaults to the rotation's).")] = None,
    deactivate_old: Annotated[bool, flag("--deactivate-old", help="In the same run, deactivate "
                                        "the old key once the new one is switched in.")
                              ] = False,
    delete_after: Annotated[int | None, Opt("--delete-after", metavar="DAYS",
                                            help="Delete the old key this many days after the "
                                            "switch (default 7).")] = None,
    delete_inactive_unknown: Annotated[bool, flag(
        "--delete-inactive-unknown", help="Free the key slot by deleting an inactive key the "
        "vault does not know.")] = False,
    finish: Annotated[bool, flag("--finish", help="Deactivate the old key (if unused since the "
                                "switch) and delete it when due.")] = False,
    resume: Annotated[bool, flag("--resume", help="Complete rotations left half-way (all, or "
                                "NAME's).")] = False,
    abort: Annotated[bool, flag("--abort", help="Undo a rotation that has not switched yet: "
                               "delete its new key.")] = False,
    profile: ProfileOpt = None,
    region: RegionOpt = None,
    endpoint_url: EndpointOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Rotate a key in AWS in safe, resumable steps.

    preflight (key slots) -> create -> store in the vault -> verify the new key -> switch the
    record; then (--deactivate-old, or later --finish) check the old key's last use,
    deactivate it, and after --delete-after days delete it and record the revocation.

    Examples:

        seskeys aws rotate acme-mailer --ticket OPS-400

        seskeys aws rotate acme-mailer --ticket OPS-400 --deactivate-old --delete-after 0

        seskeys aws rotate acme-mailer --finish

        seskeys aws rotate --resume
    """
    app = app_context(ctx)
    modes = [m for m, on in (("--finish", finish), ("--resume", resume), ("--abort", abort))
             if on]
    if len(modes) > 1:
        raise InputError(f"{' and '.join(modes)} cannot be combined")
    if not resume and not name:
        raise InputError("name the key to rotate (or use --resume)")
    deps = _deps(app, aws_options(profile, region, endpoint_url))
    with app.vault() as vault:
        if resume:
            reports = rot.resume(vault, deps, app.actor(), name)
            if not reports:
                app.say("no rotation in progress")
        elif finish:
            reports = [rot.finish(vault, deps, name or "", app.actor(), ticket=ticket,
                                  delete_after_days=delete_after)]
        elif abort:
            reports = [rot.abort(vault, deps, name or "", app.actor())]
        else:
            if not ticket:
                raise InputError("--ticket is required to start a rotation")
            opts = rot.RotateOptions(ticket=ticket, deactivate_old=deactivate_old,
                                     delete_after_days=7 if delete_after is None
                                     else delete_after,
                                     delete_inactive_unknown=delete_inactive_unknown)
            reports = [rot.start(vault, deps, name or "", app.actor(), opts)]
    if json_out:
        app.emit(to_json([rotation_report_view(r) for r in reports]))
    for report in reports:
        _summary(app, report.actions, f"{report.key_name}: ")
        app.say(f"{report.key_name}: state {report.state}")
        if report.next_step:
            app.say(f"{report.key_name}: next: {report.next_step}")


def revoke(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Key name or access key id.")],
    ticket: TicketOpt,
    reason: Annotated[str, Opt("--reason", "-r", help="Why the key is revoked.")],
    profile: ProfileOpt = None,
    region: RegionOpt = None,
    endpoint_url: EndpointOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Emergency revoke: deactivate the key in AWS at once, delete it, record the revocation
    and purge the secret (a keyed fingerprint is kept for the leak scanner).

    Example:

        seskeys aws revoke acme-mailer --ticket SEC-77 --reason "leaked in a public repo"
    """
    app = app_context(ctx)
    deps = _deps(app, aws_options(profile, region, endpoint_url))
    with app.vault() as vault:
        report = rev.revoke(vault, deps, name, app.actor(), ticket=ticket, reason=reason)
    if json_out:
        app.emit(to_json(revoke_report_view(report)))
    _summary(app, report.actions, f"{report.record.key_name}: ")


def register(app: typer.Typer) -> None:
    app.command()(provision)
    app.command()(rotate)
    app.command()(revoke)
