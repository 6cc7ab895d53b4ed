"""Lifecycle commands: add, list, show, copy, edit, history, revoke, rotate."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from seskeys import clipboard, lifecycle
from seskeys import validators as v
from seskeys.cli.context import AppContext, app_context
from seskeys.cli.options import JSON_HELP, flag, output_format
from seskeys.errors import InputError
from seskeys.events import Action
from seskeys.formats import Output
from seskeys.formats.csvfmt import to_csv
from seskeys.formats.jsonfmt import to_json
from seskeys.formats.views import event_view, record_view, summary_view
from seskeys.model import Status
from seskeys.redact import mask_key_id
from seskeys.template import FIELDS, SECRET_FIELDS

Opt = typer.Option
TicketOpt = Annotated[str, Opt("--ticket", "-t", help="The change ticket that approves this.")]
OutputOpt = Annotated[str | None, Opt("--output", "-o", help="table, json or csv.")]
JsonOpt = Annotated[bool, flag("--json", help=JSON_HELP)]


def _read_json_input(app: AppContext, source: str) -> dict[str, Any]:
    try:
        text = app.stdin.read() if source == "-" else Path(source).read_text("utf-8")
    except OSError as exc:
        raise InputError(f"cannot read {source}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise InputError(f"{source}: not UTF-8 text") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{source}: not valid JSON (line {exc.lineno}, column {exc.colno})"
                         ) from None
    if not isinstance(data, dict):
        raise InputError(f"{source}: expected one JSON object of template field ids")
    return data


def add(
    ctx: typer.Context,
    key_name: Annotated[str | None, Opt(help="Key Name: unique among live records.")] = None,
    access_key_id: Annotated[str | None, Opt(help="Access Key ID (AKIA…).")] = None,
    iam_groups: Annotated[str | None, Opt(help="IAM group names, comma-separated.")] = None,
    purpose: Annotated[str | None, Opt(help="Purpose of the key.")] = None,
    client: Annotated[str | None, Opt(help="Client the key belongs to.")] = None,
    ses_identity_type: Annotated[str | None, Opt(help="Domain or Email address.")] = None,
    iam_permissions: Annotated[str | None, Opt(help="IAM permissions (text or JSON).")] = None,
    ses_limits: Annotated[str | None, Opt(help="SES limits (sandbox, quota, rate).")] = None,
    created_on: Annotated[str | None, Opt(help="Creation date (default today).")] = None,
    ticket: Annotated[str | None, Opt("--ticket", "--creation-ticket", "-t",
                                      help="Creation ticket (required).")] = None,
    iam_user: Annotated[str | None, Opt(help="IAM user name.")] = None,
    aws_account_id: Annotated[str | None, Opt(help="AWS account id (12 digits).")] = None,
    ses_region: Annotated[str | None, Opt(help="SES region; the SMTP password is derived "
                                              "for it.")] = None,
    ses_identity: Annotated[str | None, Opt(help="Verified domain or address.")] = None,
    status: Annotated[str | None, Opt(help="active (default) or inactive.")] = None,
    notes: Annotated[str | None, Opt(help="Notes.")] = None,
    from_json: Annotated[str | None, Opt("--from-json", help="Read fields from a JSON object "
                                         "(file, or - for stdin).")] = None,
    secret_stdin: Annotated[bool, flag("--secret-stdin", help="Read the secret access key "
                                      "from the first line of stdin.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """Add a key record. The secret comes from stdin, the prompt or the JSON input, never argv.

    Examples:

        printf '%s\\n' "$SECRET" | seskeys add --key-name acme-mailer --client Acme
        --purpose "transactional mail" --access-key-id AKIA... --ses-region eu-west-1
        --iam-groups ses-senders-acme --ticket OPS-101 --secret-stdin

        seskeys add --from-json record.json --ticket OPS-102
    """
    app = app_context(ctx)
    flags = {"key_name": key_name, "access_key_id": access_key_id, "iam_groups": iam_groups,
             "purpose": purpose, "client": client, "ses_identity_type": ses_identity_type,
             "iam_permissions": iam_permissions, "ses_limits": ses_limits,
             "created_on": created_on, "creation_ticket": ticket, "iam_user": iam_user,
             "aws_account_id": aws_account_id, "ses_region": ses_region,
             "ses_identity": ses_identity, "status": status, "notes": notes}
    raw: dict[str, Any] = {}
    if from_json:
        if from_json == "-" and secret_stdin:
            raise InputError("--from-json - and --secret-stdin both want stdin")
        raw.update(_read_json_input(app, from_json))
    raw.update({k: val for k, val in flags.items() if val is not None})
    wants_secret = str(raw.get("status") or "active").lower() == Status.ACTIVE.value
    if secret_stdin:
        raw["secret_access_key"] = app.secret_from_stdin()
    elif not raw.get("secret_access_key") and wants_secret:
        raw["secret_access_key"] = app.secret_from_prompt()
    with app.vault() as vault:
        record = lifecycle.add(vault, raw, app.actor())
    if json_out:
        app.emit(to_json(record_view(record)))
    app.say(f"added {record.key_name} ({mask_key_id(record.access_key_id)}) "
            f"for {record.client}, ticket {record.creation_ticket}")


def list_(
    ctx: typer.Context,
    client: Annotated[str | None, Opt(help="Only this client (case-insensitive).")] = None,
    status: Annotated[str | None, Opt(help="Only this status: active, inactive, retiring, revoked.")
                      ] = None,
    output: OutputOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """List key records (secrets never shown).

    Examples:

        seskeys list --client Acme

        seskeys list --status active -o csv > keys.csv
    """
    app = app_context(ctx)
    fmt = output_format(output, json_out, (Output.TABLE, Output.JSON, Output.CSV))
    if status and status.lower() not in set(Status):
        raise InputError("--status expects " + ", ".join(s.value for s in Status))
    with app.vault() as vault:
        summaries = vault.summaries()
    today = app.clock().date()
    rows = [summary_view(s, today, app.config.max_key_age_days) for s in summaries
            if (not client or s.client.casefold() == client.casefold())
            and (not status or s.status.value == status.lower())]
    rows.sort(key=lambda r: (r["client"].casefold(), r["key_name"].casefold(), r["created_on"]))
    if fmt is Output.JSON:
        app.emit(to_json(rows))
    elif fmt is Output.CSV:
        app.emit(to_csv(rows, list(rows[0]) if rows else ["key_name"]))
    else:
        from seskeys.formats.table import records_table  # rich: only when a table is shown

        app.emit(records_table(rows))


def show(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Key name or access key id.")],
    reveal: Annotated[bool, flag("--reveal", help="Show Password fields in clear (logged).")
                      ] = False,
    output: Annotated[str | None, Opt("--output", "-o", help="table or json.")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Show one record; Password fields are masked unless --reveal.

    Examples:

        seskeys show acme-mailer

        seskeys show acme-mailer --reveal -o json
    """
    app = app_context(ctx)
    fmt = output_format(output, json_out, (Output.TABLE, Output.JSON))
    with app.vault() as vault:
        if reveal:
            record, _ = lifecycle.reveal(vault, name, app.actor(), sorted(SECRET_FIELDS))
        else:
            record = lifecycle.find(vault, name)
    view = record_view(record, reveal=reveal)
    if fmt is Output.JSON:
        app.emit(to_json(view))
        return
    from seskeys.formats.table import record_table  # rich: only when a table is shown

    app.emit(record_table(view))


