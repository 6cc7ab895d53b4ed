"""Secret hygiene: run every command end to end, then search every byte the run produced.

A vault and a moto account (ThreadedMotoServer on 127.0.0.1) with known secrets; every command
runs as a real process while a watcher samples the argv of every process on the machine. Then
stdout, stderr, every file the run wrote (vault, exports, reports, SARIF, temporary files) and
the argv samples are searched for each secret and each of its SMTP passwords (v4 in every
region, v2). A hit is allowed only where the user asked to reveal: `show --reveal`,
`smtp-password`, and an export with `--include-secrets`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from tempfile import TemporaryDirectory

from reliability.common import PASSWORD, env_for, moto_server, run_cli
from seskeys import demo
from seskeys.smtp import all_smtp_passwords
from seskeys.vault.local import LocalVault

REGION = "eu-west-1"


@dataclass
class HygieneResult:
    commands: int = 0
    secrets: int = 0
    bytes_searched: int = 0
    argv_samples: int = 0
    allowed: int = 0
    leaks: list[str] = field(default_factory=list)


class ArgvWatcher:
    """Samples /proc/*/cmdline while the run goes on, as `ps` would show it."""

    def __init__(self) -> None:
        self.seen: set[str] = set()
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            for proc in Path("/proc").glob("[0-9]*/cmdline"):
                try:
                    self.seen.add(proc.read_bytes().replace(b"\0", b" ").decode("utf-8",
                                                                                 "replace"))
                except OSError:
                    continue
            self.samples += 1
            time.sleep(0.005)

    def __enter__(self) -> ArgvWatcher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _vault_secrets(path: Path) -> set[str]:
    vault = LocalVault.open(path, PASSWORD)
    try:
        found = {r.secret() or "" for r in vault.records()}
        for r in vault.records():
            rotation = getattr(r, "rotation", None)
            if rotation is not None and getattr(rotation, "new_secret", None):
                found.add(rotation.new_secret.get_secret_value())
        return {s for s in found if s}
    finally:
        vault.close()


class Session:
    """One scripted run: every command as a real process, its outputs kept for the search."""

    def __init__(self, work: Path, url: str, result: HygieneResult) -> None:
        self.work, self.url, self.result = work, url, result
        self.vault = work / "vault.db"
        tmpdir = work / "tmp"
        tmpdir.mkdir()
        self.env = env_for(self.vault, {
            "TMPDIR": str(tmpdir), "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": REGION,
            "AWS_ENDPOINT_URL": url})
        self.secrets: set[str] = set()
        self.outputs: list[tuple[str, str, bool]] = []  # (where, text, reveal allowed)

    def __call__(self, *args: str, stdin: str = "", allowed: bool = False,
                 expect: tuple[int, ...] = (0, 1)) -> None:
        proc = run_cli(list(args), self.env, stdin)
        self.result.commands += 1
        label = " ".join(args)
        if proc.returncode not in expect:
            raise RuntimeError(f"`seskeys {label}` exited {proc.returncode}: "
                               f"{proc.stderr.strip()[-300:]}")
        self.outputs.append((f"stdout of `{label}`", proc.stdout, allowed))
        self.outputs.append((f"stderr of `{label}`", proc.stderr, False))

    def collect_vault_secrets(self) -> None:
        self.secrets |= _vault_secrets(self.vault)


def _ledger_phase(run: Session) -> None:
    first, second, third = (demo.random_secret() for _ in range(3))
    run.secrets.update((first, second, third))
    run("init", "--kdf-profile", "insecure-test")
    for name, secret in (("acme-mailer", first), ("globex-mailer", second)):
        run("add", "--key-name", name, "--client", name.split("-")[0], "--purpose", "mail",
            "--access-key-id", demo.random_key_id(), "--ses-region", REGION,
            "--iam-groups", "ses-send", "--ticket", "OPS-1", "--secret-stdin",
            stdin=secret + "\n")
    for fmt in ("table", "json", "csv"):
        run("list", "-o", fmt)
    run("show", "acme-mailer")
    run("show", "acme-mailer", "-o", "json")
    run("show", "acme-mailer", "--reveal", allowed=True)
    run("copy", "acme-mailer", expect=(5,))  # no clipboard here: one clear error
    run("edit", "acme-mailer", "--set", "notes=rotated soon", "--ticket", "OPS-2")
    run("history", "acme-mailer")
    run("rotate", "globex-mailer", "--ticket", "OPS-3", "--access-key-id",
        demo.random_key_id(), "--secret-stdin", stdin=third + "\n")
    run("revoke", "acme-mailer", "--ticket", "SEC-1", "--reason", "hygiene test")
    run("smtp-password", "--region", REGION, stdin=first + "\n", allowed=True)
    run("smtp-password", "globex-mailer", "--region", REGION, allowed=True)
    run("smtp-password", "--identify", stdin=all_smtp_passwords(third)[0] + "\n")
    leak_dir = run.work / "docs"
    leak_dir.mkdir()
    (leak_dir / "notes.txt").write_text(f"aws_secret_access_key = {second}\n")


