"""Hotline CSV: aliases, multi-values, mapping files, encodings, bad rows and bad files."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest

from bersama.errors import InvalidInput
from bersama.ingest.csv import MAX_ROW_BYTES, CsvMapping, parse_csv
from bersama.markings import TLP
from bersama.taxonomy import ScamType

from .conftest import fixture, split


def _parse(data: bytes, **kw: object) -> tuple[list, list]:
    return split(parse_csv(io.BytesIO(data), agency_country="MY", **kw))  # type: ignore[arg-type]


def test_good_export_with_aliases_and_multi_values() -> None:
    drafts, rejections = split(parse_csv(fixture("hotline.csv"), agency_country="MY"))
    assert [d.title for d in drafts] == [
        "Hotline report MY-2026-0001", "Hotline report MY-2026-0002",
        "Hotline report MY-2026-0003", "Hotline report MY-2026-0005"]
    first, second, third, fifth = drafts
    assert {o.ref for o in first.observables} == {
        "phone:+60123456789", "url:https://profit-max.top/login",
        "email:support@profit-max.top", "bank-account:MY:MBB:512345678901",
        "handle:telegram:invest_guru88"}
    assert (first.loss_amount, first.loss_currency) == (Decimal("12500.00"), "MYR")
    assert first.marking is not None
    assert first.marking.tlp is TLP.AMBER
    assert "three tranches" in first.narrative  # quoted multi-line cell
    assert {o.ref for o in second.observables} == {
        "phone:+60323456789", "phone:+601123456789", "ewallet:tng:+60129876543"}
    assert second.scam_types == (ScamType.IMPERSONATION_COURIER,)
    assert (second.loss_amount, second.loss_currency) == (Decimal(850), "MYR")
    assert {o.ref for o in third.observables} == {
        "bank-account:MY:CIMB:7001234567", "bank-account:MY:CIMB:7009876543",
        "crypto:1BoatSLRHtKNngkdXEeobR76b53LETtpyT"}
    assert fifth.observables == ()
    lines = {(r.line, r.field) for r in rejections}
    assert (6, "Date Reported") in lines  # whole row rejected: no usable date
    assert {(7, "Scam Type"), (7, "Loss"), (7, "TLP"), (7, "Phone Number")} <= lines


def test_ids_are_stable_and_depend_on_agency_country() -> None:
    a, _ = split(parse_csv(fixture("hotline.csv"), agency_country="MY"))
    b, _ = split(parse_csv(fixture("hotline.csv"), agency_country="MY"))
    c, _ = split(parse_csv(fixture("hotline.csv"), agency_country="SG"))
    assert [d.source_id for d in a] == [d.source_id for d in b]
    assert a[0].source_id != c[0].source_id


def test_missing_required_columns_are_named() -> None:
    with pytest.raises(InvalidInput, match="reported_at") as err:
        list(parse_csv(fixture("hotline_missing_column.csv"), agency_country="MY"))
    assert err.value.line == 1


def test_latin1_file_is_refused_unless_encoding_given() -> None:
    with pytest.raises(InvalidInput, match=r"not utf-8.*--encoding") as err:
        list(parse_csv(fixture("hotline_latin1.csv"), agency_country="MY"))
    assert err.value.line == 2
    drafts, _ = split(parse_csv(fixture("hotline_latin1.csv"), agency_country="MY",
                                encoding="latin-1"))
    assert drafts[0].narrative.startswith("Café owner")


def test_utf8_bom_and_semicolon_delimiter() -> None:
    data = "\ufeffid;date;phone\nA1;2026-01-01;012-345 6789|011-2345 6789\n".encode("utf-8")
    drafts, rejections = _parse(data)
    assert not rejections
    assert len(drafts[0].observables) == 2



@pytest.mark.parametrize(("cell", "keys"), [
    # ";" and "|" are characters of URLs: a URL holding one stays whole.
    ('"http://a.com/login.php?cmd=x&amp;id=7&amp;s=1"',
     ["http://a.com/login.php?cmd=x&amp;id=7&amp;s=1"]),
    ("http://a.com/p;jsessionid=AB12?q=1|2", ["http://a.com/p;jsessionid=AB12?q=1%7C2"]),
    # Several URLs: separated by white space, with or without a ";" or "|" before it.
    ('"http://a.com/x; http://b.com/y"', ["http://a.com/x", "http://b.com/y"]),
    ('"a.com/x | b.com/y"', ["http://a.com/x", "http://b.com/y"]),
    ('"http://a.com/x http://b.com/y"', ["http://a.com/x", "http://b.com/y"]),
])
def test_url_cells_split_only_where_a_url_cannot_continue(cell: str, keys: list[str]) -> None:
    data = f"id,date,url\nA1,2026-01-01,{cell}\n".encode()
    drafts, rejections = _parse(data)
    assert not rejections
    assert sorted(o.key for o in drafts[0].observables) == keys


def test_very_long_line_is_rejected_and_skipped() -> None:
    long = b"X2,2026-01-02,012-345 6789," + b"a" * (MAX_ROW_BYTES + 10) + b"\n"
    data = b"id,date,phone,narrative\nX1,2026-01-01,012-345 6789,ok\n" + long + \
        b"X3,2026-01-03,012-345 6789,ok\n"
    drafts, rejections = _parse(data)
    assert [d.title for d in drafts] == ["Hotline report X1", "Hotline report X3"]
    assert rejections[0].line == 3
    assert "longer than" in rejections[0].reason


_HEAD = b"id,date,phone,narrative\nX1,2026-01-01,012-345 6789,ok\n"
_TAIL = b"X3,2026-01-03,012-345 6789,ok\n"
_BIG = b"a" * (csv.field_size_limit() + 1)


@pytest.mark.parametrize(("row", "field", "column"), [
    (b'X2,2026-01-02,012-345 6789,"' + _BIG + b'"\n', "narrative", 4),
    (b'X2,2026-01-02,012-345 6789,"starts\n' + _BIG + b'\nand ends, ""quoted"""\n',
     "narrative", 4),
    (b"X2,2026-01-02,012-345 6789," + _BIG + b"\n", "narrative", 4),
    (b'X2,"' + _BIG + b'",012-345 6789,"and a cell\nover two lines"\n', "date", 2),
    (b'X2,2026-01-02,012-345 6789,"a"' + _BIG + b"\n", "narrative", 4),
    (b"X2,2026-01-02,012-345 6789,ok,more," + _BIG + b"\n", "column 6", 6),
])
def test_a_cell_over_the_field_limit_rejects_its_row_naming_line_and_column(
        row: bytes, field: str, column: int) -> None:
    """Python's csv refuses a cell over 131,072 characters: that refused the whole batch."""
    drafts, rejections = _parse(_HEAD + row + _TAIL)
    assert [d.title for d in drafts] == ["Hotline report X1", "Hotline report X3"]
    assert [(r.line, r.field, r.record) for r in rejections] == [(3, field, "line 3")]
    assert rejections[0].reason.startswith(f"column {column}")
    assert "131,072 characters" in rejections[0].reason


