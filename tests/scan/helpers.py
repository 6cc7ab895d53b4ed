"""Shared helpers for scanner tests: build inputs, run a scan, read what was found."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from seskeys.scan.attribution import Judged, Ledger
from seskeys.scan.scanner import ScanOptions, ScanResult, scan


def run_scan(*paths: Path, ledger: Ledger | None = None, **options: object) -> ScanResult:
    opts = ScanOptions(paths=tuple(str(p) for p in paths), jobs=1, **options)  # type: ignore[arg-type]
    return scan(opts, ledger=ledger)


def values(result: ScanResult) -> set[str]:
    return {j.found.hit.token for j in result.judged}


def by_value(result: ScanResult, token: str) -> list[Judged]:
    return [j for j in result.judged if j.found.hit.token == token]


def zip_bytes(members: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return buffer.getvalue()


W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def docx_bytes(paragraphs: list[list[str]]) -> bytes:
    """A minimal .docx whose paragraphs are made of the given runs (as Word splits text)."""
    body = "".join("<w:p>" + "".join(f"<w:r><w:t xml:space=\"preserve\">{run}</w:t></w:r>"
                                     for run in runs) + "</w:p>" for runs in paragraphs)
    return zip_bytes({
        "[Content_Types].xml": "<Types/>",
        "word/document.xml": f"<w:document {W}><w:body>{body}</w:body></w:document>",
        "word/styles.xml": f"<w:styles {W}/>",
    })
