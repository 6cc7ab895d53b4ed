"""LastPass commands: `export lastpass-csv`, `import lastpass-csv`, `sync lastpass ...`."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from seskeys.cli.context import AppContext, app_context
from seskeys.cli.options import JSON_HELP, flag, output_format, write_private
from seskeys.errors import InputError
from seskeys.events import Action, EventDraft
from seskeys.events import Change as FieldChange
from seskeys.formats import Output
from seskeys.formats.jsonfmt import to_json
from seskeys.formats.lastpass import (
    import_summary,
    import_table,
    import_view,
    sync_table,
    sync_view,
)
from seskeys.interop import lastpass_import, lastpass_sync
from seskeys.interop.lastpass_csv import Header, decode_bytes
from seskeys.interop.lastpass_csv import read as read_csv
from seskeys.interop.lastpass_note import Layout, normalize_note_type
from seskeys.interop.lastpass_sync import State, SyncResult
from seskeys.interop.lpass import SYNC_MODES, Lpass
from seskeys.template import SECRET_FIELDS
from seskeys.vault import Vault
from seskeys.vault.lastpass import LastPassVault

Opt = typer.Option
DEFAULT_FOLDER = "SES Keys"
NoteTypeOpt = Annotated[str | None, Opt(
    "--note-type", help="NoteType id of the template in your LastPass account "
    "(`Custom_<digits>`); default: lastpass_note_type from the configuration.")]
FolderOpt = Annotated[str, Opt("--folder", help="LastPass folder of the key items "
                                "(sub-folders with `\\`).")]
OutputOpt = Annotated[str | None, Opt("--output", "-o", help="table or json.")]
JsonOpt = Annotated[bool, flag("--json", help=JSON_HELP)]


def _layout(app: AppContext, note_type: str | None, *, required: bool) -> Layout:
    value = note_type or app.config.lastpass_note_type
    layout = Layout.configured(normalize_note_type(value) if value else None,
                               app.config.lastpass_labels)
    if required:
        layout.require_note_type()
    return layout


def _confirm_secrets(app: AppContext, yes: bool) -> None:
    if yes:
        return
    if not app.interactive:
        raise InputError("--include-secrets writes every secret in clear; confirm with --yes "
                         "when not on a terminal")
    if not typer.confirm("Write every secret access key in clear into the file?",
                         default=False, err=True):
        raise typer.Abort()


# -- export ---------------------------------------------------------------------------------


def export_lastpass_csv(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(help="CSV file to write (mode 0600), or - for stdout.")],
    include_secrets: Annotated[bool, flag("--include-secrets", help="Write the Password fields "
                                         "(secret, SMTP password) in clear; logged.")] = False,
    yes: Annotated[bool, flag("--yes", "-y", help="Do not ask before writing secrets.")] = False,
    header: Annotated[str, Opt("--header", help="web (LastPass web import, with totp) or "
                                "lpass (`lpass import`).")] = "web",
    note_type: NoteTypeOpt = None,
    folder: FolderOpt = DEFAULT_FOLDER,
    force: Annotated[bool, flag("--force", help="Overwrite FILE if it exists.")] = False,
) -> None:
    """Export every record as a LastPass secure note of the template's custom item type.

    Password fields stay empty unless --include-secrets (confirmed on a terminal, --yes in
    scripts). The file is UTF-8 without BOM; dates are written as LastPass stores them.

    Examples:

        seskeys export lastpass-csv keys.csv --note-type Custom_123456

        seskeys export lastpass-csv keys.csv --include-secrets --yes --header lpass
    """
    app = app_context(ctx)
    try:
        chosen = Header(header.lower())
    except ValueError:
        raise InputError("--header expects web or lpass") from None
    layout = _layout(app, note_type, required=True)
    if include_secrets:
        _confirm_secrets(app, yes)
    with app.vault() as vault:
        records = vault.records()
        text, count = lastpass_import.export_records(
            records, layout, include_secrets=include_secrets, header=chosen, folder=folder)
        if include_secrets:
            vault.log(EventDraft(action=Action.REVEAL, actor=app.actor().name,
                                 changes=tuple(FieldChange(field=f, secret=True)
                                               for f in sorted(SECRET_FIELDS)),
                                 detail=f"exported {count} record(s) with secrets to "
                                        f"LastPass CSV {file}"))
    if file == "-":
        app.emit(text)
    else:
        write_private(Path(file), text, force=force)
    app.say(f"exported {count} record(s) to {file}"
            + ("" if include_secrets else "; Password fields left empty (use "
               "--include-secrets to write them)"))


# -- import ---------------------------------------------------------------------------------


def _read_input(app: AppContext, file: str) -> str:
    if file == "-":
        data = sys.stdin.buffer.read() if hasattr(app.stdin, "buffer") else \
            app.stdin.read().encode("utf-8")
        return decode_bytes(data, "stdin")
    try:
        return decode_bytes(Path(file).read_bytes(), file)
    except OSError as exc:
        raise InputError(f"cannot read {file}: {exc.strerror}") from None


def import_lastpass_csv(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(help="LastPass CSV export, or - for stdin.")],
    ticket: Annotated[str, Opt("--ticket", "-t", help="The ticket that approves the import.")],
    dry_run: Annotated[bool, flag("--dry-run", help="Report what would happen; write "
                                 "nothing.")] = False,
    decode_html_entities: Annotated[bool, flag(
        "--decode-html-entities", help="Turn `&amp;` `&lt;` `&gt;` … back into characters (for "
        "exports LastPass printed as a web page).")] = False,
    strict: Annotated[bool, flag("--strict", help="Write nothing if any row is invalid or "
                                "needs review.")] = False,
    note_type: NoteTypeOpt = None,
    output: OutputOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Import keys from a LastPass CSV export, row by row, with a report.

    Reads both headers (web export with totp, `lpass export`), any line endings, a BOM,
    multi-line notes. Items of the template's custom type are mapped by label; Server, Email
    and site items holding SES keys are reported for review. A key already in the vault (same
    access key id) is never imported twice. Exit 1 when rows were invalid or need review.

    Examples:

        seskeys import lastpass-csv lastpass_export.csv --ticket OPS-300 --dry-run

        seskeys import lastpass-csv lastpass_export.csv --ticket OPS-300 --strict --json
    """
    app = app_context(ctx)
    fmt = output_format(output, json_out, (Output.TABLE, Output.JSON))
    layout = _layout(app, note_type, required=False)
    parsed = read_csv(_read_input(app, file), decode_entities=decode_html_entities)
    with app.vault() as vault:
        report = lastpass_import.import_rows(parsed.rows, vault, app.actor(), layout=layout,
                                             ticket=ticket, dry_run=dry_run, strict=strict)
    app.emit(to_json(import_view(report)) if fmt is Output.JSON else import_table(report))
    app.say(import_summary(report))
    if report.bad:
        raise typer.Exit(2 if strict else 1)


