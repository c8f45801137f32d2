"""MISP bank-account objects (SWIFT/BIC) and e-wallets meet CSV and STIX on one key."""

from __future__ import annotations

import io
import itertools
from typing import Any

import orjson

from bersama.ingest.csv import parse_csv
from bersama.ingest.misp import parse_misp
from bersama.ingest.model import Rejection, ReportDraft
from bersama.ingest.stix import parse_stix

from .conftest import split

_IDS = itertools.count(1)


def _attr(atype: str, value: str, relation: str | None = None, **kw: Any) -> dict[str, Any]:
    n = next(_IDS)
    a = {"type": atype, "value": value, "uuid": f"a0000000-0000-4000-8000-{n:012d}", **kw}
    if relation:
        a["object_relation"] = relation
    return a


def _event(*, attributes: list[dict[str, Any]] | None = None,
           objects: list[dict[str, Any]] | None = None,
           country: str = "MY") -> tuple[ReportDraft, list[Rejection]]:
    event = {"Event": {"uuid": "9d2f5d6e-0a1b-4c23-94e5-f60718293a41", "info": "x",
                       "timestamp": "1767600000", "Attribute": attributes or [],
                       "Object": objects or []}}
    drafts, rejections = split(parse_misp(io.BytesIO(orjson.dumps(event)),
                                          agency_country=country))
    assert len(drafts) == 1
    return drafts[0], rejections


def _bank(account: str, **fields: str) -> dict[str, Any]:
    types = {"swift": "bic", "non-banking-institution": "boolean"}
    return {"name": "bank-account", "Attribute": [
        _attr("bank-account-nr", account, "account"),
        *(_attr(types.get(k, "text"), v, k) for k, v in fields.items())]}


def _refs(draft: ReportDraft) -> set[str]:
    return {o.ref for o in draft.observables}


def test_misp_bic_account_meets_csv_bank_name() -> None:
    misp, rejections = _event(objects=[_bank("5123-4567-8901", swift="MBBEMYKLXXX")],
                              country="TH")
    assert not rejections
    csv = b"date,bank,account_number\n2026-03-01,Maybank,5123 4567 8901\n"
    (row,), _ = split(parse_csv(io.BytesIO(csv), agency_country="MY"))
    bic_csv = b"date,swift,account_number\n2026-03-01,MBBEMYKL,512345678901\n"
    (bic_row,), _ = split(parse_csv(io.BytesIO(bic_csv), agency_country="SG"))
    assert _refs(misp) == _refs(row) == _refs(bic_row) == {"bank-account:MY:MBB:512345678901"}


def test_unknown_bic_is_kept_and_a_known_name_helps() -> None:
    d, rejections = _event(objects=[_bank("1234567890", swift="ZZZZTHBKXXX")])
    assert _refs(d) == {"bank-account:TH:ZZZZTHBK:1234567890"}
    d, _ = _event(objects=[_bank("1234567890", swift="ZZZZTHBK", **{
        "institution-name": "Kasikornbank"})])
    assert _refs(d) == {"bank-account:TH:KBANK:1234567890"}
    assert not rejections


def test_bad_swift_is_rejected_and_the_name_used() -> None:
    d, rejections = _event(objects=[_bank("512345678901", swift="MAYBANK!", **{
        "institution-name": "Maybank"})])
    assert _refs(d) == {"bank-account:MY:MBB:512345678901"}
    assert [(r.field, r.value) for r in rejections] == [("swift", "MAYBANK!")]


def test_institution_name_of_a_foreign_bank_takes_its_country() -> None:
    d, _ = _event(objects=[_bank("123-4-56789-0", **{"institution-name": "Kasikornbank"})])
    assert _refs(d) == {"bank-account:TH:KBANK:1234567890"}
    d, _ = _event(objects=[_bank("123-4-56789-0", **{"institution-code": "004",
                                                     "institution-name": "Kasikornbank"})])
    assert _refs(d) == {"bank-account:TH:KBANK:1234567890"}


def test_non_banking_bank_account_is_an_ewallet() -> None:
    d, rejections = _event(objects=[_bank("0917 123 4567", **{
        "institution-name": "GCash", "non-banking-institution": "1"})])
    assert _refs(d) == {"ewallet:gcash:+639171234567"}
    # a known provider that is no bank, without the flag
    d, _ = _event(objects=[_bank("012-987 6543", **{"institution-name": "Touch 'n Go"})])
    assert _refs(d) == {"ewallet:tng:+60129876543"}
    # the partner says it is a bank: a bank account all the same
    d, _ = _event(objects=[_bank("09171234567", **{
        "institution-name": "GCash", "non-banking-institution": "0"})])
    assert _refs(d) == {"bank-account:MY:GCASH:09171234567"}
    # a name that is both a bank and a wallet (Maya Bank, Maya) stays a bank without the flag
    d, _ = _event(objects=[_bank("09171234567", **{"institution-name": "Maya"})], country="PH")
    assert _refs(d) == {"bank-account:PH:MAYA:09171234567"}
    assert not rejections


