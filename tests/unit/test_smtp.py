"""SES SMTP passwords: the published vectors, an independent oracle, the CLI and identification."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from types import SimpleNamespace

import pytest
from botocore.auth import SigV4Auth
from botocore.credentials import Credentials
from hypothesis import given, settings
from hypothesis import strategies as st

from seskeys import lifecycle
from seskeys.errors import InputError
from seskeys.lifecycle import Actor
from seskeys.smtp import (
    SmtpVersion,
    derive_v2,
    derive_v4,
    match_smtp_password,
    smtp_password_version,
    smtp_regions,
)
from seskeys.smtp_vault import derive_for_record, identify
from seskeys.vault.memory import MemoryVault
from tests import factories
from tests.conftest import CliRunner

AWS_DOC_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

# ../shared/AWS.md §3: terraform-provider-aws and aws-sdk-php test vectors.
V4_VECTORS = [
    ("some+secret+key", "eu-central-1", "BMXhUYlu5Z3gSXVQORxlVa7XPaz91aGWdfHxvkOZdWZ2"),
    ("another+secret+key", "eu-central-1", "BBbphbrQmrKMx42d1N6+C7VINYEBGI5v9VsZeTxwskfh"),
    ("some+secret+key", "us-west-1", "BH+jbMzper5WwlwUar9E1ySBqHa9whi0GPo+sJ0mVYJj"),
    ("another+secret+key", "us-west-1", "BKVmjjMDFk/qqw8EROW99bjCS65PF8WKvK5bSr4Y6EqF"),
    (AWS_DOC_SECRET, "us-east-2", "BMPPgbAHoFVbze1Ud0oA5uNdXRwUXUZ+qOwphGJbl/cS"),
]
V2_VECTORS = [
    ("some+secret+key", "AnkqhOiWEcszZZzTMCQbOY1sPGoLFgMH9zhp4eNgSjo4"),
    ("another+secret+key", "Akwqr0Giwi8FsQFgW3DXWCC2DiiQ/jZjqLDWK8TeTBgL"),
    (AWS_DOC_SECRET, "An60U4ZD3sd4fg+FvXUjayOipTt8LO4rUUmhpdX6ctDy"),
]


@pytest.mark.parametrize(("secret", "region", "expected"), V4_VECTORS)
def test_v4_matches_published_vectors(secret: str, region: str, expected: str) -> None:
    assert derive_v4(secret, region) == expected
    assert smtp_password_version(expected) is SmtpVersion.V4


@pytest.mark.parametrize(("secret", "expected"), V2_VECTORS)
def test_v2_matches_published_vectors(secret: str, expected: str) -> None:
    assert derive_v2(secret) == expected
    assert smtp_password_version(expected) is SmtpVersion.V2


def _botocore_v4(secret: str, region: str) -> str:
    """botocore's own SigV4 key chain, with the SES SMTP date and message: an oracle."""
    auth = SigV4Auth(Credentials("AKIDEXAMPLE", secret), "ses", region)
    request = SimpleNamespace(context={"timestamp": "11111111T000000Z"})
    digest = bytes.fromhex(auth.signature("SendRawEmail", request))
    return base64.b64encode(b"\x04" + digest).decode()


_SECRETS = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+",
                   min_size=1, max_size=60)


@settings(max_examples=200, deadline=None)
@given(secret=_SECRETS, region=st.sampled_from(smtp_regions()))
def test_v4_agrees_with_botocore_sigv4_for_any_secret_and_region(secret: str, region: str
                                                                   ) -> None:
    password = derive_v4(secret, region)
    assert password == _botocore_v4(secret, region)
    assert len(password) == 44 and password.startswith("B")
    found = match_smtp_password(secret, password)
    assert found is not None and found.region == region


@settings(max_examples=100, deadline=None)
@given(secret=_SECRETS)
def test_v2_is_hmac_of_sendrawemail_keyed_by_the_secret(secret: str) -> None:
    digest = hmac.new(secret.encode(), b"SendRawEmail", hashlib.sha256).digest()
    assert derive_v2(secret) == base64.b64encode(b"\x02" + digest).decode()
    assert derive_v2(secret).startswith("A")


def test_unknown_region_is_refused() -> None:
    with pytest.raises(InputError, match="no SES SMTP endpoint"):
        derive_v4(AWS_DOC_SECRET, "mars-north-1")


@pytest.mark.parametrize("value", [
    "", "short", "A" * 44, "B" * 43 + "=",  # 44 chars but decodes to the wrong length/byte
    base64.b64encode(b"\x03" + b"\x00" * 32).decode(),  # version byte 3
])
def test_non_smtp_values_have_no_version(value: str) -> None:
    assert smtp_password_version(value) is None


# -- the CLI -----------------------------------------------------------------------------------

def test_cli_derives_v4_from_stdin(cli: CliRunner) -> None:
    secret, region, expected = V4_VECTORS[0]
    result = cli("smtp-password", "--region", region, input=secret + "\n")
    assert result.code == 0, result.stderr
    assert result.stdout == expected + "\n"
    assert secret not in result.stderr


def test_cli_legacy_warns_and_prints_v2(cli: CliRunner) -> None:
    secret, expected = V2_VECTORS[2]
    result = cli("smtp-password", "--legacy", input=secret + "\n")
    assert result.code == 0, result.stderr
    assert result.stdout == expected + "\n"
    assert "legacy" in result.stderr