# -- sync -----------------------------------------------------------------------------------

LpassOpt = Annotated[str, Opt("--lpass", envvar="SESKEYS_LPASS", help="The lpass program.")]
LpassSyncOpt = Annotated[str, Opt("--lpass-sync", envvar="SESKEYS_LPASS_SYNC",
                                  help="lpass --sync mode: auto, now or no (offline, "
                                       "lpass's local copy only).")]
TimeoutOpt = Annotated[float, Opt("--timeout", help="Seconds allowed for each lpass call.")]
SyncTicketOpt = Annotated[str, Opt("--ticket", "-t", help="The ticket that approves the "
                                   "sync.")]
DryRunOpt = Annotated[bool, flag("--dry-run", help="Show what would change; write nothing.")]


@dataclass(frozen=True)
class _RemoteArgs:
    note_type: str | None
    folder: str
    lpass: str
    lpass_sync: str
    timeout: float


def _remote(app: AppContext, vault: Vault, args: _RemoteArgs) -> LastPassVault:
    if args.lpass_sync not in SYNC_MODES:
        raise InputError("--lpass-sync expects auto, now or no")
    client = Lpass(executable=args.lpass, sync=args.lpass_sync, timeout=args.timeout,
                   environ=app.environ)
    for path in client.user_overrides():
        app.say(f"warning: {path} changes how lpass behaves for every command")
    return LastPassVault(client, _layout(app, args.note_type, required=True),
                         folder=args.folder, journal=vault)


def _show_sync(app: AppContext, result: SyncResult, title: str, fmt: Output) -> None:
    """The items, a count per state, then the failure that stopped the run (exit 5) or exit 1
    when a person has to look at something."""
    items = result.items
    app.emit(to_json(sync_view(items)) if fmt is Output.JSON else sync_table(items, title))
    counts: dict[str, int] = {}
    for item in items:
        counts[item.state.value] = counts.get(item.state.value, 0) + 1
    app.say(f"{len(items)} key(s): " + (", ".join(f"{n} {s}" for s, n in counts.items())
                                         or "none"))
    if result.error is not None:
        raise result.error
    if any(item.bad for item in items):
        raise typer.Exit(1)