def _aws_phase(run: Session) -> None:
    import boto3

    boto3.client("ses", region_name=REGION, endpoint_url=run.url, aws_access_key_id="testing",
                 aws_secret_access_key="testing").verify_domain_identity(
                     Domain="initech.example")
    run("aws", "provision", "--client", "Initech", "--identity", "initech.example",
        "--region", REGION, "--ticket", "OPS-4", "--key-name", "initech-mailer")
    run.collect_vault_secrets()
    for fmt in ("table", "json", "csv", "markdown", "sarif"):
        run("aws", "audit", "-o", fmt, "--fail-on", "none")
    run("aws", "rotate", "initech-mailer", "--ticket", "OPS-5")
    run.collect_vault_secrets()
    run("aws", "rotate", "initech-mailer", "--finish", "--delete-after", "0")
    run.collect_vault_secrets()
    run("aws", "revoke", "initech-mailer", "--ticket", "SEC-2", "--reason", "hygiene test")


def _evidence_phase(run: Session) -> None:
    for fmt in ("table", "json", "sarif"):
        run("scan", str(run.work / "docs"), "-o", fmt, "--fail-on", "none")
    run("export", "lastpass-csv", str(run.work / "export.csv"), "--note-type", "Custom_123")
    run("export", "lastpass-csv", str(run.work / ALLOWED_EXPORT), "--note-type", "Custom_123",
        "--include-secrets", "--yes")
    run("import", "lastpass-csv", str(run.work / "export.csv"), "--ticket", "OPS-6",
        "--note-type", "Custom_123", "--dry-run")
    for fmt in ("table", "json", "jsonl", "csv"):
        run("log", "-o", fmt)
    run("log", "--verify")
    for fmt in ("table", "json", "markdown"):
        run("check", "-o", fmt, "--fail-on", "none")
    for fmt, name in (("html", "report.html"), ("markdown", "report.md"),
                      ("json", "report.json")):
        run("report", "-o", fmt, "--out", str(run.work / name))
    run("info")


ALLOWED_EXPORT = "export-secrets.csv"


def run() -> HygieneResult:
    result = HygieneResult()
    with TemporaryDirectory(prefix="seskeys-hygiene-") as tmp, moto_server() as url:
        session = Session(Path(tmp), url, result)
        with ArgvWatcher() as watcher:
            for phase in (_ledger_phase, _aws_phase, _evidence_phase):
                phase(session)
        result.argv_samples = watcher.samples
        values = {v for s in session.secrets for v in (s, *all_smtp_passwords(s))}
        result.secrets = len(values)
        for where, text, allowed in session.outputs:
            _search(result, where, text.encode(), values, allowed)
        for path in session.work.rglob("*"):
            if path.is_file() and path.name != "notes.txt":  # the planted leak itself
                _search(result, f"file {path.relative_to(session.work)}", path.read_bytes(),
                        values, path.name == ALLOWED_EXPORT)
        for argv in watcher.seen:
            _search(result, f"argv `{argv[:80]}`", argv.encode(), values, False)
    return result


def _search(result: HygieneResult, where: str, data: bytes, values: set[str],
            allowed: bool) -> None:
    result.bytes_searched += len(data)
    hits = [v for v in values if v.encode() in data]
    if not hits:
        return
    if allowed:
        result.allowed += 1
    else:
        result.leaks.append(f"{where}: {len(hits)} secret value(s)")


def summary(result: HygieneResult) -> Mapping[str, object]:
    return {k: v for k, v in result.__dict__.items() if k != "leaks"}


if __name__ == "__main__":
    figures = run()
    print(summary(figures))
    for leak in figures.leaks:
        print(" LEAK", leak)
