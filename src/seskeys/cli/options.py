"""Shared option types and output helpers for commands."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import typer

from seskeys.checks import CheckReport, Severity
from seskeys.errors import InputError
from seskeys.formats import Output


def flag(*names: str, **kwargs: Any) -> Any:
    """``typer.Option`` for an on/off switch: no value placeholder (``<bool>``) in --help."""
    return typer.Option(*names, metavar="", **kwargs)


def output_format(output: str | None, json_flag: bool, allowed: Sequence[Output],
                  default: Output = Output.TABLE) -> Output:
    """Resolve ``-o/--output`` and the ``--json`` shortcut against what a command offers."""
    if json_flag:
        if output and output != Output.JSON.value:
            raise InputError("--json and --output disagree")
        return Output.JSON
    if output is None:
        return default
    chosen = next((o for o in allowed if o.value == output.lower()), None)
    if chosen is None:
        raise InputError(f"--output {output!r} is not offered here; use one of: "
                         + ", ".join(o.value for o in allowed))
    return chosen


def fail_on(value: str) -> Severity | None:
    """``--fail-on`` threshold; ``none`` never fails on findings."""
    return None if value.lower() in ("none", "never") else Severity.parse(value)


def exit_for(report: CheckReport, threshold: Severity | None) -> None:
    if threshold is not None and report.fails_at(threshold):
        raise typer.Exit(1)


OUTPUT_HELP = "Output format: {}."
JSON_HELP = "Print the result as JSON (where -o is offered, the same as -o json)."
FAIL_ON_HELP = ("Exit 1 when a finding is at or above this severity "
                "(info, low, medium, high, critical, or none).")


def write_private(path: Path, text: str, *, force: bool) -> None:
    """Write a file only its owner can read (0600, also when it replaces one that others
    could read), refusing to overwrite without --force. Reports and exports name keys,
    clients and tickets."""
    path.parent.mkdir(parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | (0 if force else os.O_EXCL)
    try:
        fd = os.open(path, flags, 0o600)
    except FileExistsError:
        raise InputError(f"{path} exists", hint="pass --force to overwrite it") from None
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror}") from None
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
        os.fchmod(handle.fileno(), 0o600)
        handle.write(text)
