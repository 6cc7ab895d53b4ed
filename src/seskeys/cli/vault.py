"""`seskeys init`, `seskeys passwd`, `seskeys info`: create, re-key and describe the vault."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from seskeys.cli.context import AppContext, app_context
from seskeys.cli.options import flag
from seskeys.formats.jsonfmt import to_json
from seskeys.vault import crypto
from seskeys.vault.local import LocalVault


class KdfProfile(StrEnum):
    STANDARD = crypto.STANDARD
    INSECURE_TEST = crypto.INSECURE_TEST


def _params(profile: KdfProfile) -> crypto.KdfParams:
    if profile is KdfProfile.INSECURE_TEST:
        return crypto.insecure_test_params()
    return crypto.calibrate()


def init(
    ctx: typer.Context,
    kdf_profile: Annotated[KdfProfile, typer.Option(
        "--kdf-profile", help="`standard` calibrates Argon2id to about 0.5 s (never below "
        "m=64 MiB, t=3, p=4). `insecure-test` is for tests only and is reported as a critical "
        "finding by `seskeys check`.")] = KdfProfile.STANDARD,
) -> None:
    """Create an encrypted vault.

    Examples:

        seskeys init

        seskeys --vault ./team.db --password-file ~/.seskeys-pw init
    """
    app = app_context(ctx)
    path = app.vault_path()
    password = app.master_password(confirm=True)
    params = _params(kdf_profile)
    vault = LocalVault.create(path, password, params, actor=app.config.who(), clock=app.clock)
    vault.close()
    app.say(f"created vault {path} ({params.describe()})")
    _warn_if_short(app, password)
    if kdf_profile is KdfProfile.INSECURE_TEST:
        app.say("warning: the insecure-test KDF profile must never hold real keys")


MIN_GOOD_PASSWORD = 12


def _warn_if_short(app: AppContext, password: str) -> None:
    """A stolen vault file is as strong as its master password: Argon2id slows guessing,
    it does not make a short password long."""
    if len(password) < MIN_GOOD_PASSWORD:
        app.say(f"warning: the master password has {len(password)} characters; a stolen vault "
                f"file is only as safe as it: use {MIN_GOOD_PASSWORD} or more (`seskeys "
                "passwd`)")


def passwd(
    ctx: typer.Context,
    new_password_file: Annotated[Path | None, typer.Option(
        "--new-password-file", help="Read the new password from this file "
        "(or SESKEYS_NEW_PASSWORD; otherwise you are prompted).")] = None,
    kdf_profile: Annotated[KdfProfile, typer.Option(
        "--kdf-profile", help="Key derivation profile for the new password.")
    ] = KdfProfile.STANDARD,
) -> None:
    """Change the master password (re-wraps the data key; records are not rewritten).

    Example:

        seskeys passwd
    """
    app = app_context(ctx)
    with app.vault() as vault:
        assert isinstance(vault, LocalVault)
        new = app.new_password(new_password_file)
        params = _params(kdf_profile)
        vault.change_password(new, params, actor=app.config.who())
    app.say(f"master password changed ({params.describe()})")
    _warn_if_short(app, new)


def info(
    ctx: typer.Context,
    json_out: Annotated[bool, flag("--json", help="Output JSON.")] = False,
) -> None:
    """Describe the vault: location, key derivation, record and event counts.

    Example:

        seskeys info --json
    """
    app = app_context(ctx)
    with app.vault() as vault:
        details = vault.info()
    data = {"backend": details.backend, "location": details.location,
            "vault_id": details.vault_id, "kdf": details.kdf,
            "insecure_kdf": details.insecure_kdf, "records": details.records,
            "events": details.events, "format_version": details.format_version}
    if json_out:
        app.emit(to_json(data))
    else:
        app.emit("".join(f"{k:15} {v}\n" for k, v in data.items()))


def register(app: typer.Typer) -> None:
    app.command()(init)
    app.command()(passwd)
    app.command()(info)
