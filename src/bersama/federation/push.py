"""Push: send a peer, to its writable collection, what its agency may read here.

Why push reuses the serving query instead of its own selection: sovereignty
must not depend on the direction of transfer.  A pushed page is exactly the
page the peer would get by pulling our `shared` collection with its own token
(`bersama.store.taxii.page` for a peer `Reader` of the peer's agency and
groups): only what the markings let that agency read, never AMBER+STRICT or
RED received from elsewhere, AMBER only inside its group, never the peer's own
reports echoed back.  Pages are signed like served pages (`outbound`).

Progress is a push cursor per (peer, push collection), a `peer_cursors` row
whose collection id is ``push:<collection>`` — the local `date_added` up to
which everything was accepted by the peer.  It moves after the peer's status
resource says `complete` (polled while `pending`, a bounded number of times),
so a push interrupted at any point re-sends at most one page, and the peer's
idempotent receipt makes the re-send harmless.  A status that stays pending only
because the peer holds objects for reassembly (`federation.status.held_by_peer`)
counts as accepted at once: the peer has them, waiting would not settle them and
re-sending would change nothing.  Objects the peer refuses in a complete status
are counted (`sync_failures`, kind ``push``) and not re-sent.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from bersama.config import Settings
from bersama.errors import BersamaError, PeerError
from bersama.federation.client import TaxiiClient
from bersama.federation.collections import SHARED
from bersama.federation.outbound import signed_envelope
from bersama.federation.protocol import Filters
from bersama.federation.receive import count_failure
from bersama.federation.signing import NodeKey
from bersama.federation.status import held_by_peer
from bersama.store import audit
from bersama.store import taxii as q
from bersama.store.identities import peer_reader
from bersama.store.tables.federation import peer_cursors
from bersama.store.values import aware

log = logging.getLogger("bersama.federation")
PUSH_PREFIX = "push:"
POLL_ATTEMPTS = 10
POLL_INTERVAL_SECONDS = 0.5


def push_key(collection: str) -> str:
    return PUSH_PREFIX + collection


@dataclass
class PushResult:
    peer: str
    pages: int = 0
    sent: int = 0
    succeeded: int = 0
    failed: int = 0
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _cursor(conn: Connection, peer: str, collection: str) -> datetime | None:
    row = conn.execute(select(peer_cursors.c.added_after).where(
        peer_cursors.c.peer == peer, peer_cursors.c.collection_id == push_key(collection),
    )).first()
    if row is None or row.added_after is None:
        return None
    return aware(row.added_after)


def _save(conn: Connection, peer: str, collection: str, *, cursor: datetime | None,
          now: datetime, sent: int, error: str | None) -> None:
    key = (peer_cursors.c.peer == peer) & (peer_cursors.c.collection_id == push_key(collection))
    values: dict[str, Any] = {"updated_at": now, "last_error": error}
    if cursor is not None:
        values["added_after"] = cursor
    if error is None:
        values["last_success_at"] = now
    if conn.execute(select(peer_cursors.c.peer).where(key)).first() is None:
        conn.execute(insert(peer_cursors).values(
            peer=peer, collection_id=push_key(collection), objects_received=sent, **values))
    else:
        conn.execute(update(peer_cursors).where(key).values(
            objects_received=peer_cursors.c.objects_received + sent, **values))


def _await_complete(client: TaxiiClient, api_root: str, status: dict[str, Any], *,
                    sleep: Callable[[float], None]) -> dict[str, Any]:
    for _ in range(POLL_ATTEMPTS):
        if status.get("status") == "complete" or held_by_peer(status):
            return status
        sleep(POLL_INTERVAL_SECONDS)
        status = client.status(api_root, str(status["id"]))
    if status.get("status") == "complete" or held_by_peer(status):
        return status  # (held for reassembly: durably accepted, settled by the peer later)
    raise PeerError(f"peer status {status.get('id')} still pending after {POLL_ATTEMPTS} polls; "
                    "the page will be pushed again next time", value=str(status.get("id")))


def push_peer(
    engine: Engine, settings: Settings, *, name: str, agency: str, api_root: str,
    collection: str, client: TaxiiClient, key: NodeKey, clock: Callable[[], datetime],
    sleep: Callable[[float], None] = time.sleep,
) -> PushResult:
    """Push every object added since the push cursor, a signed page per POST."""
    result = PushResult(name)
    with engine.connect() as conn:
        reader = peer_reader(conn, agency)
        cursor = _cursor(conn, name, collection)
    next_token: str | None = None
    try:
        while True:
            filters = Filters(added_after=cursor, limit=settings.peer_page_size, next=next_token)
            with engine.connect() as conn:
                rows = q.page(conn, reader, SHARED, filters)
                sensitive = q.sensitive_reports(conn, rows.rows)
            if not rows.rows:
                break
            body = signed_envelope(key, rows.rows, more=False, next_token=None)
            status = _await_complete(client, api_root,
                                     client.add_objects(api_root, collection, body), sleep=sleep)
            failed = int(status.get("failure_count") or 0)
            last = rows.rows[-1].date_added
            new_cursor = aware(last) - timedelta(microseconds=1) if rows.more else aware(last)
            now = clock()
            with engine.begin() as conn:
                if failed:
                    first = (status.get("failures") or [{}])[0]
                    count_failure(conn, name, "push", n=failed, now=now,
                                  detail=f"{first.get('id')}: {first.get('message')}")
                if sensitive:
                    audit.record(conn, reader=reader, action="taxii.push",
                                 target=f"peer:{name}", address=None,
                                 detail={"reports": sensitive[:1000], "count": len(sensitive)})
                _save(conn, name, collection, cursor=new_cursor, now=now,
                      sent=len(rows.rows), error=None)
            result.pages += 1
            result.sent += len(rows.rows)
            result.succeeded += int(status.get("success_count") or 0)
            result.failed += failed
            if not rows.more or rows.next is None:
                break
            next_token = rows.next.encode()
    except BersamaError as exc:
        result.error = f"{exc.title}: {exc.detail}"
        log.warning("push to peer %s failed: %s", name, result.error)
        with engine.begin() as conn:
            now = clock()
            count_failure(conn, name, "push", detail=exc.detail, now=now)
            _save(conn, name, collection, cursor=None, now=now, sent=0, error=result.error)
    return result
