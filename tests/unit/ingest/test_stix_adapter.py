"""STIX 2.1 bundles: reports with forward refs, indicators, versions, markings, bad input."""

from __future__ import annotations

import io
from decimal import Decimal

import orjson
import pytest

from bersama.errors import InvalidInput
from bersama.ingest.stix import parse_stix, parse_stix_objects
from bersama.markings import TLP
from bersama.stix.extensions import REPORT_CONTEXT_EXTENSION
from bersama.taxonomy import CrimeType, ScamType

from .conftest import fixture, split

REPORT = "report--0c6a4c8e-1d4e-4b8e-9a55-1b2e7d7a0010"


def _parse(data: bytes | io.BytesIO, country: str = "MY") -> tuple[list, list]:
    stream = data if isinstance(data, io.BytesIO) else io.BytesIO(data)
    return split(parse_stix(stream, agency_country=country))


def _bundle(*objects: object, **top: object) -> bytes:
    return orjson.dumps({"type": "bundle", "id": "bundle--0c6a4c8e-1d4e-4b8e-9a55-1b2e7d7a0999",
                         **top, "objects": list(objects)})


def test_report_collects_custom_scos_indicators_and_observed_data() -> None:
    drafts, _ = _parse(fixture("bundle_scam.json"))
    report = next(d for d in drafts if d.source_id == REPORT)
    refs = {o.ref for o in report.observables}
    assert refs == {
        "phone:+60123456789", "bank-account:MY:MBB:512345678901", "ewallet:gcash:+639171234567",
        "crypto:1BoatSLRHtKNngkdXEeobR76b53LETtpyT", "handle:telegram:invest_guru88",
        "url:https://profit-max.top/login", "domain:profit-max.top",
        "domain:profitmax-app.com", "email:support@profit-max.top",
    }


def test_latest_version_wins_and_context_extension_is_read() -> None:
    drafts, _ = _parse(fixture("bundle_scam.json"))
    report = next(d for d in drafts if d.source_id == REPORT)
    assert report.title == "Investment scam via Telegram group"
    assert report.modified.isoformat() == "2026-03-02T09:30:00+00:00"
    assert report.crime_type is CrimeType.SCAM
    assert report.scam_types == (ScamType.INVESTMENT,)
    assert report.loss_amount == Decimal("12500.00")
    assert report.loss_currency == "MYR"
    assert report.country == "MY"
    assert report.language == "en"
    assert report.occurred_at is not None
    assert report.occurred_at.day == 20


def test_markings_tlp2_with_group_and_tlp1_ids() -> None:
    drafts, _ = _parse(fixture("bundle_scam.json"))
    by_id = {d.source_id: d for d in drafts}
    report = by_id[REPORT]
    assert report.marking is not None
    assert report.marking.tlp is TLP.AMBER
    assert report.marking.group == "asean-scam-taskforce"
    standalone = by_id["indicator--0c6a4c8e-1d4e-4b8e-9a55-1b2e7d7a0030"]
    assert standalone.marking is not None
    assert standalone.marking.tlp is TLP.GREEN


