"""Agencies, groups, users, tokens and passwords against a real SQLite schema."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from bersama.errors import Conflict, InvalidInput, NotFound, Unauthenticated
from bersama.markings import Role
from bersama.store import audit, passwords
from bersama.store import identities as ids
from bersama.store.db import make_engine
from bersama.store.tables import trust
from bersama.store.tables.base import metadata

NOW = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    eng = make_engine(f"sqlite:///{tmp_path / 'trust.db'}")
    metadata.create_all(eng)
    with eng.begin() as conn:
        ids.add_agency(conn, code="MY-PDRM", name="PDRM CCID", country="my", type="police",
                       now=NOW)
        ids.add_agency(conn, code="TH-CCIB", name="CCIB", country="TH", type="police", now=NOW)
        ids.add_agency(conn, code="JP-NPA", name="NPA", country="JP", type="police", now=NOW)
        ids.add_group(conn, name="MY-TH", agencies_=["MY-PDRM", "TH-CCIB"], now=NOW)
        ids.add_user(conn, email="Aisyah@PDRM.my", agency="MY-PDRM", role="analyst", now=NOW)
    yield eng
    eng.dispose()


def test_agency_validation(engine: Engine) -> None:
    with engine.begin() as conn:
        with pytest.raises(InvalidInput) as err:
            ids.add_agency(conn, code="X1", name="x", country="ZZ", type="police", now=NOW)
        assert err.value.field == "country"
        with pytest.raises(InvalidInput) as err:
            ids.add_agency(conn, code="X1", name="x", country="SG", type="army", now=NOW)
        assert err.value.field == "type"
        with pytest.raises(Conflict):
            ids.add_agency(conn, code="MY-PDRM", name="x", country="MY", type="cert", now=NOW)
        with pytest.raises(NotFound):
            ids.add_agency(conn, code="SG-X", name="x", country="SG", type="cert", now=NOW,
                           default_group="nope")
        a = ids.add_agency(conn, code="SG-CSA", name="CSA", country="sg", type="Scam Centre",
                           now=NOW, hint_amber="count")
    assert (a.country, a.type, a.hint_amber, a.default_tlp) == ("SG", "scam-centre", "count",
                                                                 "amber")
    with engine.connect() as conn:
        codes = [x.code for x in ids.list_agencies(conn)]
    assert codes == ["JP-NPA", "MY-PDRM", "SG-CSA", "TH-CCIB"]


def test_groups(engine: Engine) -> None:
    with engine.begin() as conn:
        assert ids.list_groups(conn) == {"MY-TH": ["MY-PDRM", "TH-CCIB"]}
        assert ids.groups_of(conn, "TH-CCIB") == frozenset({"MY-TH"})
        with pytest.raises(NotFound):
            ids.add_group(conn, name="G2", agencies_=["NOPE"], now=NOW)
        with pytest.raises(InvalidInput):
            ids.add_group(conn, name="G2", agencies_=[], now=NOW)
        ids.set_group_members(conn, name="MY-TH", agencies_=["MY-PDRM"])
        assert ids.groups_of(conn, "TH-CCIB") == frozenset()


def test_users(engine: Engine) -> None:
    with engine.begin() as conn:
        u = ids.get_user(conn, "aisyah@pdrm.my")
        assert (u.email, u.role) == ("aisyah@pdrm.my", Role.ANALYST)
        with pytest.raises(InvalidInput):
            ids.add_user(conn, email="x@y.z", agency="MY-PDRM", role="god", now=NOW)
        with pytest.raises(InvalidInput):
            ids.add_user(conn, email="not-an-email", agency="MY-PDRM", role="reader", now=NOW)
        with pytest.raises(Conflict):
            ids.add_user(conn, email="AISYAH@pdrm.my", agency="MY-PDRM", role="reader", now=NOW)
        with pytest.raises(NotFound):
            ids.add_user(conn, email="a@b.cd", agency="NOPE", role="reader", now=NOW)


def test_token_hashed_at_rest_and_authenticates(engine: Engine) -> None:
    with engine.begin() as conn:
        info, token = ids.create_token(conn, now=NOW, user="aisyah@pdrm.my",
                                       expires=ids.parse_expiry("30d"))
    assert token.startswith(f"bsm_{info.id}_")
    secret = token[len(f"bsm_{info.id}_"):]
    dump = "\n".join(engine.raw_connection().driver_connection.iterdump())  # type: ignore[union-attr]
    assert token not in dump
    assert secret not in dump
    assert ids.digest(secret) in dump
    with engine.begin() as conn:
        auth = ids.authenticate(conn, token, NOW + timedelta(days=1))
    assert auth.token_id == info.id
    assert auth.reader.agency == "MY-PDRM"
    assert auth.reader.user == "aisyah@pdrm.my"
    assert auth.reader.groups == frozenset({"MY-TH"})
    assert not auth.reader.is_peer


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),
        lambda t: "bsm_aaaaaaaaaaaa_" + t.split("_", 2)[2],
        lambda t: "garbage",
        lambda t: "",
    ],
)
def test_wrong_tokens_refused(engine: Engine, mangle: object) -> None:
    with engine.begin() as conn:
        _, token = ids.create_token(conn, now=NOW, user="aisyah@pdrm.my")
        with pytest.raises(Unauthenticated):
            ids.authenticate(conn, mangle(token), NOW)  # type: ignore[operator]


def test_expiry_and_revocation(engine: Engine) -> None:
    with engine.begin() as conn:
        info, token = ids.create_token(conn, now=NOW, user="aisyah@pdrm.my",
                                       expires=timedelta(hours=12))
        ids.authenticate(conn, token, NOW + timedelta(hours=11, minutes=59))
        with pytest.raises(Unauthenticated):
            ids.authenticate(conn, token, NOW + timedelta(hours=12))
        info2, token2 = ids.create_token(conn, now=NOW, user="aisyah@pdrm.my")
        ids.authenticate(conn, token2, NOW + timedelta(days=3650))
        ids.revoke_token(conn, info2.id, NOW + timedelta(days=1))
        with pytest.raises(Unauthenticated):
            ids.authenticate(conn, token2, NOW + timedelta(days=1))
        statuses = {t.id: t.status(NOW + timedelta(days=1)) for t in ids.list_tokens(conn)}
    assert statuses == {info.id: "expired", info2.id: "revoked"}


def test_disabled_user_token_refused(engine: Engine) -> None:
    with engine.begin() as conn:
        _, token = ids.create_token(conn, now=NOW, user="aisyah@pdrm.my")
        ids.set_user_disabled(conn, "aisyah@pdrm.my", True)
        with pytest.raises(Unauthenticated):
            ids.authenticate(conn, token, NOW)


def test_peer_token(engine: Engine) -> None:
    with engine.begin() as conn:
        _, token = ids.create_token(conn, now=NOW, peer_agency="TH-CCIB")
        reader = ids.authenticate(conn, token, NOW).reader
    assert reader.is_peer
    assert (reader.agency, reader.user, reader.groups) == ("TH-CCIB", None, frozenset({"MY-TH"}))
    with engine.begin() as conn, pytest.raises(InvalidInput):
        ids.create_token(conn, now=NOW, peer_agency="TH-CCIB", user="aisyah@pdrm.my")


def test_authenticate_reads_groups_and_country_with_the_token(engine: Engine) -> None:
    with engine.begin() as conn:
        ids.add_group(conn, name="ASEAN", agencies_=["MY-PDRM", "TH-CCIB"], now=NOW)
        _, user_token = ids.create_token(conn, now=NOW, user="aisyah@pdrm.my")
        _, peer_token = ids.create_token(conn, now=NOW, peer_agency="TH-CCIB")
        _, lone_token = ids.create_token(conn, now=NOW, peer_agency="JP-NPA")
        user = ids.authenticate(conn, user_token, NOW)
        peer = ids.authenticate(conn, peer_token, NOW)
        lone = ids.authenticate(conn, lone_token, NOW)
        assert (user.reader.groups, user.country) == (frozenset({"MY-TH", "ASEAN"}), "MY")
        assert (peer.reader.groups, peer.country) == (frozenset({"MY-TH", "ASEAN"}), "TH")
        assert (lone.reader.groups, lone.country) == (frozenset(), "JP")
        for auth in (user, peer, lone):
            assert auth.reader.groups == ids.groups_of(conn, auth.reader.agency or "")
            assert auth.country == ids.agency_country(conn, auth.reader.agency)
        # nothing is remembered between calls: a change counts from the next request on
        ids.set_group_members(conn, name="ASEAN", agencies_=["TH-CCIB"])
        assert ids.authenticate(conn, user_token, NOW).reader.groups == frozenset({"MY-TH"})


@pytest.mark.parametrize(("text", "expected"), [
    ("30d", timedelta(days=30)), ("12h", timedelta(hours=12)), ("2w", timedelta(weeks=2)),
    ("45m", timedelta(minutes=45)), ("never", None), (None, None),
])
def test_parse_expiry(text: str | None, expected: timedelta | None) -> None:
    assert ids.parse_expiry(text) == expected


@pytest.mark.parametrize("text", ["0d", "30", "1y", "-1d", "soon"])
def test_parse_expiry_rejects(text: str) -> None:
    with pytest.raises(InvalidInput) as err:
        ids.parse_expiry(text)
    assert err.value.field == "expires"


def test_password_lockout(engine: Engine) -> None:
    pw = "correct horse battery"
    with engine.begin() as conn:
        passwords.set_password(conn, "aisyah@pdrm.my", pw)
        stored = conn.execute(select(trust.users.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$")
    assert pw not in stored
    first = passwords.login(engine, "aisyah@pdrm.my", pw, NOW, address="10.0.0.9")
    assert first.agency == "MY-PDRM"
    for _ in range(passwords.MAX_FAILED_LOGINS):  # each failure commits although login raises
        with pytest.raises(Unauthenticated):
            passwords.login(engine, "aisyah@pdrm.my", "wrong password!", NOW)
    with pytest.raises(Unauthenticated):
        passwords.login(engine, "aisyah@pdrm.my", pw, NOW + timedelta(minutes=14))
    later = passwords.login(engine, "aisyah@pdrm.my", pw, NOW + passwords.LOCKOUT)
    assert later.user == "aisyah@pdrm.my"
    with pytest.raises(Unauthenticated):
        passwords.login(engine, "nobody@pdrm.my", pw, NOW)
    with engine.begin() as conn, pytest.raises(InvalidInput):
        passwords.set_password(conn, "aisyah@pdrm.my", "short")
    with engine.connect() as conn:
        rows = conn.execute(select(trust.audit_log.c.action, trust.audit_log.c.actor_user)
                            .order_by(trust.audit_log.c.seq)).all()
        assert audit.verify(conn).ok
    actions = [r.action for r in rows]
    assert actions == ["login"] + ["login.failed"] * 6 + ["login", "login.failed"]
    assert rows[0].actor_user == "aisyah@pdrm.my"
    assert rows[-1].actor_user is None
    assert pw not in str(rows)


def test_bootstrap_admin_once(engine: Engine) -> None:
    with engine.begin() as conn:
        token = ids.bootstrap_admin(conn, now=NOW, agency_code="NODE", agency_name="This node",
                                    country="MY", admin_email="admin@node.example")
        assert token is not None
        assert ids.authenticate(conn, token, NOW).reader.role is Role.ADMIN
        assert ids.bootstrap_admin(conn, now=NOW, agency_code="NODE", agency_name="x",
                                   country="MY") is None
        hashes = conn.execute(select(trust.users.c.password_hash)).scalars().all()
    assert all(h is None for h in hashes)  # no default password anywhere
