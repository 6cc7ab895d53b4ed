"""Run `seskeys ARGS` in this process under a line tracer, and SIGKILL it at line event N.

Usage: python -m reliability.crashchild record OUT_FILE -- ARGS...
       python -m reliability.crashchild kill N -- ARGS...

Only lines of the seskeys package count, so the points are places in our code: between any two
statements of the write path, a real SIGKILL, with no cooperation from the product.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

import seskeys

PACKAGE = str(Path(seskeys.__file__).parent)


def _tracer(on_line: Any) -> Any:
    def trace(frame: FrameType, event: str, arg: object) -> Any:
        if not frame.f_code.co_filename.startswith(PACKAGE):
            return None
        if event == "line":
            on_line(frame)
        return trace

    def global_trace(frame: FrameType, event: str, arg: object) -> Any:
        if event == "call" and frame.f_code.co_filename.startswith(PACKAGE):
            return trace
        return None

    return global_trace


def main(argv: list[str]) -> int:
    mode, value = argv[0], argv[1]
    args = argv[argv.index("--") + 1:]
    from seskeys.cli import main as seskeys_main

    events: list[tuple[str, int]] = []
    count = 0
    target = int(value) if mode == "kill" else -1

    def on_line(frame: FrameType) -> None:
        nonlocal count
        count += 1
        if mode == "record":
            events.append((frame.f_code.co_filename[len(PACKAGE) + 1:], frame.f_lineno))
        elif count == target:
            os.kill(os.getpid(), signal.SIGKILL)

    tracer = _tracer(on_line)
    threading.settrace(tracer)
    sys.settrace(tracer)
    try:
        code = seskeys_main(args)
    finally:
        sys.settrace(None)
    if mode == "record":
        Path(value).write_text(json.dumps(events))
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
