"""One contract suite over every store: SQLite and PostgreSQL.

Ingest idempotence and versions, withdrawal, hubs and warninglists, the read
policy in checks and statistics, and incremental correlation and holdings
counters agreeing exactly with a rebuild.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine, select
from tests.contract.holdings import holdings_snapshot

from bersama.config import Settings
from bersama.errors import InvalidInput, NotFound
from bersama.ingest import pipeline, storable
from bersama.ingest.model import Rejection, ReportDraft
from bersama.ingest.pipeline import ingest
from bersama.markings import TLP, Marking, Reader, Role
from bersama.observables import Observable, bank_account, domain, phone, url
from bersama.store import correlate, holdings
from bersama.store.identities import add_agency, add_group
from bersama.store.queries import Reads
from bersama.store.tables.core import (
    clusters,
    ingest_batches,
    ingest_rejections,
    observables,
    reports,
)

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def _setup(engine: Engine) -> None:
    with engine.begin() as c:
        for code, cc in (("MY-PDRM", "MY"), ("TH-TCSD", "TH"), ("JP-NPA", "JP")):
            add_agency(c, code=code, name=code, country=cc, type="police", now=NOW)
        add_group(c, name="MY-TH", agencies_=["MY-PDRM", "TH-TCSD"], now=NOW)


def _draft(obs: list[Observable], **kw: object) -> ReportDraft:
    base = ReportDraft(
        source_id=f"report--{uuid.uuid4()}",
        modified=NOW,
        observables=tuple(obs),
        marking=Marking(TLP.GREEN),
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def _ingest(engine: Engine, settings: Settings, agency: str, drafts: list[ReportDraft]) -> object:
    with engine.begin() as c:
        return ingest(
            c,
            settings,
            agency=agency,
            items=drafts,
            source_format="test",
            source="test",
            actor=Reader(agency=agency, user="a@x", role=Role.ANALYST),
        )


Snapshot = tuple[list[tuple[object, ...]], list[tuple[object, ...]], list[tuple[object, ...]]]


def _snapshot(engine: Engine) -> Snapshot:
    with engine.connect() as c:
        reps = [
            tuple(r)
            for r in c.execute(select(reports.c.id, reports.c.cluster_id).order_by(reports.c.id))
        ]
        cls = [
            tuple(r)
            for r in c.execute(
                select(
                    clusters.c.id, clusters.c.size, clusters.c.countries, clusters.c.cross_border
                ).order_by(clusters.c.id)
            )
        ]
        obs = [
            tuple(r)
            for r in c.execute(
                select(observables.c.id, observables.c.report_count, observables.c.is_hub).order_by(
                    observables.c.id
                )
            )
        ]
    return reps, cls, obs


def _reader(agency: str, groups: frozenset[str] = frozenset()) -> Reader:
    return Reader(agency=agency, user=f"x@{agency}", role=Role.ANALYST, groups=groups)


def test_spellings_meet_and_cross_border_cluster(engine: Engine, settings: Settings) -> None:
    _setup(engine)
    _ingest(
        engine,
        settings,
        "MY-PDRM",
        [
            _draft(
                [phone("012-345 6789", "MY"), bank_account("MY", "Maybank", "5123 4567 8901")],
                loss_amount=Decimal("5000"),
                loss_currency="MYR",
            ),
        ],
    )
    _ingest(
        engine,
        settings,
        "TH-TCSD",
        [
            _draft([phone("+60 12-345 6789", "TH"), url("hxxps://scam[.]example[.]com/a")]),
        ],
    )
    with engine.connect() as c:
        res = Reads(c, _reader("JP-NPA"), settings).check(phone("+60123456789", None))
    assert res["reports"] == 2
    assert res["countries"] == ["MY", "TH"]
    assert res["corroboration"] == 2
    assert res["cluster"]["cross_border"] is True
    assert res["cluster"]["size"] == 2
    refs = {o["ref"] for o in res["cluster"]["observables"]}
    assert "bank-account:MY:MBB:512345678901" in refs


def test_ingest_is_idempotent_and_versions_supersede(engine: Engine, settings: Settings) -> None:
    _setup(engine)
    d = _draft([phone("0123456789", "MY")])
    _ingest(engine, settings, "MY-PDRM", [d])
    before = _snapshot(engine)
    again = _ingest(engine, settings, "MY-PDRM", [d])
    assert again.unchanged == 1  # type: ignore[attr-defined]
    assert _snapshot(engine) == before
    newer = replace(d, modified=NOW + timedelta(hours=1), observables=(phone("0198765432", "MY"),))
    assert _ingest(engine, settings, "MY-PDRM", [newer]).updated == 1  # type: ignore[attr-defined]
    older = replace(d, modified=NOW - timedelta(hours=1), observables=(phone("0171111111", "MY"),))
    assert _ingest(engine, settings, "MY-PDRM", [older]).unchanged == 1  # type: ignore[attr-defined]
    with engine.connect() as c:
        reads = Reads(c, Reader.system(), settings)
        assert reads.check(phone("0123456789", "MY"))["reports"] == 0
        assert reads.check(phone("0198765432", "MY"))["reports"] == 1


def test_other_agency_cannot_overwrite(engine: Engine, settings: Settings) -> None:
    _setup(engine)
    d = _draft([phone("0123456789", "MY")])
    _ingest(engine, settings, "MY-PDRM", [d])
    res = _ingest(engine, settings, "TH-TCSD", [replace(d, modified=NOW + timedelta(days=1))])
    assert res.rejected == 1  # type: ignore[attr-defined]


def test_withdrawal_splits_cluster(engine: Engine, settings: Settings) -> None:
    _setup(engine)
    a, b = phone("0123456789", "MY"), phone("0198765432", "MY")
    bridge = _draft([a, b])
    _ingest(engine, settings, "MY-PDRM", [_draft([a]), _draft([b]), bridge])
    with engine.connect() as c:
        assert Reads(c, Reader.system(), settings).check(a)["cluster"]["size"] == 3
    _ingest(
        engine,
        settings,
        "MY-PDRM",
        [replace(bridge, modified=NOW + timedelta(hours=1), revoked=True)],
    )
    with engine.connect() as c:
        res = Reads(c, Reader.system(), settings).check(a)
    assert res["reports"] == 1
    assert res["cluster"]["size"] == 1
    _assert_rebuild_agrees(engine, settings)


def test_hub_and_warninglist_do_not_link(engine: Engine, settings: Settings) -> None:
    _setup(engine)
    s = settings.model_copy(update={"hub_threshold": 3})
    hub = phone("0321234567", "MY")
    drafts = [_draft([hub, phone(f"01234567{i:02d}", "MY")]) for i in range(5)]
    _ingest(engine, s, "MY-PDRM", drafts[:3])
    with engine.connect() as c:
        assert Reads(c, Reader.system(), s).check(hub)["cluster"]["size"] == 3
    _ingest(engine, s, "MY-PDRM", drafts[3:])
    with engine.connect() as c:
        res = Reads(c, Reader.system(), s).check(hub)
    assert res["hub"] is True
    assert res["cluster"] is None
    assert res["reports"] == 5
    _ingest(
        engine,
        s,
        "MY-PDRM",
        [
            _draft([domain("google.com"), phone("0129999999", "MY")]),
            _draft([domain("google.com"), phone("0128888888", "MY")]),
        ],
    )
    with engine.connect() as c:
        g = Reads(c, Reader.system(), s).check(domain("google.com"))
    assert g["warninglist"] is not None
    assert g["cluster"] is None
    _assert_rebuild_agrees(engine, s)


def test_markings_decide_what_a_check_reveals(engine: Engine, settings: Settings) -> None:
    _setup(engine)
    v = phone("0123456789", "MY")
    _ingest(
        engine,
        settings,
        "MY-PDRM",
        [
            _draft([v], marking=Marking(TLP.AMBER, group="MY-TH")),
            _draft(
                [v], marking=Marking(TLP.AMBER_STRICT, recipient_agencies=frozenset({"JP-NPA"}))
            ),
            _draft([v], marking=Marking(TLP.RED, recipient_users=frozenset({"x@th-tcsd"}))),
        ],
    )
    with engine.connect() as c:
        th = Reads(c, _reader("TH-TCSD", frozenset({"MY-TH"})), settings).check(v)
        jp = Reads(c, _reader("JP-NPA"), settings).check(v)
        th_user = Reads(
            c, Reader(agency="TH-TCSD", user="x@th-tcsd", role=Role.ANALYST), settings
        ).check(v)
        public = Reads(c, Reader.public(), settings).check(v)
    assert th["reports"] == 1  # AMBER via the group
    assert "hidden" not in th  # hint setting defaults to none
    assert jp["reports"] == 1  # AMBER+STRICT recipient
    assert th_user["reports"] == 1  # RED recipient user (not in the group)
    assert public["reports"] == 0


def test_amber_hint_setting(engine: Engine, settings: Settings) -> None:
    _setup(engine)
    from sqlalchemy import update

    from bersama.store.tables.core import agencies

    with engine.begin() as c:
        c.execute(update(agencies).where(agencies.c.code == "MY-PDRM").values(hint_amber="agency"))
    v = phone("0123456789", "MY")
    _ingest(
        engine,
        settings,
        "MY-PDRM",
        [
            _draft([v], marking=Marking(TLP.AMBER, group="MY-TH")),
            _draft(
                [v], marking=Marking(TLP.AMBER_STRICT, recipient_agencies=frozenset({"TH-TCSD"}))
            ),
        ],
    )
    with engine.connect() as c:
        jp = Reads(c, _reader("JP-NPA"), settings).check(v)
    assert jp["reports"] == 0
    assert jp["hidden"] == {"reports": 1, "agencies": ["MY-PDRM"]}


def test_visible_cluster_never_bridged_by_hidden_report(engine: Engine, settings: Settings) -> None:
    _setup(engine)
    a, b = phone("0123456789", "MY"), phone("0198765432", "MY")
    _ingest(
        engine,
        settings,
        "MY-PDRM",
        [
            _draft([a]),
            _draft([b]),
            _draft([a, b], marking=Marking(TLP.RED, recipient_users=frozenset())),
        ],
    )
    with engine.connect() as c:
        res = Reads(c, _reader("JP-NPA"), settings).check(a)
    assert res["cluster"]["size"] == 1


def test_cluster_pages_hold_at_most_limit_and_keep_a_clusters_parts_together(
        engine: Engine, settings: Settings) -> None:
    _setup(engine)
    a, b, x, y, c, d, e = (phone(f"0123{i}56789", "MY") for i in range(7))
    red = Marking(TLP.RED, recipient_users=frozenset())
    _ingest(engine, settings, "MY-PDRM", [
        *(_draft([e]) for _ in range(6)),  # 6 reports, one part for anyone
        _draft([a, x]), _draft([x]), _draft([b, y]), _draft([y]),
        _draft([a, b], marking=red),  # 5 reports; two parts of 2 for other agencies
        _draft([c]), _draft([c]), _draft([d]), _draft([d]),
    ])
    with engine.connect() as conn:
        reads = Reads(conn, _reader("JP-NPA"), settings)
        whole = reads.clusters(limit=500)
        assert [v["size"] for v in whole["clusters"]] == [6, 2, 2, 2, 2]
        assert whole["next_offset"] is None
        pages, offset, seen = [], 0, []
        while offset is not None:
            page = reads.clusters(limit=2, offset=offset)
            pages.append(len(page["clusters"]))
            seen.extend(v["id"] for v in page["clusters"])
            offset = page["next_offset"]
    assert pages == [1, 2, 2]  # the split cluster's two parts did not fit beside the first
    assert sorted(seen) == sorted(v["id"] for v in whole["clusters"])
    with engine.connect() as conn:
        last = Reads(conn, _reader("JP-NPA"), settings).clusters(limit=2, offset=2)
    assert len(last["clusters"]) == 2
    assert last["next_offset"] is None  # a full last page says it is the last


def _assert_rebuild_agrees(engine: Engine, settings: Settings) -> None:
    incremental = _snapshot(engine), holdings_snapshot(engine)
    with engine.begin() as c:
        correlate.rebuild(c, settings.hub_threshold, settings.list_threshold)
    assert (_snapshot(engine), holdings_snapshot(engine)) == incremental


def _statuses(engine: Engine, settings: Settings, readers: dict[str, Reader]) -> dict[str, object]:
    with engine.connect() as c:
        return {name: Reads(c, r, settings).status() for name, r in readers.items()}


def _held(reports_by_country: dict[str, int], n_obs: int) -> dict[str, object]:
    return {
        "reports": sum(reports_by_country.values()),
        "observables": n_obs,
        "reports_by_country": reports_by_country,
    }


def test_status_counts_what_each_reader_may_read(engine: Engine, settings: Settings) -> None:
    _setup(engine)
    a, b, c, d, e = (phone(f"01234567{i}0", "MY") for i in range(5))
    r6 = _draft([c])
    r2 = _draft([a, b])
    _ingest(
        engine,
        settings,
        "MY-PDRM",
        [
            _draft([a], marking=Marking(TLP.CLEAR)),
            r2,
            _draft([c], marking=Marking(TLP.AMBER, group="MY-TH")),
            _draft(
                [d], marking=Marking(TLP.AMBER_STRICT, recipient_agencies=frozenset({"JP-NPA"}))
            ),
            _draft([b, d], marking=Marking(TLP.RED, recipient_users=frozenset({"x@th-tcsd"}))),
        ],
    )
    _ingest(engine, settings, "TH-TCSD", [r6])
    readers = {
        "public": Reader.public(),
        "agency analyst": _reader("JP-NPA"),  # AMBER+STRICT recipient
        "group member": Reader(
            agency="TH-TCSD", user="x@th-tcsd", role=Role.ANALYST, groups=frozenset({"MY-TH"})
        ),
        "outside the group": Reader(agency="TH-TCSD", user="y@th-tcsd", role=Role.ANALYST),
        "system": Reader.system(),
    }
    # one cluster joins the MY reports through a, b and d; c joins the group's report
    # and TH's: cross-border
    assert _statuses(engine, settings, readers) == {
        "public": _held({"MY": 1}, 1),
        "agency analyst": _held({"MY": 3, "TH": 1}, 4),
        "group member": _held({"MY": 4, "TH": 1}, 4),
        "outside the group": _held({"MY": 2, "TH": 1}, 3),
        "system": {**_held({"MY": 5, "TH": 1}, 4), "cross_border_clusters": 1},
    }
    # TH's new version names e instead of c: no longer cross-border
    _ingest(engine, settings, "TH-TCSD", [replace(r6, modified=NOW + timedelta(hours=1),
                                                  observables=(e,))])
    # MY withdraws the GREEN report: a stays public, b only the RED report's
    _ingest(engine, settings, "MY-PDRM", [replace(r2, modified=NOW + timedelta(hours=1),
                                                  revoked=True)])
    expected = {
        "public": _held({"MY": 1}, 1),
        "agency analyst": _held({"MY": 2, "TH": 1}, 3),  # a, d, e
        "group member": _held({"MY": 3, "TH": 1}, 5),
        "outside the group": _held({"MY": 1, "TH": 1}, 2),  # a, e
        "system": {**_held({"MY": 4, "TH": 1}, 5), "cross_border_clusters": 0},
    }
    assert _statuses(engine, settings, readers) == expected
    _assert_rebuild_agrees(engine, settings)
    assert _statuses(engine, settings, readers) == expected


@pytest.mark.parametrize(("seed", "chunk", "wide"), [
    (1, 1000, 500), (2, 1000, 500), (3, 1000, 500), (4, 2, 500), (5, 1000, 0), (6, 2, 0),
])
def test_incremental_equals_rebuild_on_random_history(
    engine: Engine, settings: Settings, seed: int, chunk: int, wide: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`chunk` 2: a batch is applied two reports at a time, so values stored by one chunk
    are linked again by the next (correlation's `fresh` values are per chunk).  `wide` 0:
    every value that loses a link takes the holdings' first-link shortcut."""
    monkeypatch.setattr(pipeline, "CHUNK", chunk)
    monkeypatch.setattr(holdings, "WIDE_LINKS", wide)
    _setup(engine)
    rng = random.Random(seed)  # noqa: S311 - a reproducible test history, not a secret
    s = settings.model_copy(update={"hub_threshold": 6})
    pool = [phone(f"012{n:07d}", "MY") for n in range(60)]
    markings = [
        Marking(TLP.CLEAR),
        Marking(TLP.GREEN),
        Marking(TLP.AMBER, group="MY-TH"),
        Marking(TLP.AMBER_STRICT, recipient_agencies=frozenset({"JP-NPA"})),
        Marking(TLP.RED),
    ]
    made: list[ReportDraft] = []
    for step in range(12):
        batch = []
        for _ in range(rng.randint(1, 8)):
            batch.append(
                _draft(
                    rng.sample(pool, rng.randint(1, 3)),
                    marking=rng.choice(markings),
                    country=rng.choice([None, "SG"]),
                )
            )
        if made and rng.random() < 0.5:
            old = rng.choice(made)
            batch.append(
                replace(
                    old,
                    modified=old.modified + timedelta(minutes=step + 1),
                    revoked=rng.random() < 0.5,
                    observables=tuple(rng.sample(pool, 2)),
                    marking=rng.choice(markings),
                )
            )
        made.extend(b for b in batch if not b.revoked)
        _ingest(
            engine,
            s,
            rng.choice(["MY-PDRM", "TH-TCSD"])
            if not any(b.source_id in {m.source_id for m in made[: -len(batch)]} for b in batch)
            else "MY-PDRM",
            batch,
        )
    _assert_rebuild_agrees(engine, s)


