"""The template's value rules: key ids, secrets, dates, identity types, secrets in wrong fields."""

from __future__ import annotations

import random
import string
import uuid
from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from seskeys import model
from seskeys import validators as v
from seskeys.errors import InputError, ValidationFailed
from seskeys.smtp import derive_v2, derive_v4, smtp_regions
from seskeys.template import TEMPLATE
from tests import factories

KEY_ALPHABET = string.ascii_uppercase + "234567"
SECRET_ALPHABET = string.ascii_letters + string.digits + "/+"
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]

key_ids = st.text(KEY_ALPHABET, min_size=16, max_size=16).map(lambda s: "AKIA" + s)


def realistic_secret(seed: int) -> str:
    """A secret as AWS issues them: 40 independent draws from the secret alphabet."""
    rng = random.Random(seed)
    return "".join(rng.choice(SECRET_ALPHABET) for _ in range(40))


secrets_ = st.integers(min_value=0, max_value=2**48).map(realistic_secret)
smtp_passwords = st.tuples(secrets_, st.sampled_from([*smtp_regions(), "v2"])).map(
    lambda t: derive_v2(t[0]) if t[1] == "v2" else derive_v4(t[0], t[1]))


# -- access key ids --------------------------------------------------------------------------


@given(key_ids, st.sampled_from(["", " ", "\t", "\n"]))
def test_long_term_key_ids_are_accepted(key_id: str, pad: str) -> None:
    assert v.access_key_id(pad + key_id + pad) == key_id


@given(st.text(KEY_ALPHABET, min_size=16, max_size=16))
def test_temporary_asia_key_ids_are_refused_with_an_explanation(rest: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        v.access_key_id("ASIA" + rest)
    assert "temporary" in info.value.message
    assert "SMTP" in info.value.message
    assert info.value.hint and "AKIA" in info.value.hint


@given(st.one_of(
    st.text(KEY_ALPHABET, min_size=0, max_size=30).filter(lambda s: len(s) != 16)
    .map(lambda s: "AKIA" + s),                                      # wrong length
    st.tuples(st.text(KEY_ALPHABET, min_size=15, max_size=15), st.sampled_from("01890a-_"))
    .map(lambda t: "AKIA" + t[0] + t[1]),                            # a character outside A-Z2-7
    key_ids.map(str.lower),                                          # lower case
    st.text(KEY_ALPHABET, min_size=16, max_size=16).map(lambda s: "AIDA" + s),  # a user id
))
def test_malformed_key_ids_are_refused(value: str) -> None:
    with pytest.raises(ValidationFailed, match="access_key_id"):
        v.access_key_id(value)


# -- secrets ------------------------------------------------------------------------------------


@given(st.text(SECRET_ALPHABET, min_size=40, max_size=40))
def test_secrets_of_40_characters_are_accepted(secret: str) -> None:
    assert v.secret_access_key(secret) == secret


@given(st.one_of(st.text(SECRET_ALPHABET, max_size=60).filter(lambda s: len(s) != 40),
                 st.tuples(st.text(SECRET_ALPHABET, min_size=39, max_size=39),
                           st.sampled_from("=-_.!é ")).map(lambda t: t[0] + t[1])))
def test_malformed_secrets_are_refused_without_echoing_them(value: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        v.secret_access_key(value)
    assert len(value.strip()) < 8 or value.strip() not in info.value.message


@given(secrets_)
def test_realistic_secrets_look_like_secrets(secret: str) -> None:
    assert v.looks_like_secret(secret)
    assert v.looks_like_secret(f"the key is {secret}, keep it safe")
    assert v.looks_like_secret(f'{{"SecretAccessKey": "{secret}"}}')


def test_secret_without_digit_still_looks_like_a_secret() -> None:
    """Regression: one real secret in ~900 has no digit and was accepted in Notes."""
    no_digit = "wJalrXUtnFEMIKMDENGbPxRfiCYEXAMPLEKEYab"[:39] + "Q"
    assert len(no_digit) == 40 and not any(c.isdigit() for c in no_digit)
    assert v.looks_like_secret(no_digit)


@given(smtp_passwords)
def test_smtp_passwords_look_like_secrets(password: str) -> None:
    assert v.looks_like_secret(password)
    assert v.looks_like_secret(f"smtp pass: {password}")


@given(st.binary(min_size=20, max_size=20))
def test_git_sha_in_notes_is_not_a_secret(raw: bytes) -> None:
    sha = raw.hex()
    assert not v.looks_like_secret(f"fixed in commit {sha}")
    assert not v.looks_like_secret(sha.upper())


@given(key_ids, st.uuids())
def test_everyday_notes_are_not_secrets(key_id: str, an_id: uuid.UUID) -> None:
    text = (f"Replaced {key_id} (ticket OPS-1234, request {an_id}); policy "
            '{"Effect": "Allow", "Action": ["ses:SendRawEmail"], "Resource": '
            '"arn:aws:ses:eu-west-1:123456789012:identity/example.com"}; '
            "see https://wiki.example.com/ops/ses-keys/Acme_Corp_2024 and "
            "sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    assert not v.looks_like_secret(text)
    model.normalize({"notes": text, "iam_permissions": text})


# -- secrets refused in every non-Password field -----------------------------------------------

NON_PASSWORD = [f.id for f in TEMPLATE if not f.secret]


def _refuses(field_id: str, value: str, secret: str) -> None:
    data: dict[str, Any] = factories.record_input("acme-mailer")
    data[field_id] = value
    with pytest.raises(InputError) as info:
        model.build(data)
    assert secret not in info.value.message
    assert secret not in (info.value.hint or "")


@pytest.mark.parametrize("field_id", NON_PASSWORD)
@given(secret=secrets_)
def test_a_secret_is_refused_in_every_non_password_field(field_id: str, secret: str) -> None:
    _refuses(field_id, secret, secret)
    _refuses(field_id, f"pasted: {secret}", secret)


@pytest.mark.parametrize("field_id", NON_PASSWORD)
@given(password=smtp_passwords)
def test_an_smtp_password_is_refused_in_every_non_password_field(field_id: str,
                                                                  password: str) -> None:
    _refuses(field_id, password, password)


@pytest.mark.parametrize("field_id", ["iam_groups", "iam_user", "ses_region", "created_on",
                                      "creation_ticket", "key_name"])
def test_secret_shaped_values_are_not_echoed_in_errors(field_id: str) -> None:
    """Regression: iam_groups, ses_region and date errors quoted the value, secret and all."""
    secret = factories.secret("echo")
    _refuses(field_id, secret, secret)
    _refuses(field_id, secret.replace("/", "x").replace("+", "y"), secret.replace(
        "/", "x").replace("+", "y"))


def test_secret_without_slash_is_not_an_iam_group_or_user() -> None:
    """Regression: a 40-character alphanumeric secret matched the IAM name patterns."""
    secret = "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY12"
    for field_id in ("iam_groups", "iam_user"):
        _refuses(field_id, secret, secret)


@given(secrets_)
def test_tickets_refuse_secrets_whatever_the_pattern(secret: str) -> None:
    """Regression: revoke/edit --ticket stored a pasted secret in the record and the log."""
    for pattern in (r"\S.*", r"[A-Z]+-\d+"):
        with pytest.raises(ValidationFailed) as info:
            v.ticket(secret, pattern, field_id="revocation_ticket")
        assert secret not in info.value.message


# -- dates --------------------------------------------------------------------------------------


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2099, 12, 31)))
def test_dates_in_every_accepted_form(day: date) -> None:
    forms = [day.isoformat(), day.strftime("%m/%d/%Y"),
             f"{MONTHS[day.month - 1]},{day.day},{day.year}",
             f"{day.month}/{day.day}/{day.year}", f" {day.isoformat()} "]
    for text in forms:
        assert v.parse_date(text) == day, text


