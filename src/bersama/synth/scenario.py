"""The scenario generator: campaigns, noise and reports, streamed from a seed.

Why a stream with a handful of live campaigns: a ten-million-observable
scenario must not sit in memory.  At any moment only `ACTIVE` campaigns are
live, each holding a small window of reusable infrastructure; a report is
drawn from one of them (weighted by how much it still has to emit), and a
campaign's summary for the answer key is emitted right after its last report.
Everything derives from one `random.Random(seed)`, so the same seed gives the
same scenario; the output format of each report is drawn from a second
generator so that choosing formats never changes the reports themselves.

Two rules keep the answer key true for a correct correlator:
- every campaign report after the first reuses at least one identifier the
  campaign has already used (preferring kinds free-text extraction finds), so
  each campaign is connected;
- no identifier is used by more than `USE_CAP` reports, below the default hub
  threshold, so no value becomes a hub that correlation refuses to link through.
Identifiers are unique across campaigns (see `identifiers`), and well-known
values (warninglisted) are shared by everyone but never count as links.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from bersama.errors import InvalidInput
from bersama.ingest.csv import csv_source_id
from bersama.ingest.model import ReportDraft
from bersama.ingest.text import text_source_id
from bersama.markings import TLP, Marking
from bersama.observables.model import Kind
from bersama.synth import formats, narratives
from bersama.synth.catalog import (
    AGENCIES,
    ALL_COUNTRIES,
    COUNTRIES,
    SCAM_PROFILES,
    SHARING_GROUPS,
    SMALL_DEFAULT_COUNTRIES,
    WELL_KNOWN_URLS,
    Agency,
    ScamProfile,
)
from bersama.synth.draws import (
    FORMAT_WEIGHTS,
    FORMATS,
    KIND_PICK,
    LANG_PICK,
    NEW_PICK,
    PROFILE_PICK,
    TLP_PICK,
    TYPE_WEIGHT,
    VICTIM_WEIGHT,
    Picker,
    round_amount,
)
from bersama.synth.events import CampaignSummary, GeneratedReport, Written
from bersama.synth.identifiers import (
    LINKABLE_IN_TEXT,
    Ident,
    Minter,
    render,
    well_known_phone,
    well_known_url,
)
from bersama.taxonomy import CrimeType, ScamType

ACTIVE = 24
USE_CAP = 30
POOL_WINDOW = 16
WINDOW_DAYS = 548
SMALL_SCENARIO = 20_000
NOISE_SHARE = 0.12
WARNINGLISTED_SHARE = 0.06
INVALID_SHARE = 0.02
FEED_SIZE = 60
"""Phone numbers in the partner feed (`_Run._feed_report`): more than the node's default
list threshold (50), so the feed must be read as a list, not as one campaign."""
TAKEDOWN_SIZE = 60
"""Identifiers of the first campaign in its takedown report (`_Run._takedown_report`): more
than the list threshold too, so only the report's own word keeps it in its campaign."""

_FALLBACK_KINDS = ("phone", "url", "handle", "crypto", "email", "bank-account")
_SCAM_LABEL = {s: s.value.replace("-", " ") for s in ScamType}


@dataclass(slots=True, eq=False)
class _Campaign:
    id: str
    profile: ScamProfile
    home: str
    targets: tuple[str, ...]
    planned: int
    start: float
    duration: float
    pool: list[Ident] = field(default_factory=list)
    refs: list[str] = field(default_factory=list)
    emitted: int = 0
    countries: set[str] = field(default_factory=set)
    agencies: set[str] = field(default_factory=set)
    loss_usd: float = 0.0

    def summary(self) -> CampaignSummary:
        return CampaignSummary(self.id, self.profile.scam_type, self.home,
                               tuple(sorted(self.countries)), tuple(sorted(self.agencies)),
                               self.emitted, tuple(self.refs), round(self.loss_usd, 2))


def select_agencies(countries: Sequence[str], observables: int) -> tuple[Agency, ...]:
    """The agencies registered in a scenario (counter-terrorism units file no scam reports)."""
    large = observables > SMALL_SCENARIO
    return tuple(a for a in AGENCIES if a.country in countries and (a.primary or large))


