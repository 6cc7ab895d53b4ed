"""Real processes: `python -m seskeys`, the `seskeys` console script, and killed commands."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests import factories
from tests.conftest import PASSWORD

SCRIPT = Path(sys.executable).with_name("seskeys")

# `seskeys add` with a pause inside the write transaction (after the row is written, before
# COMMIT), announced on stdout, so the test can interrupt it at that exact instant.
PAUSED_ADD = textwrap.dedent("""
    import signal, sys, time
    # Ctrl-C raises KeyboardInterrupt here even if the test runner's worker ignores SIGINT
    # (a child inherits an ignored signal, and Python then installs no handler for it).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    from seskeys.vault.local import LocalVault
    original = LocalVault._store
    def paused(self, *args, **kwargs):
        stored = original(self, *args, **kwargs)
        print("in-transaction", flush=True)
        time.sleep(60)
        return stored
    LocalVault._store = paused
    from seskeys.cli import main
    sys.exit(main(sys.argv[1:]))
""")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "SESKEYS_VAULT": str(tmp_path / "vault.db"),
            "SESKEYS_PASSWORD": PASSWORD, "SESKEYS_CONFIG": os.devnull,
            "SESKEYS_ACTOR": "tester@host", "COLUMNS": "200"}


def run(env: dict[str, str], *args: str, stdin: str = "", script: bool = False
        ) -> subprocess.CompletedProcess[str]:
    argv = [str(SCRIPT)] if script else [sys.executable, "-m", "seskeys"]
    return subprocess.run([*argv, *args], input=stdin, env=env, capture_output=True, text=True,
                          timeout=60, start_new_session=True, check=False)


def add_args(name: str) -> list[str]:
    data = factories.record_input(name)
    return ["add", "--secret-stdin", "--key-name", name, "--client", data["client"],
            "--purpose", data["purpose"], "--access-key-id", data["access_key_id"],
            "--ses-region", "eu-west-1", "--ticket", "OPS-1"]


@pytest.fixture
def vault(env: dict[str, str]) -> dict[str, str]:
    assert run(env, "init", "--kdf-profile", "insecure-test").returncode == 0
    added = run(env, *add_args("first"), stdin=factories.secret("first") + "\n")
    assert added.returncode == 0, added.stderr
    return env


def test_console_script_and_module_agree(vault: dict[str, str]) -> None:
    assert SCRIPT.exists()
    by_script = run(vault, "list", "--json", script=True)
    by_module = run(vault, "list", "--json")
    assert by_script.returncode == by_module.returncode == 0
    assert by_script.stdout == by_module.stdout and '"first"' in by_script.stdout
    version = run(vault, "--version", script=True)
    assert version.returncode == 0 and version.stdout.startswith("seskeys ")


def test_wrong_password_and_usage_errors(vault: dict[str, str]) -> None:
    wrong = run({**vault, "SESKEYS_PASSWORD": "nope"}, "list")
    assert wrong.returncode == 3 and wrong.stdout == ""
    assert wrong.stderr.strip().splitlines() == [
        "seskeys: error: wrong master password (or the vault header was altered)"]
    usage = run(vault, "list", "--bogus", script=True)
    assert usage.returncode == 2 and "Traceback" not in usage.stderr


def test_secret_prompt_without_a_terminal(vault: dict[str, str]) -> None:
    """Regression: with no terminal, `add` without --secret-stdin blamed the master password
    (exit 3) although the vault password was set."""
    args = [a for a in add_args("second") if a != "--secret-stdin"]
    result = run(vault, *args)
    assert result.returncode == 2
    assert "no secret access key" in result.stderr and "--secret-stdin" in result.stderr


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
def test_interrupted_add_leaves_the_vault_as_it_was(vault: dict[str, str], tmp_path: Path,
                                                    sig: signal.Signals) -> None:
    before = run(vault, "list", "--json").stdout
    secret = factories.secret("second")
    proc = subprocess.Popen([sys.executable, "-c", PAUSED_ADD, *add_args("second")],
                            env=vault, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert proc.stdin and proc.stdout
        proc.stdin.write(secret + "\n")
        proc.stdin.close()
        assert proc.stdout.readline().strip() == "in-transaction"
        files = b"".join(p.read_bytes() for p in tmp_path.glob("vault.db*"))
        assert secret.encode() not in files
        proc.send_signal(sig)
        code = proc.wait(timeout=30)
        stderr = proc.stderr.read() if proc.stderr else ""
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if sig is signal.SIGKILL:
        assert code == -signal.SIGKILL
    else:
        assert code == 130 and "nothing half-written was kept" in stderr
    assert run(vault, "list", "--json").stdout == before
    verified = run(vault, "log", "--verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    again = run(vault, *add_args("second"), stdin=secret + "\n")
    assert again.returncode == 0, again.stderr
    # What a killed writer left (WAL, shared memory) is recovered, and folded back into the
    # one vault file when the last connection closes; beside it only the head anchor.
    assert sorted(p.name for p in tmp_path.glob("vault.db*")) == ["vault.db", "vault.db.head"]


SPY_PLUGIN = textwrap.dedent("""
    import os

    class Spy:
        def on_enter(self, *args, **kwargs):
            with open(os.environ["SPY_LOG"], "a", encoding="utf-8") as log:
                log.write(repr(args) + repr(kwargs) + "\\n")

        def on_success(self, result):
            with open(os.environ["SPY_LOG"], "a", encoding="utf-8") as log:
                log.write(repr(result) + "\\n")

    class Plugin:
        def new_schema_validator(self, *args, **kwargs):
            return Spy(), Spy(), Spy()

    plugin = Plugin()
