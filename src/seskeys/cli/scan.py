"""`seskeys scan`: find SES keys, secrets and SMTP passwords stored in plaintext."""

from __future__ import annotations

import dataclasses
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import Progress, TextColumn, TimeElapsedColumn

from seskeys.checks.scan import check_id_of, scan_report
from seskeys.cli.context import AppContext, app_context
from seskeys.cli.options import FAIL_ON_HELP, JSON_HELP, exit_for, fail_on, flag, output_format
from seskeys.formats import Output
from seskeys.formats.jsonfmt import to_json
from seskeys.formats.markdown import findings_markdown
from seskeys.formats.sarif import to_sarif
from seskeys.formats.table import findings_table
from seskeys.formats.views import report_view
from seskeys.scan import baseline as bl
from seskeys.scan.attribution import Ledger, Verdict
from seskeys.scan.scanner import ScanOptions, ScanResult, baseline_entries, scan
from seskeys.vault import Vault

Opt = typer.Option


def scan_command(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Files and folders to scan.",
                                                metavar="PATH")],
    git: Annotated[bool, flag("--git", help="Also scan every blob in the history of the git "
                                           "repositories the paths are in.")] = False,
    output: Annotated[str | None, Opt("--output", "-o",
                                      help="table, json, sarif or markdown.")] = None,
    json_out: Annotated[bool, flag("--json", help=JSON_HELP)] = False,
    fail_on_: Annotated[str, Opt("--fail-on", help=FAIL_ON_HELP)] = "low",
    baseline: Annotated[Path | None, Opt("--baseline", help="Accept the values listed in "
                                         "this baseline file (salted hashes).")] = None,
    write_baseline: Annotated[Path | None, Opt(
        "--write-baseline", help="Add every value found (except live ledger keys) to this "
        "baseline file, creating it if needed.")] = None,
    include_examples: Annotated[bool, flag("--include-examples", help="Report AWS "
                                          "documentation example keys too.")] = False,
    include_identifiers: Annotated[bool, flag("--include-identifiers", help="Report AWS "
                                             "unique ids (AIDA, AROA, ...) too.")] = False,
    respect_gitignore: Annotated[bool, flag("--respect-gitignore", help="Skip files that "
                                           "git ignores.")] = False,
    exclude: Annotated[list[str] | None, Opt("--exclude", help="Skip paths matching this "
                                             "glob (repeatable).")] = None,
    max_file_size: Annotated[int, Opt("--max-file-size", min=1,
                                      help="Skip files larger than this many MB.")] = 50,
    jobs: Annotated[int, Opt("--jobs", "-j", min=0,
                             help="Worker processes (0: one per core).")] = 0,
    ledger: Annotated[bool | None, flag(
        "--ledger/--no-ledger", help="Match findings to the vault's records. Default: when a "
        "vault exists and a master password is at hand (--password-file, SESKEYS_PASSWORD, "
        "or a terminal).")] = None,
) -> None:
    """Find SES access keys, secret keys and SMTP passwords in files, e-mails, documents and
    git history, and say whose key each one is.

    Reads text files, .eml/.mbox (MIME-decoded, attachments included), .docx/.xlsx/.pptx/.odt,
    .ipynb, and with --git every blob ever committed. With the vault unlocked each value is
    matched to its record (revoked keys included). Values are always shown redacted.

    Examples:

        seskeys scan .

        seskeys scan ~/Mail/exports --json

        seskeys scan . --git -o sarif > seskeys.sarif

        seskeys scan src --no-ledger --baseline .seskeys-baseline.json --fail-on high
    """
    app = app_context(ctx)
    threshold = fail_on(fail_on_)
    fmt = output_format(output, json_out,
                        (Output.TABLE, Output.JSON, Output.SARIF, Output.MARKDOWN))
    options = ScanOptions(paths=tuple(str(p) for p in paths), git=git,
                          respect_gitignore=respect_gitignore,
                          max_file_bytes=max_file_size * 2**20, jobs=jobs,
                          include_examples=include_examples,
                          include_identifiers=include_identifiers, exclude=tuple(exclude or ()))
    accepted = bl.load(baseline) if baseline else None
    result = _run(app, options, accepted, ledger)
    if write_baseline:
        result = _write_baseline(app, result, write_baseline)
    report = scan_report(result, app.clock())
    if fmt is Output.JSON:
        app.emit(to_json(report_view(report)))
    elif fmt is Output.SARIF:
        app.emit(to_json(to_sarif(report)))
    elif fmt is Output.MARKDOWN:
        app.emit(findings_markdown(report, heading="Plaintext keys found"))
    else:
        app.emit(findings_table(report))
    for note in report.notes:
        app.say(note)
    exit_for(report, threshold)


def _run(app: AppContext, options: ScanOptions, accepted: bl.Baseline | None,
         use_ledger: bool | None) -> ScanResult:
    vault = _open_vault(app, use_ledger)
    with _progress(app) as progress:
        step = _advance(progress)
        try:
            ledger = Ledger.from_vault(vault) if vault else None
            return scan(options, ledger=ledger, baseline=accepted, progress=step)
        finally:
            app.close_vault()


def _open_vault(app: AppContext, use_ledger: bool | None) -> Vault | None:
    if use_ledger is False:
        return None
    if use_ledger is None:
        if not app.vault_path().exists():
            app.say("no vault: scanning without attribution")
            return None
        if not (app.password_file or app.environ.get("SESKEYS_PASSWORD") or app.interactive):
            app.say("no master password at hand (--password-file, SESKEYS_PASSWORD or a "
                    "terminal): scanning without attribution")
            return None
    return app.open_vault()


def _progress(app: AppContext) -> AbstractContextManager[Progress | None]:
    if not app.interactive:
        return nullcontext()
    return Progress(TextColumn("scanning {task.completed:,.0f} bytes"), TimeElapsedColumn(),
                    console=app.stderr(), transient=True)


def _advance(progress: Progress | None) -> Any:
    if progress is None:
        return None
    task = progress.add_task("scan", total=None)
    return lambda size: progress.advance(task, size)


def _write_baseline(app: AppContext, result: ScanResult, path: Path) -> ScanResult:
    existing = bl.load(path) if path.exists() else bl.Baseline.new()
    updated = baseline_entries(result, existing, check_id_of)
    bl.save(updated, path)
    added = len(updated.entries) - len(existing.entries)
    live = tuple(j for j in result.judged if j.verdict is Verdict.ACTIVE_LEAK)
    app.say(f"baseline {path}: {added} value(s) added, {len(updated.entries)} in all")
    return dataclasses.replace(result, judged=live, suppressed_baseline=result.suppressed_baseline
                               + len(result.judged) - len(live))


def register(app: typer.Typer) -> None:
    app.command("scan")(scan_command)
