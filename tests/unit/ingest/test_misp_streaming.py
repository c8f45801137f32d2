"""One MISP event read as it streams: wherever its fields sit, whatever its shape.

An event's attributes are read one at a time as the parser meets them, not after the
whole event is built; the event-level fields (uuid, info, date, timestamp, tags,
distribution, sharing group) may come before or after them.  The same event, its keys in
any order and in every export shape, gives the same drafts and rejections, in the same
order, as the event written the usual way.
"""

from __future__ import annotations

import io
from typing import Any

import orjson
import pytest

from bersama.ingest.misp import parse_misp
from bersama.ingest.model import Rejection, ReportDraft
from bersama.markings import TLP

from .conftest import split

UUID = "5f1c2a3b-7d8e-4f90-a1b2-c3d4e5f60718"


def _attr(n: int, atype: str, value: Any, **more: Any) -> dict[str, Any]:
    return {"uuid": f"a1000000-0000-4000-8000-{n:012d}", "type": atype, "value": value, **more}


ATTRIBUTES: list[Any] = [
    _attr(1, "phone-number", "+66 81 234 5678", to_ids=True, Tag=[{"name": "x"}]),
    _attr(2, "url", "https://thai-love-match.com/pay", to_ids="1"),
    _attr(3, "phone-number", "12345", comment="not a number"),  # invalid: rejection
    _attr(4, "scam-profile-link", "x"),  # unknown type: rejection
    _attr(5, "ip-dst", "203.0.113.77", deleted=True),  # deleted: skipped
    _attr(6, "domain", "google.com", disable_correlation=True),  # skipped
    _attr(7, "bank-account-nr", "1234567890"),  # outside an object: rejection
    _attr(8, "phone-number", "+63 917 123 4567", comment="GCash account", to_ids=True),
    _attr(9, "comment", "context only"),
    "not an attribute",
    _attr(10, "email", "sweetheart.nok@gmail.com", Sighting=[{"type": "0"}]),
    _attr(11, "filename|md5", "invoice.exe"),  # no bar: rejection
    _attr(12, "ip-src", "203.0.113.78", first_seen=None, size=1.5),
    {"type": "url"},  # no value: rejection
]
OBJECTS: list[Any] = [
    {"name": "bank-account", "uuid": "b1", "Attribute": [
        _attr(20, "bank-account-nr", "123-4-56789-0", object_relation="account", to_ids=True),
        _attr(21, "text", "KASITHBK", object_relation="swift"),
    ]},
    {"name": "telegram-account", "Attribute": [
        _attr(22, "text", "nok_sweetheart", object_relation="username"),
        _attr(23, "phone-number", "+66 81 234 5678", object_relation="phone"),  # again
    ]},
    {"name": "e-wallet", "Attribute": [_attr(24, "text", "0917", object_relation="account")]},
    {"name": "bank-account", "deleted": True, "Attribute": [
        _attr(25, "bank-account-nr", "999", object_relation="account")]},
    [],
]
EVENT: dict[str, Any] = {
    "uuid": UUID, "info": "Love scam ring", "date": "2026-02-14", "timestamp": "1772870400",
    "distribution": "4", "SharingGroup": {"name": "asean-scam-taskforce"},
    "Attribute": ATTRIBUTES, "Object": OBJECTS,
    "Tag": [{"name": "tlp:amber"}, {"name": 'bersama:scam-type="romance"'},
            {"name": 'bersama:loss="350000 THB"'}, {"name": 'bersama:loss="lots"'},
            {"name": "osint:source-type=\"block-or-filter-list\""}],
    "EventTag": [{"Tag": {"name": 'misp-galaxy:threat-actor="Golden Chicken"'}}],
}


def _parse(doc: Any) -> list[ReportDraft | Rejection]:
    return list(parse_misp(io.BytesIO(orjson.dumps(doc)), agency_country="TH"))


def _reordered(event: dict[str, Any], first: list[str]) -> dict[str, Any]:
    return {**{k: event[k] for k in first}, **{k: v for k, v in event.items() if k not in first}}


