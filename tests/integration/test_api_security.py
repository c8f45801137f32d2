"""Authentication, admin API, rate limits, size limits, headers, CORS, and secret-free logs."""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bersama.api.app import create_app
from bersama.api.routers import admin, public
from bersama.config import Settings
from bersama.store import apitokens
from bersama.store import identities as ids
from bersama.store.db import make_engine, migrate

NOW = datetime(2026, 11, 1, tzinfo=UTC)
Make = Callable[..., tuple[TestClient, dict[str, str]]]


@pytest.fixture
def make_node(tmp_path: Path, db_url: str, db_urls: Callable[[], str]) -> Iterator[Make]:
    """Nodes on the store of `db_url`, each with its own database."""
    clients: list[TestClient] = []
    engines: list[Any] = []

    def make(**overrides: Any) -> tuple[TestClient, dict[str, str]]:
        n = len(clients)
        settings = Settings(environment="test", data_dir=tmp_path / f"d{n}",
                            database_url=db_urls() if n else db_url, **overrides)
        engine = make_engine(settings.effective_database_url)
        migrate(engine)
        tokens: dict[str, str] = {}
        with engine.begin() as c:
            ids.add_agency(c, code="MY-PDRM", name="PDRM", country="MY", type="police", now=NOW)
            ids.add_agency(c, code="TH-TCSD", name="TCSD", country="TH", type="police", now=NOW)
            for email, role in (("adm@my", "admin"), ("ana@my", "analyst")):
                ids.add_user(c, email=email, agency="MY-PDRM", role=role, now=NOW)
                tokens[email] = apitokens.create_token(c, now=NOW, user=email)[1]
            tokens["peer"] = apitokens.create_token(c, now=NOW, peer_agency="TH-TCSD")[1]
        client = TestClient(create_app(settings, engine), raise_server_exceptions=False)
        client.__enter__()
        app: Any = client.app
        paths = {getattr(r, "path", "") for r in app.router.routes}
        if "/api/v1/public/check" not in paths:
            app.include_router(public.router)
        if "/api/v1/admin/agencies" not in paths:
            app.include_router(admin.router)
        clients.append(client)
        engines.append(engine)
        return client, tokens

    yield make
    for client in clients:
        client.__exit__(None, None, None)
    for engine in engines:
        engine.dispose()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_bearer_and_basic(make_node: Make) -> None:
    client, tokens = make_node()
    tok = tokens["ana@my"]
    assert client.get("/api/v1/status", headers=bearer(tok)).status_code == 200
    tid = apitokens.token_id_of(tok)
    basic = base64.b64encode(f"{tid}:{tok}".encode()).decode()
    assert client.get("/api/v1/status",
                      headers={"Authorization": f"Basic {basic}"}).status_code == 200
    wrong = base64.b64encode(f"zzzzzzzzzzzz:{tok}".encode()).decode()
    for header in (f"Basic {wrong}", "Basic !!!", "Digest abc", f"Bearer {tok}x"):
        r = client.get("/api/v1/status", headers={"Authorization": header})
        assert r.status_code == 401, header
        assert r.headers["www-authenticate"].startswith("Bearer")


