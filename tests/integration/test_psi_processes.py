"""Private checks between two real `bersama serve` processes on loopback (issue 5).

A Malaysian node (MY-PDRM-CCID, with MY-NSRC) holds generated reports
(`bersama.synth`) plus a few crafted ones; a Thai node (TH-TCSD) asks.  Both
are set up through the CLI (agencies, peer tokens, `peer add`, `ingest`), and
every question goes over HTTP:

- the intersection equals the plain set intersection computed from the
  holder's database with the markings rule written out independently;
- an AMBER+STRICT value is invisible to a non-recipient, visible to a recipient;
- GREEN disclosures answer at once, AMBER ones wait for the owner's approval;
- tampered, stale and replayed requests are refused;
- daily limits hold on both sides;
- the holder's database files, WAL, logs and audit never contain an asked
  identifier it does not hold, in any of the spellings asked.
"""

from __future__ import annotations

import json
import random
import sqlite3
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import orjson
import pytest
from tests.integration.nodes import NodeProc, connect

from bersama.config import Settings
from bersama.federation.signing import load_or_create_node_key
from bersama.ingest.model import ReportDraft
from bersama.markings import TLP, Marking
from bersama.observables import guess
from bersama.psi import auth, protocol
from bersama.psi.disclosure import DISCLOSE_PATH
from bersama.psi.service import QUERY_PATH, b64
from bersama.stix.export import bundle, draft_to_stix
from bersama.synth.scenario import generate

MY_AGENCY, MY_NSRC, TH_AGENCY = "MY-PDRM-CCID", "MY-NSRC", "TH-TCSD"
MY_PEER_LIMIT = 3000
TH_AGENCY_LIMIT = 4000
NOW = datetime(2026, 11, 1, tzinfo=UTC)

GREEN_PHONE, AMBER_PHONE = "+60 12-111 2222", "+60 13-333 4444"
STRICT_OTHER, STRICT_TH = "+60 17-555 6666", "+60 17-555 7777"
# Live leads the holder does not hold, each with the spellings that must never appear there.
SECRETS: dict[str, list[bytes]] = {
    "+60 12-987 6543": [b"129876543", b"12-987", b"987 6543"],
    "Secret.Lead@Example.ORG": [b"secret.lead@example.org", b"secret.lead"],
    "https://secret-lead-portal.com.my/login": [b"secret-lead-portal"],
}
ASKED_SPELLINGS = ["+60 12-987 6543", "+60129876543", "Secret.Lead@Example.ORG",
                   "secret.lead@example.org", "https://secret-lead-portal.com.my/login",
                   "hxxps://secret-lead-portal[.]com[.]my/login"]
DISCLOSE_SECRET = ("+60 19-876 5432", [b"198765432"])
"""Sent in the clear straight to the holder's disclose endpoint (bypassing our client)."""


@dataclass
class Pair:
    my: NodeProc
    th: NodeProc
    tmp: Path


def _draft(values: list[str], marking: Marking) -> ReportDraft:
    return ReportDraft(source_id=f"report--{uuid.uuid4()}", modified=NOW,
                       observables=tuple(guess(v, country="MY") for v in values),
                       title="crafted", marking=marking, narrative="crafted for PSI tests")


def _crafted() -> list[dict[str, object]]:
    """The crafted reports of MY-NSRC, as STIX objects."""
    crafted = [
        _draft([GREEN_PHONE, "green.lead@example.net"], Marking(TLP.GREEN)),
        _draft([AMBER_PHONE], Marking(TLP.AMBER)),
        _draft([STRICT_OTHER], Marking(TLP.AMBER_STRICT, recipient_agencies=frozenset(
            {MY_AGENCY}))),
        _draft([STRICT_TH], Marking(TLP.AMBER_STRICT, recipient_agencies=frozenset(
            {TH_AGENCY}))),
    ]
    return [o for d in crafted
            for o in draft_to_stix(d, agency=MY_NSRC, agency_country="MY", identity_id=None)]