def test_ewallet_objects() -> None:
    d, rejections = _event(objects=[
        {"name": "e-wallet", "Attribute": [_attr("text", "TrueMoney", "provider"),
                                           _attr("phone-number", "081 234 5678", "phone-number")]},
        {"name": "gcash-account", "Attribute": [_attr("text", "0917 123 4567", "account")]},
    ], country="TH")
    assert _refs(d) == {"ewallet:truemoney:+66812345678", "phone:+66812345678",
                        "ewallet:gcash:+639171234567"}
    assert not rejections


def test_ewallet_object_without_provider_or_account_is_rejected() -> None:
    d, rejections = _event(objects=[
        {"name": "e-wallet", "Attribute": [_attr("text", "0917 123 4567", "account")]},
        {"name": "ewallet", "Attribute": [_attr("text", "GCash", "provider")]}])
    assert d.observables == ()
    assert [r.field for r in rejections] == ["e-wallet", "ewallet"]
    assert "provider" in rejections[0].reason
    assert rejections[0].value == "0917 123 4567"
    assert "no account" in rejections[1].reason


def test_phone_number_whose_comment_names_a_wallet() -> None:
    d, rejections = _event(attributes=[
        _attr("phone-number", "0917 123 4567", comment="GCash account of the mule"),
        _attr("phone-number", "0918 765 4321", comment="GCash", category="Financial fraud"),
        _attr("phone-number", "0905 111 2222", comment="fake GCash support line",
              category="Social network"),
        _attr("phone-number", "0906 333 4444", comment="GCash or Maya wallet"),
    ], country="PH")
    assert _refs(d) == {
        "phone:+639171234567", "ewallet:gcash:+639171234567",
        "phone:+639187654321", "ewallet:gcash:+639187654321",
        "phone:+639051112222", "phone:+639063334444"}
    assert [(r.field, r.value) for r in rejections] == [("comment", "GCash or Maya wallet")]


def test_an_account_number_no_bank_of_its_country_issues_is_a_rejection_in_every_format() -> None:
    """A six-digit Krungthai "account" (a code, a typo) is refused with the bank's length,
    naming the field and value, in CSV, MISP and STIX alike; the report stays."""
    csv = b"date,bank,account_number,phone\n2026-03-01,Krungthai,123456,+66812345678\n"
    (row,), csv_rej = split(parse_csv(io.BytesIO(csv), agency_country="TH"))
    misp, misp_rej = _event(objects=[_bank("123456", **{"institution-name": "Krungthai"})],
                            attributes=[_attr("phone-number", "+66812345678")], country="TH")
    sco = {"type": "x-bersama-bank-account", "spec_version": "2.1",
           "id": "x-bersama-bank-account--ea447200-b5ed-5727-886c-af46d523a1e9",
           "country": "TH", "bank": "Krungthai", "account_number": "123456"}
    report = {"type": "report", "spec_version": "2.1",
              "id": "report--0c6a4c8e-1d4e-4b8e-9a55-1b2e7d7a0042", "name": "x",
              "created": "2026-03-01T00:00:00Z", "modified": "2026-03-01T00:00:00Z",
              "published": "2026-03-01T00:00:00Z", "object_refs": [sco["id"]]}
    bundle = {"type": "bundle", "id": "bundle--0c6a4c8e-1d4e-4b8e-9a55-1b2e7d7a0043",
              "objects": [report, sco]}
    (stix,), stix_rej = split(parse_stix(io.BytesIO(orjson.dumps(bundle)), agency_country="TH"))
    assert _refs(row) == _refs(misp) == {"phone:+66812345678"}
    assert stix.observables == ()
    where = []
    for rejections in (csv_rej, misp_rej, stix_rej):
        [r] = rejections
        assert r.value == "123456"
        assert "banks in TH have 10-14 digits" in r.reason
        where.append((r.field, (r.record or "").split(" ")[0]))
    assert where == [("account_number", "line"), ("bank-account", "attribute"),
                     ("account_number", sco["id"])]
