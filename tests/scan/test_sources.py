"""Sources: e-mails (MIME decoding), office documents, notebooks, text encodings, skips."""

from __future__ import annotations

import base64
import json
import quopri
from email.message import EmailMessage
from pathlib import Path

import pytest

from seskeys.scan import sources
from seskeys.scan.detectors import Kind
from seskeys.smtp import derive_v4
from tests.factories import key_id, secret
from tests.scan.helpers import by_value, docx_bytes, run_scan, values, zip_bytes

SECRET = secret("sources")
KEY_ID = key_id("sources")
CREDS = f"aws_access_key_id = {KEY_ID}\naws_secret_access_key = {SECRET}\n"
DATA = Path(__file__).parent.parent / "data" / "scan"


def test_key_only_inside_a_base64_attachment(tmp_path: Path) -> None:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "ops@example.com", "dev@example.com", "creds"
    msg.set_content("See the attached file.")
    msg.add_attachment(CREDS.encode(), maintype="application", subtype="octet-stream",
                       filename="credentials")
    raw = msg.as_bytes()
    assert SECRET.encode() not in raw and KEY_ID.encode() not in raw  # only base64 in the file
    (tmp_path / "mail.eml").write_bytes(raw)
    result = run_scan(tmp_path)
    assert values(result) == {SECRET, KEY_ID}
    hit = by_value(result, SECRET)[0].found.location
    assert hit.part == "attachment credentials" and hit.line == 2


def test_quoted_printable_soft_line_breaks(tmp_path: Path) -> None:
    body = ("Hello,\n\nthe new AWS secret access key is " + SECRET + " and the key id "
            + KEY_ID + ".\n")
    encoded = quopri.encodestring(body.encode(), quotetabs=False)
    assert b"=\n" in encoded  # the long line was soft-broken
    raw = (b"From: a@example.com\nTo: b@example.com\nSubject: keys\nMIME-Version: 1.0\n"
           b"Content-Type: text/plain; charset=utf-8\n"
           b"Content-Transfer-Encoding: quoted-printable\n\n" + encoded)
    (tmp_path / "qp.eml").write_bytes(raw.replace(b"\n", b"\r\n"))
    assert values(run_scan(tmp_path)) == {SECRET, KEY_ID}


def test_html_part_with_split_spans_and_entities_in_latin1(tmp_path: Path) -> None:
    value = SECRET[:10] + "/" + SECRET[11:]
    html = (f"<p>Clé AWS&nbsp;: <span>{value[:12]}</span><span>"
            f"{value[12:].replace('/', '&#47;')}</span></p>")
    msg = EmailMessage()
    msg["Subject"] = "accès"
    msg.set_content("voir la version HTML")
    msg.add_alternative(html, subtype="html", charset="iso-8859-1")
    (tmp_path / "html.eml").write_bytes(msg.as_bytes())
    assert values(run_scan(tmp_path)) == {value}


def test_nested_multipart_and_forwarded_message(tmp_path: Path) -> None:
    inner = EmailMessage()
    inner["Subject"] = "smtp creds"
    inner.set_content(f"SMTP user {KEY_ID}\nSMTP password {derive_v4(SECRET, 'eu-west-1')}\n",
                      cte="base64")
    outer = EmailMessage()
    outer["Subject"] = "Fwd: smtp creds"
    outer.set_content("forwarding")
    outer.add_attachment(inner)
    (tmp_path / "fwd.eml").write_bytes(outer.as_bytes())
    assert values(run_scan(tmp_path)) == {KEY_ID, derive_v4(SECRET, "eu-west-1")}


def test_mbox_reports_the_message(tmp_path: Path) -> None:
    first = "From a@example.com Thu Jan  1 00:00:00 2026\nSubject: one\n\nnothing here\n\n"
    second = ("From b@example.com Thu Jan  1 00:00:00 2026\nSubject: two\n"
              "Content-Transfer-Encoding: base64\n\n"
              + base64.encodebytes(CREDS.encode()).decode() + "\n")
    (tmp_path / "box.mbox").write_text(first + second)
    result = run_scan(tmp_path)
    assert values(result) == {SECRET, KEY_ID}
    assert by_value(result, SECRET)[0].found.location.part == "message 2, body"


def test_eml_sniffed_without_suffix(tmp_path: Path) -> None:
    raw = ("Received: from x\nMIME-Version: 1.0\nContent-Type: text/plain\n"
           "Content-Transfer-Encoding: base64\n\n" + base64.encodebytes(CREDS.encode()).decode())
    (tmp_path / "message.txt").write_text(raw)
    assert values(run_scan(tmp_path)) == {SECRET, KEY_ID}


def test_docx_runs_are_joined(tmp_path: Path) -> None:
    doc = docx_bytes([["Onboarding"], ["AWS secret: ", SECRET[:15], SECRET[15:]],
                      [f"Key id {KEY_ID}"]])
    (tmp_path / "handover.docx").write_bytes(doc)
    result = run_scan(tmp_path)
    assert values(result) == {SECRET, KEY_ID}
    assert by_value(result, SECRET)[0].found.location.part == "word/document.xml"


def test_xlsx_shared_strings_and_cells(tmp_path: Path) -> None:
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    book = zip_bytes({
        "xl/sharedStrings.xml": f"<sst {ns}><si><t>Access key ID</t></si><si><t>{KEY_ID}</t>"
                                f"</si><si><t>Secret access key</t></si><si><t>{SECRET}</t></si>"
                                "</sst>",
        "xl/worksheets/sheet1.xml": f"<worksheet {ns}><sheetData/></worksheet>"})
    (tmp_path / "keys.xlsx").write_bytes(book)
    assert values(run_scan(tmp_path)) == {SECRET, KEY_ID}


