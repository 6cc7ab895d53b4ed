"""The fuzz targets: one per parser of outside input, each with seed inputs."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from reliability.common import PASSWORD, build_vault
from seskeys import demo, model
from seskeys.errors import IntegrityError
from seskeys.interop import lastpass_csv
from seskeys.interop import lastpass_note as note
from seskeys.interop.lastpass_import import export_records, import_rows
from seskeys.lifecycle import Actor
from seskeys.vault.local import LocalVault
from seskeys.vault.memory import MemoryVault

Target = Callable[[bytes], object]


def _lastpass_csv(data: bytes) -> None:
    text = lastpass_csv.decode_bytes(data, "fuzz.csv")
    parsed = lastpass_csv.read(text)
    import_rows(parsed.rows, MemoryVault(), Actor("fuzz", date(2026, 12, 3)),
                layout=note.Layout(note_type="Custom_1234567890123456789"), ticket="FUZZ-1")


def _record_json(data: bytes) -> None:
    try:
        raw = json.loads(data)
    except (ValueError, RecursionError):
        return
    if isinstance(raw, dict):
        model.build(raw)


def _vault_file(workdir: Path) -> Target:
    path = workdir / "fuzzed.db"

    def target(data: bytes) -> None:
        path.write_bytes(data)
        try:
            vault = LocalVault.open(path, PASSWORD)
        except IntegrityError:
            raise
        try:
            vault.summaries()
            vault.verify()
        finally:
            vault.close()

    return target


def _seed_files(folder: str, pattern: str) -> list[bytes]:
    root = Path(__file__).resolve().parent.parent / "tests" / "data" / folder
    return [p.read_bytes() for p in sorted(root.glob(pattern))][:40] or [b""]


def _exported_csv() -> bytes:
    """A CSV as seskeys exports it (custom notes with every field), secrets included."""
    vault = MemoryVault()
    demo.populate(vault, Actor("fuzz", date(2026, 12, 3)))
    layout = note.Layout(note_type="Custom_1234567890123456789")
    text, _ = export_records(vault.records(), layout, include_secrets=True,
                             header=lastpass_csv.Header.WEB, folder="SES")
    return text.encode("utf-8")


def registry(workdir: Path) -> dict[str, tuple[Target, Sequence[bytes]]]:
    vault_seed = workdir / "seed.db"
    build_vault(vault_seed, records=3)
    record_seed = json.dumps({"key_name": "a", "access_key_id": "AKIA" + "A" * 16,
                              "purpose": "p", "client": "c", "created_on": "2026-01-02",
                              "ses_identity": "a.example", "iam_groups": "g1,g2",
                              "ses_region": "eu-west-1", "status": "active"}).encode()
    return {
        "lastpass-csv": (_lastpass_csv, [*_seed_files("lastpass", "*.csv"), _exported_csv()]),
        "record-json": (_record_json, [record_seed]),
        "vault-file": (_vault_file(workdir), [vault_seed.read_bytes()]),
    }
