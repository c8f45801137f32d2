"""API tokens and the first admin's against a real SQLite schema: hashed at rest, refused
when wrong, expired, revoked or disabled, and read with the reader's groups."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select

from bersama.errors import InvalidInput, Unauthenticated
from bersama.markings import Role
from bersama.store import apitokens
from bersama.store import identities as ids
from bersama.store.tables import trust

NOW = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)  # as in conftest.py's trust tables


def test_token_hashed_at_rest_and_authenticates(trust_db: Engine) -> None:
    with trust_db.begin() as conn:
        info, token = apitokens.create_token(conn, now=NOW, user="aisyah@pdrm.my",
                                             expires=apitokens.parse_expiry("30d"))
    assert token.startswith(f"bsm_{info.id}_")
    secret = token[len(f"bsm_{info.id}_"):]
    dump = "\n".join(trust_db.raw_connection().driver_connection.iterdump())  # type: ignore[union-attr]
    assert token not in dump
    assert secret not in dump
    assert apitokens.digest(secret) in dump
    with trust_db.begin() as conn:
        auth = apitokens.authenticate(conn, token, NOW + timedelta(days=1))
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
def test_wrong_tokens_refused(trust_db: Engine, mangle: object) -> None:
    with trust_db.begin() as conn:
        _, token = apitokens.create_token(conn, now=NOW, user="aisyah@pdrm.my")
        with pytest.raises(Unauthenticated):
            apitokens.authenticate(conn, mangle(token), NOW)  # type: ignore[operator]


def test_expiry_and_revocation(trust_db: Engine) -> None:
    with trust_db.begin() as conn:
        info, token = apitokens.create_token(conn, now=NOW, user="aisyah@pdrm.my",
                                             expires=timedelta(hours=12))
        apitokens.authenticate(conn, token, NOW + timedelta(hours=11, minutes=59))
        with pytest.raises(Unauthenticated):
            apitokens.authenticate(conn, token, NOW + timedelta(hours=12))
        info2, token2 = apitokens.create_token(conn, now=NOW, user="aisyah@pdrm.my")
        apitokens.authenticate(conn, token2, NOW + timedelta(days=3650))
        apitokens.revoke_token(conn, info2.id, NOW + timedelta(days=1))
        with pytest.raises(Unauthenticated):
            apitokens.authenticate(conn, token2, NOW + timedelta(days=1))
        statuses = {t.id: t.status(NOW + timedelta(days=1)) for t in apitokens.list_tokens(conn)}
    assert statuses == {info.id: "expired", info2.id: "revoked"}


def test_disabled_user_token_refused(trust_db: Engine) -> None:
    with trust_db.begin() as conn:
        _, token = apitokens.create_token(conn, now=NOW, user="aisyah@pdrm.my")
        ids.set_user_disabled(conn, "aisyah@pdrm.my", True)
        with pytest.raises(Unauthenticated):
            apitokens.authenticate(conn, token, NOW)


def test_peer_token(trust_db: Engine) -> None:
    with trust_db.begin() as conn:
        _, token = apitokens.create_token(conn, now=NOW, peer_agency="TH-CCIB")
        reader = apitokens.authenticate(conn, token, NOW).reader
    assert reader.is_peer
    assert (reader.agency, reader.user, reader.groups) == ("TH-CCIB", None, frozenset({"MY-TH"}))
    with trust_db.begin() as conn, pytest.raises(InvalidInput):
        apitokens.create_token(conn, now=NOW, peer_agency="TH-CCIB", user="aisyah@pdrm.my")


def test_authenticate_reads_groups_and_country_with_the_token(trust_db: Engine) -> None:
    with trust_db.begin() as conn:
        ids.add_group(conn, name="ASEAN", agencies_=["MY-PDRM", "TH-CCIB"], now=NOW)
        _, user_token = apitokens.create_token(conn, now=NOW, user="aisyah@pdrm.my")
        _, peer_token = apitokens.create_token(conn, now=NOW, peer_agency="TH-CCIB")
        _, lone_token = apitokens.create_token(conn, now=NOW, peer_agency="JP-NPA")
        user = apitokens.authenticate(conn, user_token, NOW)
        peer = apitokens.authenticate(conn, peer_token, NOW)
        lone = apitokens.authenticate(conn, lone_token, NOW)
        assert (user.reader.groups, user.country) == (frozenset({"MY-TH", "ASEAN"}), "MY")
        assert (peer.reader.groups, peer.country) == (frozenset({"MY-TH", "ASEAN"}), "TH")
        assert (lone.reader.groups, lone.country) == (frozenset(), "JP")
        for auth in (user, peer, lone):
            assert auth.reader.groups == ids.groups_of(conn, auth.reader.agency or "")
            assert auth.country == ids.agency_country(conn, auth.reader.agency)
        # nothing is remembered between calls: a change counts from the next request on
        ids.set_group_members(conn, name="ASEAN", agencies_=["TH-CCIB"])
        assert apitokens.authenticate(conn, user_token, NOW).reader.groups == frozenset({"MY-TH"})


@pytest.mark.parametrize(("text", "expected"), [
    ("30d", timedelta(days=30)), ("12h", timedelta(hours=12)), ("2w", timedelta(weeks=2)),
    ("45m", timedelta(minutes=45)), ("never", None), (None, None),
])
def test_parse_expiry(text: str | None, expected: timedelta | None) -> None:
    assert apitokens.parse_expiry(text) == expected


@pytest.mark.parametrize("text", ["0d", "30", "1y", "-1d", "soon"])
def test_parse_expiry_rejects(text: str) -> None:
    with pytest.raises(InvalidInput) as err:
        apitokens.parse_expiry(text)
    assert err.value.field == "expires"


def test_bootstrap_admin_once(trust_db: Engine) -> None:
    with trust_db.begin() as conn:
        token = apitokens.bootstrap_admin(conn, now=NOW, agency_code="NODE",
                                          agency_name="This node", country="MY",
                                          admin_email="admin@node.example")
        assert token is not None
        assert apitokens.authenticate(conn, token, NOW).reader.role is Role.ADMIN
        assert apitokens.bootstrap_admin(conn, now=NOW, agency_code="NODE", agency_name="x",
                                         country="MY") is None
        hashes = conn.execute(select(trust.users.c.password_hash)).scalars().all()
    assert all(h is None for h in hashes)  # no default password anywhere
