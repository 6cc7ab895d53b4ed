"""`seskeys smtp-password`: derive SES SMTP credentials, or identify an SMTP password."""

from __future__ import annotations

from typing import Annotated

import typer

from seskeys import smtp_vault
from seskeys.cli.context import AppContext, app_context
from seskeys.cli.options import JSON_HELP, flag
from seskeys.errors import InputError
from seskeys.formats.aws_lifecycle import (
    smtp_credentials_view,
    smtp_host,
    smtp_identity_text,
    smtp_identity_view,
)
from seskeys.formats.jsonfmt import to_json
from seskeys.smtp import SmtpVersion, derive_v2, derive_v4, smtp_regions
from seskeys.validators import SECRET_KEY

_LEGACY_WARNING = ("warning: v2 SMTP passwords are the legacy SigV2 form (SMTP credentials made "
                   "before 2019-01-10); newer SES regions such as eu-central-1 refuse them. "
                   "Use v4 unless an old integration needs v2.")


def _from_stdin(app: AppContext, region: str | None, legacy: bool, json_out: bool) -> None:
    smtp_vault.check_region(region)
    secret = app.secret_from_stdin()
    if not SECRET_KEY.fullmatch(secret):
        app.say("warning: the input is not 40 characters of A-Za-z0-9/+ like a secret access "
                "key; deriving anyway")
    if legacy:
        password, version = derive_v2(secret), SmtpVersion.V2
    elif region is None:
        raise InputError("--region is required: v4 SMTP passwords are region-specific")
    else:
        password, version = derive_v4(secret, region), SmtpVersion.V4
    if json_out:
        app.emit(to_json(smtp_credentials_view(password, version, region, None)))
    else:
        app.emit(password + "\n")
        app.say("SMTP user name: the access key id of this secret")


def _from_record(app: AppContext, name: str, region: str | None, legacy: bool,
                 json_out: bool) -> None:
    with app.vault() as vault:
        result = smtp_vault.derive_for_record(vault, name, app.actor(), region=region,
                                              legacy=legacy)
    record = result.record
    if json_out:
        app.emit(to_json(smtp_credentials_view(result.password, result.version, result.region,
                                               record.access_key_id)))
        return
    app.emit(result.password + "\n")
    host = f", host {smtp_host(result.region)}" if result.region else ""
    app.say(f"SMTP user name: {record.access_key_id}{host} (reveal logged)")


def _identify(app: AppContext, json_out: bool, use_vault: bool) -> None:
    password = app.secret_from_stdin("SMTP password")
    if use_vault and app.vault_path().exists():
        with app.vault() as vault:
            result = smtp_vault.identify(password, vault.records(), vault.fingerprint)
    else:
        result = smtp_vault.identify(password)
    app.emit(to_json(smtp_identity_view(result)) if json_out else smtp_identity_text(result))
    if result.version is None:
        raise typer.Exit(2)


def smtp_password(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Argument(
        help="Key name or access key id of a vault record (omit to read a secret from stdin).",
        show_default=False)] = None,
    region: Annotated[str | None, typer.Option(
        "--region", help="SES region of the SMTP endpoint (default for NAME: its ses_region).",
        show_default=False)] = None,
    legacy: Annotated[bool, flag(
        "--legacy", help="Derive the old region-independent v2 password (warns).")] = False,
    identify: Annotated[bool, flag(
        "--identify", help="Read an SMTP password from stdin and say whether it is v2 or v4 "
        "and, with the vault, whose key and which region it belongs to.")] = False,
    no_vault: Annotated[bool, flag(
        "--no-vault", help="With --identify: do not open the vault.")] = False,
    json_out: Annotated[bool, flag("--json", help=JSON_HELP)] = False,
) -> None:
    """Derive the SES SMTP password of a secret access key; the user name is the key id.

    The secret is read from stdin (never the command line), or taken from a vault record, in
    which case the reveal is logged. Regions are those with an SES SMTP endpoint (see below).

    Examples:

        printf '%s\\n' "$SECRET" | seskeys smtp-password --region eu-west-1

        seskeys smtp-password acme-mailer --region eu-central-1

        printf '%s\\n' "$SMTP_PASSWORD" | seskeys smtp-password --identify
    """
    app = app_context(ctx)
    if identify:
        if name or legacy or region:
            raise InputError("--identify reads a password from stdin; it takes no NAME, "
                             "--region or --legacy")
        _identify(app, json_out, not no_vault)
        return
    if legacy:
        app.say(_LEGACY_WARNING)
    if name:
        _from_record(app, name, region, legacy, json_out)
    else:
        _from_stdin(app, region, legacy, json_out)


def register(app: typer.Typer) -> None:
    app.command("smtp-password", epilog="Regions: " + ", ".join(smtp_regions()))(smtp_password)