def copy(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Key name or access key id.")],
    field: Annotated[str, Opt("--field", "-f", help="Field to copy.")] = "secret_access_key",
    clear_after: Annotated[int | None, Opt(help="Seconds before the clipboard is cleared "
                                           "(default 30; 0 keeps it).")] = None,
) -> None:
    """Copy a field (by default the secret) to the clipboard, cleared after 30 s.

    Examples:

        seskeys copy acme-mailer

        seskeys copy acme-mailer --field smtp_password --clear-after 15
    """
    app = app_context(ctx)
    if field not in FIELDS:
        raise InputError(f"unknown field {field!r}")
    delay = app.config.clipboard_clear_seconds if clear_after is None else clear_after
    clipboard.find_tool(app.environ)  # fail before logging a copy that cannot happen
    with app.vault() as vault:
        record, values = lifecycle.reveal(vault, name, app.actor(), [field], action=Action.COPY)
    value = values[field]
    if not value:
        raise InputError(f"{record.key_name!r} has no {field}")
    clipboard.copy(value, delay, app.environ)
    app.say(f"copied {field} of {record.key_name}"
            + (f"; clipboard clears in {delay} s" if delay else ""))


def edit(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Key name or access key id.")],
    ticket: TicketOpt,
    set_: Annotated[list[str] | None, Opt("--set", help="field=value (repeatable).")] = None,
    secret_stdin: Annotated[bool, flag("--secret-stdin", help="Replace the secret with the "
                                      "first line of stdin.")] = False,
) -> None:
    """Change fields of a record, with a ticket.

    Examples:

        seskeys edit acme-mailer --set ses_limits="production, 50000/day" --ticket OPS-7

        seskeys edit acme-mailer --set iam_groups=ses-senders,ses-audit --ticket OPS-8
    """
    app = app_context(ctx)
    changes = lifecycle.parse_assignments(set_ or [])
    secret = app.secret_from_stdin() if secret_stdin else None
    if not changes and secret is None:
        raise InputError("nothing to change", hint="use --set field=value or --secret-stdin")
    with app.vault() as vault:
        record = lifecycle.edit(vault, name, changes, app.actor(), ticket=ticket, secret=secret)
    app.say(f"updated {record.key_name} (version {record.version})")