def test_the_event_reads_as_it_always_has() -> None:
    """What the adapter gave before attributes streamed (recorded from it)."""
    drafts, rejections = split(_parse({"Event": EVENT}))
    assert len(drafts) == 1
    d = drafts[0]
    assert [o.ref for o in d.observables] == [
        "phone:+66812345678", "url:https://thai-love-match.com/pay", "phone:+639171234567",
        "ewallet:gcash:+639171234567", "email:sweetheart.nok@gmail.com", "ipv4:203.0.113.78",
        "bank-account:TH:KBANK:1234567890", "handle:telegram:nok_sweetheart",
    ]
    assert dict(d.extra)["misp:to_ids"] == ";".join([
        "phone:+66812345678", "url:https://thai-love-match.com/pay", "phone:+639171234567",
        "ewallet:gcash:+639171234567", "bank-account:TH:KBANK:1234567890"])
    assert [(r.record, r.field) for r in rejections] == [
        ("attribute a1000000-0000-4000-8000-000000000003", "phone-number"),
        ("attribute a1000000-0000-4000-8000-000000000004", "type"),
        ("attribute a1000000-0000-4000-8000-000000000007", "bank-account-nr"),
        ("attribute a1000000-0000-4000-8000-000000000011", "filename|md5"),
        ("attribute ?", "type"),
        ("attribute a1000000-0000-4000-8000-000000000024", "e-wallet"),
        (f"event {UUID}", "Tag"),
    ]
    assert d.marking is not None
    assert (d.marking.tlp, d.marking.group) == (TLP.AMBER, "asean-scam-taskforce")
    assert d.labels == ('osint:source-type="block-or-filter-list"',
                        'misp-galaxy:threat-actor="Golden Chicken"')
    assert (d.title, d.one_campaign, d.loss_amount, d.loss_currency) == (
        "Love scam ring", True, 350000, "THB")


@pytest.mark.parametrize("first", [
    ["Attribute"],  # the event's own fields after its attributes
    ["Object", "Attribute"],  # objects first: still read after the attributes
    ["Tag", "Object", "EventTag", "Attribute", "SharingGroup", "timestamp"],
    ["Attribute", "Object", "Tag", "EventTag", "SharingGroup", "distribution"],
])
def test_fields_in_any_order_read_the_same(first: list[str]) -> None:
    expected = _parse({"Event": EVENT})
    assert _parse({"Event": _reordered(EVENT, first)}) == expected


@pytest.mark.parametrize("shape", [
    lambda e: e,  # bare, as PyMISP writes it
    lambda e: [{"Event": e}],
    lambda e: [e],
    lambda e: {"response": [{"Event": e}]},
])
def test_every_shape_reads_the_same(shape: Any) -> None:
    assert _parse(shape(_reordered(EVENT, ["Attribute"]))) == _parse({"Event": EVENT})


def test_an_item_with_an_event_inside_reads_that_event_only() -> None:
    """`{"Attribute": [...], "Event": {...}}` in a list: the attributes beside the event are
    not its own (as before, when the event was taken from the item whole)."""
    item = {"Attribute": [_attr(30, "email", "bad")], "Event": EVENT,
            "Object": [{"name": "e-wallet", "Attribute": []}]}
    assert _parse([item]) == _parse({"Event": EVENT})


def test_a_repeated_key_reads_as_json_does_the_last_one() -> None:
    body = orjson.dumps({"Event": EVENT})
    one = orjson.dumps([_attr(40, "email", "first@example.com")])
    repeated = body.replace(b'"Attribute":', b'"Attribute":' + one + b',"Attribute":', 1)
    assert list(parse_misp(io.BytesIO(repeated), agency_country="TH")) == _parse(
        {"Event": EVENT})


@pytest.mark.parametrize("value", [None, "x", {"a": 1}, 5])
def test_attributes_that_are_no_list_are_none(value: Any) -> None:
    drafts, _ = split(_parse({"Event": {**EVENT, "Attribute": value, "Object": value}}))
    assert drafts[0].observables == ()


def test_a_long_event_streams_whole() -> None:
    """More attributes than any buffer: every one is read, in order, the list's to_ids
    note cut where it always was."""
    attrs = [_attr(i, "phone-number", f"+60 12-{i // 10000:03d} {i % 10000:04d}",
                   to_ids=True) for i in range(3000)]
    drafts, rejections = split(_parse({"Event": {**_reordered(EVENT, ["Attribute"]),
                                                 "Attribute": attrs, "Object": []}}))
    assert rejections == [r for r in _parse({"Event": EVENT}) if isinstance(r, Rejection)
                          and r.field == "Tag"]
    refs = [o.ref for o in drafts[0].observables]
    assert refs == [f"phone:+6012{i // 10000:03d}{i % 10000:04d}" for i in range(3000)]
    assert dict(drafts[0].extra)["misp:to_ids"] == ";".join(refs)[:2000]
