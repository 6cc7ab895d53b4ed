"""`seskeys demo`: the whole product on one machine, in a throwaway vault and an in-process
AWS account; the user's vault and AWS accounts are never touched."""

from __future__ import annotations

import os
import secrets
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from seskeys import demo as demo_data
from seskeys.cli.context import AppContext, app_context
from seskeys.cli.options import flag
from seskeys.errors import InputError
from seskeys.vault import crypto
from seskeys.vault.local import LocalVault


def _step(app: AppContext, title: str) -> None:
    app.say(Text(f"\n▶ {title}", style="bold"))


def _run_steps(app: AppContext, tour: AppContext, steps: list[tuple[str, list[str]]]) -> None:
    from seskeys.cli import main

    for title, args in steps:
        _step(app, title)
        code = main(args, obj=tour)
        if code not in (0, 1):  # 1: findings, which the tour is here to show
            app.say(Text(f"step failed with exit code {code}", style="red"))
            raise typer.Exit(code)


def demo(
    ctx: typer.Context,
    out: Annotated[Path | None, typer.Option(
        "--out", help="Where to write the HTML report (default: a new folder under the "
        "system's temporary directory).")] = None,
    ledger_only: Annotated[bool, flag(
        "--ledger-only", help="Only the vault tour: no AWS account, scan or report.")] = False,
) -> None:
    """Run a guided tour: a vault with realistic records, an AWS audit of an in-process moto
    account seeded with SES users, a leak scan of planted files, and the HTML audit report.

    Needs the `demo` extra (moto) for the AWS part; `make demo` installs it.

    Example:

        seskeys demo
    """
    app = app_context(ctx)
    if out is not None and out.exists():
        raise InputError(f"{out} exists", hint="choose another --out; the demo never "
                         "overwrites a file")
    report_path = out or Path(tempfile.mkdtemp(prefix="seskeys-demo-report-")) / "report.html"
    with tempfile.TemporaryDirectory(prefix="seskeys-demo-") as tmp, ExitStack() as stack:
        workdir = Path(tmp)
        password_file = workdir / "demo-password"
        password_file.write_text(secrets.token_urlsafe(24) + "\n")
        os.chmod(password_file, 0o600)
        vault_path = workdir / "demo-vault.db"
        tour = AppContext(config=app.config.model_copy(update={"vault": vault_path}),
                          password_file=password_file, out=app.stdout(), err=app.stderr(),
                          clock=app.clock)
        credentials: demo_data.Credentials = {}
        if not ledger_only:
            from seskeys import demo_aws

            _step(app, "aws: an in-process AWS account (moto) with seven IAM users")
            credentials = stack.enter_context(demo_aws.mocked_account())
            app.say("SES senders for four clients, an over-privileged user, a key the vault "
                    "revoked but AWS still accepts, an unknown key and an admin without MFA")

        _step(app, "init: a new vault, Argon2id calibrated to about half a second")
        params = crypto.calibrate()
        vault = LocalVault.create(vault_path, tour.master_password(), params, actor="demo",
                                  clock=app.clock)
        app.say(f"vault {vault_path} ({params.describe()}), every field AES-256-GCM encrypted")
        _step(app, "add: six keys for five clients, one revoked, one rotated")
        demo_data.populate(vault, tour.actor(), credentials)
        app.say(f"{len(vault.summaries())} records, {len(vault.events())} events in the log")
        vault.close()

        _run_steps(app, tour, [
            ("list: every key with its age and rotation due date", ["list"]),
            ("show: one record, Password fields masked", ["show", "acme-transactional"]),
            ("history: the rotation chain of hooli-notify", ["history", "hooli-notify"]),
            ("check: the ledger against the policy (overdue, missing group, due soon)",
             ["check", "--fail-on", "none"]),
            ("log --verify: the HMAC chain proves the log unbroken", ["log", "--verify"]),
        ])
        if ledger_only:
            app.say(Text("\ndemo finished; the temporary vault was deleted.", style="green"))
            return
        from seskeys import demo_aws

        leaks = workdir / "shared-drive"
        demo_aws.plant_leaks(leaks, credentials)
        _run_steps(app, tour, [
            ("aws audit: the account against the policy, and drift against the vault",
             ["aws", "audit", "--fail-on", "none"]),
            ("scan: a shared drive with a wiki page and an e-mail with a base64 attachment",
             ["scan", str(leaks), "--fail-on", "none"]),
            ("report: one HTML document for the auditor",
             ["report", "--aws", "--scan", str(leaks), "-o", "html", "--out",
              str(report_path)]),
        ])
    app.say(Text.assemble(
        ("\ndemo finished.", "green"), " The audit report: ", (str(report_path), "bold"),
        "\nThe temporary vault and AWS account are gone. Start your own with `seskeys init`."))


def register(app: typer.Typer) -> None:
    app.command()(demo)
