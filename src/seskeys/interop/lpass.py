"""A careful client for the official LastPass CLI ``lpass`` (behaviour: LASTPASS.md §1, §5).

What it guards against:

- ``lpass`` prompts for the master password when its key is not available, and may read it
  from the very stdin that carries our data. Every call sets ``LPASS_ASKPASS`` to a program
  that prints nothing and fails, so a missing login fails fast, and has a timeout.
- ``show`` prints ``Multiple matches found.`` on stdout and exits 0 for an ambiguous name:
  that is raised as :class:`AmbiguousName`.
- ``show --json`` writes every byte >= 0x80 as ``\\uffffffXX``: :func:`repair_json` turns
  those back into the UTF-8 text they were, losslessly.
- Its errors are one ``Error: ...`` line on stderr with exit 1; they are sorted here into
  not installed / not logged in (or a protected item) / refused by the server / network /
  other, with the line kept.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seskeys import external
from seskeys.errors import Conflict, ExternalError, NotFound

SYNC_MODES = ("auto", "now", "no")
AMBIGUOUS = "Multiple matches found."
_NOT_LOGGED_IN = ("Could not find decryption key", "Could not find session",
                  "Unable to fetch blob", "askpass", "Could not authenticate")
_REFUSED = ("HTTP response code",)
_NETWORK = ("Couldn't resolve host", "Couldn't connect to server",
            "Unable to fetch iteration count", "Timeout was reached", "SSL", "Connection")
_NOT_FOUND = ("Could not find specified account",)
_RETRYABLE = ("Could not unbase64",)

Runner = Callable[[Sequence[str], str | None, float, Mapping[str, str]], external.Completed]


def _subprocess_runner(argv: Sequence[str], stdin: str | None, timeout: float,
                       env: Mapping[str, str]) -> external.Completed:
    return external.run(argv, stdin=stdin, timeout=timeout, env=env)


class NeedsPassword(ExternalError):
    """lpass wanted the master password: not logged in, or an item protected by reprompt."""


class NotUtf8(ExternalError):
    """lpass returned bytes that are not UTF-8 text (an item stored in another encoding)."""


class AmbiguousName(Conflict):
    """A name matched several LastPass items; only an id is safe to act on."""

    def __init__(self, name: str, ids: Sequence[str]) -> None:
        super().__init__(f"{len(ids)} LastPass items are called {name!r} (ids "
                         f"{', '.join(ids)})", hint="remove or rename the duplicates in LastPass")
        self.ids = tuple(ids)


# -- JSON repair ----------------------------------------------------------------------------


def repair_json(text: str) -> str:
    """Undo lpass's ``\\uffffffXX`` escapes (one per UTF-8 byte) without touching others.

    The walk honours escapes, so a stored backslash (``\\\\``) followed by ``uffffff`` text is
    left alone; each run of byte escapes is decoded as UTF-8 and written back as characters.
    """
    out: list[str] = []
    pending = bytearray()
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n:
            if text.startswith("uffffff", i + 1) and i + 10 <= n:
                pending.append(int(text[i + 8:i + 10], 16))
                i += 10
                continue
            _flush(pending, out)
            out.append(text[i:i + 2])
            i += 2
            continue
        _flush(pending, out)
        out.append(ch)
        i += 1
    _flush(pending, out)
    return "".join(out)


def _flush(pending: bytearray, out: list[str]) -> None:
    if not pending:
        return
    try:
        decoded = bytes(pending).decode("utf-8")
    except UnicodeDecodeError:
        raise NotUtf8("lpass returned text that is not valid UTF-8") from None
    out.append(json.dumps(decoded, ensure_ascii=False)[1:-1])
    pending.clear()


def parse_show_json(stdout: str, name: str) -> list[dict[str, str]]:
    """Entries of ``lpass show --json`` output, or :class:`AmbiguousName`."""
    if stdout.startswith(AMBIGUOUS):
        raise AmbiguousName(name, _ids_of_headers(stdout.splitlines()[1:]))
    try:
        data: Any = json.loads(repair_json(stdout))
    except json.JSONDecodeError as exc:
        raise ExternalError(f"lpass show --json: unreadable output (line {exc.lineno})"
                            ) from None
    if not isinstance(data, list) or not all(isinstance(e, dict) for e in data):
        raise ExternalError("lpass show --json: expected a JSON array of entries")
    return [{str(k): str(v) for k, v in e.items()} for e in data]


def _ids_of_headers(lines: Sequence[str]) -> list[str]:
    ids = []
    for line in lines:
        _head, sep, rest = line.rpartition("[id: ")
        if sep and rest.endswith("]"):
            ids.append(rest[:-1])
    return ids


# -- the client -----------------------------------------------------------------------------


def _fail_fast_askpass() -> str:
    return shutil.which("false") or "/bin/false"


@dataclass(frozen=True)
class ListedItem:
    id: str
    group: str
    name: str

    @property
    def fullname(self) -> str:
        return f"{self.group}/{self.name}" if self.group else self.name

    @property
    def target(self) -> str:
        """What to name the item by: its id, or its full name while it has none (id 0)."""
        return self.id if self.id not in ("", "0") else self.fullname


@dataclass(frozen=True)
class Lpass:
    """``lpass`` with fixed options: sync mode, timeout, environment and askpass."""

    executable: str = "lpass"
    sync: str = "auto"
    timeout: float = 60.0
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    runner: Runner = _subprocess_runner

    def __post_init__(self) -> None:
        if self.sync not in SYNC_MODES:
            raise ValueError(f"sync mode {self.sync!r}")

    def _env(self) -> dict[str, str]:
        return external.child_environment(self.environ, {
            "LPASS_ASKPASS": _fail_fast_askpass(), "LPASS_DISABLE_PINENTRY": "1"})

    def call(self, *args: str, stdin: str | None = None, sync: bool = True,
             fresh: bool = False) -> external.Completed:
        """``lpass VERB --sync=<mode> --color=never ARGS``; ``fresh`` asks the server first
        (``--sync=now``) unless working offline."""
        argv = [self.executable, args[0]]
        if sync:
            argv.append(f"--sync={'now' if fresh and self.sync != 'no' else self.sync}")
        argv += ["--color=never", *args[1:]]
        result = self.runner(argv, stdin, self.timeout, self._env())
        if not result.ok and any(m in result.stderr for m in _RETRYABLE) and self.sync != "no":
            self.runner([self.executable, "sync", "--color=never"], None, self.timeout,
                        self._env())
            result = self.runner(argv, stdin, self.timeout, self._env())
        if not result.ok:
            raise self._error(args[0], result)
        return result

    def _error(self, verb: str, result: external.Completed) -> Exception:
        line = result.first_error_line()
        if "Multiple matches found" in result.stderr:
            return Conflict(f"lpass {verb}: {line}")
        if any(m in result.stderr for m in _NOT_FOUND):
            return NotFound(f"lpass {verb}: {line}")
        if any(m in result.stderr for m in _NOT_LOGGED_IN):
            return NeedsPassword(f"lpass {verb}: not logged in to LastPass ({line})",
                                 hint="run `lpass login --trust USER` in a terminal first")
        if any(m in result.stderr for m in _REFUSED):
            return ExternalError(f"lpass {verb}: LastPass refused the request ({line})",
                                 hint="the session may have expired: run `lpass login "
                                      "--trust USER` again")
        if any(m in result.stderr for m in _NETWORK):
            return ExternalError(f"lpass {verb}: cannot reach LastPass ({line})",
                                 hint="check the network, or use --lpass-sync no to work "
                                      "from lpass's local copy")
        return ExternalError(f"lpass {verb} failed: {line}")

    # -- reads ------------------------------------------------------------------------------

    def version(self) -> str:
        result = self.runner([self.executable, "--version"], None, self.timeout, self._env())
        if not result.ok:
            raise self._error("--version", result)
        return result.stdout.strip()

    def ls(self, group: str | None = None) -> list[ListedItem]:
        """Items (not folder placeholders) with id, folder and short name."""
        args = ["ls", "--format=%ai\t%/as%ag\t%an"]
        result = self.call(*args, *([group] if group else []))
        items = []
        for line in result.stdout.splitlines():
            parts = line.split("\t")
            if len(parts) == 3 and parts[2]:  # a share root lists as "Shared-X/"
                items.append(ListedItem(parts[0], parts[1].rstrip("/"), parts[2]))
        return items

    def show(self, *targets: str) -> list[dict[str, str]]:
        """Entries by id or unique name, through ``show --json`` (repaired)."""
        try:
            result = self.call("show", "--json", "--expand-multi", *targets)
        except NotFound:
            raise NotFound(f"no LastPass item {', '.join(targets)}") from None
        return parse_show_json(result.stdout, ", ".join(targets))

    def show_one(self, target: str, *, fresh: bool = False) -> dict[str, str]:
        """One entry; several matches for a name are an error, never a pick."""
        result = self.call("show", "--json", target, fresh=fresh)
        entries = parse_show_json(result.stdout, target)
        if len(entries) != 1:
            raise AmbiguousName(target, [e.get("id", "?") for e in entries])
        return entries[0]

    # -- writes -----------------------------------------------------------------------------

    def add_note(self, fullname: str, body: str) -> None:
        """A secure note whose body is stored byte for byte (``add --notes``).

        ``lpass`` removes one trailing newline from stdin, so one is added.
        """
        self.call("add", "--non-interactive", "--notes", fullname, stdin=body + "\n")

    def edit_fields(self, target: str, template: str) -> None:
        """Template-mode edit of ``Label:value`` lines (``lpass`` trims and reorders)."""
        self.call("edit", "--non-interactive", target, stdin=template)

    def edit_notes(self, target: str, text: str) -> None:
        """Replace only the free text of a typed note (``edit --notes``, one newline eaten)."""
        self.call("edit", "--non-interactive", "--notes", target, stdin=text + "\n")

    def remove(self, target: str) -> None:
        self.call("rm", target)

    def upload(self) -> None:
        """``lpass sync``: wait until the queued writes were sent (it exits 0 whatever
        happened, so only reading back afterwards tells)."""
        self.call("sync", sync=False)

    def config_dir(self) -> Path:
        """Where lpass reads ``env`` and ``alias.*``: ``$LPASS_HOME``; with
        ``XDG_RUNTIME_DIR`` set, ``$XDG_CONFIG_HOME/lpass``; else ``~/.lpass``."""
        env = self.environ
        if env.get("LPASS_HOME"):
            return Path(env["LPASS_HOME"])
        home = Path(env.get("HOME") or "~").expanduser()
        if env.get("XDG_RUNTIME_DIR"):
            return Path(env.get("XDG_CONFIG_HOME") or home / ".config") / "lpass"
        return home / ".lpass"

    def user_overrides(self, home: Path | None = None) -> list[Path]:
        """``env`` and ``alias.*`` files that silently change what our invocations do."""
        base = home or self.config_dir()
        if not base.is_dir():
            return []
        return sorted(p for p in base.iterdir() if p.name == "env" or p.name.startswith("alias."))