def test_admin_api_flow(make_node: Make) -> None:
    client, tokens = make_node()
    adm, ana = bearer(tokens["adm@my"]), bearer(tokens["ana@my"])
    assert client.get("/api/v1/admin/agencies", headers=ana).status_code == 403
    assert client.get("/api/v1/admin/agencies", headers=bearer(tokens["peer"])).status_code == 403
    r = client.post("/api/v1/admin/agencies", headers=adm, json={
        "code": "SG-SPF", "name": "SPF", "country": "SG", "type": "police"})
    assert r.status_code == 201, r.text
    r = client.post("/api/v1/admin/agencies", headers=adm, json={
        "code": "XX-1", "name": "x", "country": "QQ", "type": "police"})
    assert r.status_code == 422
    assert r.json()["field"] == "country"
    r = client.post("/api/v1/admin/groups", headers=adm,
                    json={"name": "MY-SG", "agencies": ["MY-PDRM", "SG-SPF"]})
    assert r.status_code == 201, r.text
    assert client.get("/api/v1/admin/groups", headers=adm).json()["MY-SG"] == ["MY-PDRM",
                                                                                 "SG-SPF"]
    r = client.post("/api/v1/admin/users", headers=adm,
                    json={"email": "tan@spf.sg", "agency": "SG-SPF", "role": "reader"})
    assert r.status_code == 201, r.text
    r = client.post("/api/v1/admin/tokens", headers=adm,
                    json={"user": "tan@spf.sg", "expires": "12h"})
    assert r.status_code == 201, r.text
    new = r.json()
    assert new["status"] == "active"
    assert client.get("/api/v1/status", headers=bearer(new["token"])).status_code == 200
    listed = client.get("/api/v1/admin/tokens", headers=adm).json()
    assert new["token"] not in str(listed)
    assert client.delete(f"/api/v1/admin/tokens/{new['id']}", headers=adm).status_code == 200
    assert client.get("/api/v1/status", headers=bearer(new["token"])).status_code == 401
    assert client.post("/api/v1/admin/tokens", headers=adm,
                       json={"user": "tan@spf.sg", "expires": "soon"}).status_code == 422
    verify = client.get("/api/v1/admin/audit/verify", headers=adm).json()
    assert verify["ok"] is True
    assert verify["rows"] >= 5


@pytest.mark.parametrize(("path", "body", "field"), [
    ("/api/v1/admin/groups", {"name": "MY-TH", "agencies": ["MY-PDRM", "TH-NOPE"]}, "agencies"),
    ("/api/v1/admin/tokens", {"user": "nobody@pdrm.my"}, "user"),
    ("/api/v1/admin/tokens", {"peer_agency": "TH-NOPE"}, "peer_agency"),
])
def test_an_unknown_agency_or_user_names_the_body_field_it_was_given_in(
        make_node: Make, path: str, body: dict[str, Any], field: str) -> None:
    # The problem named `agency` for a group's `agencies` and `email` for a token's `user`.
    client, tokens = make_node()
    r = client.post(path, headers=bearer(tokens["adm@my"]), json=body)
    assert r.status_code == 404, r.text
    assert r.json()["field"] == field


def test_revoking_a_token_twice_is_a_conflict_and_an_unknown_one_not_found(
        make_node: Make) -> None:
    # The second DELETE answered 200 with the row, as if it had revoked it now.
    client, tokens = make_node()
    adm = bearer(tokens["adm@my"])
    token_id = apitokens.token_id_of(tokens["ana@my"])
    first = client.delete(f"/api/v1/admin/tokens/{token_id}", headers=adm)
    assert first.status_code == 200, first.text
    again = client.delete(f"/api/v1/admin/tokens/{token_id}", headers=adm)
    assert again.status_code == 409, again.text
    assert again.json()["field"] == "id"
    assert f"already revoked at {first.json()['revoked_at']}" in again.json()["detail"]
    unknown = client.delete("/api/v1/admin/tokens/nosuchtoken1", headers=adm)
    assert unknown.status_code == 404, unknown.text
    assert unknown.json()["field"] == "id"


