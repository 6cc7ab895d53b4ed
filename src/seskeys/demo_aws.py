"""The demo's AWS account and leaked files: moto in this process, seeded like a real agency
account, some users compliant and some not. Needs the ``demo`` extra (moto); the product itself
never does.

What it plants, and what the audit should find:
- ses-acme-transactional, ses-acme-newsletter, ses-globex-invoices: send-only, through groups;
- ses-initech-alerts: no group, an inline ``ses:*`` policy (direct policy, beyond sending);
- ses-umbrella-portal: its key is revoked in the vault but still active here (critical drift);
- ses-hooli-notify: rotated; the old key deleted, the new one active;
- legacy-smtp: an active key the vault does not know;
- ops-admin: console password without MFA and the right to manage every key.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from unittest import mock

import boto3

from seskeys.demo import Credentials
from seskeys.errors import ExternalError
from seskeys.smtp import derive_v4

REGION = "eu-west-1"
ACCOUNT = "123456789012"  # moto's account
_SEND = ["ses:SendEmail", "ses:SendRawEmail"]
_GROUPS = {"ses-send-acme": "acme.example", "ses-send-globex": "billing.globex.example",
           "ses-send-umbrella": "umbrella.example", "ses-send-hooli": "notify.hooli.example"}
_USERS = {"acme-transactional": "ses-send-acme", "acme-newsletter": "ses-send-acme",
          "globex-invoices": "ses-send-globex", "initech-alerts": None,
          "umbrella-portal": "ses-send-umbrella", "hooli-notify": "ses-send-hooli"}


def _policy(actions: list[str], resource: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": actions, "Resource": resource}]})


def _seed(iam: Any, ses: Any) -> dict[str, tuple[str, str]]:
    for group, identity in _GROUPS.items():
        iam.create_group(GroupName=group, Path="/seskeys/")
        iam.put_group_policy(GroupName=group, PolicyName="send-only", PolicyDocument=_policy(
            _SEND, f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/{identity}"))
        ses.verify_domain_identity(Domain=identity)
    keys: dict[str, tuple[str, str]] = {}
    for name, member_of in _USERS.items():
        user = f"ses-{name}"
        iam.create_user(UserName=user, Path="/seskeys/")
        if member_of:
            iam.add_user_to_group(GroupName=member_of, UserName=user)
        created = iam.create_access_key(UserName=user)["AccessKey"]
        keys[name] = (created["AccessKeyId"], created["SecretAccessKey"])
    iam.put_user_policy(UserName="ses-initech-alerts", PolicyName="everything-ses",
                        PolicyDocument=_policy(["ses:*"], "*"))
    new = iam.create_access_key(UserName="ses-hooli-notify")["AccessKey"]
    iam.delete_access_key(UserName="ses-hooli-notify", AccessKeyId=keys["hooli-notify"][0])
    keys["hooli-notify-new"] = (new["AccessKeyId"], new["SecretAccessKey"])
    iam.create_user(UserName="legacy-smtp")
    iam.add_user_to_group(GroupName="ses-send-globex", UserName="legacy-smtp")
    iam.create_access_key(UserName="legacy-smtp")
    iam.create_user(UserName="ops-admin")
    iam.create_login_profile(UserName="ops-admin", Password="Demo-only-password-1!")  # noqa: S106
    iam.put_user_policy(UserName="ops-admin", PolicyName="iam-admin",
                        PolicyDocument=_policy(["iam:*"], "*"))
    return keys


@contextmanager
def mocked_account() -> Iterator[Credentials]:
    """A moto account for the length of the block; yields the SES keys it created."""
    try:
        from moto import mock_aws
    except ImportError:
        raise ExternalError("the AWS part of the demo needs moto",
                            hint="pip install 'seskeys[demo]' (make demo does)") from None
    # Nothing of the user's AWS set-up may reach the demo: no profile, no config, no endpoint.
    fake = {"AWS_ACCESS_KEY_ID": "demo", "AWS_SECRET_ACCESS_KEY": "demo",
            "AWS_DEFAULT_REGION": REGION, "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull}
    with mock.patch.dict(os.environ, fake), mock_aws():
        for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_REGION",
                     "AWS_SESSION_TOKEN", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"):
            os.environ.pop(name, None)
        yield _seed(boto3.client("iam", region_name=REGION),
                    boto3.client("ses", region_name=REGION))


def plant_leaks(folder: Path, credentials: Credentials) -> list[Path]:
    """A wiki page and an e-mail with a base64 attachment, as they are found in real shares."""
    acme_id, acme_secret = credentials["acme-transactional"]
    umbrella_id, umbrella_secret = credentials["umbrella-portal"]
    globex_secret = credentials["globex-invoices"][1]
    wiki = folder / "wiki" / "onboarding.md"
    wiki.parent.mkdir(parents=True, exist_ok=True)
    wiki.write_text("# Shop mailer\n\nUse these until ops sets up the vault:\n\n```ini\n"
                    f"aws_access_key_id = {acme_id}\naws_secret_access_key = {acme_secret}\n"
                    "```\n", encoding="utf-8")
    mail = EmailMessage()
    mail["From"], mail["To"] = "it@umbrella.example", "agency@example.org"
    mail["Subject"] = "Portal mail credentials (handover)"
    mail.set_content("Hi, the SMTP credentials for the portal are attached.\n")
    attachment = (f"user,access_key_id,secret_access_key,smtp_password\nportal,{umbrella_id},"
                  f"{umbrella_secret},{derive_v4(globex_secret, REGION)}\n").encode()
    mail.add_attachment(attachment, maintype="text", subtype="csv", filename="credentials.csv",
                        cte="base64")
    eml = folder / "mail" / "handover.eml"
    eml.parent.mkdir(parents=True, exist_ok=True)
    eml.write_bytes(bytes(mail))
    return [wiki, eml]
