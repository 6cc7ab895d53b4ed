"""Leak-scanner throughput, recall and precision on a generated corpus.

Generates a deterministic corpus (code, config, docs, logs and e-mails; ~200 MB by default)
into a temporary folder, with planted access key ids, secret access keys and SES SMTP passwords
(some only inside base64 e-mail attachments, some percent-encoded, JSON-escaped or
quoted-printable, some known only to the ledger) and with decoys. Then it scans the corpus with
every detector and attribution against an in-memory ledger on, and prints MB/s, recall and
precision. detect-secrets and ripgrep are run in the same session when installed (detect-secrets
on a slice, it is slow), with their figures beside ours.

    python bench/scan_throughput.py                  # ~200 MB
    python bench/scan_throughput.py --size-mb 20     # quick
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import quopri
import random
import resource
import shutil
import string
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.message import EmailMessage
from pathlib import Path

from seskeys import lifecycle
from seskeys.lifecycle import Actor
from seskeys.scan.attribution import Ledger, Verdict
from seskeys.scan.scanner import ScanOptions, scan
from seskeys.smtp import derive_v2, derive_v4, smtp_regions
from seskeys.vault.memory import MemoryVault

B64 = string.ascii_letters + string.digits + "+/"
KEY_ALPHABET = string.ascii_uppercase + "234567"
_FILLER_WORDS = (
    "def return import self value config the of and to for in is if else print data "
    "file path user name class while yield lambda request response client server host "
    "port timeout retry error logger message queue email send template region bucket "
    "account policy group role token session cache table index record event handler "
    "password mail key")
WORDS = tuple(_FILLER_WORDS.split())


@dataclass
class Plant:
    value: str
    kind: str  # key-id, secret, smtp
    how: str
    record: str | None = None  # ledger record expected to be named


@dataclass
class Corpus:
    root: Path
    plants: list[Plant] = field(default_factory=list)
    # (name, key id, secret, revoked) of the ledger records the corpus plants values of
    records: list[tuple[str, str, str, bool]] = field(default_factory=list)
    bytes: int = 0
    files: int = 0


class Generator:
    def __init__(self, root: Path, seed: int) -> None:
        self.rng = random.Random(seed)
        self.corpus = Corpus(root)
        self.lines = [self._filler_line() for _ in range(20000)]
        self.counter = 0

    # -- values ---------------------------------------------------------------------------------
    def secret(self) -> str:
        while True:
            value = "".join(self.rng.choice(B64) for _ in range(40))
            if any(c.isupper() for c in value) and any(c.islower() for c in value) \
                    and any(c.isdigit() for c in value):
                return value

    def key_id(self) -> str:
        return "AKIA" + "".join(self.rng.choice(KEY_ALPHABET) for _ in range(16))

    def _filler_line(self) -> str:
        r = self.rng
        kind = r.random()
        if kind < 0.02:  # integrity hashes: long base64 runs that are not secrets
            return f'  "integrity": "sha512-{base64.b64encode(r.randbytes(64)).decode()}",'
        if kind < 0.03:
            return f"commit {r.randbytes(20).hex()} {r.choice(WORDS)} {r.choice(WORDS)}"
        words = [r.choice(WORDS) + r.choice(["", "()", "=", "_id", ".x", ":", '"', ","])
                 for _ in range(r.randint(3, 12))]
        return " " * r.choice([0, 4, 8]) + " ".join(words)

    def filler(self, size: int) -> str:
        lines = self.rng.choices(self.lines, k=max(1, size // 45))
        return "\n".join(lines) + "\n"

    # -- plants --------------------------------------------------------------------------------
    def plant(self, value: str, kind: str, how: str, record: str | None = None) -> str:
        self.corpus.plants.append(Plant(value, kind, how, record))
        return value

    def ledger_record(self, revoked: bool) -> tuple[str, str, str]:
        self.counter += 1
        name, kid, sec = f"client-{self.counter}", self.key_id(), self.secret()
        self.corpus.records.append((name, kid, sec, revoked))
        return name, kid, sec

    def snippet(self) -> tuple[str, str]:
        """(text, suffix of the file it belongs in) holding one or two planted values."""
        r = self.rng
        choice = r.randrange(9)
        if choice == 0:
            kid, sec = self.key_id(), self.secret()
            return (f"AWS_ACCESS_KEY_ID={self.plant(kid, 'key-id', 'env')}\n"
                    f"AWS_SECRET_ACCESS_KEY={self.plant(sec, 'secret', 'env')}\n", ".env")
        if choice == 1:
            sec = self.secret()[:39] + r.choice("/+")
            return f'aws:\n  secret_access_key: "{self.plant(sec, "secret", "yaml")}"\n', ".yaml"
        if choice == 2:
            region = r.choice(smtp_regions())
            pw = derive_v4(self.secret(), region)
            return f"smtp_password = '{self.plant(pw, 'smtp', 'v4')}'\n", ".py"
        if choice == 3:
            pw = derive_v2(self.secret())
            return f"MAIL_PASSWORD={self.plant(pw, 'smtp', 'v2')}\n", ".env"
        if choice == 4:
            sec = self.secret()[:20] + "/" + self.secret()[21:]
            escaped = json.dumps({"aws_secret_access_key": sec}).replace("/", "\\/")
            self.plant(sec, "secret", "json-escaped")
            return escaped + "\n", ".json"
        if choice == 5:
            sec = self.secret()[:10] + "+" + self.secret()[11:]
            self.plant(sec, "secret", "percent")
            return (f"GET /cb?AWSSecretKey={urllib.parse.quote(sec, safe='')}&x=1 HTTP/1.1"
                    " 200\n", ".log")
        if choice == 6:
            name, _, sec = self.ledger_record(revoked=False)
            return f"blob {self.plant(sec, 'secret', 'ledger-exact', name)} end\n", ".txt"
        if choice == 7:
            name, _, sec = self.ledger_record(revoked=True)
            return f"old = {self.plant(sec, 'secret', 'ledger-fingerprint', name)}\n", ".txt"
        kid, sec = self.key_id(), self.secret()
        return (f"[default]\r\naws_access_key_id = {self.plant(kid, 'key-id', 'crlf')}\r\n"
                f"aws_secret_access_key = {self.plant(sec, 'secret', 'crlf')}\r\n", ".ini")

    def decoys(self) -> str:
        r = self.rng
        options = [
            "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"
            "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
            f"aws commit {r.randbytes(20).hex()}\n",
            f"IAM user AIDA{''.join(r.choice(KEY_ALPHABET) for _ in range(17))}\n",
            f"smtp digest {base64.b64encode(bytes([5]) + r.randbytes(32)).decode()}\n",
            f"aws sha256 {base64.b64encode(r.randbytes(32)).decode()}\n",
            "aws_secret_access_key = AwsSecretsManagerCredentialsProviderImpl\n",
            f"random {base64.b64encode(r.randbytes(30)).decode()} value\n",  # no AWS context
            "AKIAXXXXXXXXXXXXXXXX placeholder\n",
        ]
        return r.choice(options)

    # -- files ---------------------------------------------------------------------------------
    def write(self, name: str, data: bytes) -> None:
        path = self.corpus.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        self.corpus.bytes += len(data)
        self.corpus.files += 1

    def text_file(self, index: int) -> None:
        r = self.rng
        size = r.choice([4_000, 12_000, 30_000, 60_000]) if r.random() > 0.002 else 3_000_000
        parts = [self.filler(size // 2)]
        suffix = r.choice([".py", ".js", ".md", ".go", ".yaml", ".log"])
        if r.random() < 0.12:
            text, suffix = self.snippet()
            parts.append(text)
            parts.append(self.filler(1000))  # keep decoys out of the plant's AWS context
        if r.random() < 0.15:
            parts.append(self.decoys())
        parts.append(self.filler(size // 2))
        self.write(f"d{index % 97}/f{index}{suffix}", "".join(parts).encode())

    def mail_file(self, index: int) -> None:
        r = self.rng
        msg = EmailMessage()
        msg["From"], msg["To"] = "ops@example.com", "team@example.com"
        msg["Subject"] = f"Re: ticket {index}"
        body = self.filler(r.choice([3_000, 8_000]))
        mode = r.random()
        if mode < 0.10:  # the credentials only inside a base64 attachment
            kid, sec = self.key_id(), self.secret()
            creds = (f"aws_access_key_id={self.plant(kid, 'key-id', 'attachment')}\n"
                     f"aws_secret_access_key={self.plant(sec, 'secret', 'attachment')}\n")
            msg.set_content(body)
            msg.add_attachment(creds.encode(), maintype="application", subtype="octet-stream",
                               filename="credentials.txt")
            self.write(f"mail/m{index}.eml", msg.as_bytes())
            return
        if mode < 0.16:  # quoted-printable body with a soft-broken line
            pw = derive_v4(self.secret(), r.choice(smtp_regions()))
            text = body + "Your new SES SMTP password is " + self.plant(pw, "smtp", "qp") \
                + " please store it in the vault right away and delete this e-mail.\n"
            raw = (b"From: ops@example.com\nTo: team@example.com\nSubject: smtp\n"
                   b"MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
                   b"Content-Transfer-Encoding: quoted-printable\n\n") \
                + quopri.encodestring(text.encode())
            self.write(f"mail/m{index}.eml", raw)
            return
        msg.set_content(body)
        if mode < 0.4:
            msg.add_attachment(r.randbytes(20_000), maintype="image", subtype="png",
                               filename="screenshot.png")
        self.write(f"mail/m{index}.eml", msg.as_bytes())

    def build(self, size_mb: float) -> Corpus:
        target, index = size_mb * 2**20, 0
        while self.corpus.bytes < target:
            if self.rng.random() < 0.15:
                self.mail_file(index)
            else:
                self.text_file(index)
            index += 1
        return self.corpus


def make_ledger(corpus: Corpus) -> Ledger:
    vault = MemoryVault(clock=lambda: datetime(2026, 12, 3, tzinfo=UTC))
    actor = Actor(name="bench", today=date(2026, 12, 3))
    for name, kid, sec, revoked in corpus.records:
        lifecycle.add(vault, {"key_name": name, "access_key_id": kid, "secret_access_key": sec,
                              "client": "Bench", "purpose": "mail", "creation_ticket": "B-1",
                              "created_on": "2026-01-01"}, actor)
        if revoked:
            lifecycle.revoke(vault, name, actor, ticket="B-2", reason="bench")
    return Ledger.from_vault(vault)


def _cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), \
        resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def ours(corpus: Corpus, ledger: Ledger, jobs: int) -> None:
    cpu = _cpu_seconds()
    started = time.perf_counter()
    result = scan(ScanOptions(paths=(str(corpus.root),), jobs=jobs), ledger=ledger)
    seconds = time.perf_counter() - started
    cpu = _cpu_seconds() - cpu
    planted = {p.value: p for p in corpus.plants}
    found = {j.found.hit.token: j for j in result.judged}
    hits = [v for v in planted if v in found]
    false = [j for t, j in found.items() if t not in planted]
    attributed = sum(1 for p in corpus.plants if p.record and p.value in found
                     and found[p.value].record is not None
                     and found[p.value].record.key_name == p.record)  # type: ignore[union-attr]
    missed = Counter(p.how for p in corpus.plants if p.value not in found)
    mb = corpus.bytes / 2**20
    print(f"seskeys scan   {mb / seconds:8.1f} MB/s  ({seconds:.2f} s, {jobs} worker(s), "
          f"all detectors + attribution against {len(corpus.records)} ledger records; "
          f"{mb / cpu:.0f} MB per CPU-second, load average {os.getloadavg()[0]:.1f})")
    print(f"  recall       {len(hits)}/{len(planted)} = {len(hits) / len(planted):.1%}"
          + (f"  missed by kind: {dict(missed)}" if missed else ""))
    precision = len(hits) / (len(hits) + len(false)) if hits or false else 1.0
    print(f"  precision    {precision:.1%}  ({len(false)} finding(s) on decoys or filler)")
    for j in false[:5]:
        print(f"    false: {j.verdict.value} at {j.found.location}")
    ledger_plants = [p for p in corpus.plants if p.record]
    print(f"  attribution  {attributed}/{len(ledger_plants)} ledger values named their record"
          f" ({sum(1 for j in result.judged if j.verdict is Verdict.ACTIVE_LEAK)} critical)")
    by_how = Counter(p.how for p in corpus.plants)
    print("  planted      " + ", ".join(f"{k} {v}" for k, v in sorted(by_how.items())))


def ripgrep(corpus: Corpus) -> None:
    rg = shutil.which("rg")
    if not rg:
        print("ripgrep        not installed (apt-get install ripgrep)")
        return
    started = time.perf_counter()
    done = subprocess.run([rg, "--no-config", "-o", "-N", "--no-filename", "-e",
                           "AKIA[0-9A-Z]{16}", str(corpus.root)], capture_output=True,
                          text=True, check=False)
    seconds = time.perf_counter() - started
    seen = set(done.stdout.split())
    keys = [p.value for p in corpus.plants if p.kind == "key-id"]
    print(f"ripgrep        {corpus.bytes / 2**20 / seconds:8.1f} MB/s  ({seconds:.2f} s, key-id "
          f"rule AKIA[0-9A-Z]{{16}} only); planted key ids found "
          f"{sum(k in seen for k in keys)}/{len(keys)}")


def detect_secrets(corpus: Corpus, slice_mb: float) -> None:
    exe = shutil.which("detect-secrets") or str(Path(sys.executable).with_name("detect-secrets"))
    if not Path(exe).exists():
        print("detect-secrets not installed (pip install detect-secrets)")
        return
    files = sorted(p for p in corpus.root.rglob("*") if p.is_file())
    chosen, size = [], 0
    for path in random.Random(7).sample(files, len(files)):
        if size >= slice_mb * 2**20:
            break
        chosen.append(path)
        size += path.stat().st_size
    texts = {p: p.read_bytes() for p in chosen}
    started = time.perf_counter()
    done = subprocess.run([exe, "scan", *map(str, chosen)], capture_output=True, text=True,
                          check=False, cwd=corpus.root)
    seconds = time.perf_counter() - started
    try:
        reported = {s["hashed_secret"] for items in json.loads(done.stdout)["results"].values()
                    for s in items}
    except (ValueError, KeyError):
        print(f"detect-secrets failed: {done.stderr.strip()[:200]}")
        return
    inside = [p for p in corpus.plants if any(p.value.encode() in t for t in texts.values())
              or p.how in ("attachment", "qp")]
    in_slice = [p for p in inside if any(_in_file(p, t) for t in texts.values())]
    got = [p for p in in_slice if hashlib.sha1(p.value.encode()).hexdigest() in reported]  # noqa: S324
    print(f"detect-secrets {size / 2**20 / seconds:8.2f} MB/s  ({seconds:.1f} s on a "
          f"{size / 2**20:.1f} MB slice, default plugins); planted values in the slice found "
          f"{len(got)}/{len(in_slice)}")


def _in_file(plant: Plant, data: bytes) -> bool:
    if plant.value.encode() in data:
        return True
    encoded = base64.b64encode(plant.value.encode())[:20]  # inside an attachment: base64 only
    return plant.how in ("attachment", "qp") and (encoded in data.replace(b"\n", b"")
                                                 or plant.value[:30].encode() in data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=float, default=200)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--seed", type=int, default=20261203)
    parser.add_argument("--others-slice-mb", type=float, default=4,
                        help="how much of the corpus detect-secrets scans (it is slow)")
    parser.add_argument("--keep", action="store_true", help="keep the corpus folder")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="seskeys-bench-"))
    try:
        started = time.perf_counter()
        corpus = Generator(root, args.seed).build(args.size_mb)
        print(f"corpus         {corpus.bytes / 2**20:.1f} MB in {corpus.files} files, "
              f"{len(corpus.plants)} planted values, generated in "
              f"{time.perf_counter() - started:.1f} s ({root})")
        ledger = make_ledger(corpus)
        ours(corpus, ledger, args.jobs)
        ripgrep(corpus)
        detect_secrets(corpus, args.others_slice_mb)
    finally:
        if args.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
