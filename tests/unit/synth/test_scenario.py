"""The generator: deterministic, to scale, and its answer key is true."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date

import pytest

from bersama.config import Settings
from bersama.errors import InvalidInput
from bersama.markings import TLP, Marking
from bersama.observables.model import Kind
from bersama.synth import CampaignSummary, GeneratedReport, generate
from bersama.synth.scenario import FEED_SIZE, TAKEDOWN_SIZE, USE_CAP

AS_OF = date(2026, 11, 1)


def _events(seed: int = 7, n: int = 3000, **kw: object) -> list[GeneratedReport | CampaignSummary]:
    return list(generate(seed, n, as_of=AS_OF, **kw).events())  # type: ignore[arg-type]


def test_same_seed_same_reports_different_seed_different() -> None:
    a = [(ag.code, d, c) for ag, d, c in generate(3, 2000, as_of=AS_OF).reports()]
    b = [(ag.code, d, c) for ag, d, c in generate(3, 2000, as_of=AS_OF).reports()]
    c = [(ag.code, d, c) for ag, d, c in generate(4, 2000, as_of=AS_OF).reports()]
    assert a == b
    assert a != c


def test_formats_do_not_change_the_reports_themselves() -> None:
    def keys(formats: tuple[str, ...]) -> list[tuple[str, ...]]:
        return [tuple(o.ref for o in d.observables)
                for _, d, _ in generate(3, 1500, as_of=AS_OF, formats=formats).reports()]
    assert keys(("stix", "misp", "csv", "text")) == keys(("stix",))


@pytest.mark.parametrize("n", [1000, 12_345])
def test_requested_observables_are_produced(n: int) -> None:
    refs: set[str] = set()
    for ev in generate(1, n, as_of=AS_OF).events():
        if isinstance(ev, CampaignSummary):
            refs.update(ev.refs)
        elif ev.campaign is None:
            refs.update(i.ref for i, _ in ev.written if i.valid and not i.warninglisted)
    assert n <= len(refs) <= n + 3


def _find(parent: dict[str, str], x: str) -> str:
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


def test_answer_key_matches_the_reports() -> None:
    events = _events()
    reports = [e for e in events if isinstance(e, GeneratedReport)]
    campaigns = {e.id: e for e in events if isinstance(e, CampaignSummary)}
    by_campaign: dict[str, list[GeneratedReport]] = defaultdict(list)
    uses: Counter[str] = Counter()
    owner: dict[str, str] = {}
    for r in reports:
        if r.is_list:
            continue  # names other reports' identifiers (test_a_partner_feed_...)
        linking = [i.ref for i, _ in r.written if i.valid and not i.warninglisted]
        uses.update(linking)
        for ref in linking:
            # every identifier belongs to exactly one campaign (or one noise report)
            assert owner.setdefault(ref, r.campaign or r.draft.source_id) == (
                r.campaign or r.draft.source_id)
        if r.campaign is not None:
            by_campaign[r.campaign].append(r)
            assert set(linking) <= set(campaigns[r.campaign].refs)
    assert max(uses.values()) <= USE_CAP
    assert set(by_campaign) == set(campaigns)
    for cid, reps in by_campaign.items():
        c = campaigns[cid]
        assert c.reports == len(reps)
        assert c.countries == tuple(sorted({r.agency.country for r in reps}))
        # connected through shared identifiers: a correct correlator finds one cluster
        parent = {r.draft.source_id: r.draft.source_id for r in reps}
        first_with: dict[str, str] = {}
        for r in reps:
            for i, _ in r.written:
                if i.valid and not i.warninglisted:
                    other = first_with.setdefault(i.ref, r.draft.source_id)
                    parent[_find(parent, r.draft.source_id)] = _find(parent, other)
        assert len({_find(parent, x) for x in parent}) == 1, cid
    assert len({r.draft.source_id for r in reports}) == len(reports)


def test_scenario_looks_like_the_region() -> None:
    events = _events(n=5000)
    reports = [e for e in events if isinstance(e, GeneratedReport)]
    campaigns = [e for e in events if isinstance(e, CampaignSummary)]
    assert len({r.agency.code for r in reports}) == 8
    assert len({r.agency.country for r in reports}) >= 6
    big = sorted(campaigns, key=lambda c: -c.reports)[:3]
    assert all(c.cross_border and c.reports >= 50 for c in big)
    assert sum(c.cross_border for c in campaigns) >= 20
    assert {r.format for r in reports} == {"stix", "misp", "csv", "text"}
    assert {r.draft.language for r in reports} >= {"en", "ms", "th", "vi", "id", "tl", "zh"}
    assert {r.draft.loss_currency for r in reports} >= {"MYR", "THB", "SGD", "IDR", "PHP",
                                                         "VND", "KHR", "USD"}
    tlps = Counter(r.draft.marking.tlp for r in reports if r.draft.marking)
    assert tlps[TLP.GREEN] + tlps[TLP.AMBER] > 0.7 * len(reports)
    assert tlps[TLP.CLEAR]
    assert tlps[TLP.AMBER_STRICT]
    assert tlps[TLP.RED]
    assert any(r.draft.marking and r.draft.marking.group == "MY-TH-bilateral" for r in reports)
    assert sum(e.campaign is None for e in reports) > 0.05 * len(reports)
    assert any(i.warninglisted for r in reports for i, _ in r.written)
    assert any(not i.valid for r in reports for i, _ in r.written)
    dates = [r.draft.modified.date() for r in reports]
    assert max(dates) <= AS_OF
    assert (AS_OF - min(dates)).days <= 550


def test_narratives_name_the_identifiers() -> None:
    for ev in _events(n=600):
        if isinstance(ev, GeneratedReport) and not ev.is_list:  # a feed has no narrative
            for _, written in ev.written:
                assert written in ev.draft.narrative


def test_countries_restrict_the_reporting_agencies() -> None:
    sc = generate(2, 50_000, ["jp", "KR", "AU"], as_of=AS_OF)
    assert {a.country for a in sc.agencies} == {"JP", "KR", "AU"}
    for n, (agency, _, _) in enumerate(sc.reports()):
        assert agency.country in {"JP", "KR", "AU"}
        if n > 500:
            break


@pytest.mark.parametrize(("args", "field"), [
    ((1, 5), "observables"),
    ((-1, 1000), "seed"),
    ((1, 1000, ["XX"]), "countries"),
    ((1, 1000, []), "countries"),
])
def test_bad_arguments_are_named(args: tuple, field: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(InvalidInput) as exc:
        generate(*args)
    assert exc.value.field == field


def test_unknown_format_is_named() -> None:
    with pytest.raises(InvalidInput) as exc:
        generate(1, 1000, formats=["stix", "pdf"])
    assert exc.value.field == "formats"
    assert exc.value.value == "pdf"


def test_a_partner_feed_names_a_phone_of_each_of_many_campaigns_and_changes_nothing_else(
) -> None:
    events = _events()
    feeds = [e for e in events if isinstance(e, GeneratedReport) and e.is_list]
    assert len(feeds) == 1
    feed = feeds[0]
    assert events[-1] is feed  # last: every other report is as without it
    assert (feed.campaign, feed.format, feed.draft.marking) == (None, "misp", Marking(TLP.GREEN))
    owners = {ref: c.id for c in events if isinstance(c, CampaignSummary) for ref in c.refs}
    named = {owners[i.ref] for i, _ in feed.written}
    assert all(i.kind is Kind.PHONE and i.valid for i, _ in feed.written)
    assert len(named) == len(feed.written) == FEED_SIZE > Settings().list_threshold
    no_misp = _events(formats=("stix", "csv", "text"))
    assert [e.format for e in no_misp if isinstance(e, GeneratedReport) and e.is_list] == ["stix"]
    assert not any(e.is_list for e in _events(n=200) if isinstance(e, GeneratedReport))


def test_a_takedown_names_many_identifiers_of_one_campaign_and_says_so() -> None:
    events = _events()
    takedowns = [e for e in events if isinstance(e, GeneratedReport) and e.draft.one_campaign]
    assert len(takedowns) == 1
    takedown = takedowns[0]
    summary = next(e for e in events if isinstance(e, CampaignSummary) and e.id == "C000001")
    assert events.index(takedown) < events.index(summary)  # the summary counts it
    assert (takedown.campaign, takedown.format, takedown.draft.labels) == (
        "C000001", "stix", ("takedown",))
    assert len({i.ref for i, _ in takedown.written}) == TAKEDOWN_SIZE > Settings().list_threshold
    assert {i.ref for i, _ in takedown.written} <= set(summary.refs)
    assert takedown.agency.code in summary.agencies
    plain = _events(formats=("misp", "csv", "text"))
    assert not any(e.draft.one_campaign for e in plain if isinstance(e, GeneratedReport))
    assert not any(e.draft.one_campaign for e in _events(n=600) if isinstance(e, GeneratedReport))
