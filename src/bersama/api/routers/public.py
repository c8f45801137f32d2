"""The unauthenticated public check, in the spirit of Malaysia's Semak Mule.

Off unless `Settings.public_check_enabled`.  It reads as `Reader.public()`,
whose only audience token is `public`, so it answers from TLP:CLEAR reports
only, through the same read layer and policy as every other endpoint.  What it
returns is coarser still: reported or not, and a count band, with no agency,
country, loss or cluster, so a member of the public learns "be careful" and
nothing an investigation could be hurt by.  Rate-limited per client address.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from bersama.api.deps import ReadConn, SettingsDep
from bersama.api.problems import problems
from bersama.api.security import client_address, limiter_of
from bersama.errors import NotFound
from bersama.markings import Reader
from bersama.observables import guess
from bersama.store.queries import Reads

router = APIRouter(prefix="/api/v1/public", tags=["public"])

BANDS: tuple[tuple[int, str], ...] = ((1, "1"), (5, "2-5"), (20, "6-20"))


def band(count: int) -> str:
    """A count as a coarse band: 0, 1, 2-5, 6-20 or more than 20."""
    if count <= 0:
        return "0"
    for top, label in BANDS:
        if count <= top:
            return label
    return "more than 20"


@router.get("/check", summary="Public check of one identifier (TLP:CLEAR information only)",
            responses=problems(404, 429))
def public_check(
    request: Request, conn: ReadConn, settings: SettingsDep,
    value: Annotated[str, Query(min_length=1, max_length=512)],
    country: Annotated[str | None, Query(min_length=2, max_length=2)] = None,
) -> dict[str, Any]:
    if not settings.public_check_enabled:
        raise NotFound("the public check is not enabled on this node")
    address = client_address(request) or "unknown"
    limiter_of(request).hit(f"public:{address}", settings.public_check_rate_per_minute)
    obs = guess(value, country=country.upper() if country else None)
    result = Reads(conn, Reader.public(), settings).check(obs)
    count = int(result.get("reports", 0))
    return {
        "value": value,
        "kind": obs.kind.value,
        "verdict": "reported" if count else "not-reported",
        "reports": band(count),
        "note": "Answers come only from information agencies have marked TLP:CLEAR; "
                "'not-reported' does not mean safe.",
    }