def _write_bundles(tmp: Path) -> dict[str, Path]:
    """Generated reports per agency, plus crafted ones of MY-NSRC, as STIX bundles."""
    scenario = generate(5, 600, ["MY", "TH"], as_of=date(2026, 11, 1))
    objs: dict[str, list[dict[str, object]]] = defaultdict(list)
    countries = {}
    for agency, draft, _camp in scenario.reports():
        objs[agency.code] += draft_to_stix(draft, agency=agency.code,
                                           agency_country=agency.country, identity_id=None)
        countries[agency.code] = agency.country
    objs[MY_NSRC] += _crafted()
    out = {}
    for code, items in objs.items():
        path = tmp / f"{code}.json"
        path.write_bytes(orjson.dumps(bundle(items)))
        out[code] = path
    assert set(out) == {MY_AGENCY, MY_NSRC, TH_AGENCY}
    return out


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    tmp = tmp_path_factory.mktemp("psi-nodes")
    my = NodeProc("my-node", MY_AGENCY, "MY", tmp / "my", extra_env={
        "BERSAMA_ASK_LIMIT_PER_PEER_PER_DAY": str(MY_PEER_LIMIT),
        "BERSAMA_PSI_WARM_INTERVAL_SECONDS": "2"})
    th = NodeProc("th-node", TH_AGENCY, "TH", tmp / "th", extra_env={
        "BERSAMA_ASK_LIMIT_PER_AGENCY_PER_DAY": str(TH_AGENCY_LIMIT)})
    bundles = _write_bundles(tmp)
    try:
        for node in (my, th):
            node.root.mkdir(parents=True)
            node.add_agency(node.agency, node.country)
        my.add_agency(MY_NSRC, "MY", type_="scam-centre")
        for node, codes in ((my, (MY_AGENCY, MY_NSRC)), (th, (TH_AGENCY,))):
            for code in codes:
                res = node.cli_json("ingest", str(bundles[code]), "--agency", code,
                                    "--format", "stix")
                assert res["accepted"] > 0, res
        my.start()
        th.start()
        connect(my, th)
        yield Pair(my, th, tmp)
    finally:
        my.stop()
        th.stop()


def _db(node: NodeProc) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{node.root / 'bersama.db'}?mode=ro", uri=True)


def _visible_to_th(node: NodeProc) -> tuple[set[str], set[str]]:
    """(refs TH may know exist, every ref held), from the holder's tables, rule written out."""
    visible, held = set(), set()
    with _db(node) as db:
        rows = db.execute(
            "select o.ref, r.tlp, r.sharing_group, r.recipient_agencies, r.revoked "
            "from observables o join report_observables ro on ro.observable_id = o.id "
            "join reports r on r.id = ro.report_id").fetchall()
    for ref, tlp, group, recipients, revoked in rows:
        held.add(ref)
        if revoked:
            continue
        if tlp in ("clear", "green") or (tlp == "amber" and not group) or (
                tlp == "amber+strict" and TH_AGENCY in json.loads(recipients)):
            visible.add(ref)
    return visible, held


def _ask_file(pair: Pair, name: str, lines: list[str]) -> Path:
    path = pair.tmp / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_intersection_equals_plain_set_intersection(pair: Pair) -> None:
    visible, held = _visible_to_th(pair.my)
    with _db(pair.th) as db:
        own = {r[0] for r in db.execute("select ref from observables")}
    rng = random.Random(11)  # noqa: S311 - reproducible test data, not secrets
    unheld = [f"+6012{rng.randrange(10**7):07d}" for _ in range(150)]
    asked = sorted(held) + sorted(own) + unheld + ASKED_SPELLINGS
    lines = ["# leads of case TH-2026-0042", "", *asked, "this is not an identifier"]
    out = pair.th.cli_json("ask-peers", str(_ask_file(pair, "ask.txt", lines)))
    assert out["peer_errors"] == {}
    assert out["peers_asked"] == ["my-node"]
    bad = [r for r in out["results"] if r["error"]]
    assert [r["value"] for r in bad] == ["this is not an identifier"]
    assert bad[0]["line"] == len(lines)
    got = {r["ref"] for r in out["results"] if r["held_by"] == ["my-node"]}
    asked_refs = {r["ref"] for r in out["results"] if r["ref"]}
    expected = asked_refs & visible
    assert got == expected  # no false negatives, and at fpr 1e-9 no false positives
    assert len(expected) > 100
    assert held - visible
    assert not got & (held - visible)


