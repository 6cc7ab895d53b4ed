"""Input that must never become a stored value: secrets glued into text, values of the wrong
JSON type. Each case is a fault a new user found."""

from __future__ import annotations

import urllib.parse
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seskeys import model
from seskeys import validators as v
from seskeys.errors import ValidationFailed
from tests import factories

SECRET_ALPHABET = st.sampled_from(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+")


@pytest.mark.parametrize("shape", [
    "{kid}/{s}", "{kid}+{s}", "{s}/", "x{s}", "{s}.", "the key is {s}", "secret={s}",
])
def test_pasted_secret_shapes_are_refused(shape: str) -> None:
    text = shape.format(kid=factories.key_id("k"), s=factories.secret("k"))
    assert v.looks_like_secret(text)


def test_percent_encoded_and_json_escaped_secrets_are_refused() -> None:
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCY3xAmP1e9Qz"
    assert v.looks_like_secret(urllib.parse.quote(secret, safe=""))
    assert v.looks_like_secret(secret.replace("/", "\\/"))


@pytest.mark.parametrize("text", [
    "https://wiki.example.com/display/OPS/SES+Keys+Rotation2024/ForClientAcmeCorp2025",
    "arn:aws:ses:eu-west-1:123456789012:identity/example.com",
    "/home/ops/Projects/ClientAcme/ses/config/production/Credentials2024",
    "d41d8cd98f00b204e9800998ecf8427ed41d8cd98f00b204e9800998ecf8427e",
])
def test_ordinary_text_is_not_a_secret(text: str) -> None:
    assert not v.looks_like_secret(text)


@settings(max_examples=300)
@given(st.text(SECRET_ALPHABET, min_size=40, max_size=40), st.sampled_from(["/", "+", "x"]))
def test_random_secret_behind_a_key_id_is_found_most_of_the_time(secret: str,
                                                                 glue: str) -> None:
    """Windows of a glued run need more randomness than a lone secret; a secret that is
    itself as orderly as text can slip through, which is why ``ledger.secret-in-text`` and
    the exact own-secret rule exist beside it."""
    orderly = (len(set(secret)) < 24 or not v._random_looking(secret)
               or v._class_changes(secret) < 19)
    assert v.looks_like_secret(factories.key_id("k") + glue + secret) or orderly


def test_own_secret_in_a_text_field_is_refused_whatever_its_shape() -> None:
    secret = factories.secret("k")
    for notes in (f"x{secret}y", urllib.parse.quote(secret, safe="")):
        with pytest.raises(ValidationFailed, match="secret") as info:
            model.build(factories.record_input("k", secret_access_key=secret, notes=notes))
        assert secret not in str(info.value)


@pytest.mark.parametrize("field, value, expected", [
    ("created_on", 20261201, "created_on: expected an ISO date as text, got int"),
    ("revoked_on", 5, "revoked_on: expected an ISO date as text, got int"),
    ("status", 1, "status: expected text, got int"),
    ("iam_groups", 5, "iam_groups: expected text or a list of texts, got int"),
    ("client", ["a"], "client: expected text, got list"),
    ("key_name", 123, "key_name: expected text, got int"),
])
def test_json_values_of_the_wrong_type_are_refused(field: str, value: Any,
                                                   expected: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        model.build(factories.record_input("k", **{field: value}))
    assert info.value.message == expected


def test_group_list_from_json_is_accepted() -> None:
    record = model.build(factories.record_input("k", iam_groups=["g-a", "g-b"]))
    assert record.iam_groups == ("g-a", "g-b")
