"""MISP exports: events with attributes and objects, tags, unknown types, shapes."""

from __future__ import annotations

import io
from decimal import Decimal

import orjson
import pytest

from bersama.errors import InvalidInput
from bersama.ingest.misp import parse_misp
from bersama.markings import TLP
from bersama.taxonomy import CrimeType, ScamType

from .conftest import fixture, split


def test_event_with_attributes_objects_and_tags() -> None:
    drafts, rejections = split(parse_misp(fixture("misp_event.json"), agency_country="TH"))
    assert len(drafts) == 1
    d = drafts[0]
    assert d.source_id == "report--5f1c2a3b-7d8e-4f90-a1b2-c3d4e5f60718"
    assert d.title == "Love scam ring using Thai mule accounts"
    assert {o.ref for o in d.observables} == {
        "phone:+66812345678", "url:https://thai-love-match.com/pay",
        "email:sweetheart.nok@gmail.com", "ipv4:203.0.113.77",
        "crypto:1BoatSLRHtKNngkdXEeobR76b53LETtpyT", "bank-account:TH:KBANK:1234567890",
        "handle:telegram:nok_sweetheart", "phone:+66819998888",
    }
    assert d.scam_types == (ScamType.ROMANCE,)
    assert (d.loss_amount, d.loss_currency, d.country) == (Decimal(350000), "THB", "TH")
    assert d.marking is not None
    assert d.marking.tlp is TLP.AMBER
    assert d.marking.group == "asean-scam-taskforce"
    assert d.occurred_at is not None
    assert d.occurred_at.isoformat().startswith("2026-02-14")
    assert d.modified.timestamp() == 1772870400
    assert dict(d.extra)["misp:to_ids"].count(";") >= 3
    # the unknown type and the invalid phone are rejections naming the attribute uuid
    by_uuid = {r.record: r for r in rejections}
    unknown = by_uuid["attribute a1000000-0000-4000-8000-000000000006"]
    assert unknown.reason == "unknown MISP attribute type 'scam-profile-link'"
    assert by_uuid["attribute a1000000-0000-4000-8000-000000000007"].field == "phone-number"
    # disable_correlation and deleted attributes are skipped without a rejection
    assert len(rejections) == 2


def test_bare_event_as_pymisp_writes_it_reads_like_the_wrapped_one() -> None:
    # PyMISP's MISPEvent.to_json() writes the event without {"Event": ...}; it was refused.
    wrapped = fixture("misp_event.json").read()
    bare = orjson.dumps(orjson.loads(wrapped)["Event"])
    assert not bare.startswith(b'{"Event"')
    expected = list(parse_misp(io.BytesIO(wrapped), agency_country="TH"))
    assert list(parse_misp(io.BytesIO(bare), agency_country="TH")) == expected


def test_response_list_shape_distribution_and_galaxies() -> None:
    drafts, rejections = split(parse_misp(fixture("misp_response.json"), agency_country="MY"))
    assert [d.title for d in drafts] == ["Job scam: task app", "Ransomware note hash"]
    job, ransom = drafts
    assert job.scam_types == (ScamType.JOB,)
    assert job.marking is not None
    assert job.marking.tlp is TLP.AMBER_STRICT
    assert ransom.crime_type is CrimeType.RANSOMWARE
    assert ransom.marking is not None
    assert ransom.marking.tlp is TLP.CLEAR
    assert len(rejections) == 1
    assert rejections[0].field == "uuid"


def test_bare_list_of_events_and_bank_account_nr_without_object() -> None:
    data = orjson.dumps([{"uuid": "8c4f5d6e-0a1b-4c23-d4e5-f60718293a41", "info": "x",
                          "timestamp": "1767600000",
                          "Attribute": [{"type": "bank-account-nr", "value": "1234567890",
                                         "uuid": "e5000000-0000-4000-8000-000000000001"}]}])
    drafts, rejections = split(parse_misp(io.BytesIO(data), agency_country="MY"))
    assert len(drafts) == 1
    assert drafts[0].observables == ()
    assert "bank-account object" in rejections[0].reason


@pytest.mark.parametrize(("data", "message"), [
    (b'{"Event": {"uuid": ', "malformed JSON"),
    (b'{"foo": 1}', "not a MISP export"),
    (b"\x00\x01\x02garbage", "not JSON"),
])
def test_bad_input_raises(data: bytes, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        list(parse_misp(io.BytesIO(data), agency_country="MY"))


def _event(**fields: object) -> bytes:
    return orjson.dumps({"Event": {"uuid": "5f1c2a3b-7d8e-4f90-a1b2-c3d4e5f60718",
                                   "timestamp": "1772870400", **fields}})


def test_composite_value_without_its_bar_is_rejected() -> None:
    drafts, rejections = split(parse_misp(io.BytesIO(_event(Attribute=[
        {"type": "filename|md5", "uuid": "a1", "value": "invoice.exe"}])), agency_country="MY"))
    assert len(drafts) == 1
    assert rejections[0].record == "attribute a1"
    assert "'|'" in rejections[0].reason


def test_event_date_out_of_range_is_rejected() -> None:
    drafts, rejections = split(parse_misp(io.BytesIO(_event(date="99999999999999999999")),
                                          agency_country="MY"))
    assert len(drafts) == 1
    assert rejections[0].field == "date"


def test_export_nested_past_the_bound_is_refused() -> None:
    deep = b"[" * 3000 + b"]" * 3000
    data = _event(info="x").replace(b'"x"', deep)
    with pytest.raises(InvalidInput, match="nested deeper than 256 levels"):
        list(parse_misp(io.BytesIO(data), agency_country="MY"))


@pytest.mark.parametrize(("data", "record"), [
    (b'{"response": [{"Event": {"uuid": "x"}}, 5]}', "response[1]"),
    (b'[{"Event": {"uuid": "x"}}, "no"]', "[1]"),
])
def test_an_item_that_is_no_event_is_named_by_its_place(data: bytes, record: str) -> None:
    _, rejections = split(parse_misp(io.BytesIO(data), agency_country="MY"))
    assert [r.record for r in rejections if r.reason == "not a MISP event object"] == [record]


@pytest.mark.parametrize(("tags", "expected"), [
    ([], False),
    (['bersama:campaign="Operation Crimson Harbour"'], True),
    (['misp-galaxy:threat-actor="Golden Chicken"'], True),
    (['bersama:campaign="Crimson"', 'bersama:campaign="crimson"'], True),  # one, in two cases
    (['misp-galaxy:threat-actor="A"', 'misp-galaxy:threat-actor="B"'], False),
    (['bersama:campaign=""'], False),
])
def test_an_event_naming_one_campaign_says_its_identifiers_are_one(
    tags: list[str], expected: bool
) -> None:
    drafts, _ = split(parse_misp(io.BytesIO(_event(Tag=[{"name": t} for t in tags])),
                                 agency_country="MY"))
    assert drafts[0].one_campaign is expected