@dataclass(frozen=True, slots=True)
class Scenario:
    """A generated scenario: cheap to build, generated afresh on every iteration."""

    seed: int
    observables: int
    countries: tuple[str, ...]
    as_of: date
    formats: tuple[str, ...] = FORMATS
    agencies: tuple[Agency, ...] = ()

    @property
    def reporting_agencies(self) -> tuple[Agency, ...]:
        return tuple(a for a in self.agencies if a.type in TYPE_WEIGHT)

    def events(self) -> Iterator[GeneratedReport | CampaignSummary]:
        """Reports in generation order, each campaign's summary after its last report."""
        return _Run(self).events()

    def reports(self) -> Iterator[tuple[Agency, ReportDraft, str | None]]:
        """(agency, draft, campaign id or None for noise), streamed."""
        for ev in self.events():
            if isinstance(ev, GeneratedReport):
                yield ev.agency, ev.draft, ev.campaign

    def campaigns(self) -> Iterator[CampaignSummary]:
        for ev in self.events():
            if isinstance(ev, CampaignSummary):
                yield ev

    def with_formats(self, formats: Sequence[str]) -> Scenario:
        return replace(self, formats=_check_formats(formats))

    def warninglist(self) -> list[Ident]:
        """Well-known values the scenario mentions that must never link campaigns."""
        out = [well_known_phone(c) for c in self.countries]
        return out + [well_known_url(u) for u in WELL_KNOWN_URLS]


def _check_formats(formats: Sequence[str]) -> tuple[str, ...]:
    out = tuple(dict.fromkeys(f.strip().lower() for f in formats if f.strip()))
    for f in out:
        if f not in FORMATS:
            raise InvalidInput(f"unknown format {f!r}; expected some of {', '.join(FORMATS)}",
                               field="formats", value=f)
    if not out:
        raise InvalidInput("at least one output format is needed", field="formats")
    return out


