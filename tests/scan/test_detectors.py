"""Byte-level detection: boundaries, encodings, line endings, key id classes, decoys."""

from __future__ import annotations

import base64
import json
import urllib.parse

import pytest

from seskeys.scan.detectors import (
    Hit,
    KeyIdClass,
    Kind,
    Options,
    classify_key_id,
    detect,
    looks_random,
)
from seskeys.scan.known import KnownSecrets
from seskeys.smtp import SmtpVersion, derive_v2, derive_v4
from tests.factories import key_id, secret

SECRET = secret("detectors")
KEY_ID = key_id("detectors")


def found(text: str | bytes, options: Options | None = None) -> list[Hit]:
    data = text.encode() if isinstance(text, str) else text
    return detect(data, options or Options())


def tokens(text: str | bytes, kind: Kind, options: Options | None = None) -> list[str]:
    return [h.token for h in found(text, options) if h.kind is kind]


def test_env_file_with_key_id_and_secret() -> None:
    text = f"AWS_ACCESS_KEY_ID={KEY_ID}\nAWS_SECRET_ACCESS_KEY={SECRET}\n"
    hits = found(text)
    assert [(h.kind, h.token) for h in hits] == [(Kind.KEY_ID, KEY_ID), (Kind.SECRET, SECRET)]
    assert hits[1].near_key_id == KEY_ID


@pytest.mark.parametrize("last", ["/", "+"])
def test_secret_ending_in_slash_or_plus_is_whole(last: str) -> None:
    value = SECRET[:39] + last
    for text in (f'aws_secret_access_key = "{value}"', f"aws_secret={value}\n",
                 f"aws secret: {value}"):
        assert tokens(text, Kind.SECRET) == [value]


@pytest.mark.parametrize("first", ["/", "+"])
def test_secret_starting_with_slash_or_plus(first: str) -> None:
    value = first + SECRET[1:]
    assert tokens(f"aws_secret_access_key: '{value}'", Kind.SECRET) == [value]


def test_a_longer_base64_run_is_not_a_secret() -> None:
    assert tokens(f"aws_secret = {SECRET}A", Kind.SECRET) == []
    assert tokens(f"aws_secret = A{SECRET}", Kind.SECRET) == []


def test_crlf_line_endings() -> None:
    text = f"[default]\r\naws_access_key_id = {KEY_ID}\r\naws_secret_access_key = {SECRET}\r\n"
    assert tokens(text, Kind.SECRET) == [SECRET]
    assert tokens(text, Kind.KEY_ID) == [KEY_ID]


def test_percent_encoded_secret_in_a_url() -> None:
    value = SECRET[:10] + "/" + SECRET[11:20] + "+" + SECRET[21:]
    url = "https://example.com/cb?aws_secret_access_key=" + urllib.parse.quote(value, safe="")
    assert "%2F" in url and "%2B" in url
    hits = [h for h in found(url) if h.kind is Kind.SECRET]
    assert [h.token for h in hits] == [value]
    assert hits[0].encoding == "percent-encoded"


def test_double_percent_encoded_secret() -> None:
    value = SECRET[:10] + "/" + SECRET[11:]
    twice = urllib.parse.quote(urllib.parse.quote(value, safe=""), safe="")
    assert tokens(f"aws_secret={twice}", Kind.SECRET) == [value]


def test_json_escaped_slashes() -> None:
    value = SECRET[:5] + "/" + SECRET[6:30] + "/" + SECRET[31:]
    text = '{"AWS_SECRET_ACCESS_KEY": "' + value.replace("/", "\\/") + '"}'
    hits = [h for h in found(text) if h.kind is Kind.SECRET]
    assert [h.token for h in hits] == [value]
    assert hits[0].encoding == "json-escaped"


def test_json_unicode_escapes() -> None:
    value = SECRET[:5] + "+" + SECRET[6:]
    text = json.dumps({"aws_secret": value}, ensure_ascii=True).replace("+", "\\u002b")
    assert tokens(text, Kind.SECRET) == [value]


def test_escaped_newline_before_key_id_and_secret() -> None:
    """"\\nAKIA…" in a JSON string: the n belongs to the escape, not to the key id."""
    text = '"creds": "line\\n' + KEY_ID + '\\n' + SECRET + '\\n"'
    assert tokens(text, Kind.KEY_ID) == [KEY_ID]
    assert tokens(text, Kind.SECRET) == [SECRET]


def test_html_entities() -> None:
    value = SECRET[:7] + "/" + SECRET[8:]
    text = "<td>AWS secret</td><td>" + value.replace("/", "&#x2F;") + "</td>"
    assert tokens(text, Kind.SECRET) == [value]


@pytest.mark.parametrize("quote", ['"', "'", "`"])
def test_quoted_forms(quote: str) -> None:
    assert tokens(f"aws_secret_access_key={quote}{SECRET}{quote};", Kind.SECRET) == [SECRET]


def test_secret_needs_aws_context() -> None:
    assert tokens(f"value = {SECRET}\n", Kind.SECRET) == []
    assert tokens(f"{KEY_ID} {SECRET}", Kind.SECRET) == [SECRET]  # a key id is context


