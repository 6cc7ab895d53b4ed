"""`seskeys aws …`: the command group for everything that talks to AWS."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    aws_app = typer.Typer(
        name="aws", no_args_is_help=True,
        help="Audit, provision, rotate and revoke SES keys in AWS accounts. "
             "AWS CLI conventions: --profile, --region, --endpoint-url.")
    from seskeys.cli import aws_audit, aws_lifecycle

    # each command module adds itself here
    modules: tuple[object, ...] = (aws_audit, aws_lifecycle)
    for module in modules:
        module.register(aws_app)  # type: ignore[attr-defined]
    app.add_typer(aws_app, name="aws")