def test_every_rejection_is_stored_with_its_batch_for_its_agency(
    engine: Engine, settings: Settings
) -> None:
    """The answer lists the first 1,000 rejections; the store keeps every one, in order,
    for the batch's own agency only; a batch refused as a whole keeps none."""
    _setup(engine)
    items: list[ReportDraft | Rejection] = [_draft([phone("012-345 6789", "MY")])]
    items += [Rejection(f"bad {i}", line=i + 2, field="phone", value="x" * (i % 300),
                        record=f"line {i + 2}") for i in range(2499)]
    items.append(Rejection("why " * 2000, line=2501))
    result = _ingest(engine, settings, "MY-PDRM", items)
    assert result.rejected == 2500  # type: ignore[attr-defined]
    assert len(result.rejections) == pipeline.MAX_REJECTIONS_KEPT  # type: ignore[attr-defined]
    batch = result.batch_id  # type: ignore[attr-defined]
    got: list[dict[str, object]] = []
    with engine.connect() as c:
        reads = Reads(c, _reader("MY-PDRM"), settings)
        offset: int | None = 0
        while offset is not None:
            page = reads.rejections(batch, offset=offset, limit=900)
            assert page["rejected"] == 2500
            got += page["rejections"]
            offset = page["next_offset"]
        assert [r["line"] for r in got] == [i + 2 for i in range(2500)]
        assert got[:1000] == [
            r.as_dict() for r in result.rejections  # type: ignore[attr-defined]
        ]
        assert len(str(got[-1]["reason"])) == storable.REJECTION_TEXT_LIMIT
        assert Reads(c, Reader.system(), settings).rejections(batch, limit=1)["rejections"]
        for other in (_reader("TH-TCSD"), Reader(agency=None, user="x@y", role=Role.ANALYST)):
            with pytest.raises(NotFound):
                Reads(c, other, settings).rejections(batch)
        with pytest.raises(NotFound):
            reads.rejections(batch + 1000)

    def broken() -> object:
        yield Rejection("kept only if the batch is", line=1)
        raise InvalidInput("not a CSV", field="body")

    with pytest.raises(InvalidInput), engine.begin() as c:
        ingest(c, settings, agency="MY-PDRM", items=broken(),  # type: ignore[arg-type]
               source_format="test", source="test",
               actor=Reader(agency="MY-PDRM", user="a@x", role=Role.ANALYST))
    with engine.connect() as c:
        assert c.execute(select(ingest_batches.c.id)).scalars().all() == [batch]
        assert len(c.execute(select(ingest_rejections.c.seq)).all()) == 2500


