"""Inputs the long fuzzing run (`make reliability`) crashed on, kept as regressions: each now
ends in nothing or a typed error. The file name says the target and the fault."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from reliability import targets
from seskeys.errors import SeskeysError

FOUND = Path(__file__).parent.parent / "data" / "fuzz"


@pytest.mark.parametrize("path", sorted(FOUND.glob("*.bin")), ids=lambda p: p.stem)
def test_input_that_crashed_a_parser(path: Path, tmp_path: Path) -> None:
    registry = targets.registry(tmp_path)
    target, _ = next(t for name, t in registry.items() if path.stem.startswith(name))
    with contextlib.suppress(SeskeysError):  # a typed error is the right answer
        target(path.read_bytes())


def test_lastpass_date_with_an_overflowing_day_is_a_validation_error() -> None:
    from seskeys import validators as v
    from seskeys.errors import ValidationFailed

    with pytest.raises(ValidationFailed, match="not a valid date"):
        v.parse_date("June," + "9" * 30 + ",2020", "created_on")
