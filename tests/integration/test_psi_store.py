"""The answer set respects markings, and the cached encoding is rebuilt only as needed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine, insert, select, update

from bersama.errors import Unauthenticated
from bersama.markings.model import TLP, Marking, Reader, audience
from bersama.psi import protocol
from bersama.store import psi as store_psi
from bersama.store.tables.core import (
    agencies,
    observables,
    report_audience,
    report_observables,
    reports,
)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
PEER = Reader(agency="TH-CCIB", is_peer=True)


@pytest.fixture(autouse=True)
def _agencies(engine: Engine) -> None:
    """The owners and the asking agency, on each store (the `engine` fixture)."""
    add_agencies(engine, [("MY-PDRM", "MY", "none"), ("MY-NSRC", "MY", "count"),
                          ("TH-CCIB", "TH", "none")])


def add_agencies(engine: Engine, rows: list[tuple[str, str, str]]) -> None:
    with engine.begin() as conn:
        for code, country, hint in rows:
            conn.execute(insert(agencies).values(code=code, name=code, country=country,
                                                 hint_amber=hint, created_at=NOW))


_n = 0


def add_report(engine: Engine, owner: str, marking: Marking, refs: list[str]) -> int:
    global _n  # noqa: PLW0603 - a counter for unique test ids
    _n += 1
    with engine.begin() as conn:
        rid = conn.execute(insert(reports).values(
            stix_id=f"report--{_n:08d}", agency=owner, country="MY", title="t",
            crime_type="scam", modified=NOW, ingested_at=NOW, tlp=marking.tlp.value,
            sharing_group=marking.group, recipient_agencies=sorted(marking.recipient_agencies),
            recipient_users=[], labels=[], source_format="csv", content_hash="x",
        )).inserted_primary_key[0]
        for tok in audience(marking, owner, "analyst@my"):
            conn.execute(insert(report_audience).values(report_id=rid, token=tok))
        for ref in refs:
            oid = conn.execute(select(observables.c.id).where(observables.c.ref == ref)
                               ).scalar() or conn.execute(insert(observables).values(
                ref=ref, kind=ref.split(":")[0], attrs={})).inserted_primary_key[0]
            conn.execute(insert(report_observables).values(report_id=rid, observable_id=oid))
    return int(rid)


def test_answer_set_follows_markings(engine: Engine) -> None:
    add_report(engine, "MY-PDRM", Marking(TLP.GREEN), ["phone:+60111111111"])
    add_report(engine, "MY-PDRM", Marking(TLP.AMBER_STRICT), ["phone:+60122222222"])
    add_report(engine, "MY-PDRM", Marking(TLP.AMBER_STRICT, recipient_agencies=frozenset(
        {"TH-CCIB"})), ["phone:+60133333333"])
    add_report(engine, "MY-PDRM", Marking(TLP.RED), ["phone:+60144444444"])
    add_report(engine, "MY-PDRM", Marking(TLP.AMBER, group="asean-fin"), ["email:a@x.test"])
    add_report(engine, "MY-NSRC", Marking(TLP.AMBER, group="asean-fin"), ["email:b@x.test"])
    revoked = add_report(engine, "MY-PDRM", Marking(TLP.GREEN), ["email:gone@x.test"])
    with engine.begin() as conn:
        conn.execute(update(reports).where(reports.c.id == revoked).values(revoked=True))
        refs = set(store_psi.answer_refs(conn, PEER, after=0, upto=10**9))
        in_group = set(store_psi.answer_refs(
            conn, Reader(agency="TH-CCIB", is_peer=True, groups=frozenset({"asean-fin"})),
            after=0, upto=10**9))
    # GREEN, AMBER+STRICT naming TH-CCIB, and AMBER of an owner that allows hints
    assert refs == {"phone:+60111111111", "phone:+60133333333", "email:b@x.test"}
    assert in_group == refs | {"email:a@x.test"}


def _ask(gen: store_psi.Generation, values: list[str]) -> set[str]:
    batch = protocol.client_batch(values)
    found = batch.intersect(gen.segments, gen.server().process(batch.request))
    return {values[i] for i in found}


def test_generation_is_cached_extended_and_rebuilt(engine: Engine) -> None:
    withdrawn = add_report(engine, "MY-PDRM", Marking(TLP.GREEN), ["phone:+60111111111"])
    first = store_psi.current_generation(engine, PEER, lambda: NOW)
    assert first.items == 1
    assert store_psi.current_generation(engine, PEER, lambda: NOW) == first  # cached

    add_report(engine, "MY-PDRM", Marking(TLP.GREEN), ["phone:+60122222222"])
    second = store_psi.current_generation(engine, PEER, lambda: NOW)
    assert second.id == first.id
    assert len(second.segments) == 2
    assert _ask(second, ["phone:+60122222222", "phone:+60111111111", "phone:+609"]) == {
        "phone:+60122222222", "phone:+60111111111"}

    with engine.begin() as conn:  # a withdrawal is never additive: new key, one segment
        conn.execute(update(reports).where(reports.c.id == withdrawn).values(revoked=True))
    third = store_psi.current_generation(engine, PEER, lambda: NOW)
    assert third.id != first.id
    assert third.key != first.key
    assert len(third.segments) == 1
    assert _ask(third, ["phone:+60111111111", "phone:+60122222222"]) == {"phone:+60122222222"}

    with engine.begin() as conn:
        store_psi.bump_policy_version(conn)
    assert store_psi.current_generation(engine, PEER, lambda: NOW).id != third.id


def test_nonce_replay_is_refused(engine: Engine) -> None:
    window = timedelta(minutes=5)
    with engine.begin() as conn:
        store_psi.check_nonce(conn, peer="th", nonce="n1", now=NOW, window=window)
        with pytest.raises(Unauthenticated, match="replayed"):
            store_psi.check_nonce(conn, peer="th", nonce="n1", now=NOW, window=window)
        # long-expired nonces are purged (their timestamps are refused anyway)
        store_psi.check_nonce(conn, peer="th", nonce="n2", now=NOW + 3 * window, window=window)
        store_psi.check_nonce(conn, peer="th", nonce="n1", now=NOW + 3 * window, window=window)


def test_usage_counts_by_day_side_peer_agency(engine: Engine) -> None:
    day = date(2026, 11, 23)
    with engine.begin() as conn:
        store_psi.add_usage(conn, day=day, side="in", peer="th", agency="TH-CCIB", items=10)
        store_psi.add_usage(conn, day=day, side="in", peer="th", agency="TH-CCIB", items=5)
        store_psi.add_usage(conn, day=day, side="in", peer="sg", agency="SG-SPF", items=7)
        assert store_psi.used_today(conn, day=day, side="in", peer="th") == 15
        assert store_psi.used_today(conn, day=day, side="in") == 22
        assert store_psi.used_today(conn, day=day, side="out") == 0