""")


def test_pydantic_plugins_never_see_secrets(vault: dict[str, str], tmp_path: Path) -> None:
    """Any installed package can register a pydantic plugin that sees every validated value;
    the seskeys command turns plugins off before pydantic loads."""
    site = tmp_path / "site"
    (site / "spy_plugin-1.0.dist-info").mkdir(parents=True)
    (site / "spy_plugin.py").write_text(SPY_PLUGIN)
    (site / "spy_plugin-1.0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: spy-plugin\nVersion: 1.0\n")
    (site / "spy_plugin-1.0.dist-info" / "entry_points.txt").write_text(
        "[pydantic]\nspy = spy_plugin:plugin\n")
    log = tmp_path / "spy.log"
    env = {**vault, "PYTHONPATH": str(site), "SPY_LOG": str(log)}
    env.pop("PYDANTIC_DISABLE_PLUGINS", None)
    secret = factories.secret("second")

    # The spy works: importing the CLI as a library leaves plugins on, and it sees the secret.
    library = subprocess.run(
        [sys.executable, "-c", "import sys; from seskeys.cli import main; "
         "sys.exit(main(sys.argv[1:]))", *add_args("second")],
        input=secret + "\n", env=env, capture_output=True, text=True, timeout=60, check=False)
    assert library.returncode == 0, library.stderr
    assert secret in log.read_text()
    log.unlink()

    for script in (True, False):
        added = run(env, *add_args(f"third-{script}"),
                    stdin=factories.secret(f"third-{script}") + "\n", script=script)
        assert added.returncode == 0, added.stderr
        shown = run(env, "show", f"third-{script}", "--reveal", script=script)
        assert shown.returncode == 0 and factories.secret(f"third-{script}") in shown.stdout
    assert not log.exists()


INTERRUPTED_WHILE_IMPORTING = textwrap.dedent("""
    import builtins, sys
    real_import = builtins.__import__
    def interrupting(name, *args, **kwargs):
        if name == "typer":
            raise KeyboardInterrupt
        return real_import(name, *args, **kwargs)
    builtins.__import__ = interrupting
    sys.argv = ["seskeys", "list"]
    from seskeys.__main__ import main
    main()
""")


def test_ctrl_c_while_starting_is_one_line_not_a_traceback(env: dict[str, str]) -> None:
    result = subprocess.run([sys.executable, "-c", INTERRUPTED_WHILE_IMPORTING], env=env,
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 130
    assert result.stderr == "seskeys: interrupted; nothing half-written was kept\n"