def test_cli_refuses_unknown_region_before_reading_a_secret(cli: CliRunner) -> None:
    result = cli("smtp-password", "--region", "mars-north-1", input=AWS_DOC_SECRET + "\n")
    assert result.code == 2
    assert result.stdout == ""
    assert "no SES SMTP endpoint" in result.stderr


def test_cli_requires_a_region_for_v4(cli: CliRunner) -> None:
    result = cli("smtp-password", input=AWS_DOC_SECRET + "\n")
    assert result.code == 2
    assert "--region" in result.stderr


def test_cli_empty_stdin_is_an_input_error(cli: CliRunner) -> None:
    result = cli("smtp-password", "--region", "eu-west-1", input="")
    assert result.code == 2
    assert "no secret access key on stdin" in result.stderr


def _add(cli: CliRunner, name: str, **overrides: str) -> dict[str, str]:
    data = factories.record_input(name, **overrides)
    secret = data.pop("secret_access_key")
    args = ["add", "--secret-stdin"]
    for key, value in data.items():
        args += ["--" + key.replace("_", "-").replace("creation-ticket", "ticket"), value]
    assert cli(*args, input=secret + "\n").code == 0
    return {**data, "secret_access_key": secret}


def test_cli_derives_from_a_record_and_logs_the_reveal(cli_vault: CliRunner) -> None:
    data = _add(cli_vault, "acme-mailer")
    result = cli_vault("smtp-password", "acme-mailer", "--region", "eu-central-1")
    assert result.code == 0, result.stderr
    assert result.stdout == derive_v4(data["secret_access_key"], "eu-central-1") + "\n"
    assert data["access_key_id"] in result.stderr  # the SMTP user name is the key id
    log = json.loads(cli_vault("log", "--json").stdout)
    reveal = log[-1]
    assert reveal["action"] == "reveal" and reveal["key_name"] == "acme-mailer"
    assert "eu-central-1" in reveal["detail"]
    assert reveal["changes"] == [{"field": "smtp_password", "old": None, "new": None,
                                  "secret": True}]
    assert data["secret_access_key"] not in json.dumps(log)


def test_cli_record_defaults_to_its_region_and_json_has_username(cli_vault: CliRunner) -> None:
    data = _add(cli_vault, "acme-mailer")
    result = cli_vault("smtp-password", "acme-mailer", "--json")
    view = json.loads(result.stdout)
    assert view == {"username": data["access_key_id"],
                    "password": derive_v4(data["secret_access_key"], "eu-west-1"),
                    "version": "v4", "region": "eu-west-1",
                    "host": "email-smtp.eu-west-1.amazonaws.com"}


def test_cli_identify_names_owner_and_region(cli_vault: CliRunner) -> None:
    data = _add(cli_vault, "acme-mailer")
    _add(cli_vault, "globex-mailer", client="Globex")
    password = derive_v4(data["secret_access_key"], "ap-southeast-2")
    result = cli_vault("smtp-password", "--identify", "--json", input=password + "\n")
    assert result.code == 0, result.stderr
    view = json.loads(result.stdout)
    assert view["version"] == "v4"
    assert [(o["key_name"], o["region"]) for o in view["owners"]] == [
        ("acme-mailer", "ap-southeast-2")]
    assert password not in result.stdout + result.stderr


def test_cli_identify_v2_and_unknown(cli_vault: CliRunner) -> None:
    data = _add(cli_vault, "acme-mailer")
    legacy = cli_vault("smtp-password", "--identify",
                       input=derive_v2(data["secret_access_key"]) + "\n")
    assert "v2" in legacy.stdout and "acme-mailer" in legacy.stdout
    stranger = cli_vault("smtp-password", "--identify", input=V4_VECTORS[0][2] + "\n")
    assert stranger.code == 0
    assert "no key in the vault yields this password" in stranger.stdout
    junk = cli_vault("smtp-password", "--identify", input="not-a-password\n")
    assert junk.code == 2
    assert "not an SES SMTP password" in junk.stdout


def test_identify_revoked_key_by_fingerprint_region_unknown(cli_vault: CliRunner) -> None:
    data = _add(cli_vault, "acme-mailer")
    password = derive_v4(data["secret_access_key"], "us-east-1")
    assert cli_vault("revoke", "acme-mailer", "--ticket", "SEC-1", "--reason", "leaked").code == 0
    result = cli_vault("smtp-password", "--identify", "--json", input=password + "\n")
    owners = json.loads(result.stdout)["owners"]
    assert [(o["key_name"], o["status"], o["region_known"]) for o in owners] == [
        ("acme-mailer", "revoked", False)]


def test_cli_record_without_secret_is_refused(cli_vault: CliRunner) -> None:
    _add(cli_vault, "acme-mailer")
    cli_vault("revoke", "acme-mailer", "--ticket", "SEC-1", "--reason", "leaked")
    result = cli_vault("smtp-password", "acme-mailer", "--region", "eu-west-1")
    assert result.code == 2
    assert "holds no secret" in result.stderr


def test_derive_for_record_refuses_unknown_region(actor: Actor) -> None:
    vault = MemoryVault()
    lifecycle.add(vault, factories.record_input("acme-mailer"), actor)
    before = len(vault.events())
    with pytest.raises(InputError):
        derive_for_record(vault, "acme-mailer", actor, region="mars-north-1")
    assert len(vault.events()) == before  # nothing revealed, nothing logged


def test_identify_without_vault_gives_version_only() -> None:
    result = identify(V2_VECTORS[0][1])
    assert result.version is SmtpVersion.V2 and not result.vault_checked and not result.owners
