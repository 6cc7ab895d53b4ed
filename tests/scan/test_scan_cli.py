"""`seskeys scan` through the real entry point: formats, SARIF schema, exit codes, baseline,
allow comments, attribution with the vault, git history, the process pool, secret hygiene."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import jsonschema
import pytest

from seskeys.scan import baseline as bl
from seskeys.scan import scanner
from seskeys.smtp import derive_v4
from tests.conftest import CliRunner
from tests.factories import key_id, secret

SCHEMA = Path(__file__).parent.parent / "data" / "sarif" / "sarif-schema-2.1.0.json"
SECRET = secret("cli")
KEY_ID = key_id("cli")


def _files(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "config").mkdir(parents=True)
    (root / "config" / "prod.env").write_text(
        f"AWS_ACCESS_KEY_ID={KEY_ID}\nAWS_SECRET_ACCESS_KEY={SECRET}\n")
    (root / "README.md").write_text("nothing here\n")
    return root


def _json(result_stdout: str) -> dict:  # type: ignore[type-arg]
    return json.loads(result_stdout)  # type: ignore[no-any-return]


def test_json_output_and_exit_code(cli: CliRunner, tmp_path: Path) -> None:
    root = _files(tmp_path)
    result = cli("scan", str(root), "--json")
    assert result.code == 1, result.stderr
    data = _json(result.stdout)
    found = {(f["check_id"], f["location"]) for f in data["findings"]}
    env = str(root / "config" / "prod.env")
    assert found == {("scan.secret-access-key", f"{env}:2"), ("scan.access-key-id", f"{env}:1")}
    assert "no vault" in result.stderr
    assert SECRET not in result.stdout + result.stderr
    assert KEY_ID not in result.stdout  # key ids are shown masked too


def test_fail_on_threshold(cli: CliRunner, tmp_path: Path) -> None:
    root = _files(tmp_path)
    assert cli("scan", str(root), "--fail-on", "critical").code == 0
    assert cli("scan", str(root), "--fail-on", "high").code == 1
    assert cli("scan", str(root / "README.md")).code == 0


def test_sarif_is_valid_against_the_schema(cli: CliRunner, tmp_path: Path) -> None:
    root = _files(tmp_path)
    (root / "mail.eml").write_text("Subject: x\nMIME-Version: 1.0\n\nsmtp password "
                                   + derive_v4(SECRET, "eu-west-1") + "\n")
    result = cli("scan", str(root), "-o", "sarif")
    assert result.code == 1
    sarif = _json(result.stdout)
    jsonschema.validate(sarif, json.loads(SCHEMA.read_text()))
    results = sarif["runs"][0]["results"]
    assert {r["ruleId"] for r in results} == {"scan.secret-access-key", "scan.access-key-id",
                                             "scan.smtp-password"}
    lines = {r["locations"][0]["physicalLocation"].get("region", {}).get("startLine")
             for r in results}
    assert lines == {1, 2, None}  # the e-mail part has no line in the file itself
    assert SECRET not in result.stdout


def test_markdown_and_table_show_locations(cli: CliRunner, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    _files(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert "| repo/config/prod.env:2 |" in cli("scan", "repo", "-o", "markdown").stdout
    assert "repo/config/prod.env:2" in cli("scan", "repo").stdout


def test_attribution_with_the_vault(cli_vault: CliRunner, tmp_path: Path) -> None:
    add = cli_vault("add", "--key-name", "acme-prod", "--access-key-id", KEY_ID,
                    "--client", "Acme", "--purpose", "mail", "--creation-ticket", "OPS-1",
                    "--secret-stdin", input=SECRET + "\n")
    assert add.code == 0, add.stderr
    result = cli_vault("scan", str(_files(tmp_path)), "--json")
    data = _json(result.stdout)
    checks = {f["check_id"]: f for f in data["findings"]}
    assert set(checks) == {"scan.active-key-leaked", "scan.ledger-key-id"}
    assert checks["scan.active-key-leaked"]["record"] == "acme-prod"
    assert checks["scan.active-key-leaked"]["severity"] == "critical"
    assert SECRET not in result.stdout + result.stderr
    no_ledger = _json(cli_vault("scan", str(tmp_path / "repo"), "--json", "--no-ledger").stdout)
    assert {f["check_id"] for f in no_ledger["findings"]} == {"scan.secret-access-key",
                                                               "scan.access-key-id"}


def test_inline_allow_comment(cli: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "t.py").write_text(
        f'AWS = "{SECRET}"  # seskeys:allow\n'
        f"# pragma: allowlist nextline secret\nAWS2 = '{secret('other')}'\n")
    result = cli("scan", str(tmp_path), "--json")
    assert result.code == 0 and _json(result.stdout)["findings"] == []
    assert "2 by inline allow comments" in result.stderr


def test_baseline_round_trip_stores_hashes_only(cli: CliRunner, tmp_path: Path) -> None:
    root = _files(tmp_path)
    base = tmp_path / "baseline.json"
    first = cli("scan", str(root), "--write-baseline", str(base))
    assert first.code == 0, first.stderr
    text = base.read_text()
    assert SECRET not in text and KEY_ID not in text
    data = json.loads(text)
    assert data["version"] == bl.VERSION and len(data["entries"]) == 2
    assert cli("scan", str(root), "--baseline", str(base)).code == 0
    (root / "new.env").write_text(f"aws_secret={secret('new')}\n")
    again = cli("scan", str(root), "--baseline", str(base), "--json")
    assert again.code == 1
    assert [f["location"].endswith("new.env:1") for f in _json(again.stdout)["findings"]] == [True]


def test_baseline_v1_is_upgraded(tmp_path: Path) -> None:
    import hashlib

    path = tmp_path / "old.json"
    path.write_text(json.dumps({"version": 1,
                                "hashes": [hashlib.sha256(SECRET.encode()).hexdigest()]}))
    loaded = bl.load(path)
    assert loaded.contains(SECRET) and not loaded.contains(secret("x"))
    path.write_text(json.dumps({"version": 99, "entries": []}))
    with pytest.raises(bl.InputError, match="newer"):
        bl.load(path)


def test_live_key_cannot_be_baselined_or_allowed(cli_vault: CliRunner, tmp_path: Path) -> None:
    cli_vault("add", "--key-name", "acme-prod", "--access-key-id", KEY_ID, "--client", "Acme",
              "--purpose", "mail", "--creation-ticket", "OPS-1", "--secret-stdin",
              input=SECRET + "\n")
    (tmp_path / "x.txt").write_text(f"aws {SECRET}  # seskeys:allow\n")
    base = tmp_path / "b.json"
    result = cli_vault("scan", str(tmp_path / "x.txt"), "--write-baseline", str(base), "--json")
    assert result.code == 1
    assert [f["check_id"] for f in _json(result.stdout)["findings"]] == ["scan.active-key-leaked"]


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def test_git_history(cli: CliRunner, tmp_path: Path) -> None:
    repo = tmp_path / "hist"
    repo.mkdir()
    _git(repo, "init", "-q")
    _git(repo, "config", "user.email", "t@example.com")
    _git(repo, "config", "user.name", "t")
    (repo / "app.cfg").write_text(f"[mail]\nhost = x\naws_secret_access_key = {SECRET}\n")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "add config")
    (repo / "app.cfg").write_text("[mail]\nhost = x\n")
    _git(repo, "commit", "-qam", "remove the key")
    head = subprocess.run(["git", "-C", str(repo), "rev-list", "--max-parents=0", "HEAD"],
                          check=True, capture_output=True, text=True).stdout.strip()
    assert cli("scan", str(repo)).code == 0  # the work tree is clean
    result = cli("scan", str(repo), "--git", "--json")
    [finding] = _json(result.stdout)["findings"]
    assert finding["location"] == "app.cfg:3" and finding["evidence"]["commit"] == head
    assert SECRET not in result.stdout + result.stderr
    for output in ("table", "markdown"):  # people see the commit beside the path
        shown = cli("scan", str(repo), "--git", "-o", output).stdout
        assert f"app.cfg:3 @ {head[:12]}" in shown.replace("\n", "")


def test_process_pool_gives_the_same_findings(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    for i in range(40):
        (tmp_path / f"f{i}.env").write_text(f"aws_secret_access_key={secret(str(i))}\n"
                                            + "filler line\n" * 200)
    monkeypatch.setattr(scanner, "POOL_MIN_BYTES", 0)
    monkeypatch.setattr(scanner, "BATCH_FILES", 7)
    options = scanner.ScanOptions(paths=(str(tmp_path),), jobs=2)
    pooled = scanner.scan(options)
    single = scanner.scan(scanner.ScanOptions(paths=(str(tmp_path),), jobs=1))
    assert {j.found.hit.token for j in pooled.judged} == {secret(str(i)) for i in range(40)}
    assert sorted(map(str, (j.found.location for j in pooled.judged))) == \
        sorted(map(str, (j.found.location for j in single.judged)))


def test_missing_path_is_an_input_error(cli: CliRunner, tmp_path: Path) -> None:
    result = cli("scan", str(tmp_path / "nope"))
    assert result.code == 2 and "no such file" in result.stderr


def test_respect_gitignore(cli: CliRunner, tmp_path: Path) -> None:
    repo = tmp_path / "r"
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / ".gitignore").write_text("ignored.env\n")
    (repo / "ignored.env").write_text(f"aws_secret={SECRET}\n")
    assert cli("scan", str(repo)).code == 1
    assert cli("scan", str(repo), "--respect-gitignore").code == 0


def test_found_secrets_show_no_character_of_the_value(cli: CliRunner, tmp_path: Path) -> None:
    """A redacted secret is its length and a short digest: two findings of one value match,
    and not one character of it is printed."""
    import hashlib

    root = _files(tmp_path)
    result = cli("scan", str(root), "--json")
    [finding] = [f for f in _json(result.stdout)["findings"]
                 if f["check_id"] == "scan.secret-access-key"]
    digest = hashlib.sha256(SECRET.encode()).hexdigest()[:8]
    assert finding["subject"] == f"[40 chars, sha256:{digest}]"
    assert SECRET[:4] not in finding["subject"]
    assert "owner unknown (not matched to a vault)" in finding["message"]


def test_windows_text_odd_bytes_and_file_names(cli: CliRunner, tmp_path: Path) -> None:
    """Found by an adversarial review: UTF-16 without a BOM and a log with one NUL were
    skipped as binary without naming them, and a non-UTF-8 file name broke the JSON."""
    import os

    line = f"aws_secret_access_key={SECRET}\n"
    (tmp_path / "utf16.txt").write_bytes(line.encode("utf-16-le"))
    (tmp_path / "nul.log").write_bytes(b"\x00" + line.encode())
    (tmp_path / "real.bin").write_bytes(bytes(range(256)) * 40)
    with open(os.path.join(os.fsencode(tmp_path), b"caf\xe9.env"), "wb") as handle:
        handle.write(line.encode())
    result = cli("scan", str(tmp_path), "--json", "--no-ledger")
    data = json.loads(result.stdout.encode("utf-8"))  # valid UTF-8 JSON
    places = sorted(Path(f["location"]).name for f in data["findings"])
    assert places == ["caf\\xe9.env:1", "nul.log:1", "utf16.txt:1"]
    assert "real.bin (binary file)" in result.stderr
