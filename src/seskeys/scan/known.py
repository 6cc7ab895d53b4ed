"""Exact search for every known secret and SMTP password, wherever it sits.

A sampled q-gram index: every value (40 or 44 characters) is indexed by its 16-byte substrings
at offsets 0..7, and the text is probed only at positions that are multiples of 8. Any
occurrence of a value covers one such position within its first 8 characters, so nothing is
missed, and a run of n bytes costs n/8 dictionary probes. Probes are made only inside runs of
the base64 alphabet, where every occurrence must lie. The index holds secrets: it lives in
memory only (handed to worker processes through the pool initializer), never on disk or argv.
"""

from __future__ import annotations

from collections.abc import Iterable

STRIDE = 8
GRAM = 16


class KnownSecrets:
    """Values mapped to the record they belong to; ``search`` returns (start, end, record id)."""

    __slots__ = ("_count", "_grams")

    def __init__(self, values: Iterable[tuple[str, str]]) -> None:
        grams: dict[bytes, list[tuple[bytes, int, str]]] = {}
        count = 0
        for value, record_id in values:
            raw = value.encode("ascii")
            if len(raw) < GRAM + STRIDE - 1:
                continue
            count += 1
            for offset in range(STRIDE):
                grams.setdefault(raw[offset:offset + GRAM], []).append((raw, offset, record_id))
        self._grams = {k: tuple(v) for k, v in grams.items()}
        self._count = count

    def __len__(self) -> int:
        return self._count

    def __repr__(self) -> str:  # never show the values
        return f"KnownSecrets({self._count} values)"

    def search(self, data: bytes, start: int, end: int) -> list[tuple[int, int, str]]:
        """Occurrences of known values inside ``data[start:end]``."""
        if not self._grams:
            return []
        grams = self._grams
        found: dict[int, tuple[int, int, str]] = {}
        probe = start + (-start % STRIDE)
        while probe + GRAM <= end:
            entries = grams.get(data[probe:probe + GRAM])
            if entries:
                for raw, offset, record_id in entries:
                    at = probe - offset
                    if at >= start and at + len(raw) <= end and data[at:at + len(raw)] == raw:
                        found[at] = (at, at + len(raw), record_id)
            probe += STRIDE
        return sorted(found.values())
