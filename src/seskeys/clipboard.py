"""Copy a value to the system clipboard and clear it after a delay.

The value goes to the clipboard tool on stdin, never argv. A detached helper process clears the
clipboard after the delay, but only if it still holds the value we put there.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence

from seskeys.errors import ExternalError

# (copy command, paste command), in order of preference; chosen by the session type.
_TOOLS: tuple[tuple[str, Sequence[str], Sequence[str]], ...] = (
    ("WAYLAND_DISPLAY", ("wl-copy",), ("wl-paste", "--no-newline")),
    ("DISPLAY", ("xclip", "-selection", "clipboard"), ("xclip", "-selection", "clipboard", "-o")),
    ("DISPLAY", ("xsel", "--clipboard", "--input"), ("xsel", "--clipboard", "--output")),
    ("", ("pbcopy",), ("pbpaste",)),
)


def find_tool(environ: Mapping[str, str]) -> tuple[Sequence[str], Sequence[str]]:
    for needs, copy_cmd, paste_cmd in _TOOLS:
        if (not needs or environ.get(needs)) and shutil.which(copy_cmd[0]):
            return copy_cmd, paste_cmd
    raise ExternalError("no clipboard on this machine (no display with wl-copy, xclip or xsel, "
                        "and no pbcopy)",
                        hint="use `seskeys show NAME --reveal` in a private terminal instead")


def _run(cmd: Sequence[str], data: str) -> None:
    try:
        subprocess.run(list(cmd), input=data.encode("utf-8"), check=True, timeout=5,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    except (OSError, subprocess.SubprocessError) as exc:
        raise ExternalError(f"clipboard tool {cmd[0]} failed: {type(exc).__name__}") from None


def copy(value: str, clear_after: int, environ: Mapping[str, str]) -> None:
    copy_cmd, paste_cmd = find_tool(environ)
    _run(copy_cmd, value)
    if clear_after <= 0:
        return
    digest = hashlib.sha256(value.encode("utf-8")).hexdigest()
    helper = subprocess.Popen(
        [sys.executable, "-m", "seskeys.clipboard", str(clear_after), *copy_cmd, "--",
         *paste_cmd], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True)
    assert helper.stdin is not None
    helper.stdin.write(digest.encode("ascii"))
    helper.stdin.close()


def _clear_later(argv: list[str]) -> None:
    delay = int(argv[0])
    split = argv.index("--")
    copy_cmd, paste_cmd = argv[1:split], argv[split + 1:]
    digest = sys.stdin.read().strip()
    time.sleep(delay)
    try:
        current = subprocess.run(paste_cmd, capture_output=True, timeout=5, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return
    if hashlib.sha256(current).hexdigest() == digest:
        _run(copy_cmd, "")


if __name__ == "__main__":
    os.umask(0o077)
    _clear_later(sys.argv[1:])
