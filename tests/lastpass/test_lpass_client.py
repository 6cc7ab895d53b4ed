"""The lpass client against recorded lpass 1.3.7 outputs (LASTPASS.md §1, §2)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import pytest

from seskeys.errors import Conflict, ExternalError, NotFound
from seskeys.external import Completed
from seskeys.interop.lpass import AmbiguousName, Lpass, NotUtf8, parse_show_json, repair_json

# `lpass show --json` of a note holding "Key Name:café" (recorded; note the trailing spaces).
RECORDED_JSON = (
    '[\n  {\n    "id": "1001",\n    "name": "ses-prod",\n    "fullname": "AWS\\\\SES/ses-prod",\n'
    '    "username": "",\n    "password": "",\n    "last_modified_gmt": "1700000000",\n'
    '    "last_touch": "1700000000",\n    "group": "AWS\\\\SES",\n    "url": "http://sn",\n'
    '    "note": "NoteType:Custom_123\\nKey Name:caf\\uffffffc3\\uffffffa9\\nNotes:a\\nb" \n'
    '  } \n] \n')
RECORDED_AMBIGUOUS = "Multiple matches found.\ng1/dup [id: 1003]\ng2/dup [id: 1004]\n"


def test_repair_json_is_lossless() -> None:
    entry = parse_show_json(RECORDED_JSON, "ses-prod")[0]
    assert entry["note"] == "NoteType:Custom_123\nKey Name:café\nNotes:a\nb"
    assert entry["group"] == "AWS\\SES"


def test_plain_json_accepts_the_garbage_silently() -> None:
    """Why the repair exists: json.loads does not fail, it returns wrong text (#506)."""
    assert "café" not in json.loads(RECORDED_JSON)[0]["note"]


def test_repair_keeps_a_stored_backslash_u_literal() -> None:
    text = '"a\\\\uffffffc3 b \\uffffffe6\\uffffff97\\uffffffa5 \\u00e9"'
    assert json.loads(repair_json(text)) == "a\\uffffffc3 b 日 é"


def test_repair_refuses_bytes_that_are_not_utf8() -> None:
    with pytest.raises(NotUtf8):
        repair_json('"\\uffffffff"')


def test_ambiguous_show_exit_0_is_an_error() -> None:
    with pytest.raises(AmbiguousName) as info:
        parse_show_json(RECORDED_AMBIGUOUS, "dup")
    assert info.value.ids == ("1003", "1004")


class Recorder:
    """A runner returning recorded results and remembering argv, stdin and environment."""

    def __init__(self, *results: Completed) -> None:
        self.results = list(results)
        self.calls: list[tuple[list[str], str | None, Mapping[str, str]]] = []

    def __call__(self, argv: Sequence[str], stdin: str | None, timeout: float,
                 env: Mapping[str, str]) -> Completed:
        self.calls.append((list(argv), stdin, env))
        return self.results.pop(0)


def _done(code: int = 0, out: str = "", err: str = "") -> Completed:
    return Completed(("lpass",), code, out, err)


def test_secrets_go_on_stdin_and_askpass_fails_fast() -> None:
    runner = Recorder(_done())
    client = Lpass(sync="no", runner=runner, environ={"SESKEYS_PASSWORD": "master", "X": "1"})
    client.add_note("AWS\\SES/k", "NoteType:Custom_1\nSecret Access Key:SECRET")
    argv, stdin, env = runner.calls[0]
    assert argv == ["lpass", "add", "--sync=no", "--color=never", "--non-interactive",
                    "--notes", "AWS\\SES/k"]
    assert stdin == "NoteType:Custom_1\nSecret Access Key:SECRET\n"
    assert "SECRET" not in " ".join(argv)
    assert "SESKEYS_PASSWORD" not in env and env["X"] == "1"
    assert env["LPASS_ASKPASS"].endswith("false")


@pytest.mark.parametrize("stderr, error, text", [
    ("Error: Could not find decryption key. Perhaps you need to login with `lpass login`.\n",
     ExternalError, "not logged in"),
    ("Error: Unable to fetch blob. Either your session is invalid ...\n", ExternalError,
     "not logged in"),
    ("Error: Couldn't resolve host name.\n", ExternalError, "cannot reach LastPass"),
    ("Error: HTTP response code said error.\n", ExternalError, "refused the request"),
    ("Error: Could not find specified account(s).\n", NotFound, "Could not find"),
    ("Error: Multiple matches found for 'dup'. You must specify an ID instead of a name.\n",
     Conflict, "Multiple matches"),
    ("Error: Unable to retrieve password from askpass (no reply)\n", ExternalError,
     "not logged in"),
])
def test_errors_are_sorted_and_keep_stderr(stderr: str, error: type[Exception],
                                           text: str) -> None:
    client = Lpass(sync="no", runner=Recorder(_done(1, err=stderr)))
    with pytest.raises(error, match=text.replace("(", r"\(").replace(")", r"\)")):
        client.call("ls")


def test_unbase64_while_uploads_pending_is_retried_after_sync() -> None:
    """lastpass-cli#703: never taken as "entry created"."""
    runner = Recorder(_done(1, err="Error: Could not unbase64 the given bytes.\n"), _done(),
                      _done())
    Lpass(sync="auto", runner=runner).add_note("k", "body")
    assert [c[0][1] for c in runner.calls] == ["add", "sync", "add"]


def test_missing_program_is_a_clear_error() -> None:
    client = Lpass(executable="/nonexistent/lpass", sync="no")
    with pytest.raises(ExternalError, match="not installed"):
        client.call("ls")


def test_timeout_stops_the_call() -> None:
    client = Lpass(executable="sleep", sync="no", timeout=0.2)
    with pytest.raises(ExternalError, match="did not finish"):
        client.runner(["sleep", "5"], None, 0.2, {})


def test_ls_parses_recorded_lines() -> None:
    out = "1002\t\tdb-host\n0\tAWS\\SES\tnew one\n4001\tEmptyFolder\t\n"
    items = Lpass(sync="no", runner=Recorder(_done(out=out))).ls()
    assert [(i.target, i.fullname) for i in items] == [("1002", "db-host"),
                                                       ("AWS\\SES/new one", "AWS\\SES/new one")]
