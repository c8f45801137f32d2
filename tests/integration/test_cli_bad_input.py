"""Bad input to the commands the issues name, run as a user types them: a clear error
naming the option (exit code 2 or 3), never a traceback, and nothing written."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from bersama.cli import context
from bersama.cli.main import main
from bersama.store.apitokens import token_id_of
from bersama.store.tables.core import reports
from bersama.store.tables.federation import peer_cursors, peers
from bersama.store.tables.trust import audit_log

NOW = datetime(2026, 11, 30, 8, tzinfo=UTC)


def bersama(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
            *args: str) -> tuple[int, str, str]:
    """`bersama ARGS` through the console script's entry point: exit code, stdout, stderr."""
    monkeypatch.setattr(sys, "argv", ["bersama", *args])
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, " ".join(err.split())


@pytest.fixture
def my_node(cli_node: Path, monkeypatch: pytest.MonkeyPatch,
            capsys: pytest.CaptureFixture[str]) -> Path:
    code, _, err = bersama(monkeypatch, capsys, "agency", "add", "MY-PDRM", "--country", "MY",
                           "--name", "PDRM")
    assert code == 0, err
    return cli_node


def _reports() -> int:
    with context.engine().connect() as conn:
        return len(conn.execute(reports.select()).all())


def test_a_rejections_file_that_cannot_be_written_refuses_the_batch_before_it_is_read(
        my_node: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    hotline = my_node / "hotline.csv"
    hotline.write_text("Case No,Date Reported,Phone Number\nC1,2026-03-01,12\n"
                       "C2,2026-03-01,012-345 6789\n", "utf-8")
    code, _, err = bersama(monkeypatch, capsys, "ingest", str(hotline), "--agency", "MY-PDRM",
                           "--rejections", str(my_node / "no-such-dir" / "rejected.jsonl"))
    assert code == 2, err
    assert "Traceback" not in err
    assert "[field: rejections]" in err
    assert "no-such-dir" in err
    assert _reports() == 0


@pytest.mark.parametrize("args", [
    ("audit", "export", "--out"),
    ("review", "export", "--out"),
])
def test_an_export_to_a_file_that_cannot_be_written_names_out(
        my_node: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        args: tuple[str, ...],
) -> None:
    code, _, err = bersama(monkeypatch, capsys, *args, str(my_node / "no-such-dir" / "x"))
    assert code == 2, err
    assert "Traceback" not in err
    assert "[field: out]" in err


def test_synth_into_a_directory_that_cannot_be_made_names_out(
        my_node: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    blocker = my_node / "a-file"
    blocker.write_text("", "utf-8")
    code, _, err = bersama(monkeypatch, capsys, "synth", "--out", str(blocker / "scenario"),
                           "--observables", "10")
    assert code == 2, err
    assert "Traceback" not in err
    assert "[field: out]" in err


@pytest.mark.parametrize("value", ["012-345 6789", "+60 12-345 6789"])
@pytest.mark.parametrize("country", ["ZZ", "malaysia"])
def test_check_with_a_country_that_is_none_names_country(
        my_node: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        value: str, country: str,
) -> None:
    code, _, err = bersama(monkeypatch, capsys, "check", value, "--country", country)
    assert code == 2, err
    assert "[field: country]" in err
    assert "[field: value]" not in err


@pytest.mark.parametrize("agency", ["NOPE", "my-pdrm"])
def test_reading_as_an_agency_the_node_does_not_know_is_refused(
        my_node: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        agency: str,
) -> None:
    code, out, err = bersama(monkeypatch, capsys, "check", "+60 12-345 6789", "--as-agency",
                             agency)
    assert code == 3, (out, err)
    assert "[field: as_agency]" in err
    assert "not reported" not in out
    if agency == "my-pdrm":
        assert "did you mean 'MY-PDRM'?" in err


@pytest.mark.parametrize("command", [
    ("check", "+60 12-345 6789"), ("clusters",), ("cluster", "1"), ("report", "1"),
    ("review", "list"), ("review", "confirm", "1"), ("review", "reject", "1"),
    ("review", "export"),
])
@pytest.mark.parametrize(("option", "value", "field"), [
    ("--as-user", "nobody@pdrm.my", "as_user"),
    ("--as-agency", "NOPE", "as_agency"),
])
def test_acting_as_someone_the_node_does_not_know_names_the_option(
        my_node: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        command: tuple[str, ...], option: str, value: str, field: str,
) -> None:
    # `--as-user nobody@x` said `[field: email]` and `--as-agency NOPE` `[field: agency]`:
    # none of these commands has an option of either name.
    code, out, err = bersama(monkeypatch, capsys, *command, option, value)
    assert code == 3, (out, err)
    assert f"[field: {field}]" in err
    assert value in err
    assert out == ""


def test_ask_peers_prints_a_files_lines_as_text_not_as_markup(
        my_node: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    # An invalid line "[/x]" stopped `bersama ask-peers FILE` with rich's MarkupError
    # traceback; "[bold]" was rendered, not shown.
    monkeypatch.setenv("COLUMNS", "200")
    leads = my_node / "leads.txt"
    leads.write_text("[/x]\n[bold]12\n", "utf-8")
    code, out, err = bersama(monkeypatch, capsys, "ask-peers", str(leads), "--agency",
                             "MY-PDRM")
    assert code == 0, (out, err)
    assert "[/x]" in out
    assert "[bold]12" in out


MARKUP = "[/x] [bold]X"
"""Text a rich console would read as markup: a closing tag no tag opened, and a style."""
ODD_EMAIL = "[/x]ana@pdrm.my"
"""An e-mail address the node accepts that a rich console would read as markup."""


@pytest.mark.parametrize("commands", [
    [("agency", "add", "TH-TCSD", "--country", "TH", "--name", MARKUP), ("agency", "list")],
    [("warninglist", "add", "+60 3-2345 6789", "--agency", "MY-PDRM", "--note", MARKUP),
     ("warninglist", "list")],
    [("user", "add", "ana@pdrm.my", "--agency", "MY-PDRM", "--role", "analyst"),
     ("token", "create", "--user", "ana@pdrm.my", "--note", MARKUP), ("token", "list")],
    [("agency", "add", "TH-TCSD", "--country", "TH", "--name", "TCSD", "--peer"),
     ("peer", "list")],
    [("group", "add", MARKUP, "--agencies", "MY-PDRM"), ("group", "list")],
    [("user", "add", ODD_EMAIL, "--agency", "MY-PDRM", "--role", "analyst"),
     ("user", "list")],
])
def test_names_notes_and_a_peers_errors_are_printed_as_text_not_as_markup(
        my_node: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        commands: list[tuple[str, ...]],
) -> None:
    # An agency, group or user named, or a warninglist entry or token noted, "[/x]", or a
    # peer whose last error said so, stopped the command printing it with rich's
    # MarkupError traceback.
    monkeypatch.setenv("COLUMNS", "250")
    outs = []
    for args in commands[:-1]:
        code, out, err = bersama(monkeypatch, capsys, *args)
        assert code == 0, (args, out, err)
        outs.append(out + err)
    if commands[-1] == ("peer", "list"):
        with context.engine().begin() as conn:
            conn.execute(insert(peers).values(
                name="th-tcsd", url="https://th.example/taxii2/",
                api_root="https://th.example/taxii2/api/", collection_id="shared",
                token="bsm_x", public_key="ed25519:" + "A" * 43 + "=", agency="TH-TCSD",
                created_at=NOW))
            conn.execute(insert(peer_cursors).values(
                peer="th-tcsd", collection_id="shared", updated_at=NOW, last_error=MARKUP))
    code, out, err = bersama(monkeypatch, capsys, *commands[-1])
    assert code == 0, (out, err)
    assert MARKUP in out or ODD_EMAIL in out
    assert all(MARKUP in said for args, said in zip(commands, outs, strict=False)
               if args[0] in ("agency", "group") and MARKUP in args)
    assert all(ODD_EMAIL in said for args, said in zip(commands, outs, strict=False)
               if ODD_EMAIL in args)


@pytest.mark.parametrize(("option", "value", "field"), [
    ("--default-tlp", "purple", "default_tlp"),
    ("--default-group", "nope", "default_group"),
])
def test_agency_add_names_the_default_option_at_fault(
        my_node: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        option: str, value: str, field: str,
) -> None:
    code, _, err = bersama(monkeypatch, capsys, "agency", "add", "TH-TCSD", "--country", "TH",
                           "--name", "TCSD", option, value)
    assert code in (2, 3), err
    assert f"[field: {field}]" in err


@pytest.mark.parametrize("user", ["nobody@pdrm.my", "ana@tcsd.th"])
def test_ingest_as_a_user_who_is_not_of_that_agency_is_refused(
        my_node: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        user: str,
) -> None:
    # The creator was recorded as given: a RED report's creator may read it.
    for args in (("agency", "add", "TH-TCSD", "--country", "TH", "--name", "TCSD"),
                 ("user", "add", "ana@tcsd.th", "--agency", "TH-TCSD", "--role", "analyst")):
        assert bersama(monkeypatch, capsys, *args)[0] == 0
    hotline = my_node / "hotline.csv"
    hotline.write_text("Case No,Date Reported,Phone Number\nC1,2026-03-01,012-345 6789\n",
                       "utf-8")
    code, _, err = bersama(monkeypatch, capsys, "ingest", str(hotline), "--agency", "MY-PDRM",
                           "--user", user, "--tlp", "red")
    assert code in (2, 3), err
    assert "[field: user]" in err
    assert _reports() == 0


@pytest.mark.parametrize(("args", "field"), [
    (("group", "add", "MY-TH", "--agencies", "MY-PDRM,TH-NOPE"), "agencies"),
    (("group", "set", "MY-ONLY", "--agencies", "MY-PDRM,TH-NOPE"), "agencies"),
    (("token", "create", "--user", "nobody@pdrm.my"), "user"),
    (("token", "create", "--peer", "TH-NOPE"), "peer"),
])
def test_an_unknown_agency_or_user_names_the_option_it_was_given_in(
        my_node: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        args: tuple[str, ...], field: str,
) -> None:
    # `group add --agencies` named `agency`, `token create --user` named `email`: no option
    # of those commands is called that.
    assert bersama(monkeypatch, capsys, "group", "add", "MY-ONLY", "--agencies", "MY-PDRM")[0] == 0
    code, _, err = bersama(monkeypatch, capsys, *args)
    assert code == 3, err
    assert f"[field: {field}]" in err
    assert bersama(monkeypatch, capsys, "group", "list", "--json")[1].count("MY-PDRM") == 1
    assert "[]" in bersama(monkeypatch, capsys, "token", "list", "--json")[1]


def test_revoking_a_token_twice_says_it_was_already_revoked_and_writes_nothing(
        my_node: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    # The second `token revoke` printed "token ... revoked" again, exited 0 and audited a
    # second revocation; an unknown id must not read as done either.
    assert bersama(monkeypatch, capsys, "user", "add", "ana@pdrm.my", "--agency", "MY-PDRM",
                   "--role", "analyst")[0] == 0
    code, token, err = bersama(monkeypatch, capsys, "token", "create", "--user", "ana@pdrm.my")
    assert code == 0, err
    token_id = str(token_id_of(token.strip()))
    assert bersama(monkeypatch, capsys, "token", "revoke", token_id)[0] == 0
    code, out, err = bersama(monkeypatch, capsys, "token", "revoke", token_id)
    assert code == 5, (out, err)
    assert f"token {token_id} was already revoked at" in err
    assert "[field: id]" in err
    assert "revoked" not in out
    code, out, err = bersama(monkeypatch, capsys, "token", "revoke", "nosuchtoken1")
    assert code == 3, (out, err)
    assert "no token 'nosuchtoken1' [field: id]" in err
    with context.engine().connect() as conn:
        revocations = conn.execute(select(audit_log.c.seq).where(
            audit_log.c.action == "token.revoke")).all()
    assert len(revocations) == 1
