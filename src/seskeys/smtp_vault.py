"""SES SMTP passwords and the vault: derive one from a record (a logged reveal), and tell whose
key a given password belongs to, and for which region.

The password's first byte says v2 or v4. The owner is found by the record's keyed fingerprints
(every SMTP password a secret yields is fingerprinted, and the fingerprints outlive a
revocation); the region then by re-deriving from the owner's secret. A v4 password is an HMAC, so
once a record's secret is purged its region can no longer be told.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from seskeys import lifecycle
from seskeys.errors import InputError
from seskeys.events import Action, Change, EventDraft
from seskeys.lifecycle import Actor
from seskeys.model import KeyRecord, Status
from seskeys.smtp import (
    SmtpVersion,
    derive_v2,
    derive_v4,
    match_smtp_password,
    smtp_password_version,
    smtp_regions,
)
from seskeys.vault import Vault


@dataclass(frozen=True)
class SmtpOwner:
    key_name: str
    access_key_id: str
    client: str
    status: Status
    region: str | None  # None for v2, or when the secret is no longer in the vault
    region_known: bool
    pending_rotation: bool = False  # the key is the not-yet-switched new key of a rotation


@dataclass(frozen=True)
class SmtpIdentity:
    version: SmtpVersion | None
    owners: tuple[SmtpOwner, ...] = ()
    vault_checked: bool = False


def _owner(record: KeyRecord, secret: str | None, password: str, *, known: bool = False,
           pending: bool = False, key_id: str | None = None) -> SmtpOwner | None:
    """The owner when ``secret`` yields ``password`` or the fingerprint already told (known)."""
    match = match_smtp_password(secret, password) if secret else None
    if match is None and not known:
        return None
    return SmtpOwner(key_name=record.key_name, access_key_id=key_id or record.access_key_id,
                     client=record.client, status=record.status,
                     region=match.region if match else None,
                     region_known=match is not None, pending_rotation=pending)


def identify(password: str, records: Iterable[KeyRecord] | None = None,
             fingerprint: Callable[[str], str] | None = None) -> SmtpIdentity:
    """The version of ``password`` and, given the vault's records, the keys it belongs to."""
    version = smtp_password_version(password)
    if version is None or records is None:
        return SmtpIdentity(version=version, vault_checked=records is not None)
    mark = fingerprint(password) if fingerprint else None
    owners: list[SmtpOwner] = []
    for record in records:
        known = mark is not None and mark in record.fingerprints
        if known or (mark is None and record.secret()):
            owner = _owner(record, record.secret(), password, known=known)
            if owner:
                owners.append(owner)
        rotation = record.rotation
        if rotation and rotation.new_secret and rotation.new_access_key_id:
            owner = _owner(record, rotation.new_secret.get_secret_value(), password,
                           pending=True, key_id=rotation.new_access_key_id)
            if owner:
                owners.append(owner)
    return SmtpIdentity(version=version, owners=tuple(owners), vault_checked=True)


@dataclass(frozen=True)
class Derived:
    record: KeyRecord
    password: str
    version: SmtpVersion
    region: str | None


def derive_for_record(vault: Vault, name: str, actor: Actor, *, region: str | None,
                      legacy: bool = False) -> Derived:
    """The SMTP password of a record's key; logged as a reveal before it is returned."""
    record = lifecycle.find(vault, name)
    secret = record.secret()
    if not secret:
        raise InputError(f"{record.key_name!r} holds no secret "
                         f"({'revoked' if record.revoked else 'none recorded'})")
    region = region or record.ses_region
    check_region(region)
    if legacy:
        password, version = derive_v2(secret), SmtpVersion.V2
    elif region is None:
        raise InputError(f"{record.key_name!r} has no ses_region; pass --region")
    else:
        password, version = derive_v4(secret, region), SmtpVersion.V4
    where = "any region (legacy v2)" if legacy else region
    vault.log(EventDraft(action=Action.REVEAL, actor=actor.name, record_id=record.id,
                         key_name=record.key_name,
                         changes=(Change(field="smtp_password", secret=True),),
                         detail=f"SMTP password ({version}) derived for {where}"))
    return Derived(record=record, password=password, version=version,
                   region=None if legacy else region)


def check_region(region: str | None) -> None:
    """Refuse a region without an SES SMTP endpoint (None means "not given")."""
    if region is not None and region not in smtp_regions():
        raise InputError(f"region {region!r} has no SES SMTP endpoint",
                         hint="regions: " + ", ".join(smtp_regions()))