def test_check_rate_limit_per_token(make_node: Make) -> None:
    client, tokens = make_node(check_rate_per_minute=3)
    h = bearer(tokens["ana@my"])
    codes = [client.get("/api/v1/check", params={"value": "+60123456789"}, headers=h).status_code
             for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    r = client.get("/api/v1/check", params={"value": "+60123456789"}, headers=h)
    assert int(r.headers["retry-after"]) >= 1
    # another token has its own budget; non-check endpoints are not charged
    assert client.get("/api/v1/check", params={"value": "+60123456789"},
                      headers=bearer(tokens["adm@my"])).status_code == 200
    assert client.get("/api/v1/status", headers=h).status_code == 200


def test_check_without_credentials_is_401_before_parameter_validation(make_node: Make) -> None:
    client, tokens = make_node()
    answers = {}
    for params in ({"value": "+60123456789"}, {}, {"value": "x" * 5000},
                   {"value": "+60123456789", "country": "XYZ"}):
        r = client.get("/api/v1/check", params=params)
        assert r.status_code == 401, (params, r.text)
        assert r.headers["www-authenticate"].startswith("Bearer")
        assert r.headers["content-type"] == "application/problem+json"
        assert r.headers["content-security-policy"]
        answers[str(params)] = r.json()
    assert len({str(a) for a in answers.values()}) == 1  # the same problem, whatever the params
    for header, detail in (("Basic !!!", "malformed Basic"), ("Digest abc", "unsupported")):
        for params in ({"value": "+60123456789"}, {}):
            r = client.get("/api/v1/check", params=params, headers={"Authorization": header})
            assert r.status_code == 401, (header, params)
            assert detail in r.json()["detail"]
    # credentials came: the parameters are validated first, as with a reader dependency
    for token in (tokens["ana@my"], "garbage"):
        r = client.get("/api/v1/check", headers=bearer(token))
        assert r.status_code == 422, token
        assert r.json()["errors"][0]["field"] == "value"
    # other endpoints keep FastAPI's order
    assert client.get("/api/v1/clusters", params={"limit": 0}).status_code == 401
    assert client.get("/api/v1/public/check").status_code == 422


def test_check_token_use_stands_when_the_check_fails(make_node: Make) -> None:
    from sqlalchemy import select

    from bersama.store.tables.trust import api_tokens, audit_log

    client, tokens = make_node()
    tid = apitokens.token_id_of(tokens["ana@my"])
    r = client.get("/api/v1/check", params={"value": "zzz"}, headers=bearer(tokens["ana@my"]))
    assert r.status_code == 422
    engine: Any = client.app.state.engine  # type: ignore[attr-defined]
    with engine.connect() as c:
        used = c.execute(select(api_tokens.c.last_used_at).where(api_tokens.c.id == tid)).scalar()
        rows = c.execute(select(audit_log.c.action, audit_log.c.target, audit_log.c.detail)).all()
    assert used is not None
    assert [tuple(r) for r in rows] == [("token.use", f"token:{tid}", {"path": "/api/v1/check"})]


def test_check_refuses_revoked_expired_and_disabled_on_the_next_request(
    make_node: Make,
) -> None:
    client, tokens = make_node()
    app: Any = client.app
    engine = app.state.engine
    with engine.begin() as c:
        ids.add_user(c, email="dis@my", agency="MY-PDRM", role="analyst", now=NOW)
        dis = apitokens.create_token(c, now=NOW, user="dis@my")[1]
        short_info, short = apitokens.create_token(c, now=NOW, user="ana@my",
                                                   expires=apitokens.parse_expiry("1h"))
    app.state.clock = lambda: NOW
    check = {"value": "+60123456789"}
    for token in (tokens["ana@my"], dis, short):
        assert client.get("/api/v1/check", params=check, headers=bearer(token)).status_code == 200
    with engine.begin() as c:
        apitokens.revoke_token(c, apitokens.token_id_of(tokens["ana@my"]) or "", NOW)
        ids.set_user_disabled(c, "dis@my", True)
    assert client.get("/api/v1/check", params=check,
                      headers=bearer(tokens["ana@my"])).status_code == 401
    assert client.get("/api/v1/check", params=check, headers=bearer(dis)).status_code == 401
    assert client.get("/api/v1/check", params=check, headers=bearer(short)).status_code == 200
    app.state.clock = lambda: short_info.expires_at
    assert client.get("/api/v1/check", params=check, headers=bearer(short)).status_code == 401


def test_refused_tokens_are_audited_then_throttled(make_node: Make) -> None:
    from sqlalchemy import select

    from bersama.store.tables.trust import audit_log

    client, tokens = make_node(auth_failures_per_minute=3)
    real = tokens["ana@my"]
    forged = real[: len("bsm_") + 13] + "x" * 43  # the right id, a wrong secret
    codes = [client.get("/api/v1/status", headers=bearer(forged)).status_code for _ in range(2)]
    codes += [client.get("/api/v1/check", params={"value": "+60123456789"},
                         headers=bearer(forged)).status_code for _ in range(2)]
    assert codes == [401, 401, 401, 429]
    assert client.get("/api/v1/status", headers=bearer("garbage")).status_code == 429
    engine: Any = client.app.state.engine  # type: ignore[attr-defined]
    with engine.connect() as c:
        rows = c.execute(select(audit_log).where(audit_log.c.action == "token.refused")
                         .order_by(audit_log.c.seq)).all()
    assert len(rows) == 3
    assert {r.target for r in rows} == {f"token:{apitokens.token_id_of(forged)}"}
    assert [r.detail["path"] for r in rows] == ["/api/v1/status"] * 2 + ["/api/v1/check"]
    dumped = " ".join(str(tuple(r)) for r in rows)
    assert "x" * 43 not in dumped  # the presented secret is never recorded
    # only refusals are charged to the address: a valid token is still served from it
    assert client.get("/api/v1/status", headers=bearer(tokens["adm@my"])).status_code == 200


def test_public_check_disabled_and_rate_limited(make_node: Make) -> None:
    client, _ = make_node()
    assert client.get("/api/v1/public/check", params={"value": "+60123456789"}).status_code == 404
    client, _ = make_node(public_check_enabled=True, public_check_rate_per_minute=2)
    codes = [client.get("/api/v1/public/check", params={"value": "+60123456789"}).status_code
             for _ in range(3)]
    assert codes == [200, 200, 429]


def test_body_size_limit(make_node: Make) -> None:
    client, tokens = make_node(max_body_bytes=1000)
    h = bearer(tokens["ana@my"])
    r = client.post("/api/v1/check", json={"values": ["+60123456789"] * 200}, headers=h)
    assert r.status_code == 413
    assert r.json()["field"] == "body"

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted while streaming
        yield b'{"values": ['
        for _ in range(200):
            yield b'"+60123456789",'
        yield b'"+60123456789"]}'

    r = client.post("/api/v1/check", content=chunks(),
                    headers={**h, "Content-Type": "application/json"})
    assert r.status_code == 413


def test_security_headers_and_cors_off(make_node: Make) -> None:
    client, tokens = make_node()
    for r in (client.get("/api/v1/status", headers=bearer(tokens["ana@my"])),
              client.get("/api/v1/status")):
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["referrer-policy"] == "no-referrer"
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
        assert r.headers["cache-control"] == "no-store"
    pre = client.options("/api/v1/status", headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "GET"})
    assert "access-control-allow-origin" not in pre.headers


