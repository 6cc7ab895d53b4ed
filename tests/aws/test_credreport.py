"""Credential-report parsing: AWS's special values become None, booleans become bool."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from seskeys.aws import credreport
from tests.aws.helpers import DATA, report_csv, user_row

DATES = st.sampled_from(["N/A", "no_information", "not_supported", "",
                         "2026-01-02T03:04:05+00:00", "2026-01-02T03:04:05Z"])
BOOLS = st.sampled_from(["true", "false", "TRUE", "False"])


@given(used=DATES, changed=DATES, rotated=DATES, last=DATES, password=BOOLS, mfa=BOOLS,
       active=BOOLS)
def test_property_every_sentinel_is_none_and_every_date_a_datetime(
        used: str, changed: str, rotated: str, last: str, password: str, mfa: str,
        active: str) -> None:
    row = user_row("u", password=password, password_last_used=used,
                   password_last_changed=changed, mfa=mfa, key1=(active, rotated, last))
    (parsed,) = credreport.parse_csv(report_csv(row)).rows
    for raw, value in ((used, parsed.password_last_used), (changed, parsed.password_last_changed),
                       (rotated, parsed.keys[0].last_rotated), (last, parsed.keys[0].last_used)):
        assert (value is None) == (not raw[:1].isdigit())
        assert value is None or (isinstance(value, datetime) and value.tzinfo is not None)
    assert parsed.mfa_active is (mfa.lower() == "true")
    assert parsed.password_enabled is (password.lower() == "true")
    assert parsed.keys[0].active is (active.lower() == "true")


def test_fixture_with_root_row() -> None:
    report = credreport.parse_file((DATA / "credential-report-root.csv").read_bytes())
    assert [r.user for r in report.rows][:2] == ["<root_account>", "alice-console"]
    root = report.root()
    assert root is not None and root.password_enabled is None and root.keys[0].active
    assert report.generated_at is None  # raw CSV carries no generation time


def test_a_non_boolean_flag_is_refused_naming_row_and_column() -> None:
    with pytest.raises(credreport.ReportFormatError, match="row 2: mfa_active"):
        credreport.parse_csv(report_csv(user_row("u", mfa="yes")))


def test_a_bare_carriage_return_is_a_format_error_not_a_csv_traceback() -> None:
    """Fuzzing found csv.Error escaping the parser on a lone CR inside an unquoted field."""
    text = report_csv(user_row("u")).replace("arn:aws", "arn\r:aws", 1)
    with pytest.raises(credreport.ReportFormatError, match="not valid CSV"):
        credreport.parse_csv(text)


def test_files_as_users_really_have_them() -> None:
    """Shapes an adversarial review fed the offline audit: each was refused with a wrong
    reason or read as an account without findings."""
    import base64
    import codecs

    csv_text = report_csv(user_row("u1"))
    expected = credreport.parse_csv(csv_text).rows
    # `aws iam get-credential-report --query Content --output text`: the base64 alone
    encoded = base64.b64encode(csv_text.encode()).decode()
    assert credreport.parse_file(encoded.encode() + b"\n").rows == expected
    # Windows PowerShell `>` writes UTF-16 with a BOM; a Mac of old writes lone CRs
    assert credreport.parse_file(codecs.BOM_UTF16_LE + csv_text.encode("utf-16-le")).rows \
        == expected
    assert credreport.parse_file(csv_text.replace("\n", "\r").encode()).rows == expected
    with pytest.raises(credreport.ReportFormatError, match="empty"):
        credreport.parse_file(b"  \n")
    with pytest.raises(credreport.ReportFormatError, match="no rows"):
        credreport.parse_file(report_csv().encode())


@pytest.mark.parametrize("document", [[], {}, [{"Marker": "x"}], {"IsTruncated": False}])
def test_authorization_details_without_any_list_are_refused(document: object) -> None:
    from seskeys.aws import gaad
    from seskeys.errors import InputError

    with pytest.raises(InputError, match="not the output of"):
        gaad.pages_from_json(document)
