"""Agencies, groups, users and passwords against a real SQLite schema."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select

from bersama.errors import Conflict, InvalidInput, NotFound, Unauthenticated
from bersama.markings import Role
from bersama.store import audit, passwords
from bersama.store import identities as ids
from bersama.store.tables import trust

NOW = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)  # as in conftest.py's trust tables


def test_agency_validation(trust_db: Engine) -> None:
    with trust_db.begin() as conn:
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
    with trust_db.connect() as conn:
        codes = [x.code for x in ids.list_agencies(conn)]
    assert codes == ["JP-NPA", "MY-PDRM", "SG-CSA", "TH-CCIB"]


def test_groups(trust_db: Engine) -> None:
    with trust_db.begin() as conn:
        assert ids.list_groups(conn) == {"MY-TH": ["MY-PDRM", "TH-CCIB"]}
        assert ids.groups_of(conn, "TH-CCIB") == frozenset({"MY-TH"})
        with pytest.raises(NotFound):
            ids.add_group(conn, name="G2", agencies_=["NOPE"], now=NOW)
        with pytest.raises(InvalidInput):
            ids.add_group(conn, name="G2", agencies_=[], now=NOW)
        ids.set_group_members(conn, name="MY-TH", agencies_=["MY-PDRM"])
        assert ids.groups_of(conn, "TH-CCIB") == frozenset()


def test_users(trust_db: Engine) -> None:
    with trust_db.begin() as conn:
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


def test_password_lockout(trust_db: Engine) -> None:
    pw = "correct horse battery"
    with trust_db.begin() as conn:
        passwords.set_password(conn, "aisyah@pdrm.my", pw)
        stored = conn.execute(select(trust.users.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$")
    assert pw not in stored
    first = passwords.login(trust_db, "aisyah@pdrm.my", pw, NOW, address="10.0.0.9")
    assert first.agency == "MY-PDRM"
    for _ in range(passwords.MAX_FAILED_LOGINS):  # each failure commits although login raises
        with pytest.raises(Unauthenticated):
            passwords.login(trust_db, "aisyah@pdrm.my", "wrong password!", NOW)
    with pytest.raises(Unauthenticated):
        passwords.login(trust_db, "aisyah@pdrm.my", pw, NOW + timedelta(minutes=14))
    later = passwords.login(trust_db, "aisyah@pdrm.my", pw, NOW + passwords.LOCKOUT)
    assert later.user == "aisyah@pdrm.my"
    with pytest.raises(Unauthenticated):
        passwords.login(trust_db, "nobody@pdrm.my", pw, NOW)
    with trust_db.begin() as conn, pytest.raises(InvalidInput):
        passwords.set_password(conn, "aisyah@pdrm.my", "short")
    with trust_db.connect() as conn:
        rows = conn.execute(select(trust.audit_log.c.action, trust.audit_log.c.actor_user)
                            .order_by(trust.audit_log.c.seq)).all()
        assert audit.verify(conn).ok
    actions = [r.action for r in rows]
    assert actions == ["login"] + ["login.failed"] * 6 + ["login", "login.failed"]
    assert rows[0].actor_user == "aisyah@pdrm.my"
    assert rows[-1].actor_user is None
    assert pw not in str(rows)
