"""The real `lpass` binary, offline, on a forged LPASS_HOME (LASTPASS.md §1.15), --sync=no."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date

import pytest

from seskeys import lifecycle, model
from seskeys.errors import Conflict, InputError, IntegrityError
from seskeys.events import EventDraft
from seskeys.external import Completed
from seskeys.interop import lastpass_note as note
from seskeys.interop import lastpass_sync
from seskeys.interop.lpass import AmbiguousName
from seskeys.interop.records import differences
from seskeys.lifecycle import Actor
from seskeys.vault import Change
from seskeys.vault.lastpass import LastPassVault
from seskeys.vault.memory import MemoryVault
from tests.factories import record_input
from tests.lastpass.conftest import LpassFactory
from tests.lastpass.lpass_home import Entry

LAYOUT = note.Layout(note_type="Custom_42")
FOLDER = "AWS\\SES"
AWKWARD = {"client": "Zürich AG, «Ünïcödé» 日本", "purpose": 'mail: "urgent" & bulk, EU',
           "iam_permissions": '{\n  "Effect": "Allow",\n  "Action": "ses:SendRawEmail"\n}',
           "ses_limits": " production, 50000/day ",
           "notes": "line 1: a, b\nKey Name: not-a-field\n\"quoted\" & <tag>\n\n  indented end"}


def _event() -> EventDraft:
    return EventDraft(action="sync", actor="tester")


def _new(name: str, **overrides: str) -> model.KeyRecord:
    from seskeys.interop.records import build_record, infer_status

    raw = record_input(name, **overrides)
    values = {k: str(v) for k, v in raw.items()}
    status = infer_status(values) or model.Status.ACTIVE
    return build_record(values, MemoryVault(), status=status).record


def test_roundtrip_awkward_values_through_real_lpass(offline_lpass: LpassFactory) -> None:
    client = offline_lpass()
    vault = LastPassVault(client, LAYOUT, folder=FOLDER, journal=MemoryVault())
    record = _new('café, "q" & co: 1', **AWKWARD)
    stored, event = vault.commit(Change([record], _event()))
    [back] = vault.records()
    assert differences(record, back) == []
    assert back.secret() == record.secret() and back.smtp_password == record.smtp_password
    assert event.record_id == stored[0].id
    # the raw body is ours, byte for byte, and non-ASCII came back through the JSON repair
    raw = client.show_one(f"{FOLDER}/{record.key_name}")["note"]
    assert raw == note.render_record(record, LAYOUT, include_secrets=True)


def test_update_through_lpass_edit_is_verified(offline_lpass: LpassFactory) -> None:
    vault = LastPassVault(offline_lpass(), LAYOUT, folder=FOLDER, journal=MemoryVault())
    [stored], _ = vault.commit(Change([_new("k1")], _event()))
    changed = model.replace(stored, {"purpose": "new: purpose, with comma",
                                     "notes": "first\nAccess Key ID: still notes\nlast",
                                     "ses_limits": "a\nb"})
    [updated], _ = vault.commit(Change([changed], _event()))
    assert differences(changed, updated) == []
    assert differences(changed, vault.records()[0]) == []


def test_lpass_reverses_field_order_on_edit_and_we_do_not_care(
        offline_lpass: LpassFactory) -> None:
    client = offline_lpass()
    vault = LastPassVault(client, LAYOUT, folder=FOLDER, journal=MemoryVault())
    [stored], _ = vault.commit(Change([_new("k1")], _event()))
    client.edit_fields(f"{FOLDER}/k1", "Purpose:edited by hand\n")
    body = client.show_one(f"{FOLDER}/k1")["note"]
    labels = [ln.split(":")[0] for ln in body.splitlines()[1:] if ":" in ln]
    assert labels.index("Key Name") > labels.index("Replaced By")  # reversed by lpass
    [back] = vault.records()
    assert back.purpose == "edited by hand"
    assert differences(stored, back) == ["purpose"]


def test_stale_version_is_refused(offline_lpass: LpassFactory) -> None:
    client = offline_lpass()
    vault = LastPassVault(client, LAYOUT, folder=FOLDER, journal=MemoryVault())
    [stored], _ = vault.commit(Change([_new("k1")], _event()))
    client.edit_fields(f"{FOLDER}/k1", "Purpose:someone else\n")
    with pytest.raises(Conflict, match="changed in LastPass"):
        vault.commit(Change([model.replace(stored, {"client": "x"})], _event()))


def test_write_that_lpass_changes_fails_loudly(offline_lpass: LpassFactory) -> None:
    """Verify-after-write: a field lpass silently drops (lastpass-cli#735) is an error."""
    client = offline_lpass()
    [stored], _ = LastPassVault(client, LAYOUT, folder=FOLDER, journal=MemoryVault()).commit(
        Change([_new("k1")], _event()))

    def dropping(argv: Sequence[str], stdin: str | None, timeout: float,
                 env: Mapping[str, str]) -> Completed:
        if stdin and argv[1] == "edit":
            stdin = stdin.replace("Client:Acme\n", "")
        return client.runner(argv, stdin, timeout, env)

    lossy = LastPassVault(replace(client, runner=dropping), LAYOUT, folder=FOLDER,
                          journal=MemoryVault())
    with pytest.raises(IntegrityError, match="client"):
        lossy.commit(Change([model.replace(stored, {"client": "Acme", "purpose": "x"})],
                            _event()))


def test_notes_with_surrounding_whitespace_are_refused_before_writing(
        offline_lpass: LpassFactory) -> None:
    client = offline_lpass()
    vault = LastPassVault(client, LAYOUT, folder=FOLDER, journal=MemoryVault())
    with pytest.raises(InputError, match="lpass trims"):
        vault.commit(Change([_new("k1", notes="text\n")], _event()))
    assert client.ls(FOLDER) == []


def test_ambiguous_name_is_an_error(offline_lpass: LpassFactory) -> None:
    """lastpass-cli#397: two items of one name; `show` exits 0 with `Multiple matches`."""
    client = offline_lpass([Entry("1003", "dup", group="g1"), Entry("1004", "dup", group="g2")])
    with pytest.raises(AmbiguousName) as info:
        client.show_one("dup")
    assert set(info.value.ids) == {"1003", "1004"}


def test_duplicate_name_in_folder_is_refused(offline_lpass: LpassFactory) -> None:
    client = offline_lpass([Entry("1003", "k1", group=FOLDER, note="hand-made")])
    vault = LastPassVault(client, LAYOUT, folder=FOLDER, journal=MemoryVault())
    with pytest.raises(Conflict, match="already exists"):
        vault.commit(Change([_new("k1")], _event()))


def test_existing_items_are_read_by_id_and_foreign_ones_reported(
        offline_lpass: LpassFactory) -> None:
    body = note.render_record(_new("kx", client="Ünï"), LAYOUT, include_secrets=True)
    client = offline_lpass([
        Entry("2001", "kx", group=FOLDER, note=body),
        Entry("2002", "server", group=FOLDER, note="NoteType:Server\nHostname:h\nNotes:"),
        Entry("2003", "elsewhere", group="Other", note=body)])
    vault = LastPassVault(client, LAYOUT, folder=FOLDER, journal=MemoryVault())
    listing = vault.read()
    [record] = listing.records
    assert record.id == "lp-2001" and record.client == "Ünï"
    assert [f.name for f in listing.unreadable] == ["server"]
    assert vault.get("lp-2001") == record


def test_not_logged_in_is_clear(lpass_bin: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from seskeys.errors import ExternalError
    from seskeys.interop.lpass import Lpass

    client = Lpass(executable=lpass_bin, sync="no", timeout=30,
                   environ={"PATH": "/usr/bin:/bin", "LPASS_HOME": str(tmp_path / "empty")})
    with pytest.raises(ExternalError, match="not logged in"):
        client.ls()


def test_sync_push_pull_diff(offline_lpass: LpassFactory) -> None:
    actor = Actor(name="tester", today=date(2026, 12, 3))
    local = MemoryVault()
    lifecycle.add(local, record_input("a1", **AWKWARD), actor)
    lifecycle.add(local, record_input("b2"), actor)
    lifecycle.revoke(local, "b2", actor, ticket="SEC-1", reason="rotated, \"done\"")
    remote = LastPassVault(offline_lpass(), LAYOUT, folder=FOLDER, journal=local)
    assert {i.state for i in lastpass_sync.diff(local, remote)} == {
        lastpass_sync.State.ONLY_LOCAL}
    pushed = lastpass_sync.push(local, remote, actor, ticket="OPS-9")
    assert pushed.error is None
    assert [i.done for i in pushed.items] == ["pushed", "pushed"]
    assert {i.state for i in lastpass_sync.diff(local, remote)} == {lastpass_sync.State.SAME}
    sync_events = [e for e in local.events() if e.action == "sync"]
    assert len(sync_events) == 2 and {e.ticket for e in sync_events} == {"OPS-9"}
    # pull into an empty vault whose journal is the same: everything comes back equal
    fresh = MemoryVault()
    remote2 = LastPassVault(remote._lpass, LAYOUT, folder=FOLDER, journal=fresh)
    pulled = lastpass_sync.pull(fresh, remote2, actor, ticket="OPS-10")
    assert [i.done for i in pulled.items] == ["pulled", "pulled"]
    for record in local.records():
        [copy] = fresh.by_access_key_id(record.access_key_id)
        assert differences(record, copy) == []


def test_name_with_slash_is_refused_before_writing(offline_lpass: LpassFactory) -> None:
    """lpass splits a name at its last '/', so such a name would land in another folder."""
    client = offline_lpass()
    vault = LastPassVault(client, LAYOUT, folder=FOLDER, journal=MemoryVault())
    with pytest.raises(InputError, match="'/'"):
        vault.commit(Change([_new("acme/prod")], _event()))
    assert client.ls() == []


def test_escape_sequences_in_values_survive_and_are_refused_by_name(
        offline_lpass: LpassFactory) -> None:
    """lpass strips ESC[...m from its text output when not on a TTY; we read JSON, which
    escapes them, so they reach seskeys as written, which then names the item instead of
    reading a value that would restyle the terminal (were ESC stripped, it would read)."""
    record = _new("k1").model_copy(update={"notes": "red \x1b[31mtext\x1b[0m here"})
    body = note.render_record(record, LAYOUT, include_secrets=True)
    client = offline_lpass([Entry("3001", "k1", group=FOLDER, note=body)])
    listing = LastPassVault(client, LAYOUT, folder=FOLDER, journal=MemoryVault()).read()
    assert listing.records == []
    assert [(f.name, f.reason) for f in listing.unreadable] == [
        ("k1", "notes: character U+001B is not allowed (a control character, or bytes that are "
         "not UTF-8)")]


def test_entry_created_offline_has_id_0_and_is_named_by_path(
        offline_lpass: LpassFactory) -> None:
    """New entries keep id 0 until lpass syncs (LASTPASS.md §0.3); 0 never matches an id."""
    vault = LastPassVault(offline_lpass(), LAYOUT, folder=FOLDER, journal=MemoryVault())
    [stored], _ = vault.commit(Change([_new("k1")], _event()))
    assert stored.id == f"lp-name:{FOLDER}/k1"
    assert vault.get(stored.id) == stored


def test_a_key_held_by_two_items_is_a_conflict_nobody_touches(
        offline_lpass: LpassFactory) -> None:
    record = _new("k1")
    body = note.render_record(record, LAYOUT, include_secrets=True)
    client = offline_lpass([Entry("3001", "k1", group=FOLDER, note=body),
                            Entry("3002", "k1-copy", group=FOLDER,
                                  note=body.replace("Key Name:k1", "Key Name:k1-copy"))])
    actor = Actor(name="tester", today=date(2026, 12, 3))
    local = MemoryVault()
    remote = LastPassVault(client, LAYOUT, folder=FOLDER, journal=local)
    [item] = lastpass_sync.diff(local, remote)
    assert item.state is lastpass_sync.State.CONFLICT and item.bad
    pulled = lastpass_sync.pull(local, remote, actor, ticket="OPS-1")
    assert [i.state for i in pulled.items] == [lastpass_sync.State.CONFLICT]
    assert local.records() == []


def test_push_refuses_what_lastpass_cannot_hold_and_writes_the_rest(
        offline_lpass: LpassFactory) -> None:
    actor = Actor(name="tester", today=date(2026, 12, 3))
    local = MemoryVault()
    lifecycle.add(local, record_input("acme/prod"), actor)
    lifecycle.add(local, record_input("beta"), actor)
    client = offline_lpass()
    result = lastpass_sync.push(local, LastPassVault(client, LAYOUT, folder=FOLDER,
                                                     journal=local), actor, ticket="OPS-2")
    done = {i.key_name: i.done for i in result.items}
    assert done == {"acme/prod": "refused", "beta": "pushed"}
    assert result.error is None
    assert [i.name for i in client.ls(FOLDER) if i.group == FOLDER] == ["beta"]


def test_unreadable_items_are_listed_not_skipped_silently(offline_lpass: LpassFactory) -> None:
    flat = "NoteType:Custom_42 Key Name:x Secret Access Key:y"
    client = offline_lpass([Entry("4001", "flat", group=FOLDER, note=flat)])
    local = MemoryVault()
    [item] = lastpass_sync.diff(local, LastPassVault(client, LAYOUT, folder=FOLDER,
                                                     journal=local))
    assert item.state is lastpass_sync.State.UNREADABLE and "line breaks" in item.detail
