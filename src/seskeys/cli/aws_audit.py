"""`seskeys aws audit`: SES key hygiene of AWS accounts, live or from exported files."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

from seskeys.aws.audit import AuditOptions, AuditResult, audit
from seskeys.aws.audit import Progress as ProgressFn
from seskeys.aws.offline import AuditFiles
from seskeys.cli.awsopts import EndpointOpt, ProfileOpt, RegionOpt, aws_options
from seskeys.cli.context import AppContext, app_context
from seskeys.cli.options import FAIL_ON_HELP, JSON_HELP, exit_for, fail_on, flag, output_format
from seskeys.errors import ExternalError, InputError, PasswordUnavailable
from seskeys.formats import Output
from seskeys.formats.audit import (
    audit_csv,
    audit_markdown,
    audit_sarif,
    audit_table,
    audit_view,
)
from seskeys.formats.jsonfmt import to_json
from seskeys.vault import Vault

OUTPUTS = (Output.TABLE, Output.JSON, Output.CSV, Output.MARKDOWN, Output.SARIF)


@contextmanager
def _optional_vault(app: AppContext, skip: bool) -> Iterator[tuple[Vault | None, str]]:
    """The vault for drift, or None with the reason. A wrong password still fails (exit 3)."""
    if skip:
        yield None, "--no-vault: drift against the vault not judged"
        return
    path = app.vault_path()
    if not path.is_file():
        app.say(f"no vault at {path}: auditing without drift")
        yield None, f"no vault at {path}: drift not judged"
        return
    try:
        vault = app.open_vault()
    except PasswordUnavailable as exc:
        app.say(f"vault not opened ({exc.message}): auditing without drift")
        yield None, f"vault not opened ({exc.message}): drift not judged"
        return
    try:
        yield vault, ""
    finally:
        app.close_vault()


@contextmanager
def _progress(app: AppContext) -> Iterator[ProgressFn | None]:
    """A line per account with its current step, on a terminal only."""
    if not app.interactive:
        yield None
        return
    tasks: dict[str, TaskID] = {}
    with Progress(SpinnerColumn(), TextColumn("{task.fields[label]}", markup=False),
                  TextColumn("{task.description}", style="dim", markup=False), TimeElapsedColumn(),
                  console=app.stderr(), transient=True) as bar:
        def report(label: str, step: str) -> None:
            if label not in tasks:
                tasks[label] = bar.add_task(step, total=1, label=label)
            bar.update(tasks[label], description=step, completed=1 if step == "done" else 0)
        yield report


def _render(app: AppContext, result: AuditResult, fmt: Output) -> None:
    if fmt is Output.JSON:
        app.emit(to_json(audit_view(result)))
    elif fmt is Output.CSV:
        app.emit(audit_csv(result))
    elif fmt is Output.MARKDOWN:
        app.emit(audit_markdown(result))
    elif fmt is Output.SARIF:
        app.emit(to_json(audit_sarif(result)))
    else:
        app.emit(audit_table(result))


def _summary(app: AppContext, result: AuditResult) -> None:
    combined = result.combined()
    worst = combined.worst()
    app.say(f"{len(combined.findings)} finding(s) in {len(result.accounts)} account(s)"
            + (f", worst {worst.value}" if worst else "")
            + f"; {len(combined.skipped)} check run(s) not assessed")
    for a in result.accounts:
        for e in a.snapshot.errors if a.snapshot else ():
            app.say(f"{a.account_id}: not collected: {e.what}: {e.reason}")


def aws_audit(
    ctx: typer.Context,
    profile: ProfileOpt = None,
    region: RegionOpt = None,
    endpoint_url: EndpointOpt = None,
    role_arn: Annotated[list[str] | None, typer.Option(
        "--role-arn", help="Audit the account of this role (repeatable); assumed with STS.")
    ] = None,
    org: Annotated[bool, flag(
        "--org", help="Audit every active account of the AWS Organization (needs "
        "--role-name).")] = False,
    role_name: Annotated[str | None, typer.Option(
        "--role-name", help="Role to assume in each Organization account.")] = None,
    authorization_details: Annotated[Path | None, typer.Option(
        "--authorization-details", help="Offline: JSON of `aws iam "
        "get-account-authorization-details`.")] = None,
    credential_report: Annotated[Path | None, typer.Option(
        "--credential-report", help="Offline: `aws iam get-credential-report` JSON or the "
        "report's CSV.")] = None,
    access_keys: Annotated[list[Path] | None, typer.Option(
        "--access-keys", help="Offline: JSON of `aws iam list-access-keys` (repeatable); "
        "key ids for drift.")] = None,
    account_id: Annotated[str | None, typer.Option(
        "--account-id", help="Offline: the account the files describe (default: from the "
        "ARNs).")] = None,
    no_vault: Annotated[bool, flag(
        "--no-vault", help="Do not open the vault; skip drift.")] = False,
    strict_sending: Annotated[bool, flag(
        "--strict-sending", help="Only ses:SendEmail and ses:SendRawEmail count as sending "
        "(templated and bulk sends become findings).")] = False,
    output: Annotated[str | None, typer.Option(
        "--output", "-o", help="table, json, csv, markdown or sarif.")] = None,
    json_out: Annotated[bool, flag("--json", help=JSON_HELP)] = False,
    fail_on_: Annotated[str, typer.Option("--fail-on", help=FAIL_ON_HELP)] = "high",
) -> None:
    """Audit AWS accounts for SES key hygiene and reconcile them with the vault.

    Bulk inventory (credential report + paginated authorization details), then targeted
    calls for SES users and vault keys only. Offline on exported files with
    --authorization-details / --credential-report. Drift against the vault when one can be
    opened (--no-vault to skip). Exit 1 on findings at or above --fail-on, 5 when an account
    could not be audited.

    Examples:

        seskeys aws audit --profile prod

        seskeys aws audit --role-arn arn:aws:iam::111111111111:role/Audit -o sarif > aws.sarif

        seskeys aws audit --org --role-name OrganizationAccountAccessRole --fail-on critical

        seskeys aws audit --authorization-details gaad.json --credential-report cr.csv -o markdown
    """
    app = app_context(ctx)
    threshold = fail_on(fail_on_)
    fmt = output_format(output, json_out, OUTPUTS)
    offline = bool(authorization_details or credential_report or access_keys)
    if offline and (role_arn or org):
        raise InputError("--role-arn/--org audit live accounts; they cannot be combined with "
                         "exported files")
    if access_keys and not (authorization_details or credential_report):
        raise InputError("--access-keys needs --authorization-details or --credential-report")
    options = AuditOptions(
        aws=None if offline else aws_options(profile, region, endpoint_url,
                                             role_arns=tuple(role_arn or ()), org=org,
                                             role_name=role_name),
        files=AuditFiles(authorization_details, credential_report, tuple(access_keys or ()),
                         account_id) if offline else None,
        allow_bulk_sends=not strict_sending)
    with _optional_vault(app, no_vault) as (vault, reason), _progress(app) as progress:
        result = audit(options, vault, app.config, app.clock, progress=progress,
                       no_vault_reason=reason or "no vault")
    _render(app, result, fmt)
    _summary(app, result)
    if result.failed():
        raise ExternalError(f"{len(result.failed())} of {len(result.accounts)} account(s) "
                            "could not be audited: " + "; ".join(
                                f"{a.label}: {a.error}" for a in result.failed()))
    exit_for(result.combined(), threshold)


def register(app: typer.Typer) -> None:
    app.command("audit")(aws_audit)
