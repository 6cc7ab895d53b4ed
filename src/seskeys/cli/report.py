"""`seskeys report`: one document of inventory, checks, AWS audit, scan and compliance."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from seskeys import report as report_service
from seskeys.cli.awsopts import EndpointOpt, ProfileOpt, RegionOpt, aws_options
from seskeys.cli.context import AppContext, app_context
from seskeys.cli.options import flag, write_private
from seskeys.errors import InputError
from seskeys.vault import Vault

_OUTPUTS = ("html", "markdown", "json")


def _render(output: str, result: report_service.Report) -> str:
    if output == "html":
        from seskeys.formats.report_html import to_html

        return to_html(result)
    from seskeys.formats.jsonfmt import to_json
    from seskeys.formats.report_data import report_dict, report_markdown

    return report_markdown(result) if output == "markdown" else to_json(report_dict(result))


def _aws_sections(app: AppContext, vault: Vault, live: bool, options: object,
                  files: tuple[Path | None, Path | None]) -> list[report_service.Section]:
    from seskeys.aws.audit import AuditOptions, audit
    from seskeys.aws.offline import AuditFiles

    details, credential_report = files
    if not live and not (details or credential_report):
        return [report_service.not_requested(
            "aws", "AWS audit", "use --aws for a live account, or --authorization-details and "
            "--credential-report for exported files")]
    audit_options = AuditOptions(
        aws=options if live else None,  # type: ignore[arg-type]
        files=None if live else AuditFiles(details, credential_report, (), None))
    app.say("auditing AWS" + (" (live)" if live else " (exported files)") + " …")
    result = audit(audit_options, vault, app.config, app.clock)
    return report_service.aws_sections(result)


def _scan_section(app: AppContext, vault: Vault, paths: list[Path]
                  ) -> report_service.Section:
    if not paths:
        return report_service.not_requested("scan", "Leak scan",
                                            "use --scan PATH for the folders to search")
    from seskeys.scan.attribution import Ledger
    from seskeys.scan.scanner import ScanOptions, scan

    for path in paths:
        if not path.exists():
            raise InputError(f"--scan {path}: no such file or folder")
    app.say(f"scanning {', '.join(map(str, paths))} …")
    taken_at = app.clock()
    result = scan(ScanOptions(paths=tuple(str(p) for p in paths)),
                  ledger=Ledger.from_vault(vault))
    return report_service.scan_section(result, taken_at, [str(p) for p in paths])



def report(
    ctx: typer.Context,
    output: Annotated[str, typer.Option("--output", "-o", help="html, markdown or json.")
                      ] = "html",
    out: Annotated[Path | None, typer.Option("--out", help="Write the report to this file "
                                             "(mode 0600; default: stdout).")] = None,
    aws: Annotated[bool, flag("--aws", help="Audit the live AWS account (standard "
                                      "credential chain, --profile, --region, "
                                      "--endpoint-url).")] = False,
    profile: ProfileOpt = None,
    region: RegionOpt = None,
    endpoint_url: EndpointOpt = None,
    authorization_details: Annotated[Path | None, typer.Option(
        "--authorization-details", help="Offline: JSON of `aws iam "
        "get-account-authorization-details`.")] = None,
    credential_report: Annotated[Path | None, typer.Option(
        "--credential-report", help="Offline: `aws iam get-credential-report` JSON or the "
        "decoded CSV.")] = None,
    scan_paths: Annotated[list[Path] | None, typer.Option(
        "--scan", help="Scan this file or folder for leaked keys (repeatable).")] = None,
    title: Annotated[str, typer.Option(help="Report title.")] = "SES access key audit",
    force: Annotated[bool, flag("--force", help="Overwrite the --out file if it exists.")
                     ] = False,
) -> None:
    """Produce the audit report: key inventory per client, ledger checks, the AWS audit, a leak
    scan, the compliance view (ISO 27001, SOC 2, NIST, CISA CPG, CIS Controls, CIS AWS
    Foundations) and the verified event log. Every section says when its data was taken and
    what could not be assessed.

    Examples:

        seskeys report --aws --profile prod --scan ./wiki-export -o html --out audit.html

        seskeys report --authorization-details gaad.json --credential-report cr.json -o markdown

        seskeys report -o json --out evidence.json
    """
    app = app_context(ctx)
    if output not in _OUTPUTS:
        raise InputError(f"--output {output!r}: use one of {', '.join(_OUTPUTS)}")
    if aws and (authorization_details or credential_report):
        raise InputError("--aws audits a live account; it cannot be combined with exported "
                         "files")
    with app.vault() as vault:
        sections = [
            *_aws_sections(app, vault, aws, aws_options(profile, region, endpoint_url),
                           (authorization_details, credential_report)),
            _scan_section(app, vault, list(scan_paths or [])),
        ]
        result = report_service.build(vault, app.config, app.clock(), sections, title=title)
    text = _render(output, result)
    if out:
        write_private(out, text, force=force)
        app.say(f"report written to {out}")
    else:
        app.emit(text)


def register(app: typer.Typer) -> None:
    app.command()(report)