def test_unkeyed_candidates_are_kept_for_attribution() -> None:
    hits = found(f"value = {SECRET}\n", Options(unkeyed=True))
    assert [(h.token, h.context) for h in hits] == [(SECRET, False)]


def test_key_id_classes() -> None:
    assert classify_key_id("AKIA" + "A" * 16) is KeyIdClass.LONG_TERM
    assert classify_key_id("ASIA" + "A" * 16) is KeyIdClass.TEMPORARY
    for prefix in ("AIDA", "AROA", "AGPA", "ANPA", "AIPA"):
        assert classify_key_id(prefix + "A" * 16) is KeyIdClass.IDENTIFIER


def test_key_id_must_stand_alone() -> None:
    assert tokens(f"x{KEY_ID}", Kind.KEY_ID) == []
    assert tokens(f"{KEY_ID}x", Kind.KEY_ID) == []
    assert tokens(f"{KEY_ID[:-1]}", Kind.KEY_ID) == []
    assert tokens(f"id:{KEY_ID}/", Kind.KEY_ID) == [KEY_ID]


@pytest.mark.parametrize("decoy", [
    "3f786850e387550fdab836ed7e6dc881de23001b",  # a git commit id (hex)
    "3F786850E387550FDAB836ED7E6DC881DE23001B",
    "AwsSecretsManagerCredentialProviderImpl1",  # an identifier
    "src/seskeys/formats/aws/credentials/path",  # a path
    "abcdefghijabcdefghijabcdefghijabcdefghij",
])
def test_decoys_near_aws_words_are_not_secrets(decoy: str) -> None:
    assert len(decoy) == 40
    assert tokens(f"aws_secret_access_key = {decoy}", Kind.SECRET) == []


def test_random_secrets_pass_the_shape_filter() -> None:
    assert all(looks_random(secret(f"s{i}")) for i in range(2000))


def test_smtp_password_vectors() -> None:
    v4 = "BMXhUYlu5Z3gSXVQORxlVa7XPaz91aGWdfHxvkOZdWZ2"  # AWS.md §3, eu-central-1
    v2 = "AnkqhOiWEcszZZzTMCQbOY1sPGoLFgMH9zhp4eNgSjo4"
    hits = found(f"smtp_password: {v4}\nMAIL_PASSWORD={v2}\n")
    assert [(h.token, h.smtp_version) for h in hits] == [(v4, SmtpVersion.V4),
                                                          (v2, SmtpVersion.V2)]


def test_v4_smtp_password_found_without_context() -> None:
    v4 = derive_v4(SECRET, "eu-west-1")
    assert tokens(f"x = {v4}\n", Kind.SMTP) == [v4]


def test_v2_shape_without_context_is_not_reported() -> None:
    """33 bytes starting 0x02 is also a compressed EC public key: only near SMTP words."""
    pubkey = base64.b64encode(b"\x02" + bytes(range(32))).decode()
    assert tokens(f'"key": "{pubkey}"', Kind.SMTP) == []
    assert tokens(f"smtp pass {derive_v2(SECRET)}", Kind.SMTP) == [derive_v2(SECRET)]


@pytest.mark.parametrize("raw", [b"\x05" + bytes(32), b"\x04" + bytes(31)])
def test_smtp_decoys(raw: bytes) -> None:
    value = base64.b64encode(raw).decode()
    assert tokens(f"smtp_password={value}", Kind.SMTP) == []


def test_known_secret_found_without_context_or_boundaries() -> None:
    known = KnownSecrets([(SECRET, "rec-1")])
    text = f"blob=xyz{SECRET}{KEY_ID}qq\n"
    hits = [h for h in found(text, Options(known=known)) if h.kind is Kind.SECRET]
    assert [(h.token, h.known) for h in hits] == [(SECRET, "rec-1")]


@pytest.mark.parametrize("shift", range(9))
def test_known_search_finds_every_alignment(shift: int) -> None:
    known = KnownSecrets([(SECRET, "r"), (derive_v4(SECRET, "us-east-1"), "r")])
    text = ("Q" * shift + SECRET + "Z" * 5 + derive_v4(SECRET, "us-east-1")).encode()
    assert len(known.search(text, 0, len(text))) == 2


def test_known_secrets_repr_hides_values() -> None:
    assert SECRET not in repr(KnownSecrets([(SECRET, "r")]))
    assert SECRET not in repr(found(f"aws {SECRET}")[0])


@pytest.mark.parametrize("token", ["wAwSVUKwxNa5aMqYMLbnrlyb1gzGqFdZpECf0/D+",
                                   "x9SeCrEtQ2mN7pLk4vB8zR1tY6uI3oP5aS0dF2gH"])
def test_a_keyword_inside_the_value_is_not_its_context(token: str) -> None:
    """Found by the throughput benchmark: random base64 that spells 'AwS' made its own AWS
    context and was reported as a secret."""
    assert tokens(f"random {token} value\n", Kind.SECRET) == []
    assert tokens(f"aws_secret_access_key = {token}\n", Kind.SECRET) == [token]