def test_pptx_and_odt(tmp_path: Path) -> None:
    a = 'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"'
    (tmp_path / "deck.pptx").write_bytes(zip_bytes({
        "ppt/slides/slide1.xml": f"<p:sld xmlns:p='urn:p' {a}><a:p><a:r><a:t>aws secret "
                                 f"{SECRET}</a:t></a:r></a:p></p:sld>"}))
    t = 'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
    other = secret("odt")
    (tmp_path / "notes.odt").write_bytes(zip_bytes({
        "content.xml": f"<office:document-content xmlns:office='urn:o' {t}><text:p>AWS key"
                       f"<text:s/>{other[:20]}<text:span>{other[20:]}</text:span></text:p>"
                       "</office:document-content>"}))
    assert values(run_scan(tmp_path)) == {SECRET, other}


def test_notebook_cells_and_outputs(tmp_path: Path) -> None:
    nb = {"cells": [
        {"cell_type": "code", "source": ["import boto3\n", f"KEY = '{KEY_ID}'\n"],
         "outputs": [{"output_type": "stream", "text": [f"aws secret {SECRET}\n"]}]}],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "explore.ipynb").write_text(json.dumps(nb))
    result = run_scan(tmp_path)
    assert values(result) == {SECRET, KEY_ID}
    assert by_value(result, KEY_ID)[0].found.location.part == "cell 1"
    assert by_value(result, KEY_ID)[0].found.location.line == 2
    assert by_value(result, SECRET)[0].found.location.part == "cell 1 output"


def test_utf16_file_with_bom(tmp_path: Path) -> None:
    (tmp_path / "creds.ps1").write_bytes(CREDS.encode("utf-16"))
    assert values(run_scan(tmp_path)) == {SECRET, KEY_ID}


def test_binary_and_oversized_files_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "blob.bin").write_bytes(bytes(range(256)) * 8 + CREDS.encode())
    (tmp_path / "big.txt").write_bytes(CREDS.encode() + b"x" * (2 * 2**20))
    result = run_scan(tmp_path, max_file_bytes=2**20)
    assert values(result) == set()
    assert dict(result.skipped).keys() == {str(tmp_path / "blob.bin"), str(tmp_path / "big.txt")}


def test_a_stray_nul_or_control_byte_does_not_make_text_binary(tmp_path: Path) -> None:
    (tmp_path / "app.log").write_bytes(b"\0" + CREDS.encode() + b"\x01 end\n")
    assert values(run_scan(tmp_path)) == {KEY_ID, SECRET}


def test_line_numbers_across_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sources, "CHUNK_BYTES", 10_000)
    filler = "".join(f"line {i} nothing to see\n" for i in range(3000))
    text = filler + "aws_secret_access_key=" + SECRET + "\n" + filler + f"id {KEY_ID}\n"
    (tmp_path / "long.log").write_text(text)
    result = run_scan(tmp_path)
    assert by_value(result, SECRET)[0].found.location.line == 3001
    assert by_value(result, KEY_ID)[0].found.location.line == 6002
    assert len(result.judged) == 2  # nothing reported twice from the overlaps


def test_public_fixture_files(tmp_path: Path) -> None:
    """Hand-written inputs in tests/data/scan: every planted value, no decoy."""
    result = run_scan(DATA / "inputs")
    expected = json.loads((DATA / "expected.json").read_text())
    got = sorted([j.found.location.path.rpartition("/")[2], j.found.location.line,
                  j.found.hit.kind.value] for j in result.judged)
    assert got == sorted(expected)
    assert all(j.found.hit.kind in set(Kind) for j in result.judged)


def test_non_ascii_transfer_encoding_header_is_read(tmp_path: Path) -> None:
    """Fuzzing found a raw 8-bit header value arriving as a Header object, not a str."""
    encoded = base64.b64encode(CREDS.encode())
    raw = (b"From: a@example.com\nMIME-Version: 1.0\nContent-Type: text/plain\n"
           b"Content-Transfer-Encoding: base64\xe9\n\n" + encoded + b"\n")
    (tmp_path / "odd.eml").write_bytes(raw)
    result = run_scan(tmp_path)
    assert not result.skipped
    assert values(result) == set()  # an unknown encoding: the body is read as it stands


def test_damaged_office_document_is_skipped_with_a_reason(tmp_path: Path) -> None:
    """Fuzzing found zlib.error and ValueError escaping from damaged zip members."""
    data = bytearray(docx_bytes([[CREDS]]))
    local = data.index(b"word/document.xml") + len("word/document.xml")
    data[local + 5:local + 25] = bytes(20)  # damage the deflated stream of the document
    (tmp_path / "broken.docx").write_bytes(bytes(data))
    result = run_scan(tmp_path)
    assert [path.rpartition("/")[2] for path, _ in result.skipped] == ["broken.docx"]
    assert "not a readable office document" in result.skipped[0][1]


@pytest.mark.parametrize("charset", ["base64", "utf\\0-8", "idna", "no-such-charset"])
def test_a_bogus_charset_falls_back_instead_of_failing(tmp_path: Path, charset: str) -> None:
    """Fuzzing found LookupError ('base64' is not a text encoding) and ValueError (a NUL in
    the name) escaping from charset names the message declares."""
    raw = (f"From: a@example.com\nMIME-Version: 1.0\nContent-Type: text/plain; "
           f"charset=\"{charset}\"\n\n{CREDS}").encode().replace(b"\\0", b"\0")
    (tmp_path / "charset.eml").write_bytes(raw)
    assert values(run_scan(tmp_path)) == {SECRET, KEY_ID}
