"""The IAM credential report: CSV (raw, or the JSON that `aws iam get-credential-report` prints).

AWS writes special values into date columns: ``N/A`` (no such credential, or never used),
``no_information`` (never used, or no data since tracking began) and ``not_supported`` (the root
row, and moto's placeholders). They all become ``None``; booleans become ``bool``. A header
that lacks a column the checks read is refused, naming the column, rather than read as empty.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import csv
import io
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from seskeys.aws.snapshot import CredentialReport, ReportKey, ReportRow
from seskeys.errors import InputError

SENTINELS = frozenset({"", "n/a", "no_information", "not_supported"})
_BASE64 = re.compile(r"[A-Za-z0-9+/=\s]+")
REQUIRED_COLUMNS = (
    "user", "arn", "user_creation_time", "password_enabled", "password_last_used",
    "password_last_changed", "mfa_active",
    "access_key_1_active", "access_key_1_last_rotated", "access_key_1_last_used_date",
    "access_key_1_last_used_region", "access_key_1_last_used_service",
    "access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date",
    "access_key_2_last_used_region", "access_key_2_last_used_service",
)


class ReportFormatError(InputError):
    """The credential report is not in the format AWS writes."""


def parse_time(value: Any) -> datetime | None:
    """A timestamp from AWS or a file: sentinel → None; naive values are taken as UTC."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    text = str(value).strip()
    if text.lower() in SENTINELS:
        return None
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ReportFormatError(f"not a timestamp: {text[:40]!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _bool(value: str, column: str, *, row: int) -> bool | None:
    text = value.strip().lower()
    if text in ("true", "false"):
        return text == "true"
    if text in SENTINELS:
        return None
    raise ReportFormatError(f"credential report row {row}: {column} is {value[:20]!r}, "
                            "expected true or false")


def _text(value: str) -> str | None:
    return None if value.strip().lower() in SENTINELS else value.strip()


def _time(value: str, column: str, row: int) -> datetime | None:
    try:
        return parse_time(value)
    except ReportFormatError:
        raise ReportFormatError(f"credential report row {row}: {column} is not a timestamp: "
                                f"{value[:40]!r}") from None


def _row(r: Mapping[str, str], n: int) -> ReportRow:
    keys = []
    for slot in (1, 2):
        p = f"access_key_{slot}_"
        keys.append(ReportKey(
            slot=slot, active=bool(_bool(r[p + "active"], p + "active", row=n)),
            last_rotated=_time(r[p + "last_rotated"], p + "last_rotated", n),
            last_used=_time(r[p + "last_used_date"], p + "last_used_date", n),
            last_used_region=_text(r[p + "last_used_region"]),
            last_used_service=_text(r[p + "last_used_service"])))
    return ReportRow(
        user=r["user"], arn=r["arn"],
        created=_time(r["user_creation_time"], "user_creation_time", n),
        password_enabled=_bool(r["password_enabled"], "password_enabled", row=n),
        password_last_used=_time(r["password_last_used"], "password_last_used", n),
        password_last_changed=_time(r["password_last_changed"], "password_last_changed", n),
        mfa_active=bool(_bool(r["mfa_active"], "mfa_active", row=n)),
        keys=tuple(keys))


def parse_csv(content: str | bytes, generated_at: datetime | None = None) -> CredentialReport:
    """Parse the report's CSV; every required column must be in the header."""
    text = content.decode("utf-8-sig") if isinstance(content, bytes) else content.lstrip("\ufeff")
    reader = csv.DictReader(io.StringIO(text))
    try:
        header = [h.strip() for h in (reader.fieldnames or [])]
    except csv.Error as exc:
        raise ReportFormatError(f"credential report header is not valid CSV: {exc}") from None
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise ReportFormatError("credential report lacks column(s): " + ", ".join(missing),
                                hint="pass the file `aws iam get-credential-report` produced")
    reader.fieldnames = header
    rows = []
    try:
        for n, raw in enumerate(reader, start=2):
            if not any((v or "").strip() for v in raw.values()):
                continue
            if None in raw.values():
                raise ReportFormatError(f"credential report row {n} has fewer columns than "
                                        "the header")
            rows.append(_row(raw, n))
    except csv.Error as exc:
        raise ReportFormatError(f"credential report is not valid CSV (line {reader.line_num}):"
                                f" {exc}") from None
    if not rows:
        raise ReportFormatError("the credential report has a header but no rows (AWS always "
                                "lists <root_account>)")
    return CredentialReport(rows=tuple(rows), generated_at=generated_at)


def parse_response(response: Mapping[str, Any]) -> CredentialReport:
    """``GetCredentialReport``'s answer (boto3: bytes; AWS CLI JSON: base64 text)."""
    content = response.get("Content")
    if content is None:
        raise ReportFormatError("credential report JSON has no Content")
    fmt = response.get("ReportFormat", "text/csv")
    if fmt != "text/csv":
        raise ReportFormatError(f"credential report format {fmt!r} is not text/csv")
    if isinstance(content, str):
        try:
            content = base64.b64decode(content, validate=True)
        except (binascii.Error, ValueError):
            raise ReportFormatError("credential report Content is not base64") from None
    return parse_csv(content, parse_time(response.get("GeneratedTime")))


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), or UTF-16 with its BOM (what a Windows PowerShell `>`
    writes). Raises UnicodeDecodeError for anything else."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    return data.decode("utf-8-sig")


def parse_file(data: bytes) -> CredentialReport:
    """A file holding the raw CSV, the AWS CLI's JSON, or only its base64 ``Content``
    (``--query Content --output text``)."""
    text = decode_text(data).strip()
    if not text:
        raise ReportFormatError("the credential report file is empty")
    if "," not in text and _BASE64.fullmatch(text):
        return parse_response({"Content": "".join(text.split())})
    if text.startswith("{"):
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ReportFormatError(f"credential report JSON: {exc.msg} (line {exc.lineno})") \
                from None
        return parse_response(document)
    return parse_csv(text.replace("\r\n", "\n").replace("\r", "\n"))  # lone CRs too