def test_cors_on_when_configured(make_node: Make) -> None:
    client, _ = make_node(cors_origins=["https://console.example"])
    pre = client.options("/api/v1/status", headers={
        "Origin": "https://console.example", "Access-Control-Request-Method": "GET"})
    assert pre.headers["access-control-allow-origin"] == "https://console.example"
    other = client.options("/api/v1/status", headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "GET"})
    assert "access-control-allow-origin" not in other.headers


def test_no_secret_in_any_log_line(make_node: Make, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    client, tokens = make_node()
    adm = bearer(tokens["adm@my"])
    client.get("/api/v1/status", headers=adm)
    client.get("/api/v1/status", headers=bearer(tokens["ana@my"] + "x"))
    created = client.post("/api/v1/admin/tokens", headers=adm,
                          json={"user": "ana@my", "expires": "1h"}).json()["token"]
    client.get("/api/v1/check", params={"value": "+60123456789"}, headers=bearer(created))
    tid = apitokens.token_id_of(tokens["ana@my"])
    basic = base64.b64encode(f"{tid}:{tokens['ana@my']}".encode()).decode()
    client.get("/api/v1/status", headers={"Authorization": f"Basic {basic}"})
    text = caplog.text
    for tok in [*tokens.values(), created]:
        assert tok not in text
        assert tok.split("_", 2)[2] not in text  # the secret part (it may contain "_")
    assert basic not in text