def test_amber_strict_is_invisible_to_a_non_recipient(pair: Pair) -> None:
    hidden = pair.th.cli_json("check", STRICT_OTHER, "--ask-peers", "--country", "MY")
    shown = pair.th.cli_json("check", STRICT_TH, "--ask-peers", "--country", "MY")
    assert hidden["peers"]["held_by"] == []
    assert hidden["peers"]["peer_errors"] == {}
    assert shown["peers"]["held_by"] == ["my-node"]


def test_green_answers_at_once_amber_waits_for_the_owner(pair: Pair) -> None:
    green = pair.th.cli_json("disclosure", "request", "my-node", GREEN_PHONE,
                             "--reason", "case TH-2026-0042", "--country", "MY")
    assert green["status"] == "answered"
    reports = [o for o in green["objects"] if o["type"] == "report"]
    assert len(reports) == 1
    assert "phone:+60121112222" in json.dumps(green["objects"]) or any(
        o.get("number") == "+60121112222" or o.get("value") == "+60121112222"
        for o in green["objects"])

    amber = pair.th.cli_json("disclosure", "request", "my-node", AMBER_PHONE,
                             "--reason", "case TH-2026-0042", "--country", "MY",
                             "--user", "ana@th")
    assert amber["status"] == "pending"
    assert amber["withheld"] == 1
    assert amber["objects"] == []

    waiting = pair.my.cli_json("disclosure", "list", "--agency", MY_NSRC, "--no-refresh")
    incoming = [d for d in waiting["disclosures"] if d["direction"] == "in"
                and d["status"] == "pending"]
    assert [d["value_ref"] for d in incoming] == ["phone:+60133334444"]
    assert incoming[0]["agency"] == TH_AGENCY
    # not the owner: refused, exit code 4
    assert pair.my.cli("disclosure", "approve", str(incoming[0]["id"]), ok=False).returncode == 4
    approved = pair.my.cli_json("disclosure", "approve", str(incoming[0]["id"]),
                                "--agency", MY_NSRC, "--user", "boss@my")
    assert approved["status"] == "approved"
    # decided already: a conflict (exit code 5, 409 over HTTP), not a bad request
    again = pair.my.cli("disclosure", "deny", str(incoming[0]["id"]), "--agency", MY_NSRC,
                        "--user", "boss@my", ok=False)
    assert again.returncode == 5, again.stderr

    mine = pair.th.cli_json("disclosure", "list")
    row = next(d for d in mine["disclosures"] if d["id"] == amber["id"])
    assert row["status"] == "approved", mine
    released = [o for o in row["objects"] if o["type"] == "report"]
    assert len(released) == 1
    assert any("amber" in json.dumps(o.get("object_marking_refs", [])) or
               o.get("object_marking_refs") for o in released)

    # a value the peer does not hold is never sent: PSI says no first (exit 3)
    refused = pair.th.cli("disclosure", "request", "my-node", "+60 12-987 6543",
                          "--reason", "fishing", ok=False)
    assert refused.returncode == 3, refused.stderr

    # both sides audited the request and the decision
    with _db(pair.my) as db:
        actions = [r[0] for r in db.execute("select action from audit_log")]
    assert "disclosure.received" in actions
    assert "disclosure.approve" in actions
    with _db(pair.th) as db:
        actions = [r[0] for r in db.execute("select action from audit_log")]
    assert actions.count("disclosure.request") == 2
    assert "disclosure.answered" in actions