def generate(seed: int, observables: int, countries: Sequence[str] | None = None, *,
             as_of: date | None = None, formats: Sequence[str] = FORMATS) -> Scenario:
    """Describe a scenario of about `observables` distinct identifiers.

    `countries` are the reporting countries (default: seven ASEAN members for
    small scenarios, all fifteen for larger ones).  `as_of` is the last day of
    the 18-month reporting window (default: today, UTC); the same seed and
    `as_of` always give byte-identical output.
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InvalidInput("seed must be a non-negative integer", field="seed", value=str(seed))
    if observables < 10:
        raise InvalidInput("a scenario needs at least 10 observables", field="observables",
                           value=str(observables))
    chosen: tuple[str, ...]
    if countries is None:
        chosen = SMALL_DEFAULT_COUNTRIES if observables <= SMALL_SCENARIO else ALL_COUNTRIES
    else:
        chosen = tuple(dict.fromkeys(c.strip().upper() for c in countries if c.strip()))
        for c in chosen:
            if c not in COUNTRIES:
                raise InvalidInput(f"unknown country {c!r}; expected some of "
                                   f"{', '.join(ALL_COUNTRIES)}", field="countries", value=c)
        if not chosen:
            raise InvalidInput("at least one country is needed", field="countries")
    return Scenario(seed=seed, observables=observables, countries=chosen,
                    as_of=as_of or datetime.now(UTC).date(), formats=_check_formats(formats),
                    agencies=select_agencies(chosen, observables))


class _Run:
    """One pass of generation; all state of a scenario's stream lives here."""

    def __init__(self, sc: Scenario) -> None:
        self.sc = sc
        self.rng = random.Random(sc.seed)  # noqa: S311 - seeded synthetic data, not security
        self.frng = random.Random(f"formats:{sc.seed}")  # noqa: S311 - likewise
        self.minter = Minter(self.rng)
        self.end = datetime.combine(sc.as_of, time(23, 59, 59), UTC)
        self.start = self.end - timedelta(days=WINDOW_DAYS)
        reporting = sc.reporting_agencies
        if not reporting:
            raise InvalidInput("no reporting agency in the chosen countries", field="countries")
        self.by_country: dict[str, list[Agency]] = {}
        for a in reporting:
            self.by_country.setdefault(a.country, []).append(a)
        self.report_countries = sorted(self.by_country)
        self.country_weights = [VICTIM_WEIGHT[c] for c in self.report_countries]
        self.seq: dict[str, int] = {}
        self.minted = 0
        self.campaign_no = 0
        self.feed_phones: dict[str, Ident] = {}  # a valid phone of each campaign, for the feed
        self.first: _Campaign | None = None  # the campaign the takedown is about
        self.first_idents: list[Ident] = []  # its identifiers, for the takedown
        self.expected_reports = max(1, int(sc.observables / 1.7))
        self.hotlines = {c: well_known_phone(c) for c in COUNTRIES}
        self.web = [well_known_url(u) for u in WELL_KNOWN_URLS]
        self.groups = {c: [g for g, members in SHARING_GROUPS.items() if c in members]
                       for c in COUNTRIES}
        self.plain_markings = {t: Marking(t) for t in TLP}
        self.group_markings = {g: Marking(TLP.AMBER, group=g) for g in SHARING_GROUPS}
        self.country_pick = Picker(self.report_countries, self.country_weights)
        self.agency_pick = {c: Picker(a, [TYPE_WEIGHT[x.type] for x in a])
                            for c, a in self.by_country.items()}
        self.format_pick: dict[tuple[str, int], Picker | None] = {}

    # ------------------------------------------------------------------ loop
    def events(self) -> Iterator[GeneratedReport | CampaignSummary]:
        rng = self.rng
        active: list[_Campaign] = []
        target = self.sc.observables
        while self.minted < target:
            if rng.random() < NOISE_SHARE:
                yield self._noise_report()
                continue
            while len(active) < ACTIVE:
                active.append(self._new_campaign())
            c = rng.choices(active, [c.planned - c.emitted for c in active])[0]
            yield self._campaign_report(c)
            if c.emitted >= c.planned:
                active.remove(c)
                if c is not self.first:  # its summary follows the takedown
                    yield c.summary()
        for c in active:
            if c.emitted and c is not self.first:
                yield c.summary()
        takedown = self._takedown_report()
        if takedown is not None:
            yield takedown
        if self.first is not None and self.first.emitted:
            yield self.first.summary()
        feed = self._feed_report()
        if feed is not None:
            yield feed

    # ------------------------------------------------------------- campaigns
    def _new_campaign(self) -> _Campaign:
        rng = self.rng
        self.campaign_no += 1
        flagship = self.campaign_no <= 3
        profile: ScamProfile = PROFILE_PICK(rng)  # type: ignore[assignment]
        if flagship:
            profile = SCAM_PROFILES[(0, 1, 3)[self.campaign_no - 1]]
        n = rng.choices((1, 2, 3, 4), (40, 30, 20, 10))[0]
        if flagship:
            n = 3 + (self.campaign_no == 1)
        n = min(n, len(self.report_countries))
        targets: list[str] = []
        while len(targets) < n:
            c = str(self.country_pick(rng))
            if c not in targets:
                targets.append(c)
        cap = max(12, min(400, self.expected_reports // 25))
        if flagship:
            planned = max(12, min(600, self.expected_reports // 20))
        else:
            planned = min(cap, 2 + int(rng.paretovariate(1.4) * 2.5) - 2)
            planned = max(2, planned)
        duration = rng.uniform(20, 300)
        campaign = _Campaign(
            id=f"C{self.campaign_no:06d}", profile=profile, home=rng.choice(profile.homes),
            targets=tuple(targets), planned=planned,
            start=rng.uniform(0, WINDOW_DAYS - duration), duration=duration,
        )
        if self.first is None:
            self.first = campaign
        return campaign

    def _mint(self, kind: str, c: _Campaign) -> Ident:  # noqa: PLR0911 - one exit per kind
        rng, m = self.rng, self.minter
        brand = rng.choice(c.profile.brands)
        if kind == "phone":
            return m.phone(c.home if rng.random() < 0.5 else rng.choice(c.targets))
        if kind == "bank-account":
            return m.bank_account(c.home if rng.random() < 0.3 else rng.choice(c.targets))
        if kind == "ewallet":
            return m.ewallet(rng.choice(c.targets))
        if kind == "crypto":
            return m.crypto()
        if kind == "url":
            return m.url(brand)
        if kind == "email":
            return m.email(brand)
        return m.handle(brand)

    def _campaign_report(self, c: _Campaign) -> GeneratedReport:
        rng = self.rng
        chosen: list[Ident] = []
        kinds: set[Kind] = set()
        pool = c.pool
        if pool:
            linkable = [i for i in pool if i.kind in LINKABLE_IN_TEXT]
            first = linkable[-1 - min(int(rng.expovariate(0.4)), len(linkable) - 1)] \
                if linkable else pool[-1]
            chosen.append(first)
            kinds.add(first.kind)
            for _ in range((rng.random() < 0.55) + (rng.random() < 0.25)):
                cand = pool[-1 - min(int(rng.expovariate(0.3)), len(pool) - 1)]
                if cand.kind not in kinds:
                    chosen.append(cand)
                    kinds.add(cand.kind)
            n_new = int(NEW_PICK(rng))  # type: ignore[call-overload]
            forced = len(pool) < 3  # keep the campaign connected: never let the pool run dry
            n_new = max(n_new, forced)
        else:
            n_new = 2 + (rng.random() < 0.5)
            forced = True
        pick = KIND_PICK[c.profile.scam_type]
        for n in range(n_new):
            tries = [str(pick(rng)) for _ in range(4)]
            if forced and n == 0:
                tries += list(_FALLBACK_KINDS)
            for kind in tries:
                if Kind(kind) not in kinds:
                    ident = self._mint(kind, c)
                    if ident.kind in kinds:  # a wallet-less country gave a bank account
                        continue
                    chosen.append(ident)
                    kinds.add(ident.kind)
                    self._keep(c, ident)
                    break
        if len(pool) > POOL_WINDOW:
            del pool[: len(pool) - POOL_WINDOW]
        for ident in chosen:
            ident.uses += 1
        c.pool = [i for i in pool if i.uses < USE_CAP]
        country = c.targets[0] if rng.random() < 0.45 else rng.choice(c.targets)
        agency = self._agency_in(country)
        day = c.start + rng.uniform(0, c.duration)
        c.emitted += 1
        c.countries.add(agency.country)
        c.agencies.add(agency.code)
        report, usd = self._report(agency, c.profile, chosen, day=day, campaign=c.id,
                                   targets=c.targets)
        c.loss_usd += usd
        return report

    def _keep(self, c: _Campaign, ident: Ident) -> None:
        """A fresh identifier of `c`: into its pool and refs, and those the feed and the
        takedown name."""
        c.pool.append(ident)
        c.refs.append(ident.ref)
        if ident.kind is Kind.PHONE and ident.valid:
            self.feed_phones.setdefault(c.id, ident)
        if c is self.first:
            self.first_idents.append(ident)
        self.minted += 1

    def _noise_report(self) -> GeneratedReport:
        rng, m = self.rng, self.minter
        country = str(self.country_pick(rng))
        agency = self._agency_in(country)
        profile: ScamProfile = PROFILE_PICK(rng)  # type: ignore[assignment]
        chosen: list[Ident] = []
        kinds: set[Kind] = set()
        brand = rng.choice(profile.brands)
        pick = KIND_PICK[profile.scam_type]
        for _ in range(1 + (rng.random() < 0.7) + (rng.random() < 0.35)):
            kind = str(pick(rng))
            if kind == "phone":
                ident = m.phone(country)
            elif kind == "bank-account":
                ident = m.bank_account(country)
            elif kind == "ewallet":
                ident = m.ewallet(country)
            elif kind == "crypto":
                ident = m.crypto()
            elif kind == "url":
                ident = m.url(brand)
            elif kind == "email":
                ident = m.email(brand)
            else:
                ident = m.handle(brand)
            if ident.kind not in kinds:
                chosen.append(ident)
                kinds.add(ident.kind)
                self.minted += 1
        report, _ = self._report(agency, profile, chosen, day=rng.uniform(0, WINDOW_DAYS),
                                 campaign=None, targets=(country,))
        return report

    def _feed_report(self) -> GeneratedReport | None:
        """A partner's monthly feed: one MISP event naming a phone number of each of
        FEED_SIZE campaigns, in no campaign of the answer key.  Partners share such lists
        as one report; read as a campaign it would merge every campaign it names
        (docs/correlation.md, list reports).  Written last and from a random stream of its
        own, so every other report of the scenario is the same with or without it; none in
        scenarios of fewer campaigns with a phone number, or without MISP and STIX."""
        fmt = next((f for f in ("misp", "stix") if f in self.sc.formats), None)
        phones = list(self.feed_phones.values())
        if fmt is None or len(phones) < FEED_SIZE:
            return None
        rng = random.Random(f"feed:{self.sc.seed}")  # noqa: S311 - seeded synthetic data
        agency = _first_of_type(self.sc.reporting_agencies, "scam-centre")
        ref = f"{agency.code}-FEED-{self.end:%Y%m}"
        written, draft = self._closing_report(
            rng, agency, phones, FEED_SIZE,
            title=f"Scam numbers reported to {agency.code} this month ({ref})")
        return GeneratedReport(agency, draft, None, fmt, written, ref, is_list=True)

    def _takedown_report(self) -> GeneratedReport | None:
        """The police of the first campaign's main target country take its operation down
        and report TAKEDOWN_SIZE of its identifiers in one STIX report that says they are
        one campaign (`one_campaign`).  More than the list threshold: without that word it
        would be a list of its own, outside its campaign (docs/correlation.md).  Written
        after every campaign report, from a random stream of its own; none when the
        campaign has fewer identifiers or the scenario is written without STIX."""
        c = self.first
        if c is None or "stix" not in self.sc.formats or len(self.first_idents) < TAKEDOWN_SIZE:
            return None
        rng = random.Random(f"takedown:{self.sc.seed}")  # noqa: S311 - seeded synthetic data
        agency = _first_of_type(self.by_country[c.targets[0]], "police")
        ref = f"{agency.code}-TAKEDOWN-{c.id}"
        written, draft = self._closing_report(
            rng, agency, self.first_idents, TAKEDOWN_SIZE,
            title=f"{_SCAM_LABEL[c.profile.scam_type].capitalize()} scam operation taken "
                  f"down: numbers and accounts seized ({ref})",
            scam_types=(c.profile.scam_type,), one_campaign=True, labels=("takedown",))
        c.emitted += 1
        c.countries.add(agency.country)
        c.agencies.add(agency.code)
        return GeneratedReport(agency, draft, c.id, "stix", written, ref)

    def _closing_report(self, rng: random.Random, agency: Agency, pool: Sequence[Ident],
                        size: int, **fields: Any) -> tuple[Written, ReportDraft]:
        """`size` of `pool`, as `agency` writes them, and the TLP:GREEN draft naming them,
        reported at the scenario's end: the feed and the takedown, which come after every
        campaign report, each from its own random stream `rng`."""
        written = tuple((i, render(i, agency.country, rng)) for i in rng.sample(pool, size))
        return written, ReportDraft(
            source_id=f"report--{uuid.UUID(int=rng.getrandbits(128), version=4)}",
            modified=self.end.replace(microsecond=0),
            observables=tuple(i.obs for i, _ in written if i.obs is not None),
            crime_type=CrimeType.SCAM,
            marking=self.plain_markings[TLP.GREEN],
            country=agency.country,
            **fields,
        )

    def _agency_in(self, country: str) -> Agency:
        return self.agency_pick[country](self.rng)  # type: ignore[return-value]

    # --------------------------------------------------------------- reports
    def _report(self, agency: Agency, profile: ScamProfile, chosen: list[Ident], *, day: float,
                campaign: str | None, targets: tuple[str, ...]) -> tuple[GeneratedReport, float]:
        rng = self.rng
        idents = list(chosen)
        if rng.random() < WARNINGLISTED_SHARE:
            idents.append(self.hotlines[agency.country] if rng.random() < 0.6
                          else rng.choice(self.web))
        if rng.random() < INVALID_SHARE:
            idents.append(self.minter.invalid(agency.country))
        fmt = self._format(agency, idents)
        written = tuple((i, render(i, agency.country, rng, text=fmt == "text")) for i in idents)

        occurred = self.start + timedelta(days=day)
        reported = min(self.end, occurred + timedelta(days=rng.expovariate(1 / 3)))
        occurred = occurred.replace(microsecond=0)
        reported = reported.replace(microsecond=0)
        country = COUNTRIES[agency.country]
        usd = 0.0
        amount: Decimal | None = None
        currency: str | None = None
        if rng.random() < 0.92:
            usd = profile.median_loss_usd * country.loss_scale * rng.lognormvariate(0, 0.9)
            currency = country.currency
            rate = country.usd_rate
            if agency.country == "KH" and rng.random() < 0.6:
                currency, rate = "USD", 1.0
            amount = round_amount(usd * rate, currency, rng)
        lang = str(LANG_PICK[country.code](rng))
        mentions = [(i.kind.value, w, _mention_name(i)) for i, w in written]
        amount_text = f"{currency} {amount:,}" if amount is not None else None
        text = narratives.narrative(lang, profile.scam_type, mentions, amount_text)
        marking = self._marking(agency, targets)
        source_id = f"report--{uuid.UUID(int=rng.getrandbits(128), version=4)}"

        seq = self.seq.get(agency.code, 0) + 1
        self.seq[agency.code] = seq
        ref = f"{agency.code}-{reported.year}-{seq:07d}"
        label = f"{_SCAM_LABEL[profile.scam_type].capitalize()} scam"
        section = ""
        if fmt == "csv":
            source_id = csv_source_id(agency.country, ref)
        elif fmt == "text":
            section = formats.text_section(
                agency.code, agency.name, agency.country, scam_label=label, occurred=occurred,
                reported=reported, marking=marking, narrative=text, written=written,
                amount=amount, currency=currency)
            source_id = text_source_id(agency.country, section)
        observables = tuple(i.obs for i, _ in written if i.obs is not None)
        draft = ReportDraft(
            source_id=source_id,
            modified=reported,
            observables=observables,
            title=f"{label} reported to {agency.code} ({ref})",
            crime_type=CrimeType.SCAM,
            scam_types=(profile.scam_type,),
            loss_amount=amount,
            loss_currency=currency,
            occurred_at=occurred,
            language=lang,
            narrative=text,
            marking=marking,
            country=agency.country,
            labels=(profile.scam_type.value,),
        )
        return GeneratedReport(agency, draft, campaign, fmt, written, ref, section), usd

    def _format(self, agency: Agency, idents: list[Ident]) -> str:
        """The format of a report, among those that can carry all its identifiers.

        Only STIX names the country of a bank account (`x-bersama-bank-account`);
        CSV and text read accounts in the agency's country and MISP takes a
        SWIFT code for the bank, so a report naming a foreign mule account is
        written as STIX.  MISP has no e-wallet type.  A text report must name
        something free-text extraction finds reliably, and no malformed phone
        number (extraction skips it rather than rejecting it).  When the requested
        formats leave no choice, the first requested one is used all the same.
        """
        excluded = 0
        if not any(i.kind in LINKABLE_IN_TEXT and i.valid and not i.warninglisted
                   for i in idents):
            excluded |= 1
        for i in idents:
            if i.kind is Kind.BANK_ACCOUNT and i.country != agency.country:
                excluded |= 2
            elif i.kind is Kind.EWALLET:
                excluded |= 4
            elif i.kind is Kind.PHONE and not i.valid:
                excluded |= 1  # extraction skips what does not look like a number at all
        key = (agency.type, excluded)
        if key not in self.format_pick:
            weights = dict(zip(FORMATS, FORMAT_WEIGHTS[agency.type], strict=True))
            opts = [f for f in self.sc.formats if weights[f] > 0
                    and not (f == "text" and excluded & 1)
                    and not (f != "stix" and excluded & 2)
                    and not (f == "misp" and excluded & 4)]
            self.format_pick[key] = Picker(opts, [weights[f] for f in opts]) if opts else None
        pick = self.format_pick[key]
        if pick is None:
            return self.sc.formats[0]
        return str(pick(self.frng))

    def _marking(self, agency: Agency, targets: tuple[str, ...]) -> Marking:
        rng = self.rng
        tlp = TLP_PICK(rng)
        if tlp is TLP.AMBER and rng.random() < 0.5 and self.groups[agency.country]:
            return self.group_markings[rng.choice(self.groups[agency.country])]
        if tlp is TLP.AMBER_STRICT:
            others = [a.code for c in targets if c != agency.country
                      for a in self.by_country.get(c, [])]
            picked = frozenset(rng.sample(others, min(len(others), 2))) if others else frozenset()
            return Marking(tlp, recipient_agencies=picked)
        if tlp is TLP.RED:
            return Marking(tlp, recipient_users=frozenset({f"{agency.code.lower()}-duty-officer"}))
        return self.plain_markings[tlp]  # type: ignore[index]


def _first_of_type(agencies: Sequence[Agency], kind: str) -> Agency:
    """The agency of that type with the first code, else the first agency."""
    return min((a for a in agencies if a.type == kind), key=lambda a: a.code,
               default=agencies[0])


def _mention_name(ident: Ident) -> str:
    if ident.kind is Kind.BANK_ACCOUNT or ident.kind is Kind.EWALLET:
        return ident.parts[1]
    if ident.kind is Kind.HANDLE:
        return narratives.PLATFORM_NAMES[ident.parts[0]]
    return ""