def history(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Key name or access key id.")],
    output: Annotated[str | None, Opt("--output", "-o", help="table, json or jsonl.")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Show every event of a key and of the keys in its rotation chain.

    Example:

        seskeys history acme-mailer
    """
    app = app_context(ctx)
    fmt = output_format(output, json_out, (Output.TABLE, Output.JSON, Output.JSONL))
    with app.vault() as vault:
        record = lifecycle.find(vault, name)
        chain = lifecycle.rotation_chain(vault, record)
        ids = {r.id for r in chain}
        events = [e for e in vault.events() if e.record_id in ids
                  or any(c.field == "replaced_by" and c.new in {r.access_key_id for r in chain}
                         for c in e.changes)]
    if fmt is Output.JSON:
        app.emit(to_json([event_view(e) for e in events]))
    elif fmt is Output.JSONL:
        from seskeys.formats.jsonfmt import to_jsonl
        app.emit(to_jsonl(event_view(e) for e in events))
    else:
        from seskeys.formats.table import events_table  # rich: only when a table is shown

        app.emit(events_table(events, title=f"History of {record.key_name}"))


def revoke(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Key name or access key id.")],
    ticket: TicketOpt,
    reason: Annotated[str, Opt("--reason", "-r", help="Why the key is revoked.")],
    on: Annotated[str | None, Opt("--date", help="Revocation date (default today).")] = None,
) -> None:
    """Revoke a key in the ledger: the secret is purged, a keyed fingerprint is kept.

    This records the revocation; to deactivate and delete the key in AWS use `seskeys aws
    revoke`.

    Example:

        seskeys revoke acme-mailer --ticket SEC-42 --reason "leaked in a wiki page"
    """
    app = app_context(ctx)
    when: date | None = v.parse_date(on, "revoked_on") if on else None
    with app.vault() as vault:
        record = lifecycle.revoke(vault, name, app.actor(), ticket=ticket, reason=reason, on=when)
    app.say(f"revoked {record.key_name} ({mask_key_id(record.access_key_id)}) on "
            f"{record.revoked_on}; secret purged, fingerprint kept")


def rotate(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Key name or access key id of the old key.")],
    ticket: TicketOpt,
    access_key_id: Annotated[str, Opt("--access-key-id", help="The new key's id.")],
    new_name: Annotated[str | None, Opt("--new-name", help="Key name of the new record "
                                        "(default: the old one's).")] = None,
    secret_stdin: Annotated[bool, flag("--secret-stdin", help="Read the new secret from "
                                      "stdin.")] = False,
) -> None:
    """Record a replacement key you created, and revoke the old record with reason "rotated".

    To create the new key in AWS as well, use `seskeys aws rotate`.

    Example:

        printf '%s\\n' "$NEW_SECRET" | seskeys rotate acme-mailer --access-key-id AKIA...
        --ticket OPS-9 --secret-stdin
    """
    app = app_context(ctx)
    secret = (app.secret_from_stdin("new secret access key") if secret_stdin
              else app.secret_from_prompt("New secret access key"))
    with app.vault() as vault:
        old, new = lifecycle.rotate(vault, name, app.actor(), ticket=ticket,
                                    access_key_id=access_key_id, secret=secret,
                                    key_name=new_name)
    app.say(f"rotated {old.key_name}: {mask_key_id(old.access_key_id)} revoked, "
            f"{mask_key_id(new.access_key_id)} active")


def register(app: typer.Typer) -> None:
    app.command()(add)
    app.command("list")(list_)
    app.command()(show)
    app.command()(copy)
    app.command()(edit)
    app.command()(history)
    app.command()(revoke)
    app.command()(rotate)
