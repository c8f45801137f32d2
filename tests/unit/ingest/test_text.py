"""Free text: sections, extraction, amounts, ids, bad encodings."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest

from bersama.errors import InvalidInput
from bersama.ingest.fields import NARRATIVE_LIMIT
from bersama.ingest.model import ReportDraft
from bersama.ingest.text import parse_text

from .conftest import fixture, split


def test_english_advisory_with_two_sections() -> None:
    drafts, _ = split(parse_text(fixture("advisory_en.txt"), agency_country="SG"))
    assert len(drafts) == 2
    first, second = drafts
    assert first.title.startswith("ADVISORY: Fake courier")
    assert {"url:https://sgpost-redelivery.com/pay", "phone:+6581234567"} <= {
        o.ref for o in first.observables}
    assert (first.loss_amount, first.loss_currency) == (Decimal(45000), "SGD")
    assert first.modified.isoformat().startswith("2026-03-04")
    assert first.language is None
    assert "email:scam.helpdesk@outlook.com" in {o.ref for o in second.observables}
    assert second.source_ref.endswith("line 8")


def test_malay_advisory() -> None:
    drafts, _ = split(parse_text(fixture("advisory_ms.txt"), agency_country="MY"))
    assert len(drafts) == 1
    refs = {o.ref for o in drafts[0].observables}
    assert {"phone:+60123456789", "bank-account:MY:MBB:512345678901"} <= refs
    assert (drafts[0].loss_amount, drafts[0].loss_currency) == (Decimal(12500), "MYR")


def test_same_text_same_id_and_long_text_is_cut() -> None:
    text = ("Call 012-345 6789 now. " * 2000).encode()
    a, _ = split(parse_text(io.BytesIO(text), agency_country="MY"))
    b, _ = split(parse_text(io.BytesIO(text), agency_country="MY"))
    assert a[0].source_id == b[0].source_id
    assert len(a[0].narrative) == NARRATIVE_LIMIT


@pytest.mark.parametrize(("data", "message"), [
    (b"caf\xe9 scam\n", "not utf-8"), (b"\x00\x01binary", "binary"), (b"  \n", "empty"),
])
def test_bad_text(data: bytes, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        list(parse_text(io.BytesIO(data), agency_country="MY"))


def test_a_legacy_thai_advisory_is_read_in_the_encoding_given() -> None:
    text = "แจ้งเตือน: มิจฉาชีพโทรจาก 081-234-5678 อ้างเป็นตำรวจ\n"
    drafts, rejected = split(parse_text(io.BytesIO(text.encode("cp874")), agency_country="TH",
                                        encoding="cp874"))
    assert not rejected
    assert drafts[0].narrative == text.strip()
    assert [o.key for o in drafts[0].observables] == ["+66812345678"]
    with pytest.raises(InvalidInput, match=r"not utf-8 \(line 1\)") as refused:
        list(parse_text(io.BytesIO(text.encode("cp874")), agency_country="TH"))
    assert refused.value.field == "encoding"


def test_bank_accounts_in_text_meet_csv_rows() -> None:
    from bersama.ingest.csv import parse_csv

    text = (b"Victim paid into Kasikornbank 123-4-56789-0 and Maybank 5123 4567 8901.\n")
    (draft,) = [d for d in parse_text(io.BytesIO(text), agency_country="MY")
                if isinstance(d, ReportDraft)]
    csv = (b"date,bank,account_number\n"
           b"2026-03-01,Kasikornbank;Maybank,123-4-56789-0;5123 4567 8901\n")
    (row,) = [d for d in parse_csv(io.BytesIO(csv), agency_country="MY")
              if isinstance(d, ReportDraft)]
    expected = {"bank-account:TH:KBANK:1234567890", "bank-account:MY:MBB:512345678901"}
    assert {o.ref for o in draft.observables} == {o.ref for o in row.observables} == expected


def test_a_date_no_month_has_is_skipped_for_the_next() -> None:
    text = b"Calls since 2026-02-30, reported 2026-03-02 from +60 12-345 6789."
    (draft,), _ = split(parse_text(io.BytesIO(text), agency_country="MY"))
    assert draft.modified.isoformat().startswith("2026-03-02")
