"""A full lifecycle through the CLI, then every output and file is searched for the secrets.

A secret (or any of its SMTP passwords) may appear only in the stdout of `show --reveal`.
"""

from __future__ import annotations

import json
from pathlib import Path

from seskeys.smtp import all_smtp_passwords
from tests import factories
from tests.conftest import CliRunner, Result

FIRST, SECOND = factories.secret("hygiene-1"), factories.secret("hygiene-2")


def test_no_secret_leaves_the_vault_unless_revealed(cli: CliRunner, tmp_path: Path) -> None:
    data = factories.record_input("acme-mailer", iam_groups="ses-send-acme",
                                  notes="order mails; see OPS-1 for the approval")
    data.pop("secret_access_key")
    add = ["add", "--secret-stdin"] + [
        a for k, v in data.items()
        for a in ("--ticket" if k == "creation_ticket" else "--" + k.replace("_", "-"), str(v))]
    steps: list[tuple[str, tuple[str, ...], str]] = [
        ("init", ("init", "--kdf-profile", "insecure-test"), ""),
        ("add", tuple(add), FIRST + "\n"),
        ("add-json", ("add", "--json", "--from-json", "-"),
         json.dumps({"key_name": "second", "access_key_id": factories.key_id("second"),
                     "secret_access_key": factories.secret("s2"), "client": "Globex",
                     "purpose": "invoices", "creation_ticket": "OPS-2",
                     "ses_region": "us-east-1"})),
        ("list", ("list",), ""), ("list-json", ("list", "--json"), ""),
        ("list-csv", ("list", "-o", "csv"), ""),
        ("show", ("show", "acme-mailer"), ""), ("show-json", ("show", "acme-mailer", "--json"), ""),
        ("reveal", ("show", "acme-mailer", "--reveal"), ""),
        ("reveal-json", ("show", "acme-mailer", "--reveal", "-o", "json"), ""),
        ("history", ("history", "acme-mailer"), ""),
        ("edit", ("edit", "acme-mailer", "--set", "ses_limits=production", "--ticket", "T-3"), ""),
        ("edit-secret", ("edit", "acme-mailer", "--secret-stdin", "--ticket", "T-4"),
         FIRST[::-1] + "\n"),
        ("rotate", ("rotate", "acme-mailer", "--access-key-id", factories.key_id("rotated"),
                    "--ticket", "CHG-5", "--secret-stdin"), SECOND + "\n"),
        ("refused-notes", ("edit", "acme-mailer", "--set", f"notes=oops {SECOND}",
                           "--ticket", "T-6"), ""),
        ("refused-ticket", ("revoke", "acme-mailer", "--ticket", SECOND, "--reason", "r"), ""),
        ("revoke", ("revoke", "acme-mailer", "--ticket", "SEC-7", "--reason", "client left"), ""),
        ("show-revoked", ("show", factories.key_id("rotated"), "--json"), ""),
        ("check", ("check", "--fail-on", "none"), ""),
        ("check-json", ("check", "-o", "json", "--fail-on", "none"), ""),
        ("log", ("log",), ""), ("log-json", ("log", "-o", "json"), ""),
        ("log-jsonl", ("log", "-o", "jsonl"), ""), ("log-csv", ("log", "-o", "csv"), ""),
        ("verify", ("log", "--verify"), ""), ("info", ("info", "--json"), ""),
        ("history-after", ("history", factories.key_id("rotated"), "-o", "jsonl"), ""),
    ]
    results: dict[str, Result] = {}
    for name, args, stdin in steps:
        results[name] = cli(*args, input=stdin)
        expected = 2 if name.startswith("refused") else 0
        assert results[name].code == expected, (name, results[name].stderr)

    secrets = {FIRST, SECOND, FIRST[::-1], factories.secret("s2")}
    needles = {s for secret in secrets for s in (secret, *all_smtp_passwords(secret))}
    allowed = {("reveal", "stdout"), ("reveal-json", "stdout")}
    for name, result in results.items():
        for stream in ("stdout", "stderr"):
            text = getattr(result, stream)
            leaked = [n for n in needles if n in text]
            if (name, stream) in allowed:
                assert FIRST in text  # the reveal did show it
                continue
            assert not leaked, f"{name} {stream} holds a secret"

    files = [p for p in tmp_path.iterdir() if p.name.startswith("cli-vault.db")]
    assert files
    raw = b"".join(p.read_bytes() for p in files)
    for needle in needles:
        for form in (needle.encode(), needle.encode("utf-16-le")):
            assert form not in raw
    for marker in (b"acme-mailer", b"Acme Corp", b"OPS-1", b"client left"):
        assert marker not in raw, "every field is encrypted, names and tickets included"
