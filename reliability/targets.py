"""The fuzz targets: one per parser of outside input, each with seed inputs."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from email.message import EmailMessage
from pathlib import Path

from reliability.common import PASSWORD, build_vault
from seskeys import demo, model
from seskeys.aws import policy
from seskeys.aws.audit import AuditOptions, audit
from seskeys.aws.offline import AuditFiles
from seskeys.config import Config
from seskeys.errors import IntegrityError
from seskeys.interop import lastpass_csv
from seskeys.interop import lastpass_note as note
from seskeys.interop.lastpass_import import export_records, import_rows
from seskeys.lifecycle import Actor
from seskeys.scan.detectors import Options
from seskeys.scan.worker import scan_blob
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


def _json_or_none(data: bytes) -> object:
    try:
        return json.loads(data)
    except (ValueError, RecursionError):
        return None


def _offline_audit(workdir: Path, argument: str) -> Target:
    """The whole offline audit (parse, permissions analysis, every check) over one file."""
    path = workdir / f"{argument}.input"
    clock = lambda: datetime(2026, 12, 3, tzinfo=UTC)  # noqa: E731
    universe = policy.ses_action_universe()  # botocore's models, loaded once, not per input

    def target(data: bytes) -> None:
        path.write_bytes(data)
        files = AuditFiles(**{argument: path})
        audit(AuditOptions(files=files), None, Config(), clock, universe=universe)

    return target


def _policy(data: bytes) -> None:
    document = _json_or_none(data)
    if document is None:
        return
    parsed = policy.parse_policy(document, "fuzz")
    policy.evaluate(parsed.statements, "ses:SendRawEmail",
                    "arn:aws:ses:eu-west-1:123456789012:identity/example.com",
                    {"aws:username": "fuzz"})
    policy.non_service_grants(parsed.statements, "ses")
    policy.is_admin(parsed.statements)


def _scanned(name: str) -> Target:
    """One scanner input kind (e-mail, mailbox, Office document, notebook, HTML)."""
    options = Options(unkeyed=True)

    def target(data: bytes) -> None:
        scan_blob(name, data, None, options)

    return target


def _policy_seeds() -> list[bytes]:
    """Every policy document in the authorization-details seeds, as JSON text."""
    found: list[bytes] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("PolicyDocument", "Document") and isinstance(value, dict | str):
                    found.append(value.encode() if isinstance(value, str)
                                 else json.dumps(value).encode())
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for raw in _seed_files("aws", "*gaad*.json"):
        walk(json.loads(raw))
    return found[:60] or [b'{"Statement": []}']


def _mail_seeds() -> list[bytes]:
    key_id, secret = "AKIA" + "Q" * 15 + "7", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "a@example.org", "b@example.org", "keys"
    mail.set_content(f"aws_access_key_id = {key_id}\n")
    mail.add_alternative(f"<p>secret: <b>{secret}</b></p>", subtype="html")
    mail.add_attachment(f"id,secret\n{key_id},{secret}\n".encode(), maintype="text",
                        subtype="csv", filename="c.csv", cte="base64")
    inner = EmailMessage()
    inner["Subject"] = "forwarded"
    inner.set_content(f"aws_secret_access_key={secret}", cte="quoted-printable")
    mail.add_attachment(inner)
    return [bytes(mail), b"From a@example.org Thu Dec  3 10:00:00 2026\n" + bytes(mail)]


def _docx_seed() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document xmlns:w=\"w\"><w:body><w:p><w:r>"
                         "<w:t>aws_access_key_id AKIA</w:t></w:r><w:r><w:t>QQQQQQQQQQQQQQQ7"
                         "</w:t></w:r></w:p></w:body></w:document>")
    return buffer.getvalue()


def _notebook_seed() -> bytes:
    fake_key_id = "AKIA" + "Q" * 15 + "7"  # key-shaped, never a real key
    cell = {"cell_type": "code", "source": [f"key = '{fake_key_id}'\n"],
            "outputs": [{"output_type": "stream", "text": ["aws_secret_access_key=x\n"]}]}
    return json.dumps({"cells": [cell], "nbformat": 4, "metadata": {}}).encode()


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
        "aws-authorization-details": (_offline_audit(workdir, "authorization_details"),
                                      _seed_files("aws", "*gaad*.json")),
        "aws-credential-report": (_offline_audit(workdir, "credential_report"),
                                  _seed_files("aws", "credential-report*.csv")),
        "aws-policy": (_policy, _policy_seeds()),
        "scan-email": (_scanned("fuzz.eml"), _mail_seeds()),
        "scan-mbox": (_scanned("fuzz.mbox"), _mail_seeds()[1:]),
        "scan-docx": (_scanned("fuzz.docx"), [_docx_seed()]),
        "scan-notebook": (_scanned("fuzz.ipynb"), [_notebook_seed()]),
        "scan-html": (_scanned("fuzz.html"), [_mail_seeds()[0].split(b"<p>")[-1]]),
    }
