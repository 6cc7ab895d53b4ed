"""`seskeys report`: one document of inventory, checks, AWS audit, scan and compliance."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from seskeys import report as report_service
from seskeys.cli.context import app_context
from seskeys.errors import InputError
from seskeys.formats.jsonfmt import to_json
from seskeys.formats.report_data import report_dict, report_markdown
from seskeys.formats.report_html import to_html

_RENDERERS: dict[str, Callable[[report_service.Report], str]] = {
    "html": to_html,
    "markdown": report_markdown,
    "json": lambda r: to_json(report_dict(r)),
}


def write_private(path: Path, text: str) -> None:
    """Write a report file readable by its owner only (reports name keys, tickets, clients)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)


def report(
    ctx: typer.Context,
    output: Annotated[str, typer.Option("--output", "-o", help="html, markdown or json.")
                      ] = "html",
    out: Annotated[Path | None, typer.Option("--out", help="Write the report to this file "
                                             "(default: stdout).")] = None,
    title: Annotated[str, typer.Option(help="Report title.")] = "SES access key audit",
) -> None:
    """Produce the audit report: key inventory per client, ledger checks, compliance view
    (ISO 27001, SOC 2, NIST, CISA CPG, CIS Controls, CIS AWS Foundations) and the verified
    event log.

    Examples:

        seskeys report -o html --out audit.html

        seskeys report -o markdown > evidence.md
    """
    app = app_context(ctx)
    if output not in _RENDERERS:
        raise InputError(f"--output {output!r}: use one of {', '.join(_RENDERERS)}")
    with app.vault() as vault:
        result = report_service.build(vault, app.config, app.clock(), title=title)
    text = _RENDERERS[output](result)
    if out:
        write_private(out, text)
        app.say(f"report written to {out}")
    else:
        app.emit(text)


def register(app: typer.Typer) -> None:
    app.command()(report)
