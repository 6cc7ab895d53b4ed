"""`seskeys demo`: a tour of the product in a throwaway vault; the user's vault is never used."""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

import typer

from seskeys import demo as demo_data
from seskeys.cli.context import AppContext, app_context
from seskeys.vault import crypto
from seskeys.vault.local import LocalVault


def _step(app: AppContext, title: str) -> None:
    app.say(f"\n[bold]▶ {title}[/bold]")


def demo(ctx: typer.Context) -> None:
    """Run a guided tour in a temporary vault with a throwaway password.

    Creates a vault, adds realistic records for several clients (some overdue, one revoked,
    one rotated), and runs list, show, check and log --verify.

    Example:

        seskeys demo
    """
    from seskeys.cli import main

    app = app_context(ctx)
    with tempfile.TemporaryDirectory(prefix="seskeys-demo-") as tmp:
        workdir = Path(tmp)
        password_file = workdir / "demo-password"
        password_file.write_text(secrets.token_urlsafe(24) + "\n")
        os.chmod(password_file, 0o600)
        vault_path = workdir / "demo-vault.db"
        tour = AppContext(config=app.config.model_copy(update={"vault": vault_path}),
                          password_file=password_file, out=app.out, err=app.err,
                          clock=app.clock)
        password = tour.master_password()

        _step(app, "init: a new vault, Argon2id calibrated to about half a second")
        params = crypto.calibrate()
        vault = LocalVault.create(vault_path, password, params, actor="demo", clock=app.clock)
        app.say(f"vault {vault_path} ({params.describe()}), every field AES-256-GCM encrypted")

        _step(app, "add: six keys for five clients, one revoked, one rotated")
        demo_data.populate(vault, tour.actor())
        app.say(f"{len(vault.summaries())} records, {len(vault.events())} events in the log")
        vault.close()

        steps = [
            ("list: every key with its age and rotation due date", ["list"]),
            ("show: one record, Password fields masked", ["show", "acme-transactional"]),
            ("history: the rotation chain of hooli-notify", ["history", "hooli-notify"]),
            ("check: the ledger against the policy (overdue, missing group, due soon)",
             ["check", "--fail-on", "none"]),
            ("log --verify: the HMAC chain proves the log unbroken", ["log", "--verify"]),
        ]
        for title, args in steps:
            _step(app, title)
            code = main(args, obj=tour)
            if code:
                app.say(f"[red]step failed with exit code {code}[/red]")
                raise typer.Exit(code)
    app.say("\n[green]demo finished; the temporary vault was deleted.[/green] "
            "Start your own with `seskeys init`.")


def register(app: typer.Typer) -> None:
    app.command()(demo)
