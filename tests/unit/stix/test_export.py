"""draft_to_stix: valid STIX 2.1 (checked with stix2), deterministic ids, and a round trip."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import orjson
import pytest
import stix2

from bersama import observables as ob
from bersama.ingest.model import ReportDraft
from bersama.ingest.stix import parse_stix
from bersama.markings import TLP, Marking
from bersama.observables.model import Kind
from bersama.stix.export import bundle, draft_to_stix, draft_to_stix_rows, report_id, timestamp
from bersama.stix.extensions import EXTENSION_IDS, REPORT_CONTEXT_EXTENSION
from bersama.stix.ids import sco_id
from bersama.stix.scos import SUPPORTED_SCO_TYPES as SCO_TYPES
from bersama.stix.tlp import TLP2_IDS
from bersama.stix.validation import problem
from bersama.taxonomy import CrimeType, ScamType

EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
OBSERVABLES = (
    ob.phone("012-345 6789", "MY"),
    ob.bank_account("MY", "Maybank", "5123 4567 8901"),
    ob.ewallet("gcash", "0917 123 4567", "PH"),
    ob.crypto("1BoatSLRHtKNngkdXEeobR76b53LETtpyT"),
    ob.handle("telegram", "@Invest_Guru88"),
    ob.normalise(Kind.URL, "https://profit-max.top/login"),
    ob.normalise(Kind.DOMAIN, "profit-max.top"),
    ob.normalise(Kind.EMAIL, "support@profit-max.top"),
    ob.normalise(Kind.IPV4, "203.0.113.7"),
    ob.normalise(Kind.IPV6, "2001:db8::1"),
    ob.normalise(Kind.MD5, "d41d8cd98f00b204e9800998ecf8427e"),
    ob.normalise(Kind.SHA1, "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
    ob.normalise(Kind.SHA256, EMPTY_SHA256),
)
DRAFT = ReportDraft(
    source_id="report--0c6a4c8e-1d4e-4b8e-9a55-1b2e7d7a0010",
    modified=datetime(2026, 3, 2, 9, 30, 0, 123456, tzinfo=UTC),
    observables=OBSERVABLES, title="Investment scam", crime_type=CrimeType.SCAM,
    scam_types=(ScamType.INVESTMENT,), loss_amount=Decimal("12500.50"), loss_currency="MYR",
    occurred_at=datetime(2026, 2, 20, tzinfo=UTC), language="ms", narrative="Mangsa ditipu.",
    marking=Marking(TLP.AMBER, group="asean-scam-taskforce"), country="MY",
    labels=("hotline",),
)


def _objects() -> list[dict]:
    return draft_to_stix(DRAFT, agency="MY-NSRC", agency_country="MY", identity_id=None)


def test_output_is_valid_stix21_per_stix2() -> None:
    doc = bundle(_objects())
    parsed = stix2.parse(orjson.dumps(doc).decode(), allow_custom=True)
    assert len(parsed.objects) == len(doc["objects"])


def test_output_passes_full_validation() -> None:
    """What we send partners passes what we demand of theirs (stix/validation.py)."""
    for obj in _objects():
        assert problem(obj) is None, obj["id"]


def test_report_has_context_markings_and_refs() -> None:
    objs = _objects()
    report = next(o for o in objs if o["type"] == "report")
    assert report["id"] == DRAFT.source_id
    assert report["modified"] == "2026-03-02T09:30:00.123Z"
    assert report["object_marking_refs"][0] == TLP2_IDS[TLP.AMBER]
    group = next(o for o in objs if o["type"] == "marking-definition")
    assert report["object_marking_refs"][1] == group["id"]
    ctx = report["extensions"][REPORT_CONTEXT_EXTENSION]
    assert ctx["loss_amount"] == "12500.50"
    assert ctx["scam_types"] == ["investment"]
    assert len(report["object_refs"]) == len(OBSERVABLES)
    types = {o["type"] for o in objs}
    assert {"x-bersama-phone-number", "x-bersama-bank-account", "x-bersama-ewallet",
            "x-bersama-crypto-address", "x-bersama-handle", "url", "domain-name",
            "email-addr", "ipv4-addr", "ipv6-addr", "file", "identity"} <= types
    phone = next(o for o in objs if o["type"] == "x-bersama-phone-number")
    assert phone["extensions"] == {
        EXTENSION_IDS["x-bersama-phone-number"]: {"extension_type": "new-sco"}}


@pytest.mark.parametrize(("cls", "kwargs"), [
    (stix2.URL, {"value": "https://profit-max.top/login"}),
    (stix2.DomainName, {"value": "profit-max.top"}),
    (stix2.EmailAddress, {"value": "support@profit-max.top"}),
    (stix2.IPv4Address, {"value": "203.0.113.7"}),
    (stix2.File, {"hashes": {"SHA-256": EMPTY_SHA256}}),
    (stix2.URL, {"value": "https://例子.测试/路径?q=\"x\"\\"}),
])
def test_deterministic_ids_match_stix2(cls: type, kwargs: dict) -> None:
    obj = cls(**kwargs)
    assert sco_id(obj.type, kwargs) == obj.id


def test_round_trip_through_the_stix_adapter() -> None:
    doc = bundle(_objects())
    drafts = [d for d in parse_stix(io.BytesIO(orjson.dumps(doc)), agency_country="MY")
              if isinstance(d, ReportDraft)]
    assert len(drafts) == 1
    back = drafts[0]
    assert {o.ref for o in back.observables} == {o.ref for o in OBSERVABLES}
    assert back.marking == DRAFT.marking
    assert (back.loss_amount, back.loss_currency, back.scam_types, back.language) == (
        DRAFT.loss_amount, DRAFT.loss_currency, DRAFT.scam_types, DRAFT.language)
    assert back.modified == datetime(2026, 3, 2, 9, 30, 0, 123000, tzinfo=UTC)


def test_draft_without_observables_and_non_report_source_id() -> None:
    draft = ReportDraft(source_id="incident--0c6a4c8e-1d4e-4b8e-9a55-1b2e7d7a0040",
                        modified=datetime(2026, 1, 1, tzinfo=UTC), observables=())
    objs = draft_to_stix(draft, agency="SG-SPF", agency_country="SG",
                         identity_id="identity--0c6a4c8e-1d4e-4b8e-9a55-1b2e7d7a0001")
    report = objs[0]
    assert report["id"] == report_id(draft.source_id)
    assert report["id"].startswith("report--")
    assert report["object_refs"] == ["identity--0c6a4c8e-1d4e-4b8e-9a55-1b2e7d7a0001"]
    stix2.parse(orjson.dumps(bundle(objs)).decode(), allow_custom=True)


def test_bundle_dedupes_shared_objects() -> None:
    objs = _objects() + _objects()
    assert len(bundle(objs)["objects"]) == len(_objects())


def _reference_timestamp(dt: datetime) -> str:
    """The isoformat-based definition `timestamp` must keep matching."""
    if dt.tzinfo is not None:
        dt = dt.astimezone(UTC)
    return dt.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


@pytest.mark.parametrize("dt", [
    datetime(2026, 3, 2, 9, 30, 0, 123456, tzinfo=UTC),
    datetime(2026, 3, 2, 9, 30, 0, 999999, tzinfo=UTC),
    datetime(2026, 3, 2, 9, 30, tzinfo=UTC),
    datetime(2026, 3, 2, 9, 30, 0, 500),  # naive: UTC
    datetime(2026, 3, 2, 1, 0, 0, 1000, tzinfo=timezone(timedelta(hours=8))),
    datetime(1970, 1, 1, tzinfo=UTC),
    datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
])
def test_timestamp_is_utc_millisecond_z(dt: datetime) -> None:
    assert timestamp(dt) == _reference_timestamp(dt)


@pytest.mark.parametrize("draft", [
    DRAFT,
    replace(DRAFT, marking=Marking(TLP.GREEN)),
    replace(DRAFT, marking=None, labels=(), narrative="", language=None, occurred_at=None),
    replace(DRAFT, marking=Marking(TLP.AMBER, recipient_agencies=frozenset({"TH-TCSD", "JP-NPA"}),
                                   recipient_users=frozenset({"b@x", "a@x"}))),
    replace(DRAFT, observables=(), title="", revoked=True, scam_types=(), loss_amount=None),
    replace(DRAFT, observables=OBSERVABLES + OBSERVABLES[:3]),  # repeated values: one SCO each
    replace(DRAFT, source_id="incident--0c6a4c8e-1d4e-4b8e-9a55-1b2e7d7a0011",
            modified=datetime(2026, 3, 2, 17, 30, tzinfo=timezone(timedelta(hours=8)))),
])
def test_rows_are_draft_to_stix_serialised_byte_for_byte(draft: ReportDraft) -> None:
    """The templated identity and group marking, and the rows' columns, are exactly what
    serialising `draft_to_stix` gives."""
    objects = draft_to_stix(draft, agency="MY-NSRC", agency_country="MY", identity_id=None)
    expected = [
        (o["id"], o.get("modified", o.get("created", "")) if o["type"] not in SCO_TYPES else "",
         o["type"], orjson.dumps(o).decode())
        for o in objects
    ]
    for _ in range(2):  # the second call runs on the cached templates
        assert list(draft_to_stix_rows(draft, agency="MY-NSRC", agency_country="MY")) == expected


@pytest.mark.parametrize("occurred", [
    DRAFT.modified,  # the same instant: the shortcut
    DRAFT.modified.astimezone(timezone(timedelta(hours=8))),  # the same instant elsewhere
    DRAFT.modified.replace(tzinfo=None),  # naive (UTC): not equal to an aware time
    DRAFT.modified + timedelta(microseconds=1),  # the same millisecond, another instant
])
def test_published_and_occurred_at_are_the_occurrence_time(occurred: datetime) -> None:
    draft = replace(DRAFT, occurred_at=occurred)
    report = next(o for o in draft_to_stix(draft, agency="MY-NSRC", agency_country="MY",
                                           identity_id=None) if o["type"] == "report")
    assert report["published"] == timestamp(occurred) == _reference_timestamp(occurred)
    assert report["extensions"][REPORT_CONTEXT_EXTENSION]["occurred_at"] == report["published"]


def test_one_campaign_is_exported_valid_and_read_back() -> None:
    takedown = replace(DRAFT, one_campaign=True)
    objs = draft_to_stix(takedown, agency="MY-NSRC", agency_country="MY", identity_id=None)
    report = next(o for o in objs if o["type"] == "report")
    assert report["extensions"][REPORT_CONTEXT_EXTENSION]["one_campaign"] is True
    assert all(problem(o) is None for o in objs)
    back = [d for d in parse_stix(io.BytesIO(orjson.dumps(bundle(objs))), agency_country="MY")
            if isinstance(d, ReportDraft)]
    assert back[0].one_campaign is True
    plain = next(o for o in _objects() if o["type"] == "report")
    assert "one_campaign" not in plain["extensions"][REPORT_CONTEXT_EXTENSION]
