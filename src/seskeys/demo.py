"""The demo ledger: realistic records for several clients, some overdue, one revoked, one
rotated. Keys are random and well-formed; they exist in no AWS account.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from seskeys import lifecycle
from seskeys.lifecycle import Actor
from seskeys.model import KeyRecord
from seskeys.vault import Vault

_KEY_ALPHABET = string.ascii_uppercase + "234567"
_SECRET_ALPHABET = string.ascii_letters + string.digits + "/+"


def random_key_id() -> str:
    return "AKIA" + "".join(secrets.choice(_KEY_ALPHABET) for _ in range(16))


def random_secret() -> str:
    return "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(40))


@dataclass(frozen=True)
class DemoKey:
    key_name: str
    client: str
    purpose: str
    identity: str
    region: str
    age_days: int
    groups: str
    ticket: str


DEMO_KEYS: tuple[DemoKey, ...] = (
    DemoKey("acme-transactional", "Acme Corp", "Order confirmations from the web shop",
            "acme.example", "eu-west-1", 32, "ses-send-acme", "OPS-1201"),
    DemoKey("acme-newsletter", "Acme Corp", "Monthly newsletter via the CRM",
            "news@acme.example", "eu-west-1", 141, "ses-send-acme", "OPS-0877"),
    DemoKey("globex-invoices", "Globex", "Invoice e-mails from the billing system",
            "billing.globex.example", "us-east-1", 83, "ses-send-globex", "CHG-3310"),
    DemoKey("initech-alerts", "Initech", "Monitoring alerts (SMTP from the NOC)",
            "alerts@initech.example", "us-west-2", 12, "", "OPS-1250"),
    DemoKey("umbrella-portal", "Umbrella", "Password resets from the client portal",
            "umbrella.example", "eu-central-1", 200, "ses-send-umbrella", "OPS-0540"),
    DemoKey("hooli-notify", "Hooli", "Product notifications",
            "notify.hooli.example", "eu-west-2", 95, "ses-send-hooli", "CHG-2901"),
)


Credentials = Mapping[str, tuple[str, str]]  # key name -> (access key id, secret)


def _raw(key: DemoKey, today: date, credentials: Credentials) -> dict[str, Any]:
    key_id, secret = credentials.get(key.key_name, (random_key_id(), random_secret()))
    return {
        "key_name": key.key_name, "client": key.client, "purpose": key.purpose,
        "access_key_id": key_id, "secret_access_key": secret,
        "ses_identity": key.identity, "ses_region": key.region, "iam_groups": key.groups,
        "iam_user": f"ses-{key.key_name}", "aws_account_id": "123456789012",
        "created_on": today - timedelta(days=key.age_days), "creation_ticket": key.ticket,
        "ses_limits": "production; 50,000 messages/24 h; 14 messages/s",
        "iam_permissions": "ses:SendRawEmail on the identity (group policy)",
    }


def populate(vault: Vault, actor: Actor, credentials: Credentials | None = None
             ) -> list[KeyRecord]:
    """Add the demo keys, revoke the leaked one and rotate the overdue Hooli key.

    ``credentials`` holds real key pairs (from the demo's AWS account) by key name; the
    replacement Hooli key is ``hooli-notify-new``. Keys not given are random.
    """
    credentials = credentials or {}
    records = [lifecycle.add(vault, _raw(key, actor.today, credentials), actor)
               for key in DEMO_KEYS]
    lifecycle.revoke(vault, "umbrella-portal", actor, ticket="SEC-0042",
                     reason="compromised: pasted into a support ticket",
                     on=actor.today - timedelta(days=3))
    new_id, new_secret = credentials.get("hooli-notify-new", (random_key_id(), random_secret()))
    lifecycle.rotate(vault, "hooli-notify", actor, ticket="CHG-3402",
                     access_key_id=new_id, secret=new_secret)
    return records
