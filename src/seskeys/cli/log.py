"""`seskeys log`: export the event log, or prove its chain unbroken."""

from __future__ import annotations

from typing import Annotated

import typer

from seskeys.cli.context import app_context
from seskeys.cli.options import JSON_HELP, flag, output_format
from seskeys.errors import IntegrityError
from seskeys.formats import Output
from seskeys.formats.csvfmt import to_csv
from seskeys.formats.jsonfmt import to_json, to_jsonl
from seskeys.formats.table import events_table, verification_text
from seskeys.formats.views import change_text, event_view

_CSV_COLUMNS = ["seq", "at", "actor", "action", "ticket", "key_name", "record_id", "changes",
                "mac"]


def log(
    ctx: typer.Context,
    verify: Annotated[bool, flag("--verify", help="Verify the HMAC chain; exit 4 on a "
                                         "break, naming the first bad event.")] = False,
    output: Annotated[str | None, typer.Option("--output", "-o",
                                               help="table, json, jsonl or csv.")] = None,
    json_out: Annotated[bool, flag("--json", help=JSON_HELP)] = False,
) -> None:
    """Export the event log for the ticketing system, or verify it.

    Events carry UTC time, actor, ticket, record and what changed — never a secret value.

    Examples:

        seskeys log --verify

        seskeys log -o jsonl > events.jsonl

        seskeys log -o csv > events.csv
    """
    app = app_context(ctx)
    if verify:
        with app.vault() as vault:
            result = vault.verify()
        if output or json_out:
            app.emit(to_json(result.model_dump()))
        else:
            app.emit(verification_text(result))
        if not result.ok:
            raise IntegrityError(f"event log broken at event {result.first_bad_seq}: "
                                 f"{result.problem}")
        return
    fmt = output_format(output, json_out, (Output.TABLE, Output.JSON, Output.JSONL, Output.CSV))
    with app.vault() as vault:
        events = vault.events()
    if fmt is Output.JSON:
        app.emit(to_json([event_view(e) for e in events]))
    elif fmt is Output.JSONL:
        app.emit(to_jsonl(event_view(e) for e in events))
    elif fmt is Output.CSV:
        app.emit(to_csv(({**event_view(e), "changes": change_text(e, limit=None)}
                         for e in events),
                        _CSV_COLUMNS))
    else:
        app.emit(events_table(events))


def register(app: typer.Typer) -> None:
    app.command()(log)
