"""Terminal tables (rich renderables). The CLI prints them; colour only on a TTY."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from rich.cells import cell_len
from rich.table import Table
from rich.text import Text

from seskeys.checks import CheckReport, Severity
from seskeys.events import Event, LogVerification
from seskeys.formats.terminal import has_control, visible
from seskeys.formats.views import change_text, place
from seskeys.template import FIELDS

_SEVERITY_STYLE = {Severity.CRITICAL: "bold red", Severity.HIGH: "red",
                   Severity.MEDIUM: "yellow", Severity.LOW: "cyan", Severity.INFO: "dim"}
_STATUS_STYLE = {"active": "green", "inactive": "yellow", "revoked": "dim"}


def cells(*values: str | Text) -> list[Text]:
    """Table cells as literal text: a value from a record or a file, such as ``[/x]`` or an
    escape sequence, is shown as written, never read as rich markup or by the terminal."""
    return [v if isinstance(v, Text) else Text(visible(v)) for v in values]


_RECORD_COLUMNS = ("Key name", "Client", "Status", "Access key", "Created", "Age (d)",
                   "Rotation due", "Region")
# A rich table costs about a millisecond a row to lay out; longer lists are plain columns.
RICH_TABLE_MAX_ROWS = 500


def _record_cells(r: Mapping[str, Any]) -> tuple[str, ...]:
    return (r["key_name"], r["client"], r["status"], r["access_key_id"], r["created_on"],
            "" if r["age_days"] is None else str(r["age_days"]),
            r["rotation_due"] or (f"revoked {r['revoked_on']}" if r["revoked_on"] else ""),
            r["ses_region"] or "")


def records_table(rows: Sequence[Mapping[str, Any]]) -> Table | str:
    """The records as a rich table, or, past RICH_TABLE_MAX_ROWS, as aligned plain text
    (100k rows in well under a second instead of minutes)."""
    if len(rows) > RICH_TABLE_MAX_ROWS:
        return _plain_columns(f"{len(rows)} record(s)", _RECORD_COLUMNS,
                              [_record_cells(r) for r in rows])
    table = Table(title=f"{len(rows)} record(s)", title_justify="left")
    for column in _RECORD_COLUMNS:
        table.add_column(column, overflow="fold")
    for r in rows:
        values = _record_cells(r)
        table.add_row(*cells(*values[:2], Text(r["status"], style=_STATUS_STYLE.get(
            r["status"], "")), *values[3:]))
    return table


def _plain_columns(title: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Left-aligned columns two spaces apart, widths measured in terminal cells; built a
    column at a time, so 100k rows take a fraction of a second."""
    table = [[visible(v) for v in row] if has_control("".join(row)) else row
             for row in [header, *rows]]
    columns = [_padded(list(column)) for column in zip(*table, strict=True)]
    lines = ("  ".join(cells_of_row).rstrip() for cells_of_row in zip(*columns, strict=True))
    return "\n".join([visible(title), *lines]) + "\n"


def _padded(column: list[str]) -> list[str]:
    if "".join(column).isascii():  # one character, one cell
        width = max(map(len, column))
        return [v.ljust(width) for v in column]
    widths = [cell_len(v) for v in column]
    width = max(widths)
    return [v + " " * (width - w) for v, w in zip(column, widths, strict=True)]


def record_table(view: Mapping[str, Any]) -> Table:
    table = Table(show_header=False, box=None, padding=(0, 2))
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    for fid, value in view.items():
        spec = FIELDS[fid]
        shown = ", ".join(value) if isinstance(value, list) else ("" if value is None
                                                                    else str(value))
        label = spec.label + (" *" if spec.extension else "")
        table.add_row(*cells(label, shown))
    return table


def events_table(events: Iterable[Event], title: str = "Event log") -> Table:
    table = Table(title=Text(visible(title)), title_justify="left")
    for column in ("#", "When (UTC)", "Actor", "Action", "Ticket", "Key", "What changed"):
        table.add_column(column, overflow="fold")
    for e in events:
        table.add_row(*cells(str(e.seq), e.at.strftime("%Y-%m-%d %H:%M:%S"), e.actor, e.action,
                             e.ticket or "", e.key_name or "", change_text(e)))
    return table


def findings_table(report: CheckReport) -> Table:
    table = Table(title=f"{len(report.findings)} finding(s) — data taken "
                  f"{report.taken_at:%Y-%m-%d %H:%M} UTC", title_justify="left")
    located = any(f.location for f in report.findings)  # scanner findings carry file:line
    for column in ("Severity", "Check", "Subject", *(("Location",) if located else ()),
                   "Finding", "Remediation"):
        table.add_column(column, overflow="fold")
    for f in report.findings:
        subject = f.subject
        if f.key_id and f.key_id not in subject:
            subject = f"{subject} ({f.key_id})"
        if f.account:
            subject = f"{f.account}: {subject}"
        table.add_row(*cells(Text(f.severity.value, style=_SEVERITY_STYLE[f.severity]),
                             f.check_id, subject, *((place(f),) if located else ()), f.message,
                             f.remediation))
    for s in report.skipped:
        table.add_row(*cells(Text(s.outcome.value, style="magenta"), s.check_id, "",
                             *(("",) if located else ()), s.reason, ""))
    return table


def verification_text(result: LogVerification) -> Text:
    if result.ok:
        return Text(f"log verified: {result.events} events, chain unbroken, head #"
                    f"{result.head_seq} {(result.head_mac or '')[:16]}", style="green")
    return Text(f"log BROKEN at event {result.first_bad_seq}: {result.problem} "
                f"({result.events} events verified before it)", style="bold red")
