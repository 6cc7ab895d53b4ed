"""Run `seskeys ARGS` in this process with captured streams (fast enough for thousands of runs)."""

from __future__ import annotations

import contextlib
import io
import traceback
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from seskeys import config as cfg
from seskeys.cli import main
from seskeys.cli.context import AppContext


@dataclass(frozen=True)
class Outcome:
    code: int
    stdout: str
    stderr: str
    traceback: str | None = None


def run(args: list[str], vault: Path, password_file: Path, stdin: str = "") -> Outcome:
    out, err = io.StringIO(), io.StringIO()
    context = AppContext(config=cfg.Config(vault=vault, actor="reliability@suite"),
                         password_file=password_file, environ={},
                         stdin=io.StringIO(stdin),
                         out=Console(file=out, width=160, color_system=None),
                         err=Console(file=err, width=160, color_system=None))
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
            code = main(args, obj=context)
    except Exception:
        return Outcome(-1, out.getvalue(), err.getvalue(), traceback.format_exc())
    return Outcome(code, out.getvalue(), err.getvalue())