def test_private_check_answer_set_builds_and_follows_withdrawals(
    engine: Engine, settings: Settings
) -> None:
    """The PSI answer set (store/psi.py) is built on every store: its snapshot counts
    withdrawn reports, which PostgreSQL refused to sum as a boolean cast to BIGINT."""
    from bersama.store import psi as store_psi

    _setup(engine)
    kept, gone = phone("0123456789", "MY"), phone("0198765432", "MY")
    withdrawn = _draft([gone])
    _ingest(engine, settings, "MY-PDRM", [_draft([kept]), withdrawn])
    peer = Reader(agency="TH-TCSD", is_peer=True)
    first = store_psi.current_generation(engine, peer, lambda: NOW)
    assert first.items == 2
    _ingest(engine, settings, "MY-PDRM",
            [replace(withdrawn, modified=NOW + timedelta(hours=1), revoked=True)])
    second = store_psi.current_generation(engine, peer, lambda: NOW)
    assert second.id != first.id  # a withdrawal rebuilds the set
    assert second.items == 1


def test_a_list_report_links_no_campaigns_and_every_figure_counts_it(
    engine: Engine, settings: Settings
) -> None:
    """A report naming more identifiers than the list threshold (a partner's feed of a
    month's scam numbers) merged every campaign it named into one cross-border cluster.
    It is now a cluster of its own: its identifiers are counted and checked, the campaigns
    stay apart, stored value summaries are not served stale, and a rebuild agrees."""
    from bersama.store.queries import summarise_observables

    s = settings.model_copy(update={"list_threshold": 3})
    _setup(engine)
    a, b, c, d, x = (phone(f"01234567{i}1", "MY") for i in range(5))
    _ingest(engine, s, "MY-PDRM", [_draft([a, b]), _draft([a])])
    _ingest(engine, s, "TH-TCSD", [_draft([c, d]), _draft([c])])
    assert sum(summarise_observables(engine, s)) > 0  # a's figures stored before the list
    feed = _draft([a, c, d, x])
    _ingest(engine, s, "JP-NPA", [feed])
    with engine.connect() as conn:
        reads = Reads(conn, Reader.system(), s)
        got_a, got_x = reads.check(a), reads.check(x)
        listed = reads.clusters(limit=10)["clusters"]
        feed_id = conn.execute(select(reports.c.id).where(reports.c.stix_id == feed.source_id))
        feed_cluster = feed_id.scalar_one()
    assert sorted(cl["size"] for cl in listed) == [2, 2]  # one-report clusters are not listed
    assert not any(cl["cross_border"] for cl in listed)
    assert (got_a["reports"], got_a["countries"]) == (3, ["JP", "MY"])
    assert got_a["cluster"]["size"] == 2
    assert got_a["cluster"]["id"] != feed_cluster
    assert (got_x["reports"], got_x["cluster"]["id"]) == (1, feed_cluster)
    _assert_rebuild_agrees(engine, s)
    with engine.begin() as conn:  # a higher threshold, applied by a rebuild, links the list
        correlate.rebuild(conn, settings.hub_threshold, 4)
    with engine.connect() as conn:
        merged = Reads(conn, Reader.system(), s).clusters(limit=10)["clusters"]
    assert [cl["size"] for cl in merged] == [5]


