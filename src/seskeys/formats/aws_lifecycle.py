"""Views and texts for SMTP passwords and for AWS provisioning, rotation and revocation.

Key ids are masked except where the user asked for SMTP credentials (the user name is the key
id); secrets appear only in the SMTP view the user asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from seskeys.formats.views import record_view
from seskeys.redact import mask_key_id
from seskeys.smtp import SmtpVersion
from seskeys.smtp_vault import SmtpIdentity, SmtpOwner

if TYPE_CHECKING:  # the AWS services import boto3, which plain commands should not pay for
    from seskeys.aws.provision import ProvisionReport
    from seskeys.aws.revoke import RevokeReport
    from seskeys.aws.rotation import RotationReport

_VERSION_TEXT = {
    SmtpVersion.V4: "v4 (SigV4, region-specific)",
    SmtpVersion.V2: "v2 (legacy SigV2; refused by newer SMTP endpoints)",
}


def smtp_host(region: str) -> str:
    return f"email-smtp.{region}.amazonaws.com"


def smtp_credentials_view(password: str, version: SmtpVersion, region: str | None,
                          username: str | None) -> dict[str, Any]:
    return {"username": username, "password": password, "version": version.value,
            "region": region, "host": smtp_host(region) if region else None}


def _owner_view(owner: SmtpOwner) -> dict[str, Any]:
    return {"key_name": owner.key_name, "access_key_id": mask_key_id(owner.access_key_id),
            "client": owner.client, "status": owner.status.value, "region": owner.region,
            "region_known": owner.region_known, "pending_rotation": owner.pending_rotation}


def smtp_identity_view(result: SmtpIdentity) -> dict[str, Any]:
    return {"is_smtp_password": result.version is not None,
            "version": result.version.value if result.version else None,
            "vault_checked": result.vault_checked,
            "owners": [_owner_view(o) for o in result.owners]}


def smtp_identity_text(result: SmtpIdentity) -> str:
    if result.version is None:
        return "not an SES SMTP password (expected 44 base64 characters, version byte 2 or 4)\n"
    lines = [f"SES SMTP password, {_VERSION_TEXT[result.version]}"]
    for o in result.owners:
        if o.region:
            where = f"region {o.region}"
        elif result.version is SmtpVersion.V2:
            where = "any region (v2 is region-independent)"
        else:
            where = "region unknown: the record's secret is no longer in the vault"
        pending = ", new key of a rotation in progress" if o.pending_rotation else ""
        lines.append(f"belongs to {o.key_name} ({mask_key_id(o.access_key_id)}, {o.client}, "
                     f"{o.status.value}{pending}); {where}")
    if result.vault_checked and not result.owners:
        lines.append("no key in the vault yields this password")
    if not result.vault_checked:
        lines.append("owner not checked: no vault")
    return "\n".join(lines) + "\n"


def rotation_report_view(report: RotationReport) -> dict[str, Any]:
    return {"key_name": report.key_name, "old_access_key_id": mask_key_id(report.old_key_id),
            "new_access_key_id": mask_key_id(report.new_key_id),
            "state": report.state, "actions": list(report.actions),
            "next_step": report.next_step}


def provision_report_view(report: ProvisionReport) -> dict[str, Any]:
    return {"record": record_view(report.record) if report.record else None,
            "created": list(report.created), "reused": list(report.reused),
            "verified": list(report.verified), "warnings": list(report.warnings)}


def revoke_report_view(report: RevokeReport) -> dict[str, Any]:
    return {"record": record_view(report.record), "actions": list(report.actions)}
