"""`seskeys template`: render the LastPass item template."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import typer

from seskeys.cli.context import app_context
from seskeys.errors import InputError
from seskeys.formats.jsonfmt import to_json
from seskeys.formats.lastpass import template_instructions
from seskeys.formats.template_docs import to_json_schema, to_markdown


def template(
    ctx: typer.Context,
    output: Annotated[str, typer.Option("--output", "-o",
                                        help="markdown, json-schema or lastpass "
                                        "(how to create it in LastPass).")] = "markdown",
) -> None:
    """Render the "AWS IAM SES Keys" template: every field, its LastPass type and its rules.

    Examples:

        seskeys template > docs/aws-iam-ses-keys-template-lastpass.md

        seskeys template -o json-schema

        seskeys template -o lastpass
    """
    app = app_context(ctx)
    renderers: dict[str, Callable[[], str]] = {
        "markdown": to_markdown, "json-schema": lambda: to_json(to_json_schema()),
        "lastpass": lambda: template_instructions(app.config.lastpass_note_type)}
    if output not in renderers:
        raise InputError(f"--output {output!r}: use one of {', '.join(renderers)}")
    app.emit(renderers[output]())


def register(app: typer.Typer) -> None:
    app.command()(template)
