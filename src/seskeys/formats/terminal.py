"""Text bound for a terminal: control characters shown, never acted on."""

from __future__ import annotations

import re

from seskeys.validators import CONTROL_CHARACTERS

# What records may not hold, and a carriage return, which would overwrite the line shown;
# tab and newline are kept.
_CONTROL = re.compile(f"[\r{CONTROL_CHARACTERS}]")


def visible(text: str) -> str:
    """``text`` with each control character written as an escape (``\\x1b``, ``\\u202e``), so
    an escape sequence from a record, a file or an e-mail cannot restyle or clear the
    terminal."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def has_control(text: str) -> bool:
    return _CONTROL.search(text) is not None
