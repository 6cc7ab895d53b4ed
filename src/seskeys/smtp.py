"""Amazon SES SMTP password derivation from an IAM secret access key.

v4 (current): base64(0x04 || HMAC chain over "11111111", region, "ses", "aws4_request",
"SendRawEmail") keyed first with "AWS4" + secret. v2 (legacy, before 2019): base64(0x02 ||
HMAC(secret, "SendRawEmail")), region-independent. The SMTP user name is the access key id.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources

from seskeys.errors import InputError

_DATE = b"11111111"
_SERVICE = b"ses"
_TERMINAL = b"aws4_request"
_MESSAGE = b"SendRawEmail"


class SmtpVersion(StrEnum):
    V4 = "v4"
    V2 = "v2"


@cache
def smtp_regions() -> tuple[str, ...]:
    """Regions with an SES SMTP endpoint, from the packaged data file."""
    raw = resources.files("seskeys").joinpath("data/ses_smtp_regions.json").read_text("utf-8")
    return tuple(json.loads(raw)["regions"])


def _sign(key: bytes, msg: bytes) -> bytes:
    return hmac.new(key, msg, hashlib.sha256).digest()


def derive_v4(secret: str, region: str) -> str:
    if region not in smtp_regions():
        raise InputError(f"region {region!r} has no SES SMTP endpoint",
                         hint="see `seskeys smtp-password --help` for the list of regions")
    key = _sign(("AWS4" + secret).encode("utf-8"), _DATE)
    for part in (region.encode("ascii"), _SERVICE, _TERMINAL, _MESSAGE):
        key = _sign(key, part)
    return base64.b64encode(b"\x04" + key).decode("ascii")


def derive_v2(secret: str) -> str:
    return base64.b64encode(b"\x02" + _sign(secret.encode("utf-8"), _MESSAGE)).decode("ascii")


def smtp_password_version(value: str) -> SmtpVersion | None:
    """v4 or v2 when ``value`` has the shape of an SES SMTP password, else None."""
    if len(value) != 44:
        return None
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(raw) != 33:
        return None
    return {4: SmtpVersion.V4, 2: SmtpVersion.V2}.get(raw[0])


@dataclass(frozen=True)
class SmtpMatch:
    version: SmtpVersion
    region: str | None


def match_smtp_password(secret: str, password: str) -> SmtpMatch | None:
    """Which region (or the legacy form) of ``secret`` produced ``password``, if any."""
    version = smtp_password_version(password)
    if version is SmtpVersion.V2:
        ok = hmac.compare_digest(derive_v2(secret), password)
        return SmtpMatch(version, None) if ok else None
    if version is SmtpVersion.V4:
        for region in smtp_regions():
            if hmac.compare_digest(derive_v4(secret, region), password):
                return SmtpMatch(version, region)
    return None


def all_smtp_passwords(secret: str) -> list[str]:
    """Every SMTP password the secret can produce: v4 for each region, and v2."""
    return [derive_v4(secret, r) for r in smtp_regions()] + [derive_v2(secret)]