def test_a_cell_over_the_field_limit_on_the_last_line_rejects_its_row() -> None:
    for last in (_BIG, b'"' + _BIG + b'"'):  # no line end after it
        drafts, rejections = _parse(_HEAD + b"X2,2026-01-02,012-345 6789," + last)
        assert [d.title for d in drafts] == ["Hotline report X1"]
        assert [(r.line, r.field) for r in rejections] == [(3, "narrative")]


@pytest.mark.parametrize("quoted", [
    b"x" * 100,                                           # what the reader returned at the end
    (b"x" * 1000 + b"\n") * 200,                          # over the field limit
    _BIG + b'""\n',                                       # a doubled quote closes nothing
])
def test_a_quoted_cell_never_closed_refuses_the_batch(quoted: bytes) -> None:
    """Everything after the quote would be one cell: the rows after it silently lost."""
    with pytest.raises(InvalidInput, match="line 3 is never closed") as err:
        _parse(_HEAD + b'X2,2026-01-02,012-345 6789,"' + quoted + b"\n" + _TAIL)
    assert err.value.line == 3


@pytest.mark.parametrize("row", [
    # one line over the bound, opening a quoted cell that closes on the next line
    b'X2,2026-01-02,012-345 6789,"' + b"q" * MAX_ROW_BYTES + b'\nX9,2026-01-09,012"\n',
    # many lines, each cell under the field limit, together over the bound
    b"X2,2026-01-02,012-345 6789," + b",".join(
        [b'"' + b"y" * 100_000 + b'\n"'] * (MAX_ROW_BYTES // 100_000 + 1)) + b"\n",
])
def test_a_row_over_the_bound_is_skipped_to_its_end(row: bytes) -> None:
    drafts, rejections = _parse(_HEAD + row + _TAIL)
    assert [d.title for d in drafts] == ["Hotline report X1", "Hotline report X3"]
    assert [(r.line, r.reason) for r in rejections] == [
        (3, f"row longer than {MAX_ROW_BYTES} bytes: skipped")]


@pytest.mark.parametrize("data", [
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    b"id,date,phone\n\x00\x01\x02\x03,\xff\xfe\n",
    "id,date,phone\r\n".encode("utf-16"),
])
def test_binary_garbage_is_refused(data: bytes) -> None:
    with pytest.raises(InvalidInput):
        list(parse_csv(io.BytesIO(data), agency_country="MY"))


def test_mapping_file_names_other_columns(tmp_path: Path) -> None:
    path = tmp_path / "mapping.json"
    path.write_text(json.dumps({"columns": {"reported_at": "Tarikh Laporan",
                                            "phone": "No. Telefon Suspek"},
                                "date_format": "%d/%m/%Y"}))
    data = b"Tarikh Laporan,No. Telefon Suspek\n03/02/2026,012-345 6789\n"
    drafts, _ = _parse(data, mapping=CsvMapping.load(path))
    assert drafts[0].occurred_at is not None
    assert drafts[0].occurred_at.month == 2
    toml = tmp_path / "mapping.toml"
    toml.write_text('date_format = "%d/%m/%Y"\n[columns]\nphone = "Nombor"\n'
                    'reported_at = "Tarikh"\n')
    assert CsvMapping.load(toml).columns == {"phone": "Nombor", "reported_at": "Tarikh"}
    with pytest.raises(InvalidInput, match="not in the header"):
        _parse(b"a,b\n1,2\n", mapping=CsvMapping(columns={"phone": "Telefon"}))
    with pytest.raises(InvalidInput, match="unknown fields"):
        CsvMapping.from_dict({"columns": {"colour": "x"}})


def test_bank_country_column_and_the_banks_own_country() -> None:
    data = (b"Date,Bank,Account No,Bank Country\n"
            b"2026-03-01,Kasikornbank,123-4-56789-0,\n"      # Thai bank, Malaysian agency
            b"2026-03-02,Maybank,5123 4567 8901,SG\n"        # stated country
            b"2026-03-03,Bank Foo,1234567890,TH\n"           # unknown bank, stated country
            b"2026-03-04,Kasikornbank,123-4-56789-0,MY\n"    # stated country wins for a name
            b"2026-03-05,MBBEMYKL,512345678901,SG\n"         # contradicts the BIC
            b"2026-03-06,Maybank,512345678901,XX\n")
    drafts, rejections = _parse(data)
    assert [{o.ref for o in d.observables} for d in drafts] == [
        {"bank-account:TH:KBANK:1234567890"}, {"bank-account:SG:MBB:512345678901"},
        {"bank-account:TH:BANKFOO:1234567890"}, {"bank-account:MY:KASIKORNBANK:1234567890"},
        set(), set()]
    assert [(r.line, r.field, r.value) for r in rejections] == [
        (6, "Bank Country", "SG"), (7, "Bank Country", "XX")]
    assert "MBBEMYKL" in rejections[0].reason
    assert "MY" in rejections[0].reason


def test_bank_country_per_account_and_mapping() -> None:
    data = (b"Date,Bank,Account No,Negara Bank\n"
            b"2026-03-01,Maybank;DBS,5123 4567 8901;0012345678,MY;SG\n"
            b"2026-03-02,Maybank;DBS,5123 4567 8901;0012345678,MY;SG;TH\n")
    drafts, rejections = _parse(data)
    assert {o.ref for o in drafts[0].observables} == {
        "bank-account:MY:MBB:512345678901", "bank-account:SG:DBS:0012345678"}
    assert drafts[1].observables == ()
    assert [(r.line, r.field) for r in rejections] == [(3, "Negara Bank")]
    mapping = CsvMapping.from_dict({"columns": {"bank_country": "Lokasi", "bank": "Bank X",
                                                "account_number": "No", "reported_at": "D"}})
    drafts, _ = _parse(b"D,Bank X,No,Lokasi\n2026-03-01,UOB,1234567890,TH\n", mapping=mapping)
    assert {o.ref for o in drafts[0].observables} == {"bank-account:TH:UOB:1234567890"}


def test_epoch_date_out_of_range_rejects_the_row() -> None:
    drafts, rejections = _parse(b"reported_at,phone\n99999999999999999999,+60123456789\n")
    assert drafts == []
    assert rejections[0].field == "reported_at"
    assert "out of range" in rejections[0].reason


def test_banks_without_account_numbers_read_no_account() -> None:
    drafts, _ = _parse(b"reported_at,phone,bank,account_number\n"
                       b"2026-03-01,+60123456789,Maybank;CIMB,\n")
    assert [o.ref for o in drafts[0].observables] == ["phone:+60123456789"]


def test_a_lone_wallet_column_holds_the_wallets_not_their_providers() -> None:
    # "E-wallet" is an alias of the provider's column; alone, its cells were never read.
    drafts, rejections = _parse(b"Date,Phone,E-wallet\n"
                                b"2026-03-01,012-345 6789,tng:012-345 6789\n"
                                b"2026-03-02,012-345 6790,TNG\n")
    assert [o.ref for o in drafts[0].observables] == [
        "phone:+60123456789", "ewallet:tng:+60123456789"]
    assert [(r.line, r.field) for r in rejections] == [(3, "E-wallet")]  # the header, as written


def test_bare_cr_line_ends_are_named() -> None:
    with pytest.raises(InvalidInput, match="bare CR") as info:
        _parse(b"reported_at,phone\r2026-03-01,+60123456789\r")
    assert info.value.field == "header"
