"""Format rules of the template's values. Pure functions; messages never echo a secret."""

from __future__ import annotations

import itertools
import re
import urllib.parse
from collections.abc import Iterator
from datetime import date, datetime

from seskeys.errors import ValidationFailed
from seskeys.smtp import smtp_password_version, smtp_regions

ACCESS_KEY_ID = re.compile(r"AKIA[A-Z2-7]{16}")
TEMPORARY_KEY_ID = re.compile(r"ASIA[A-Z2-7]{16}")
SECRET_KEY = re.compile(r"[A-Za-z0-9/+]{40}")
IAM_USER = re.compile(r"[\w+=,.@-]{1,64}")
IAM_GROUP = re.compile(r"[\w+=,.@-]{1,128}")
ACCOUNT_ID = re.compile(r"\d{12}")
DOMAIN = re.compile(
    r"(?=.{1,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}")
EMAIL = re.compile(r"[^@\s]{1,64}@(?P<domain>[^@\s]+)")
# A 40-character run of the secret alphabet, with upper, lower and digit, is what a pasted
# secret looks like; hex digests (no upper case) do not match. A longer run is searched for a
# secret glued to other text (see _glued_secret).
_SECRET_RUN = re.compile(r"[A-Za-z0-9/+]{40,}")
_SMTP_LIKE = re.compile(r"(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{43}=(?![A-Za-z0-9/+=])|"
                        r"(?<![A-Za-z0-9/+])[AB][A-Za-z0-9/+]{43}(?![A-Za-z0-9/+=])")

# Characters a terminal acts on instead of showing: escape sequences can recolour, retitle or
# clear it, direction marks and overrides reorder what is shown. Tabs and line breaks are text
# (a LastPass note keeps them; one-line fields escape them there). Lone surrogates (bytes that
# were not UTF-8, or a JSON escape of half a character) are no text at all.
CONTROL_CHARACTERS = ("\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f"
                      "\u202a-\u202e\u2066-\u2069\ud800-\udfff")  # a regex class body
_CONTROL = re.compile(f"[{CONTROL_CHARACTERS}]")
_MIN_DISTINCT = 20
_MIN_DISTINCT_GLUED = 24
_MIN_CHANGES_GLUED = 19

_IDENTITY_TYPES = {
    "domain": "Domain",
    "email": "Email address",
    "emailaddress": "Email address",
    "email address": "Email address",
    "e-mail": "Email address",
    "e-mail address": "Email address",
    "address": "Email address",
}

_LASTPASS_MONTHS = {
    m.lower(): i
    for i, m in enumerate(
        ["January", "February", "March", "April", "May", "June", "July", "August",
         "September", "October", "November", "December"], start=1)
}


def access_key_id(value: str) -> str:
    value = value.strip()
    if TEMPORARY_KEY_ID.fullmatch(value):
        raise ValidationFailed(
            "access_key_id: ASIA… is a temporary (STS) key id; it expires within hours and "
            "cannot be used as SES SMTP credentials",
            hint="record the long-term key (AKIA…) of the IAM user instead")
    if value != value.upper() and ACCESS_KEY_ID.fullmatch(value.upper()):
        raise ValidationFailed("access_key_id: access key ids are upper case (AKIA…); this one "
                               "has lower-case letters")
    if not ACCESS_KEY_ID.fullmatch(value):
        raise ValidationFailed(
            "access_key_id: expected AKIA followed by 16 characters of A-Z and 2-7 "
            f"(got {len(value)} characters)")
    return value


def secret_access_key(value: str) -> str:
    value = value.strip()
    if not SECRET_KEY.fullmatch(value):
        raise ValidationFailed(
            "secret_access_key: expected 40 characters of A-Z, a-z, 0-9, '/' and '+' "
            f"(got {len(value)} characters)")
    return value


def smtp_password(value: str) -> str:
    if smtp_password_version(value) is None:
        raise ValidationFailed("smtp_password: not an SES SMTP password (44 base64 characters)")
    return value


def _random_looking(token: str) -> bool:
    """Mixed case plus a digit, or mixed case and many distinct characters.

    About one real secret in 900 has no digit; the distinct-character test still catches it
    (40 random draws give ~28 distinct characters), while hex digests (one case) never match.
    """
    if not (any(c.isupper() for c in token) and any(c.islower() for c in token)):
        return False
    return any(c.isdigit() for c in token) or len(set(token)) >= _MIN_DISTINCT


def _class_changes(window: str) -> int:
    kinds = ["u" if c.isupper() else "l" if c.islower() else "d" if c.isdigit() else "s"
             for c in window]
    return sum(a != b for a, b in itertools.pairwise(kinds))


def _glued_secret(run: str) -> bool:
    """Whether a longer run of the secret alphabet holds a secret glued to other text (a key
    id and ``/``, a stray letter): some 40-character window of it is as random as a secret
    and more than words and paths get (distinct characters, changes between upper, lower,
    digit and symbol; a random secret has about 30 and 25, CamelCase paths at most 26 and 18).
    """
    return any(len(set(w)) >= _MIN_DISTINCT_GLUED and _class_changes(w) >= _MIN_CHANGES_GLUED
               and _random_looking(w) for w in (run[i:i + 40] for i in range(len(run) - 39)))