def test_disclosures_over_rest(pair: Pair) -> None:
    th_token = pair.th.user_token("rest@th")
    th_auth = {"authorization": f"Bearer {th_token}"}
    made = httpx.post(f"{pair.th.url}/api/v1/disclosures", headers=th_auth, timeout=120, json={
        "peer": "my-node", "value": GREEN_PHONE, "reason": "REST case", "country": "MY"})
    assert made.status_code == 200, made.text
    assert made.json()["status"] == "answered"
    listed = httpx.get(f"{pair.th.url}/api/v1/disclosures?refresh=true", headers=th_auth,
                       timeout=120).json()
    assert made.json()["id"] in [d["id"] for d in listed["disclosures"]]
    # the holder: an analyst of the owning agency sees peers' requests; a decided one stays
    my_token = pair.my.user_token("ana@nsrc", agency=MY_NSRC)
    my_auth = {"authorization": f"Bearer {my_token}"}
    incoming = httpx.get(f"{pair.my.url}/api/v1/disclosures", headers=my_auth, timeout=60)
    rows = [d for d in incoming.json()["disclosures"] if d["direction"] == "in"]
    assert rows
    assert {d["agency"] for d in rows} == {TH_AGENCY}
    decided = next(d for d in rows if d["status"] == "approved")
    again = httpx.post(f"{pair.my.url}/api/v1/disclosures/{decided['id']}/deny",
                       headers=my_auth, timeout=60)
    assert again.status_code == 409
    missing = httpx.post(f"{pair.th.url}/api/v1/disclosures", headers=th_auth, timeout=120,
                         json={"peer": "nobody", "value": GREEN_PHONE, "reason": "x"})
    assert missing.status_code == 404


def _th_signer(pair: Pair) -> tuple[Settings, str]:
    settings = Settings(environment="test", data_dir=pair.th.root)
    with _db(pair.th) as db:
        (token,) = db.execute("select token from peers where name = 'my-node'").fetchone()
    return settings, str(token)


def _post(pair: Pair, path: str, body: bytes, headers: dict[str, str], token: str,
          ) -> httpx.Response:
    return httpx.post(pair.my.url + path, content=body, timeout=60, headers={
        **headers, "authorization": f"Bearer {token}", "content-type": "application/json"})


def test_holder_forgets_a_disclosure_value_it_does_not_hold(pair: Pair) -> None:
    settings, token = _th_signer(pair)
    key = load_or_create_node_key(settings.data_dir)
    ref = guess(DISCLOSE_SECRET[0], country="MY").ref
    body = orjson.dumps({"ref": ref, "reason": "direct", "requested_by": None})
    resp = _post(pair, DISCLOSE_PATH, body,
                 auth.sign(key, "POST", DISCLOSE_PATH, body, datetime.now(UTC)), token)
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "not-held"


def test_tampered_stale_and_replayed_requests_are_refused(pair: Pair) -> None:
    settings, token = _th_signer(pair)
    key = load_or_create_node_key(settings.data_dir)
    body = orjson.dumps({"request": b64(protocol.client_batch(["phone:+60111"]).request),
                         "have_generation": None})
    headers = auth.sign(key, "POST", QUERY_PATH, body, datetime.now(UTC))
    assert _post(pair, QUERY_PATH, body, headers, token).status_code == 200
    replay = _post(pair, QUERY_PATH, body, headers, token)
    assert replay.status_code == 401
    assert "replayed" in replay.text
    other = orjson.dumps({"request": b64(protocol.client_batch(["phone:+60222"]).request),
                          "have_generation": None})
    tampered = _post(pair, QUERY_PATH, other, auth.sign(key, "POST", QUERY_PATH, body,
                                                        datetime.now(UTC)), token)
    assert tampered.status_code == 401
    assert "signature" in tampered.text
    stale = _post(pair, QUERY_PATH, body, auth.sign(
        key, "POST", QUERY_PATH, body, datetime.now(UTC) - timedelta(minutes=10)), token)
    assert stale.status_code == 401
    assert "window" in stale.text
    unsigned = _post(pair, QUERY_PATH, body, {}, token)
    assert unsigned.status_code == 401


def _usage(node: NodeProc, side: str) -> int:
    with _db(node) as db:
        (n,) = db.execute("select coalesce(sum(items), 0) from psi_usage where side = ?",
                          (side,)).fetchone()
    return int(n)


