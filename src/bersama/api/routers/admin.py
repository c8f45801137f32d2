"""Node administration over REST: agencies, sharing groups, users and tokens.

Admin role only (a peer token or an analyst gets 403).  Every write is audited
in the same transaction as the change, so a change without its audit row
cannot be committed.  A created token's plaintext is in the response once and
nowhere else (not in the audit row, which names the token id).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import Field

from bersama.api.deps import ReadConn, StrictBody, WriteConn
from bersama.api.problems import problems
from bersama.api.security import client_address, current_reader, request_time
from bersama.errors import Forbidden
from bersama.markings import Reader, Role
from bersama.store import apitokens, audit
from bersama.store import identities as ids

router = APIRouter(prefix="/api/v1/admin", tags=["admin"], responses=problems(401, 403, 429))
WRITE = problems(400, 404, 409, 413)
"""What a write can answer besides 422: an unparseable or oversize body, a name that
is not there, or one that is already."""


def require_admin(reader: Annotated[Reader, Depends(current_reader)]) -> Reader:
    if reader.is_peer or reader.role is not Role.ADMIN:
        raise Forbidden("node administration needs the admin role")
    return reader


AdminDep = Annotated[Reader, Depends(require_admin)]


def _audit(conn: Any, request: Request, reader: Reader, action: str, target: str, *,
           detail: dict[str, Any] | None = None) -> None:
    audit.record(conn, reader=reader, action=action, target=target,
                 address=client_address(request), detail=detail, now=request_time(request))


class AgencyIn(StrictBody):
    code: str = Field(min_length=2, max_length=32)
    name: str = Field(min_length=1, max_length=200)
    country: str = Field(min_length=2, max_length=2)
    type: str | None = None
    default_tlp: str = "amber"
    default_group: str | None = None
    hint_amber: str = "none"
    is_peer: bool = False


@router.get("/agencies")
def list_agencies(conn: ReadConn, _: AdminDep) -> list[dict[str, Any]]:
    return [a.as_dict() for a in ids.list_agencies(conn)]


@router.post("/agencies", status_code=201, responses=WRITE)
def add_agency(body: AgencyIn, request: Request, conn: WriteConn,
               admin: AdminDep) -> dict[str, Any]:
    row = ids.add_agency(conn, now=request_time(request), **body.model_dump())
    _audit(conn, request, admin, "agency.add", f"agency:{row.code}", detail=row.as_dict())
    return row.as_dict()


class GroupIn(StrictBody):
    name: str = Field(min_length=1, max_length=100)
    agencies: list[str] = Field(min_length=1)
    description: str = ""


class MembersIn(StrictBody):
    agencies: list[str] = Field(min_length=1)


@router.get("/groups")
def list_groups(conn: ReadConn, _: AdminDep) -> dict[str, list[str]]:
    return ids.list_groups(conn)


@router.post("/groups", status_code=201, responses=WRITE)
def add_group(body: GroupIn, request: Request, conn: WriteConn,
              admin: AdminDep) -> dict[str, Any]:
    members = ids.add_group(conn, name=body.name, agencies_=body.agencies,
                            now=request_time(request), description=body.description)
    _audit(conn, request, admin, "group.add", f"group:{body.name}", detail={"agencies": members})
    return {"name": body.name, "agencies": members}


@router.put("/groups/{name}", responses=WRITE)
def set_members(name: str, body: MembersIn, request: Request, conn: WriteConn,
                admin: AdminDep) -> dict[str, Any]:
    members = ids.set_group_members(conn, name=name, agencies_=body.agencies)
    _audit(conn, request, admin, "group.members", f"group:{name}", detail={"agencies": members})
    return {"name": name, "agencies": members}


class UserIn(StrictBody):
    email: str = Field(min_length=3, max_length=254)
    agency: str
    role: str


@router.get("/users")
def list_users(conn: ReadConn, _: AdminDep, agency: str | None = None) -> list[dict[str, Any]]:
    return [u.as_dict() for u in ids.list_users(conn, agency)]


@router.post("/users", status_code=201, responses=WRITE)
def add_user(body: UserIn, request: Request, conn: WriteConn,
             admin: AdminDep) -> dict[str, Any]:
    user = ids.add_user(conn, email=body.email, agency=body.agency, role=body.role,
                        now=request_time(request))
    _audit(conn, request, admin, "user.add", f"user:{user.email}",
           detail={"agency": user.agency, "role": user.role.value})
    return user.as_dict()


class DisableIn(StrictBody):
    disabled: bool


@router.put("/users/{email}/disabled", responses=WRITE)
def disable_user(email: str, body: DisableIn, request: Request, conn: WriteConn,
                 admin: AdminDep) -> dict[str, Any]:
    user = ids.set_user_disabled(conn, email, body.disabled)
    _audit(conn, request, admin, "user.disable" if body.disabled else "user.enable",
           f"user:{user.email}")
    return user.as_dict()


class TokenIn(StrictBody):
    user: str | None = None
    peer_agency: str | None = None
    expires: str | None = Field(default="30d", description="30d, 12h, 45m, 2w or never")
    note: str = Field(default="", max_length=200)


@router.get("/tokens")
def list_tokens(request: Request, conn: ReadConn, _: AdminDep) -> list[dict[str, Any]]:
    now = request_time(request)
    return [t.as_dict(now) for t in apitokens.list_tokens(conn)]


@router.post("/tokens", status_code=201, responses=WRITE)
def create_token(body: TokenIn, request: Request, conn: WriteConn,
                 admin: AdminDep) -> dict[str, Any]:
    now = request_time(request)
    info, token = apitokens.create_token(
        conn, now=now, user=body.user, peer_agency=body.peer_agency,
        expires=apitokens.parse_expiry(body.expires), note=body.note)
    _audit(conn, request, admin, "token.create", f"token:{info.id}",
           detail={"user": info.user, "peer_agency": info.peer_agency})
    return {**info.as_dict(now), "token": token}


@router.delete("/tokens/{token_id}", responses=problems(404, 409))
def revoke_token(token_id: str, request: Request, conn: WriteConn,
                 admin: AdminDep) -> dict[str, Any]:
    now = request_time(request)
    info = apitokens.revoke_token(conn, token_id, now)
    _audit(conn, request, admin, "token.revoke", f"token:{info.id}")
    return info.as_dict(now)


@router.get("/audit/verify")
def verify_audit(conn: ReadConn, _: AdminDep) -> dict[str, Any]:
    return audit.verify(conn).as_dict()