def test_a_report_about_one_campaign_links_whatever_its_size(
    engine: Engine, settings: Settings
) -> None:
    """A takedown report naming more identifiers than the list threshold, which its agency
    says are one campaign's, joins the campaigns it names (across borders); the report
    view says so, a rebuild agrees, and a higher threshold changes nothing for it."""
    s = settings.model_copy(update={"list_threshold": 3})
    _setup(engine)
    a, b, c, d, x = (phone(f"01234567{i}1", "MY") for i in range(5))
    _ingest(engine, s, "MY-PDRM", [_draft([a, b])])
    _ingest(engine, s, "TH-TCSD", [_draft([c, d])])
    takedown = _draft([a, c, d, x], one_campaign=True)
    _ingest(engine, s, "JP-NPA", [takedown])
    with engine.connect() as conn:
        reads = Reads(conn, Reader.system(), s)
        joined = reads.clusters(limit=10)["clusters"]
        got_x = reads.check(x)
        view = reads.report(takedown.source_id)
    assert [(cl["size"], cl["countries"], cl["cross_border"]) for cl in joined] == [
        (3, ["JP", "MY", "TH"], True)]
    assert got_x["cluster"]["size"] == 3
    assert (view["list"], view["one_campaign"]) == (False, True)
    _assert_rebuild_agrees(engine, s)
    with engine.begin() as conn:
        correlate.rebuild(conn, settings.hub_threshold, 1)  # every other report is a list
    with engine.connect() as conn:
        after = Reads(conn, Reader.system(), s).clusters(limit=10)["clusters"]
    assert [cl["size"] for cl in after] == []  # the takedown alone is a one-report cluster
