"""The identity-policy evaluator: shapes, wildcards, case, Deny, conditions, encodings."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from seskeys.aws.policy import (
    Access,
    decode_document,
    evaluate,
    is_admin,
    non_service_grants,
    parse_policy,
    ses_action_universe,
)


def stmts(*statements: dict[str, object]) -> list:  # type: ignore[type-arg]
    doc = {"Version": "2012-10-17", "Statement": list(statements)}
    parsed = parse_policy(doc, "test")
    assert parsed.problems == ()
    return list(parsed.statements)


def test_universe_comes_from_botocore_models_of_ses_and_sesv2() -> None:
    universe = ses_action_universe()
    assert {"ses:SendEmail", "ses:SendRawEmail", "ses:CreateReceiptRule"} <= universe  # v1
    assert {"ses:CreateEmailIdentity", "ses:PutAccountDetails"} <= universe  # v2 only
    assert all(a.startswith("ses:") for a in universe)
    assert len(universe) > 150


def test_statement_as_object_and_action_as_string() -> None:
    parsed = parse_policy({"Statement": {"Effect": "Allow", "Action": "ses:SendRawEmail",
                                         "Resource": "*"}}, "p")
    assert evaluate(parsed.statements, "ses:SendRawEmail").access is Access.ALLOWED
    assert evaluate(parsed.statements, "ses:SendEmail").access is Access.NONE


def test_action_names_are_case_insensitive() -> None:
    s = stmts({"Effect": "Allow", "Action": ["SES:sendemail"], "Resource": "*"})
    assert evaluate(s, "ses:SendEmail").access is Access.ALLOWED


def test_wildcards_star_and_question_mark() -> None:
    s = stmts({"Effect": "Allow", "Action": ["ses:Send*", "ses:Get?endQuota"], "Resource": "*"})
    assert evaluate(s, "ses:SendBulkEmail").granted
    assert evaluate(s, "ses:GetSendQuota").granted
    assert not evaluate(s, "ses:DeleteIdentity").granted


def test_explicit_deny_wins_over_allow_in_another_policy() -> None:
    s = stmts({"Effect": "Allow", "Action": "*", "Resource": "*"},
              {"Effect": "Deny", "Action": "ses:*", "Resource": "*"})
    assert evaluate(s, "ses:SendEmail").access is Access.DENIED
    assert evaluate(s, "s3:GetObject").access is Access.ALLOWED


def test_deny_on_the_only_allowed_resource_removes_the_grant() -> None:
    arn = "arn:aws:ses:eu-west-1:111122223333:identity/example.com"
    s = stmts({"Effect": "Allow", "Action": "ses:SendEmail", "Resource": arn},
              {"Effect": "Deny", "Action": "ses:SendEmail", "Resource": "arn:aws:ses:*"})
    assert evaluate(s, "ses:SendEmail").access is Access.DENIED


def test_not_action_allows_everything_else() -> None:
    s = stmts({"Effect": "Allow", "NotAction": ["iam:*"], "Resource": "*"})
    assert evaluate(s, "ses:DeleteIdentity").granted
    assert not evaluate(s, "iam:CreateAccessKey").granted
    assert non_service_grants(s, "ses") == ('NotAction:["iam:*"]',)


def test_not_resource() -> None:
    s = stmts({"Effect": "Allow", "Action": "iam:CreateAccessKey",
               "NotResource": "arn:aws:iam::111122223333:user/admin"})
    assert evaluate(s, "iam:CreateAccessKey", "arn:aws:iam::111122223333:user/smtp").granted
    assert not evaluate(s, "iam:CreateAccessKey", "arn:aws:iam::111122223333:user/admin").granted
    assert evaluate(s, "iam:CreateAccessKey").resources == (
        "NotResource:arn:aws:iam::111122223333:user/admin",)


def test_resource_as_list_is_reported() -> None:
    arns = ["arn:aws:ses:eu-west-1:1:identity/a.com", "arn:aws:ses:eu-west-1:1:identity/b.com"]
    s = stmts({"Effect": "Allow", "Action": "ses:SendRawEmail", "Resource": arns})
    assert evaluate(s, "ses:SendRawEmail").resources == tuple(arns)


def test_conditional_allow_is_conditional_never_unconditional_nor_ignored() -> None:
    s = stmts({"Effect": "Allow", "Action": "ses:SendEmail", "Resource": "*",
               "Condition": {"StringLike": {"ses:FromAddress": "*@example.com"}}})
    grant = evaluate(s, "ses:SendEmail")
    assert grant.access is Access.CONDITIONAL
    assert grant.conditions == ("StringLike ses:fromaddress ['*@example.com']",)


def test_conditional_deny_makes_an_allow_conditional() -> None:
    s = stmts({"Effect": "Allow", "Action": "iam:*", "Resource": "*"},
              {"Effect": "Deny", "Action": "*", "Resource": "*",
               "Condition": {"BoolIfExists": {"AWS:MultiFactorAuthPresent": "false"}}})
    grant = evaluate(s, "iam:CreateAccessKey")
    assert grant.access is Access.CONDITIONAL
    assert grant.mfa_required  # condition keys are case-insensitive


def test_mfa_not_required_when_one_allow_lacks_the_condition() -> None:
    s = stmts({"Effect": "Allow", "Action": "iam:CreateAccessKey", "Resource": "*",
               "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}},
              {"Effect": "Allow", "Action": "iam:*AccessKey*", "Resource": "*"})
    grant = evaluate(s, "iam:CreateAccessKey")
    assert grant.access is Access.ALLOWED
    assert not grant.mfa_required


def test_policy_variable_username_in_resource() -> None:
    s = stmts({"Effect": "Allow", "Action": "iam:CreateAccessKey",
               "Resource": "arn:aws:iam::*:user/${aws:username}"})
    own, other = "arn:aws:iam::1:user/alice", "arn:aws:iam::1:user/bob"
    assert evaluate(s, "iam:CreateAccessKey", own, {"aws:username": "alice"}).granted
    assert not evaluate(s, "iam:CreateAccessKey", other, {"aws:username": "alice"}).granted


def test_documents_as_object_json_string_and_url_encoded_string_agree() -> None:
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ses:*",
                                                   "Resource": "*"}]}
    for form in (doc, json.dumps(doc), quote(json.dumps(doc), safe="")):
        assert decode_document(form) == doc


def test_malformed_statements_are_reported_not_guessed() -> None:
    parsed = parse_policy({"Statement": [
        {"Effect": "Allow", "Action": "ses:SendEmail", "Resource": "*"},
        {"Effect": "Permit", "Action": "ses:*", "Resource": "*"},
        {"Effect": "Allow", "Action": "ses:*", "NotAction": "iam:*"},
        {"Effect": "Allow", "Action": 7},
        "not a statement",
    ]}, "weird")
    assert len(parsed.statements) == 1
    assert len(parsed.problems) == 4
    assert all(p.startswith("weird: statement") for p in parsed.problems)
    assert parse_policy("{not json", "x").problems == ("x: policy document is not JSON: "
                                                        "Expecting property name enclosed in "
                                                        "double quotes",)


def test_admin_detection_respects_deny_all() -> None:
    allow_all = {"Effect": "Allow", "Action": "*", "Resource": "*"}
    assert is_admin(stmts(allow_all))
    assert not is_admin(stmts(allow_all, {"Effect": "Deny", "Action": "*", "Resource": "*"}))
    assert not is_admin(stmts({**allow_all, "Condition": {"Bool": {"aws:SecureTransport":
                                                                   "true"}}}))


def test_non_service_grants_subtract_denied_patterns() -> None:
    s = stmts({"Effect": "Allow", "Action": ["ses:SendEmail", "iam:CreateUser", "s3:Get*"],
               "Resource": "*"},
              {"Effect": "Deny", "Action": "iam:*", "Resource": "*"})
    assert non_service_grants(s, "ses") == ("s3:Get*",)


ACTIONS = st.sampled_from(["ses:SendEmail", "ses:*", "*", "SES:send*", "iam:*", "s3:GetObject",
                           "ses:Get*", "ses:?endRawEmail"])


@given(allow=st.lists(ACTIONS, min_size=1, max_size=4), deny=st.lists(ACTIONS, min_size=1,
                                                                      max_size=3),
       action=st.sampled_from(["ses:SendEmail", "ses:SendRawEmail", "ses:GetSendQuota",
                               "iam:CreateAccessKey", "s3:GetObject"]))
def test_property_an_unconditional_matching_deny_always_wins(allow: list[str], deny: list[str],
                                                            action: str) -> None:
    s = stmts({"Effect": "Allow", "Action": allow, "Resource": "*"},
              {"Effect": "Deny", "Action": deny, "Resource": "*"})
    deny_matches = any(stmts({"Effect": "Allow", "Action": d, "Resource": "*"})[0]
                       .matches_action(action) for d in deny)
    grant = evaluate(s, action)
    if deny_matches:
        assert grant.access is Access.DENIED
    else:
        assert grant.access in (Access.ALLOWED, Access.NONE)


@pytest.mark.parametrize("value", [42, ["list"], "[1, 2]"])
def test_decode_document_refuses_non_objects(value: object) -> None:
    from seskeys.aws.policy import PolicyError

    with pytest.raises(PolicyError):
        decode_document(value)


@pytest.mark.parametrize("statements, gated", [
    # an Allow that only grants WITHOUT MFA (found by an adversarial review)
    ([{"Effect": "Allow", "Action": "iam:CreateAccessKey", "Resource": "*",
       "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}}}], False),
    # a Deny with a plain Bool "false": long-term keys carry no MFA key, so it never applies
    ([{"Effect": "Allow", "Action": "iam:*", "Resource": "*"},
      {"Effect": "Deny", "Action": "iam:*", "Resource": "*",
       "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}}}], False),
    ([{"Effect": "Allow", "Action": "iam:*", "Resource": "*"},
      {"Effect": "Deny", "Action": "iam:*", "Resource": "*",
       "Condition": {"Null": {"aws:MultiFactorAuthPresent": "true"}}}], True),
    ([{"Effect": "Allow", "Action": "iam:CreateAccessKey", "Resource": "*",
       "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}}}], False),
    ([{"Effect": "Allow", "Action": "iam:CreateAccessKey", "Resource": "*",
       "Condition": {"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}}], True),
])
def test_mfa_is_judged_by_what_the_condition_tests(statements: list[dict],  # type: ignore[type-arg]
                                                    gated: bool) -> None:
    grant = evaluate(stmts(*statements), "iam:CreateAccessKey")
    assert grant.granted and grant.mfa_required is gated


def test_a_deny_with_not_action_undoes_admin_and_other_services() -> None:
    """Allow * plus Deny NotAction [the sends]: the user can only send (found by an
    adversarial review: reported as administrator, critical)."""
    from seskeys.aws.policy import is_admin, non_service_grants

    s = stmts({"Effect": "Allow", "Action": "*", "Resource": "*"},
              {"Effect": "Deny", "NotAction": ["ses:SendRawEmail", "ses:SendEmail"],
               "Resource": "*"})
    assert not is_admin(s)
    assert non_service_grants(s, "ses") == ()
    assert evaluate(s, "ses:SendRawEmail").granted
    assert not evaluate(s, "ses:DeleteIdentity").granted
    spared = stmts({"Effect": "Allow", "Action": "*", "Resource": "*"},
                   {"Effect": "Deny", "NotAction": ["ses:Send*", "s3:GetObject"],
                    "Resource": "*"})
    assert non_service_grants(spared, "ses") == ("*",)  # s3:GetObject is still granted
