"""The LastPass item template "AWS IAM SES Keys", as the one definition in code.

Every rendering (Markdown docs, JSON Schema, LastPass CSV layout) and every validation message is
derived from ``TEMPLATE``; nothing else lists the fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

TEMPLATE_NAME = "AWS IAM SES Keys"


class LastPassType(StrEnum):
    """Field types offered by LastPass's custom item editor."""

    TEXT_COPY = "Text with Copy Button"
    TEXT = "Text"
    PASSWORD = "Password"  # noqa: S105 - a field type name, not a secret
    NOTES = "Notes"
    DATE = "Month/Day/Year"


class Need(StrEnum):
    """When a field must hold a value."""

    ALWAYS = "always"
    WHILE_ACTIVE = "while active"
    WHEN_REVOKED = "when revoked"
    OPTIONAL = "optional"
    DERIVED = "derived"


@dataclass(frozen=True)
class FieldSpec:
    id: str
    label: str
    lastpass_type: LastPassType
    need: Need
    rule: str
    extension: bool = False
    is_list: bool = False

    @property
    def secret(self) -> bool:
        """Password fields are masked everywhere unless the user asks to reveal them."""
        return self.lastpass_type is LastPassType.PASSWORD

    @property
    def is_date(self) -> bool:
        return self.lastpass_type is LastPassType.DATE


_T = LastPassType
_N = Need

TEMPLATE: tuple[FieldSpec, ...] = (
    FieldSpec("key_name", "Key Name", _T.TEXT_COPY, _N.ALWAYS,
              "Unique among records that are not revoked."),
    FieldSpec("access_key_id", "Access Key ID", _T.TEXT_COPY, _N.ALWAYS,
              "`AKIA` followed by 16 characters of `A-Z2-7` (a long-term IAM user key). "
              "Temporary `ASIA` keys are refused: they expire and cannot be SMTP credentials."),
    FieldSpec("iam_groups", "IAM Group Memberships", _T.TEXT_COPY, _N.OPTIONAL,
              "IAM group names, comma-separated. Empty is allowed but is a finding "
              "(permissions only through groups).", is_list=True),
    FieldSpec("purpose", "Purpose", _T.TEXT, _N.ALWAYS, "What the key sends, and from where."),
    FieldSpec("client", "Client", _T.TEXT, _N.ALWAYS, "The client the key belongs to."),
    FieldSpec("ses_identity_type", "SES Identity Type", _T.TEXT, _N.OPTIONAL,
              "`Domain` or `Email address` (domain, email and EmailAddress are accepted)."),
    FieldSpec("secret_access_key", "Secret Access Key", _T.PASSWORD, _N.WHILE_ACTIVE,
              "40 characters of `A-Za-z0-9/+`. Purged on revocation; a keyed fingerprint stays."),
    FieldSpec("iam_permissions", "IAM Permissions", _T.NOTES, _N.OPTIONAL,
              "Free text or the policy JSON."),
    FieldSpec("ses_limits", "SES Limits", _T.NOTES, _N.OPTIONAL,
              "Sandbox or production, 24-hour quota, maximum send rate."),
    FieldSpec("revocation_reason", "Revocation Reason", _T.NOTES, _N.WHEN_REVOKED,
              "Why the key was revoked (rotated, compromised, client left, ...)."),
    FieldSpec("created_on", "Creation Date", _T.DATE, _N.ALWAYS,
              "The day the key was created. ISO 8601 in JSON, MM/DD/YYYY where LastPass shows it."),
    FieldSpec("revoked_on", "Revocation Date", _T.DATE, _N.WHEN_REVOKED,
              "Not before the creation date."),
    FieldSpec("creation_ticket", "Creation Ticket", _T.TEXT_COPY, _N.ALWAYS,
              "The change ticket that approved the key (pattern configurable)."),
    FieldSpec("revocation_ticket", "Revocation Ticket", _T.TEXT_COPY, _N.WHEN_REVOKED,
              "The change ticket that approved the revocation."),
    # Our extensions.
    FieldSpec("iam_user", "IAM User", _T.TEXT_COPY, _N.OPTIONAL,
              "IAM user name: up to 64 characters of letters, digits and `+=,.@_-`.",
              extension=True),
    FieldSpec("aws_account_id", "AWS Account ID", _T.TEXT_COPY, _N.OPTIONAL,
              "12 digits.", extension=True),
    FieldSpec("ses_region", "SES Region", _T.TEXT, _N.OPTIONAL,
              "A region with an SES SMTP endpoint, such as `eu-west-1`.", extension=True),
    FieldSpec("ses_identity", "SES Identity", _T.TEXT, _N.OPTIONAL,
              "The verified domain or address; must fit the identity type.", extension=True),
    FieldSpec("smtp_password", "SMTP Password", _T.PASSWORD, _N.DERIVED,
              "Derived from the secret for the SES region (SigV4); never typed in.",
              extension=True),
    FieldSpec("status", "Status", _T.TEXT, _N.ALWAYS,
              "`active`, `inactive` or `revoked`; `retiring` while an AWS rotation retires "
              "the key it replaced.", extension=True),
    FieldSpec("replaces", "Replaces", _T.TEXT, _N.OPTIONAL,
              "Access key id of the key this one replaced in a rotation.", extension=True),
    FieldSpec("replaced_by", "Replaced By", _T.TEXT, _N.OPTIONAL,
              "Access key id of the key that replaced this one in a rotation.", extension=True),
    FieldSpec("notes", "Notes", _T.NOTES, _N.OPTIONAL, "Anything else.", extension=True),
)

FIELDS: dict[str, FieldSpec] = {f.id: f for f in TEMPLATE}
SECRET_FIELDS: frozenset[str] = frozenset(f.id for f in TEMPLATE if f.secret)


def field(field_id: str) -> FieldSpec:
    return FIELDS[field_id]
