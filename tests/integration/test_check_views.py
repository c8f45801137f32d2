"""Cluster views derived from the process-wide snapshot cache (`store/clusterviews.py`).

The cache holds node-wide clusters for every reader; these tests pin down that a
view computed for one reader is never served to a reader with other rights, that
a hidden report never bridges two visible ones, and that a changed cluster is
fetched again (its stamp changed).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine
from tests.integration.reports import add_report

from bersama.config import Settings
from bersama.markings import TLP, Reader, Role
from bersama.observables import Observable, phone
from bersama.store.identities import add_agency
from bersama.store.queries import Reads

NOW = datetime(2026, 11, 1, tzinfo=UTC)
P1, P2, P3 = (phone(n, "MY") for n in ("0123000001", "0123000002", "0123000003"))


def _size(engine: Engine, settings: Settings, reader: Reader, obs: Observable) -> int | None:
    with engine.connect() as c:
        cluster = Reads(c, reader, settings).check(obs)["cluster"]
    return None if cluster is None else int(cluster["size"])


def test_views_follow_each_readers_rights_and_cluster_changes(
    engine: Engine, settings: Settings
) -> None:
    with engine.begin() as c:
        for code, cc in (("MY-PDRM", "MY"), ("TH-TCSD", "TH"), ("JP-NPA", "JP")):
            add_agency(c, code=code, name=code, country=cc, type="police", now=NOW)
    # A (GREEN) -P1- B (RED, TH) -P2- C (GREEN): B is the only bridge.
    add_report(engine, settings, "MY-PDRM", [P1], TLP.GREEN)
    add_report(engine, settings, "TH-TCSD", [P1, P2], TLP.RED)
    add_report(engine, settings, "JP-NPA", [P2], TLP.GREEN)
    system = Reader.system()
    creator = Reader(agency="TH-TCSD", user="u@TH-TCSD", role=Role.ANALYST)
    outsider = Reader(agency="JP-NPA", user="u@JP-NPA", role=Role.ANALYST)
    peer = Reader(agency="TH-TCSD", role=Role.READER, is_peer=True)
    # the widest reader first, so every later view could only leak from the cache
    assert _size(engine, settings, system, P1) == 3
    assert _size(engine, settings, creator, P1) == 3
    assert _size(engine, settings, outsider, P1) == 1
    assert _size(engine, settings, outsider, P2) == 1
    assert _size(engine, settings, peer, P2) == 1  # peers never hold user tokens
    assert _size(engine, settings, Reader.public(), P1) is None  # GREEN is not public
    # C gains a second report through P3: the cluster's stamp changes, views follow
    add_report(engine, settings, "JP-NPA", [P2, P3], TLP.GREEN)
    assert _size(engine, settings, outsider, P2) == 2
    assert _size(engine, settings, system, P1) == 4
    assert _size(engine, settings, outsider, P1) == 1


def test_a_report_joining_while_a_snapshot_is_read_is_left_to_the_next_stamp(
    engine: Engine, settings: Settings
) -> None:
    """A snapshot is read in three statements (members, audiences, identifiers); on
    PostgreSQL each sees what was committed before it, so a report that joins the cluster
    in between must not break the read (it was a KeyError: HTTP 500 on GET /clusters)."""
    from sqlalchemy import event

    from bersama.store.clusterviews import SNAPSHOTS

    with engine.begin() as c:
        add_agency(c, code="MY-PDRM", name="MY-PDRM", country="MY", type="police", now=NOW)
    add_report(engine, settings, "MY-PDRM", [P1], TLP.GREEN)
    add_report(engine, settings, "MY-PDRM", [P1, P2], TLP.GREEN)
    SNAPSHOTS.clear()
    after_members: list[bool] = []

    def join_after_members(conn: object, cursor: object, statement: str, *args: object) -> None:
        if after_members == [True]:
            after_members.append(True)
            add_report(engine, settings, "MY-PDRM", [P2], TLP.GREEN)
        elif not after_members and " AS seen" in statement:  # clusterviews._MEMBERS
            after_members.append(True)

    with engine.connect() as c:
        event.listen(c, "before_cursor_execute", join_after_members)
        listed = Reads(c, Reader.system(), settings).clusters(limit=10)["clusters"]
        event.remove(c, "before_cursor_execute", join_after_members)
    assert after_members == [True, True]
    assert [cl["size"] for cl in listed] == [2]  # the members read first
    assert _size(engine, settings, Reader.system(), P1) == 3  # the new stamp: read again