def test_unreferenced_containers_become_drafts_and_revoked_is_kept() -> None:
    drafts, _ = _parse(fixture("bundle_scam.json"))
    by_id = {d.source_id: d for d in drafts}
    assert set(by_id) == {
        REPORT,
        "indicator--0c6a4c8e-1d4e-4b8e-9a55-1b2e7d7a0030",
        "indicator--0c6a4c8e-1d4e-4b8e-9a55-1b2e7d7a0031",
        "incident--0c6a4c8e-1d4e-4b8e-9a55-1b2e7d7a0040",
    }
    assert by_id["indicator--0c6a4c8e-1d4e-4b8e-9a55-1b2e7d7a0031"].revoked
    apk = by_id["indicator--0c6a4c8e-1d4e-4b8e-9a55-1b2e7d7a0030"]
    assert [o.ref for o in apk.observables] == [
        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"]
    incident = by_id["incident--0c6a4c8e-1d4e-4b8e-9a55-1b2e7d7a0040"]
    assert [o.ref for o in incident.observables] == ["url:http://sgpost-redelivery.com/pay"]
    assert incident.loss_currency == "SGD"
    assert incident.scam_types == (ScamType.IMPERSONATION_COURIER,)


def test_invalid_sco_and_referenced_unparseable_unknown_type_are_rejections() -> None:
    _, rejections = _parse(fixture("bundle_scam.json"))
    reasons = {r.record: r for r in rejections}
    bad_phone = next(r for r in rejections if r.value == "12")
    assert bad_phone.record is not None
    assert bad_phone.record.startswith("x-bersama-phone-number--")
    unknown = [r for r in rejections if r.field == "object_refs"]
    assert len(unknown) == 1
    assert "spec_version" in unknown[0].reason
    assert unknown[0].record == REPORT
    # the other unknown type (valid, unreferenced) is ignored silently
    assert not any("x-other-thing" in (r.record or "") for r in rejections)
    assert "bundle--0c6a4c8e-1d4e-4b8e-9a55-1b2e7d7a00ff" in reasons  # bare SCO notice


def test_bad_objects_are_rejected_naming_id_and_property() -> None:
    drafts, rejections = _parse(fixture("bundle_bad.json"))
    by_record = {(r.record, r.field) for r in rejections}
    assert ("report--0c6a4c8e-1d4e-4b8e-9a55-1b2e7d7a0050", "created") in by_record
    assert ("indicator--0c6a4c8e-1d4e-4b8e-9a55-1b2e7d7a0051", "spec_version") in by_record
    assert ("indicator--not-a-uuid", "id") in by_record
    assert ("report--0c6a4c8e-1d4e-4b8e-9a55-1b2e7d7a0052", "created") in by_record
    assert ("indicator--0c6a4c8e-1d4e-4b8e-9a55-1b2e7d7a0053", "spec_version") in by_record
    assert ("indicator--0c6a4c8e-1d4e-4b8e-9a55-1b2e7d7a0054", "pattern") in by_record
    assert ("objects[6]", "objects") in by_record
    ctx = [r for r in rejections if r.field and r.field.endswith(".crime_type")]
    assert ctx
    assert "jaywalking" in (ctx[0].value or "")
    # the report with the bad context field is still a draft, with its valid fields
    kept = [d for d in drafts if d.source_id.endswith("7a0055")]
    assert kept
    assert kept[0].loss_amount == Decimal("12")
    assert kept[0].crime_type is CrimeType.SCAM


def test_objects_breaking_stix21_are_rejected_naming_the_property() -> None:
    """Full validation (stix/validation.py): what the OASIS schemas and the spec's MUST
    rules refuse is a rejection naming the property; the rest of the bundle is read."""
    times = {"created": "2026-03-01T00:00:00.000Z", "modified": "2026-03-01T00:00:00.000Z"}

    def indicator(n: int, **props: object) -> dict[str, object]:
        return {"type": "indicator", "spec_version": "2.1",
                "id": f"indicator--0c6a4c8e-1d4e-4b8e-9a55-1b2e7d7a{n:04d}", **times,
                "pattern": f"[url:value = 'http://scam{n}.example/']", "pattern_type": "stix",
                "valid_from": "2026-03-01T00:00:00Z", **props}

    unnamed = {"type": "report", "spec_version": "2.1", "id": REPORT, **times,
               "published": "2026-03-01T00:00:00Z",
               "object_refs": ["indicator--0c6a4c8e-1d4e-4b8e-9a55-1b2e7d7a0001"]}
    drafts, rejections = _parse(_bundle(
        unnamed,
        indicator(1),
        indicator(2, valid_until="2026-02-01T00:00:00Z"),
        indicator(3, pattern="[url:value = 'http://x.example/' AND ]"),
        indicator(4, indicator_types="malicious-activity"),
    ))
    got = {(r.record, r.field): r.reason for r in rejections}
    assert "is a required property" in got[(REPORT, "name")]
    assert "must be after valid_from" in got[("indicator--0c6a4c8e-1d4e-4b8e-9a55-1b2e7d7a0002",
                                              "valid_until")]
    assert "not a valid STIX pattern" in got[("indicator--0c6a4c8e-1d4e-4b8e-9a55-1b2e7d7a0003",
                                              "pattern")]
    assert "not of type" in got[("indicator--0c6a4c8e-1d4e-4b8e-9a55-1b2e7d7a0004",
                                 "indicator_types")]
    assert [d.source_id for d in drafts] == ["indicator--0c6a4c8e-1d4e-4b8e-9a55-1b2e7d7a0001"]


def test_observables_of_a_rejected_report_are_not_called_unreferenced() -> None:
    times = {"created": "2026-03-01T00:00:00Z", "modified": "2026-03-01T00:00:00Z"}
    named = "url--0c6a4c8e-1d4e-4b8e-9a55-1b2e7d7a0101"
    stray = "url--0c6a4c8e-1d4e-4b8e-9a55-1b2e7d7a0102"
    drafts, rejections = _parse(_bundle(
        {"type": "report", "spec_version": "2.1", "id": REPORT, **times,
         "published": "2026-03-01T00:00:00Z", "object_refs": [named]},
        {"type": "url", "spec_version": "2.1", "id": named, "value": "https://a-pay.xyz/"},
        {"type": "url", "spec_version": "2.1", "id": stray, "value": "https://b-pay.xyz/"},
    ))
    assert drafts == []
    reasons = [r.reason for r in rejections]
    assert any(r.startswith("1 observable(s) named only by rejected objects") for r in reasons)
    assert any(r.startswith("1 observable(s) not referenced by any report") for r in reasons)


def test_stix20_bundle_is_refused_clearly() -> None:
    with pytest.raises(InvalidInput, match=r"spec_version must be 2\.1") as err:
        list(parse_stix(fixture("bundle_stix20.json"), agency_country="MY"))
    assert err.value.field == "spec_version"


@pytest.mark.parametrize(("data", "message"), [
    (b'{"type": "bundle", "objects": [{"type": "url", ', "malformed JSON"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "not JSON"),
    (b"", "empty input"),
    (b'[{"type": "indicator"}]', "not a STIX bundle"),
    (b'{"type": "indicator", "id": "indicator--0c6a4c8e-1d4e-4b8e-9a55-1b2e7d7a0001"}',
     "not a STIX bundle"),
    (b'{"type": "bundle", "objects": [{"type": "url", "value": "caf\xe9"}]}', "UTF-8|malformed"),
])
def test_structurally_broken_input_raises(data: bytes, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        list(parse_stix(io.BytesIO(data), agency_country="MY"))


def test_forward_references_resolve_and_large_bundle_streams() -> None:
    scos = [{"type": "domain-name", "spec_version": "2.1",
             "id": f"domain-name--00000000-0000-4000-8000-{i:012d}", "value": f"site{i}.com"}
            for i in range(2000)]
    report = {"type": "report", "spec_version": "2.1",
              "id": "report--00000000-0000-4000-8000-999999999999",
              "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z",
              "published": "2026-01-01T00:00:00Z", "name": "many",
              "object_refs": [s["id"] for s in scos]}
    drafts, rejections = _parse(_bundle(report, *scos))
    assert not rejections
    assert len(drafts) == 1
    assert len(drafts[0].observables) == 2000


def test_same_input_twice_gives_same_drafts() -> None:
    first = list(parse_stix(fixture("bundle_scam.json"), agency_country="MY"))
    second = list(parse_stix(fixture("bundle_scam.json"), agency_country="MY"))
    assert first == second


def test_a_sighting_is_a_report_of_what_it_sighted() -> None:
    indicator = {
        "type": "indicator", "spec_version": "2.1",
        "id": "indicator--0c6a4c8e-1d4e-4b8e-9a55-1b2e7d7a0071",
        "created": "2026-11-01T00:00:00Z", "modified": "2026-11-01T00:00:00Z",
        "pattern": "[url:value = 'http://scam-pay.com.my/pay']", "pattern_type": "stix",
        "valid_from": "2026-11-01T00:00:00Z",
    }
    here, elsewhere = ({
        "type": "sighting", "spec_version": "2.1",
        "id": f"sighting--0c6a4c8e-1d4e-4b8e-9a55-1b2e7d7a007{n}",
        "created": "2026-11-02T00:00:00Z", "modified": "2026-11-02T00:00:00Z",
        "first_seen": "2026-11-02T08:00:00Z", "sighting_of_ref": of, "count": 3,
    } for n, of in ((2, indicator["id"]),
                    (3, "indicator--0c6a4c8e-1d4e-4b8e-9a55-1b2e7d7a0099")))
    drafts, rejections = _parse(_bundle(indicator, here, elsewhere))
    by_id = {d.source_id: d for d in drafts}
    assert set(by_id) == {indicator["id"], here["id"]}  # the indicator stays a report too
    sighting = by_id[here["id"]]
    assert [o.ref for o in sighting.observables] == ["url:http://scam-pay.com.my/pay"]
    assert sighting.occurred_at is not None
    assert sighting.occurred_at.isoformat() == "2026-11-02T08:00:00+00:00"
    assert len(rejections) == 1  # the sighting of an object this bundle does not hold
    assert rejections[0].field == "sighting_of_ref"
    assert rejections[0].reason.startswith("1 sighting(s) of objects not in this bundle")


def test_object_nested_past_the_recursion_limit_is_rejected() -> None:
    deep = orjson.loads(b"[" * 1020 + b"]" * 1020)  # as deep as a TAXII envelope may be
    objects = [{"type": "report", "id": REPORT, "spec_version": deep}]
    drafts, rejections = split(parse_stix_objects(objects, agency_country="MY"))
    assert drafts == []
    assert [(r.reason, r.record) for r in rejections] == [
        ("object nested too deeply to read", REPORT)]


def test_bundle_nested_past_the_bound_is_refused_before_parsing() -> None:
    data = b'{"type": "bundle", "objects": [' + b"[" * 200_000  # 1 GB of ijson paths, unbounded
    with pytest.raises(InvalidInput, match="nested deeper than 256 levels") as info:
        _parse(data)
    assert info.value.field == "json"


def _campaign_report(refs: list[str], **context: object) -> bytes:
    phone = {"type": "x-bersama-phone-number", "spec_version": "2.1",
             "id": "x-bersama-phone-number--3b1a6d2e-5c0f-4f43-9a8e-1f6f0e2a0aaa",
             "number": "+60123456789"}
    report = {"type": "report", "spec_version": "2.1", "id": REPORT,
              "created": "2026-03-01T00:00:00.000Z", "modified": "2026-03-01T00:00:00.000Z",
              "name": "Takedown", "published": "2026-03-01T00:00:00.000Z",
              "report_types": ["campaign"], "object_refs": [phone["id"], *refs]}
    if context:
        report["extensions"] = {REPORT_CONTEXT_EXTENSION: {
            "extension_type": "property-extension", **context}}
    return _bundle(phone, report)


CAMPAIGN = "campaign--3b1a6d2e-5c0f-4f43-9a8e-1f6f0e2a0c01"
INTRUSION_SET = "intrusion-set--3b1a6d2e-5c0f-4f43-9a8e-1f6f0e2a0c02"


@pytest.mark.parametrize(("refs", "context", "expected"), [
    ([], {}, False),
    ([CAMPAIGN], {}, True),  # a report on one operation, as OpenCTI writes it
    ([INTRUSION_SET, INTRUSION_SET], {}, True),
    ([CAMPAIGN, INTRUSION_SET], {}, False),  # two actors: their identifiers may not be one's
    ([], {"one_campaign": True}, True),  # our extension says so
    ([CAMPAIGN], {"one_campaign": False}, False),  # and says so over the refs
])
def test_a_report_says_its_identifiers_are_one_campaign(
    refs: list[str], context: dict[str, object], expected: bool
) -> None:
    drafts, rejections = _parse(_campaign_report(refs, **context))
    assert rejections == []
    assert drafts[0].one_campaign is expected


def test_one_campaign_that_is_not_a_boolean_is_rejected_by_name() -> None:
    drafts, rejections = _parse(_campaign_report([], one_campaign="yes"))
    assert drafts[0].one_campaign is False
    assert any((r.field or "").endswith("one_campaign") for r in rejections), rejections