def sync_diff(
    ctx: typer.Context,
    note_type: NoteTypeOpt = None, folder: FolderOpt = DEFAULT_FOLDER,
    lpass: LpassOpt = "lpass", lpass_sync: LpassSyncOpt = "auto",
    timeout: TimeoutOpt = 60.0, output: OutputOpt = None, json_out: JsonOpt = False,
) -> None:
    """Compare the local vault with LastPass (by access key id). Exit 1 when they differ,
    or when an item could not be read or a key is held twice.

    Example:

        seskeys sync lastpass diff --note-type Custom_123456 --folder "SES Keys"
    """
    app = app_context(ctx)
    fmt = output_format(output, json_out, (Output.TABLE, Output.JSON))
    args = _RemoteArgs(note_type, folder, lpass, lpass_sync, timeout)
    with app.vault() as vault:
        items = lastpass_sync.diff(vault, _remote(app, vault, args))
    _show_sync(app, SyncResult(items), "Local vault vs LastPass", fmt)
    if any(i.state is not State.SAME for i in items):
        raise typer.Exit(1)


def _sync_write(ctx: typer.Context, direction: str, *, ticket: str, dry_run: bool,
                args: _RemoteArgs, fmt: Output) -> None:
    app = app_context(ctx)
    run = lastpass_sync.push if direction == "push" else lastpass_sync.pull
    with app.vault() as vault:
        result = run(vault, _remote(app, vault, args), app.actor(), ticket=ticket,
                     dry_run=dry_run)
    _show_sync(app, result, f"sync lastpass {direction}" + (" (dry run)" if dry_run else ""),
               fmt)


def sync_push(
    ctx: typer.Context, ticket: SyncTicketOpt, dry_run: DryRunOpt = False,
    note_type: NoteTypeOpt = None, folder: FolderOpt = DEFAULT_FOLDER,
    lpass: LpassOpt = "lpass", lpass_sync: LpassSyncOpt = "auto",
    timeout: TimeoutOpt = 60.0, output: OutputOpt = None, json_out: JsonOpt = False,
) -> None:
    """Write local records that are missing or different in LastPass; every write verified.

    Each pushed record is logged in the local vault as a `sync` event with the ticket.

    Example:

        seskeys sync lastpass push --ticket OPS-400 --note-type Custom_123456
    """
    fmt = output_format(output, json_out, (Output.TABLE, Output.JSON))
    _sync_write(ctx, "push", ticket=ticket, dry_run=dry_run, fmt=fmt,
                args=_RemoteArgs(note_type, folder, lpass, lpass_sync, timeout))


def sync_pull(
    ctx: typer.Context, ticket: SyncTicketOpt, dry_run: DryRunOpt = False,
    note_type: NoteTypeOpt = None, folder: FolderOpt = DEFAULT_FOLDER,
    lpass: LpassOpt = "lpass", lpass_sync: LpassSyncOpt = "auto",
    timeout: TimeoutOpt = 60.0, output: OutputOpt = None, json_out: JsonOpt = False,
) -> None:
    """Write LastPass records that are missing or different into the local vault (one
    transaction, one `sync` event per record). A live local secret is never dropped.

    Example:

        seskeys sync lastpass pull --ticket OPS-401 --dry-run
    """
    fmt = output_format(output, json_out, (Output.TABLE, Output.JSON))
    _sync_write(ctx, "pull", ticket=ticket, dry_run=dry_run, fmt=fmt,
                args=_RemoteArgs(note_type, folder, lpass, lpass_sync, timeout))


def register(app: typer.Typer) -> None:
    export_app = typer.Typer(name="export", help="Export the vault to other systems.",
                             no_args_is_help=True)
    export_app.command("lastpass-csv")(export_lastpass_csv)
    import_app = typer.Typer(name="import", help="Import keys from other systems.",
                             no_args_is_help=True)
    import_app.command("lastpass-csv")(import_lastpass_csv)
    lastpass_app = typer.Typer(name="lastpass", help="Between the local vault and LastPass "
                               "(through lpass).", no_args_is_help=True)
    lastpass_app.command("diff")(sync_diff)
    lastpass_app.command("push")(sync_push)
    lastpass_app.command("pull")(sync_pull)
    sync_app = typer.Typer(name="sync", help="Synchronise the vault with other stores.",
                           no_args_is_help=True)
    sync_app.add_typer(lastpass_app)
    for sub in (export_app, import_app, sync_app):
        app.add_typer(sub)
