from __future__ import annotations

from tests import factories
from tests.conftest import CliRunner


def test_add_list_show_masks_secret(cli_vault: CliRunner) -> None:
    data = factories.record_input("acme-mailer")
    secret = data.pop("secret_access_key")
    args = ["add", "--secret-stdin"]
    for key, value in data.items():
        args += ["--" + key.replace("_", "-").replace("creation-ticket", "ticket"), value]
    added = cli_vault(*args, input=secret + "\n")
    assert added.code == 0, added.stderr
    listed = cli_vault("list", "--json")
    assert '"key_name": "acme-mailer"' in listed.stdout
    shown = cli_vault("show", "acme-mailer", "-o", "json")
    assert secret not in shown.stdout + shown.stderr
    revealed = cli_vault("show", "acme-mailer", "--reveal", "-o", "json")
    assert secret in revealed.stdout