def _decoded_forms(text: str) -> Iterator[str]:
    r"""The text, and the forms a pasted secret takes in URLs and JSON (``%2F``, ``\/``)."""
    yield text
    if "%" in text:
        yield urllib.parse.unquote(text)
    if "\\/" in text:
        yield text.replace("\\/", "/")


def looks_like_secret(text: str) -> bool:
    """True when free text holds what looks like a secret access key or SMTP password."""
    for form in _decoded_forms(text):
        for m in _SECRET_RUN.finditer(form):
            run = m.group(0)
            if (_random_looking(run) if len(run) == 40 else
                    len(run) > 40 and _glued_secret(run)):
                return True
        if any(smtp_password_version(m.group(0)) for m in _SMTP_LIKE.finditer(form)):
            return True
    return False


def shown(text: str, limit: int = 40) -> str:
    """A user's value quoted for an error message, unless it looks like a secret."""
    if looks_like_secret(text):
        return "(a value that looks like a secret)"
    return repr(text[:limit])


def no_secret_in(field_id: str, text: str) -> str:
    if looks_like_secret(text):
        raise ValidationFailed(
            f"{field_id}: the value looks like a secret access key or SMTP password; "
            "secrets belong only in Password fields",
            hint="put the secret in secret_access_key (via --secret-stdin or the prompt)")
    return text


def no_control_characters(field_id: str, text: str) -> str:
    found = _CONTROL.search(text)
    if found:
        raise ValidationFailed(
            f"{field_id}: character U+{ord(found.group()):04X} is not allowed (a control "
            "character, or bytes that are not UTF-8)")
    return text


def identity_type(value: str) -> str:
    canonical = _IDENTITY_TYPES.get(value.strip().lower())
    if canonical is None:
        raise ValidationFailed("ses_identity_type: expected 'Domain' or 'Email address'")
    return canonical


def identity(value: str, kind: str | None) -> str:
    value = value.strip()
    if kind == "Domain" and not DOMAIN.fullmatch(value):
        raise ValidationFailed("ses_identity: not a domain name, but the identity type is Domain")
    if kind == "Email address":
        m = EMAIL.fullmatch(value)
        if not m or not DOMAIN.fullmatch(m.group("domain")):
            raise ValidationFailed(
                "ses_identity: not an e-mail address, but the identity type is Email address")
    if kind is None and not (DOMAIN.fullmatch(value) or EMAIL.fullmatch(value)):
        raise ValidationFailed("ses_identity: expected a domain or an e-mail address")
    return value


def identity_kind_of(value: str) -> str:
    return "Email address" if "@" in value else "Domain"


def iam_user(value: str) -> str:
    if not IAM_USER.fullmatch(value):
        raise ValidationFailed(
            "iam_user: up to 64 characters of letters, digits and +=,.@_-")
    return value


def iam_group(value: str) -> str:
    no_secret_in("iam_groups", value)
    if not IAM_GROUP.fullmatch(value):
        raise ValidationFailed(
            f"iam_groups: {shown(value)} is not an IAM group name "
            "(up to 128 characters of letters, digits and +=,.@_-)")
    return value


def split_groups(value: str) -> list[str]:
    return [g.strip() for g in re.split(r"[,\n;]", value) if g.strip()]


def account_id(value: str) -> str:
    value = value.strip()
    if not ACCOUNT_ID.fullmatch(value):
        raise ValidationFailed("aws_account_id: expected 12 digits")
    return value


def region(value: str) -> str:
    value = value.strip()
    if value not in smtp_regions():
        raise ValidationFailed(
            f"ses_region: {shown(value)} has no SES SMTP endpoint",
            hint="regions: " + ", ".join(smtp_regions()))
    return value


def ticket(value: str, pattern: str, *, field_id: str = "ticket") -> str:
    value = value.strip()
    if not value:
        raise ValidationFailed(f"{field_id}: a ticket is required")
    no_control_characters(field_id, value)
    if any(c in value for c in "\t\r\n"):
        raise ValidationFailed(f"{field_id}: a ticket is one line")
    no_secret_in(field_id, value)
    if not re.fullmatch(pattern, value):
        raise ValidationFailed(f"{field_id}: {shown(value)} does not match the ticket pattern "
                               f"{pattern}", hint="use a ticket of your ticketing system "
                               "(the pattern is ticket_pattern in the configuration)")
    return value


def parse_date(value: str | date, field_id: str = "date") -> date:
    """ISO 8601, MM/DD/YYYY, or LastPass's ``June,20,2020``."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = value.strip()
    for fmt in ("%Y-%m-%d", "%m/%d/%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            pass
    parts = text.split(",")
    if len(parts) == 3 and parts[0].strip().lower() in _LASTPASS_MONTHS:
        try:
            return date(int(parts[2]), _LASTPASS_MONTHS[parts[0].strip().lower()], int(parts[1]))
        except (ValueError, OverflowError):  # a day or year of 30 digits overflows C long
            pass
    try:
        return datetime.fromisoformat(text).date()
    except ValueError:
        raise ValidationFailed(
            f"{field_id}: {shown(text)} is not a valid date (use YYYY-MM-DD or MM/DD/YYYY)"
        ) from None