@pytest.mark.parametrize("text", ["2024-02-30", "13/01/2024", "02/30/2024", "June,31,2020",
                                  "Juny,20,2020", "yesterday", "", "2024/01/01 10:00"])
def test_invalid_dates_are_refused(text: str) -> None:
    with pytest.raises(ValidationFailed, match="not a valid date"):
        v.parse_date(text, "created_on")


def test_revocation_before_creation_is_refused() -> None:
    data = factories.record_input("x", created_on="2024-06-01", status="revoked",
                                  revoked_on="2024-05-31", secret_access_key=None)
    with pytest.raises(ValidationFailed, match="revocation date is before"):
        model.build(data)


# -- identity types --------------------------------------------------------------------------

SYNONYMS = {"Domain": ["domain", "DOMAIN", "Domain"],
            "Email address": ["email", "Email", "EmailAddress", "email address", "E-mail",
                              "e-mail address", "EMAILADDRESS"]}


@given(st.sampled_from([(c, s) for c, ss in SYNONYMS.items() for s in ss]),
       st.sampled_from(["", " ", "  "]))
def test_identity_type_synonyms(pair: tuple[str, str], pad: str) -> None:
    canonical, synonym = pair
    assert v.identity_type(pad + synonym + pad) == canonical


@pytest.mark.parametrize("value", ["ip", "domains", "mail box", ""])
def test_unknown_identity_types_are_refused(value: str) -> None:
    with pytest.raises(ValidationFailed, match="Domain"):
        v.identity_type(value)


@pytest.mark.parametrize(("kind", "identity", "ok"), [
    ("Domain", "mail.acme.example", True), ("Domain", "news@acme.example", False),
    ("Email address", "news@acme.example", True), ("Email address", "acme.example", False),
    ("Email address", "a@b@c.example", False), ("Domain", "-bad-.example", False),
])
def test_identity_must_fit_its_type(kind: str, identity: str, ok: bool) -> None:
    data = factories.record_input("x", ses_identity_type=kind, ses_identity=identity)
    if ok:
        assert model.build(data).ses_identity == identity
    else:
        with pytest.raises(ValidationFailed, match="ses_identity"):
            model.build(data)


def test_identity_type_is_inferred_from_the_identity() -> None:
    assert model.build(factories.record_input("x", ses_identity="a@acme.example")
                       ).ses_identity_type == "Email address"
    assert model.build(factories.record_input("x", ses_identity="acme.example")
                       ).ses_identity_type == "Domain"


# -- other fields -------------------------------------------------------------------------------


@pytest.mark.parametrize(("field_id", "bad"), [
    ("aws_account_id", "12345678901"), ("aws_account_id", "12345678901a"),
    ("ses_region", "mars-north-1"), ("iam_user", "has space"), ("iam_user", "x" * 65),
    ("iam_groups", "ok-group, bad group"), ("status", "deleted"),
])
def test_field_formats_are_enforced(field_id: str, bad: str) -> None:
    with pytest.raises(ValidationFailed, match=field_id):
        model.build(factories.record_input("x", **{field_id: bad}))


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(ValidationFailed, match="unknown field"):
        model.build(factories.record_input("x", secret_key="y"))


@given(st.lists(st.from_regex(r"[A-Za-z0-9+=.@_-]{1,20}", fullmatch=True), min_size=1,
                max_size=5))
def test_group_lists_split_on_commas(groups: list[str]) -> None:
    record = model.build(factories.record_input("x", iam_groups=" , ".join(groups)))
    assert record.iam_groups == tuple(groups)