def test_daily_limits_hold_on_both_sides(pair: Pair) -> None:
    rng = random.Random(12)  # noqa: S311 - reproducible test data, not secrets
    # the holder refuses a batch that would pass its per-peer limit
    n = MY_PEER_LIMIT - _usage(pair.my, "in") + 1
    values = [f"+6016{rng.randrange(10**7):07d}" for _ in range(n)]
    out = pair.th.cli("ask-peers", str(_ask_file(pair, "many.txt", values)), "--json", ok=False)
    assert out.returncode == 6
    assert "daily limit" in json.loads(out.stdout)["peer_errors"]["my-node"]
    # the asking node refuses before sending past its per-agency limit (exit 7)
    n = TH_AGENCY_LIMIT - _usage(pair.th, "out") + 1
    values = [f"+6016{rng.randrange(10**7):07d}" for _ in range(n)]
    before = _usage(pair.my, "in")
    out = pair.th.cli("ask-peers", str(_ask_file(pair, "more.txt", values)), ok=False)
    assert out.returncode == 7, out.stderr
    assert _usage(pair.my, "in") == before


def test_holder_never_keeps_what_it_does_not_hold(pair: Pair) -> None:
    """Runs last: after every question above, grep everything the holder wrote."""
    files = pair.my.files_bytes()
    assert any(p.name == "serve.log" for p in files)
    assert any(p.name.startswith("bersama.db") for p in files)
    needles = [n for spellings in SECRETS.values() for n in spellings] + DISCLOSE_SECRET[1]
    for path, raw in files.items():
        low = raw.lower()
        for needle in needles:
            assert needle.lower() not in low, f"{needle!r} found in {path}"
    # sanity: the same grep does find values the holder holds
    everything = b"".join(files.values())
    assert b"+60121112222" in everything
    with _db(pair.my) as db:
        answers = [json.loads(d) for a, d in db.execute(
            "select action, detail from audit_log") if a == "psi.answer"]
    assert answers
    assert all(set(d) == {"items"} for d in answers)


def test_a_holder_on_postgresql_answers_and_keeps_no_trace(tmp_path: Path, pg_url: str) -> None:
    """The holder's store on PostgreSQL (the pair above is on SQLite), with the crafted
    reports only: the answer set is built there (every build once failed on a boolean
    cast), AMBER+STRICT stays hidden from a non-recipient, a GREEN disclosure is
    answered, and no asked value it does not hold is kept in its files or its rows."""
    my = NodeProc("my-node", MY_AGENCY, "MY", tmp_path / "my", database_url=pg_url)
    th = NodeProc("th-node", TH_AGENCY, "TH", tmp_path / "th")
    crafted = tmp_path / "crafted.json"
    crafted.write_bytes(orjson.dumps(bundle(_crafted())))
    try:
        for node in (my, th):
            node.root.mkdir(parents=True)
            node.add_agency(node.agency, node.country)
        my.add_agency(MY_NSRC, "MY", type_="scam-centre")
        assert my.cli_json("ingest", str(crafted), "--agency", MY_NSRC, "--format", "stix"
                           )["accepted"] == 4
        my.start()
        th.start()
        connect(my, th)
        asked = [GREEN_PHONE, STRICT_OTHER, STRICT_TH, *ASKED_SPELLINGS]
        out = th.cli_json("ask-peers", str(_ask_file(Pair(my, th, tmp_path), "ask.txt", asked)))
        assert out["peer_errors"] == {}
        held = [r["value"] for r in out["results"] if r["held_by"] == ["my-node"]]
        assert held == [GREEN_PHONE, STRICT_TH]
        green = th.cli_json("disclosure", "request", "my-node", GREEN_PHONE,
                            "--reason", "case TH-2026-0042", "--country", "MY")
        assert green["status"] == "answered"
    finally:
        my.stop()
        th.stop()
    files = my.files_bytes()
    assert b"+60121112222" in files[my.root / "database"]
    for path, raw in files.items():
        for needle in (n for spellings in SECRETS.values() for n in spellings):
            assert needle.lower() not in raw.lower(), f"{needle!r} found in {path}"
