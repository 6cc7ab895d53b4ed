"""Text bound for a terminal: control characters shown, never acted on."""

from __future__ import annotations

import re

# C0 and C1 controls, DEL and the direction overrides; tab and newline are kept.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def visible(text: str) -> str:
    """``text`` with each control character written as an escape (``\\x1b``, ``\\u202e``), so
    an escape sequence from a record, a file or an e-mail cannot restyle or clear the
    terminal."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def has_control(text: str) -> bool:
    return _CONTROL.search(text) is not None
