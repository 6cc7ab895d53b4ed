"""The ``seskeys`` command line: thin commands over the services; errors caught once, here."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Annotated

import typer
from typer.models import CommandInfo

from seskeys import __version__
from seskeys import config as cfg
from seskeys.cli.context import AppContext
from seskeys.cli.options import flag
from seskeys.errors import ExitCode, SeskeysError
from seskeys.formats.terminal import visible

_HELP = ("Keep Amazon SES access keys safe: an encrypted, ticketed ledger of every key, "
         "checked against your policy and your AWS accounts.\n\n"
         "Exit codes: 0 ok, 1 findings at or above --fail-on, 2 usage or input error, "
         "3 vault locked or wrong password, 4 integrity failure, 5 AWS or external tool error.")


def _version(value: bool) -> None:
    if value:
        print(f"seskeys {__version__}")
        raise typer.Exit()


def root(
    ctx: typer.Context,
    vault: Annotated[Path | None, typer.Option(
        "--vault", envvar="SESKEYS_VAULT", help="Vault file (default: the platform data dir).",
        show_envvar=True)] = None,
    password_file: Annotated[Path | None, typer.Option(
        "--password-file", help="Read the master password from this file "
        "(or set SESKEYS_PASSWORD; otherwise you are prompted).")] = None,
    config_file: Annotated[Path | None, typer.Option(
        "--config", help="Configuration file (TOML).", envvar="SESKEYS_CONFIG")] = None,
    debug: Annotated[bool, flag("--debug", help="Show tracebacks on errors.")] = False,
    version: Annotated[bool, flag("--version", callback=_version, is_eager=True,
                                          help="Show the version and exit.")] = False,
) -> None:
    if isinstance(ctx.obj, AppContext):
        # The demo and the reliability suites hand in a prepared context; it is authoritative,
        # so SESKEYS_VAULT or a flag can never point their commands at the user's own vault.
        return
    config = cfg.load(config_file, overrides={"vault": vault})
    ctx.obj = AppContext(config=config, password_file=password_file)


# Command modules, each with `register(app)`; add yours here.
_MODULES = ("vault", "records", "log", "checks", "template", "aws", "report", "smtp", "lastpass",
            "scan", "demo")
# The core modules' commands: running one of them imports only its module, so `seskeys add` does
# not pay for boto3, jinja2 and the rest. Any other command (or none) registers every module.
_CORE_COMMANDS = {
    "init": "vault", "passwd": "vault", "info": "vault",
    "add": "records", "list": "records", "show": "records", "copy": "records",
    "edit": "records", "history": "records", "revoke": "records", "rotate": "records",
    "log": "log", "check": "checks", "template": "template",
}
_ROOT_OPTIONS_WITH_VALUE = ("--vault", "--password-file", "--config")


def build_app(modules: tuple[str, ...] = _MODULES, only: str | None = None) -> typer.Typer:
    """A new app with the named command modules registered (each call its own, so nothing
    is shared between runs in one process); with ``only``, just that one command, since
    typer builds every registered command's options on each run."""
    app = typer.Typer(name="seskeys", help=_HELP, no_args_is_help=True, add_completion=False,
                      pretty_exceptions_enable=False, rich_markup_mode="markdown",
                      context_settings={"help_option_names": ["-h", "--help"]})
    app.callback()(root)
    for name in modules:
        importlib.import_module(f"seskeys.cli.{name}").register(app)
    if only is not None:
        app.registered_commands = [c for c in app.registered_commands
                                   if _command_name(c) == only]
    return app


def _command_name(command: CommandInfo) -> str:
    """The name typer gives a registered command (its function's name, dashed, by default)."""
    if command.name:
        return command.name
    return getattr(command.callback, "__name__", "").replace("_", "-")


def _command_word(args: list[str]) -> str | None:
    """The command a command line names, skipping the root options."""
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg in _ROOT_OPTIONS_WITH_VALUE:
            skip = True
        elif not arg.startswith("-"):
            return arg
    return None


def full_app() -> typer.Typer:
    """The app with every command registered (for tools that walk the command tree)."""
    return build_app()


_INTERRUPTED = 130
# typer >= 0.16 vendors click, older typer re-exports it: take the classes from typer either way
# (and do not import the separate `click` package, which costs start-up time).
_USAGE_ERRORS: tuple[type[Exception], ...] = tuple(
    c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")
_EXITS: tuple[type[Exception], ...] = (typer.Exit,)
_ABORTS: tuple[type[Exception], ...] = (typer.Abort,)


def main(argv: list[str] | None = None, obj: AppContext | None = None) -> int:
    """Run the CLI in-process and return the exit code (tests call this directly)."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    word = _command_word(args)
    core = _CORE_COMMANDS.get(word or "")
    try:
        app = build_app((core,), only=word) if core else build_app()
        result = app(args=args, prog_name="seskeys", standalone_mode=False, obj=obj)
        if result == _INTERRUPTED:  # typer turns Ctrl-C into 130 without a word
            print("seskeys: interrupted; nothing half-written was kept", file=sys.stderr)
        return int(result) if isinstance(result, int) else 0
    except SeskeysError as exc:
        if debug:
            import traceback  # only with --debug: costs start-up time

            traceback.print_exc()
        print(f"seskeys: error: {visible(exc.message)}", file=sys.stderr)
        if exc.hint:
            print(f"seskeys: hint: {visible(exc.hint)}", file=sys.stderr)
        return int(exc.exit_code)
    except _EXITS as exc:
        return int(getattr(exc, "exit_code", 0))
    except _ABORTS:
        print("seskeys: aborted", file=sys.stderr)
        return _INTERRUPTED
    except _USAGE_ERRORS as exc:
        format_message = getattr(exc, "format_message", None)
        message = format_message() if callable(format_message) else str(exc)
        print(f"seskeys: error: {visible(message)}", file=sys.stderr)
        command = getattr(getattr(exc, "ctx", None), "command_path", None)
        if command:
            print(f"seskeys: hint: `{command} --help` lists its options", file=sys.stderr)
        return int(ExitCode.USAGE)
    except UnicodeError:  # argv, stdin or a password that is not UTF-8 text
        if debug:
            import traceback

            traceback.print_exc()
        print("seskeys: error: the input holds bytes that are not UTF-8 text (or half of a "
              "character); nothing was written", file=sys.stderr)
        return int(ExitCode.USAGE)
    except KeyboardInterrupt:
        print("seskeys: interrupted; nothing half-written was kept", file=sys.stderr)
        return _INTERRUPTED
    except BrokenPipeError:
        return 0


def run() -> None:
    sys.exit(main())
