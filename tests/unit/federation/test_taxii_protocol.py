"""TAXII protocol values: filters, cursors, media types, envelopes."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest

from bersama.errors import InvalidInput
from bersama.federation.protocol import (
    Cursor,
    envelope_bytes,
    format_timestamp,
    media_type_ok,
    parse_filters,
    parse_timestamp,
)

ALLOWED = frozenset({"added_after", "match[id]", "match[type]", "match[version]",
                     "match[spec_version]"})


def test_timestamp_roundtrip() -> None:
    t = datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)
    assert format_timestamp(t) == "2026-01-02T03:04:05.123456Z"
    assert parse_timestamp(format_timestamp(t)) == t
    with pytest.raises(InvalidInput):
        parse_timestamp("2026-01-02T03:04:05")


def test_filters_defaults_and_lists() -> None:
    f = parse_filters({"match[type]": ["indicator,report"], "match[id]": ["a", "b"]},
                      allowed=ALLOWED)
    assert f.types == ("indicator", "report")
    assert f.ids == ("a", "b")
    assert f.versions == ("last",)
    assert f.limit == 1000


@pytest.mark.parametrize(("params", "field"), [
    ({"limit": ["0"]}, "limit"),
    ({"limit": ["x"]}, "limit"),
    ({"added_after": ["yesterday"]}, "added_after"),
    ({"match[version]": ["newest"]}, "match[version]"),
    ({"match[spec_version]": ["3.0"]}, "match[spec_version]"),
    ({"match[colour]": ["red"]}, "match[colour]"),
])
def test_bad_filters_name_the_field(params: dict[str, list[str]], field: str) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_filters(params, allowed=ALLOWED)
    assert err.value.field == field


def test_limit_capped() -> None:
    assert parse_filters({"limit": ["999999"]}, allowed=ALLOWED, max_limit=500).limit == 500


def test_cursor_roundtrip_and_garbage() -> None:
    c = Cursor(datetime(2026, 1, 1, tzinfo=UTC), 42)
    assert Cursor.decode(c.encode()) == c
    with pytest.raises(InvalidInput):
        Cursor.decode("not-a-token")


@pytest.mark.parametrize(("header", "ok"), [
    (None, True), ("*/*", True), ("application/taxii+json;version=2.1", True),
    ("application/taxii+json", True), ("application/json", False),
    ("application/taxii+json;version=2.0", False), ("text/html, */*;q=0", False),
])
def test_accept(header: str | None, ok: bool) -> None:
    assert media_type_ok(header) is ok


def test_content_type_strict() -> None:
    assert media_type_ok("application/taxii+json;version=2.1", for_request_body=True)
    assert not media_type_ok("application/json", for_request_body=True)
    assert not media_type_ok(None, for_request_body=True)


def test_envelope_bytes_is_valid_json() -> None:
    raw = envelope_bytes([b'{"id":"x--1","type":"x"}'], {"x--1@": "sig"}, more=True,
                         next_token="n")
    doc = orjson.loads(raw)
    assert doc == {"more": True, "next": "n", "x_bersama_signatures": {"x--1@": "sig"},
                   "objects": [{"id": "x--1", "type": "x"}]}
    assert orjson.loads(envelope_bytes([], {}, more=False, next_token=None)) == {"more": False}
