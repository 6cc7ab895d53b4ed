"""`seskeys check`: the ledger against the policy's rules."""

from __future__ import annotations

from typing import Annotated

import typer

from seskeys.checks.service import check_ledger
from seskeys.cli.context import app_context
from seskeys.cli.options import FAIL_ON_HELP, JSON_HELP, exit_for, fail_on, flag, output_format
from seskeys.formats import Output
from seskeys.formats.jsonfmt import to_json
from seskeys.formats.markdown import findings_markdown
from seskeys.formats.table import findings_table
from seskeys.formats.views import report_view


def check(
    ctx: typer.Context,
    output: Annotated[str | None, typer.Option("--output", "-o",
                                               help="table, json or markdown.")] = None,
    json_out: Annotated[bool, flag("--json", help=JSON_HELP)] = False,
    fail_on_: Annotated[str, typer.Option("--fail-on", help=FAIL_ON_HELP)] = "high",
) -> None:
    """Check every record against the policy (age, tickets, groups, secrets, duplicates).

    Examples:

        seskeys check

        seskeys check --fail-on medium -o json > ledger-findings.json
    """
    app = app_context(ctx)
    threshold = fail_on(fail_on_)
    fmt = output_format(output, json_out, (Output.TABLE, Output.JSON, Output.MARKDOWN))
    with app.vault() as vault:
        report = check_ledger(vault, app.config, app.clock())
    if fmt is Output.JSON:
        app.emit(to_json(report_view(report)))
    elif fmt is Output.MARKDOWN:
        app.emit(findings_markdown(report))
    else:
        app.emit(findings_table(report))
        app.say(f"{len(report.findings)} finding(s); {len(report.passed())} of "
                f"{len(report.checks)} checks passed")
    exit_for(report, threshold)


def register(app: typer.Typer) -> None:
    app.command()(check)
