"""The core REST API end to end: ingest, checks, clusters, reports, and bad input."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import orjson
import pytest
from tests.integration.conftest import Node, writes_held

from bersama.federation.protocol import TAXII_21
from bersama.ingest.model import ReportDraft
from bersama.ingest.storable import GROUP_CHARS, NAME_CHARS
from bersama.markings import TLP, Marking
from bersama.observables import bank_account, phone
from bersama.stix.export import bundle, draft_to_stix

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def _bundle(drafts: list[ReportDraft], agency: str, country: str) -> bytes:
    objs = [o for d in drafts for o in draft_to_stix(d, agency=agency, agency_country=country,
                                                     identity_id=None)]
    return orjson.dumps(bundle(objs))


def _d(*obs: object, marking: Marking | None = None) -> ReportDraft:
    return ReportDraft(source_id=f"report--{uuid.uuid4()}", modified=NOW,
                       observables=tuple(obs), marking=marking)  # type: ignore[arg-type]


def test_ingest_then_check_across_borders(node: Node) -> None:
    my = _bundle([_d(phone("012-345 6789", "MY"), bank_account("MY", "Maybank", "5123 4567 8901"),
                     marking=Marking(TLP.GREEN))], "MY-PDRM", "MY")
    r = node.client.post("/api/v1/ingest?format=stix", content=my, headers=node.auth("ana@my"))
    assert r.status_code == 200, r.text
    assert r.json()["accepted"] == 1
    th = _bundle([_d(phone("+60 12 345 6789", "TH"), marking=Marking(TLP.GREEN))],
                 "TH-TCSD", "TH")
    assert node.client.post("/api/v1/ingest?format=stix", content=th,
                            headers=node.auth("ana@th")).status_code == 200
    r = node.client.get("/api/v1/check", params={"value": "012-345 6789", "country": "MY"},
                        headers=node.auth("ana@jp"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["key"] == "+60123456789"
    assert body["countries"] == ["MY", "TH"]
    assert body["cluster"]["cross_border"] is True
    r = node.client.post("/api/v1/check", json={"values": ["+60123456789", "nonsense!"]},
                         headers=node.auth("ana@jp"))
    assert r.status_code == 200
    res = r.json()["results"]
    assert res[0]["reports"] == 2
    assert res[1]["valid"] is False
    clusters = node.client.get("/api/v1/clusters?cross_border=true",
                               headers=node.auth("ana@jp")).json()["clusters"]
    assert len(clusters) == 1
    cid = clusters[0]["id"]
    one = node.client.get(f"/api/v1/clusters/{cid}", headers=node.auth("ana@jp")).json()
    assert {rep["country"] for rep in one["reports"]} == {"MY", "TH"}
    rid = one["reports"][0]["id"]
    assert node.client.get(f"/api/v1/reports/{rid}", headers=node.auth("ana@jp")).status_code == 200


def test_top_sets_how_many_cluster_identifiers_are_listed(node: Node) -> None:
    my = _bundle([_d(phone("012-345 6789", "MY"), bank_account("MY", "Maybank", "5123 4567 8901"),
                     phone("012-345 6780", "MY"), marking=Marking(TLP.GREEN))], "MY-PDRM", "MY")
    assert node.client.post("/api/v1/ingest?format=stix", content=my,
                            headers=node.auth("ana@my")).status_code == 200
    h = node.auth("ana@jp")
    values = ["+60123456789"]
    full = node.client.post("/api/v1/check", json={"values": values}, headers=h).json()
    assert len(full["results"][0]["cluster"]["observables"]) == 2
    for top in (1, 0):
        cut = node.client.post("/api/v1/check", json={"values": values, "top": top},
                               headers=h).json()["results"][0]
        assert cut["cluster"]["observables"] == full["results"][0]["cluster"]["observables"][:top]
        assert cut["reports"] == 1
        one = node.client.get("/api/v1/check", params={"value": values[0], "top": top},
                              headers=h).json()
        assert one["cluster"]["observables"] == cut["cluster"]["observables"]
    for top in (-1, 10_000):  # FastAPI refuses -1, the read layer 10,000: both name `top`
        r = node.client.post("/api/v1/check", json={"values": values, "top": top}, headers=h)
        assert r.status_code == 422, r.text
        assert r.json()["field"] == "top", r.text
        r = node.client.get("/api/v1/check", params={"value": values[0], "top": top}, headers=h)
        assert r.status_code == 422, r.text
        assert r.json()["field"] == "top", r.text


def test_every_rejection_of_a_batch_can_be_read_back_by_its_agency(node: Node) -> None:
    rows = ["Case No,Date Reported,Phone Number"] + [
        f"C{i},2026-03-01,{'12' if i % 5 else f'012-345 {i:04d}'}" for i in range(1, 1301)
    ]
    h = node.auth("ana@my")
    r = node.client.post("/api/v1/ingest?format=csv", content="\n".join(rows).encode(), headers=h)
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["rejected"] == 1040
    assert len(answer["rejections"]) == 1000
    url = f"/api/v1/ingest/{answer['batch_id']}/rejections"
    first = node.client.get(url, params={"limit": 600}, headers=h).json()
    assert first["next_offset"] == 600
    rest = node.client.get(url, params={"offset": 600}, headers=h).json()
    assert rest["next_offset"] is None
    listed = first["rejections"] + rest["rejections"]
    assert listed[:1000] == answer["rejections"]
    assert [x["line"] for x in listed] == [i + 1 for i in range(1, 1301) if i % 5]
    other = node.client.get(url, headers=node.auth("ana@th"))
    assert other.status_code == 404
    assert other.headers["content-type"].startswith("application/problem+json")
    assert node.client.get(url, params={"limit": 0}, headers=h).status_code == 422
    assert node.client.get(url).status_code == 401


def test_reader_cannot_ingest_and_public_cannot_read(node: Node) -> None:
    body = _bundle([_d(phone("0123456789", "MY"))], "MY-PDRM", "MY")
    r = node.client.post("/api/v1/ingest?format=stix", content=body, headers=node.auth("rea@my"))
    assert r.status_code == 403
    assert r.headers["content-type"].startswith("application/problem+json")
    assert node.client.get("/api/v1/check?value=0123456789").status_code == 401


def test_bad_input_is_a_clear_4xx(node: Node) -> None:
    h = node.auth("ana@my")
    cases = [
        ("/api/v1/ingest?format=stix", b"{not json", 422),
        ("/api/v1/ingest?format=stix", b'{"type": "bundle", "id": "bundle--x", "objects": 5}', 422),
        ("/api/v1/ingest?format=stix", bytes(range(256)) * 50, 422),
        ("/api/v1/ingest?format=nope", b"{}", 422),
        ("/api/v1/ingest?format=csv", b"foo,bar\n1,2\n", 422),
        ("/api/v1/ingest?format=stix", b"", 422),
    ]
    for path, content, status in cases:
        r = node.client.post(path, content=content, headers=h)
        assert r.status_code == status, (path, content[:40], r.status_code, r.text)
        assert r.json()["detail"]
    r = node.client.post("/api/v1/check", json={"values": ["1"] * 10_001}, headers=h)
    assert r.status_code == 413
    r = node.client.post("/api/v1/check", content=b"{oops", headers={
        **h, "content-type": "application/json"})
    assert r.status_code == 422
    r = node.client.get("/api/v1/check", params={"value": "x" * 5000}, headers=h)
    assert r.status_code == 422
    huge = str(2**64)  # past any 64-bit id: the client's mistake, not a driver overflow
    for path in (f"/api/v1/clusters/{huge}", f"/api/v1/clusters?offset={huge}",
                 f"/api/v1/ingest/{huge}/rejections", f"/api/v1/ingest/1/rejections?offset={huge}",
                 f"/api/v1/review?after_id={huge}"):
        r = node.client.get(path, headers=h)
        assert r.status_code == 422, (path, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
    for path in (f"/api/v1/review/{huge}/reject", f"/api/v1/disclosures/{huge}/approve"):
        r = node.client.post(path, headers=node.auth("adm@my"))
        assert r.status_code == 422, (path, r.text)


def test_a_batch_group_or_recipient_the_store_cannot_hold_is_refused_up_front(
        node: Node) -> None:
    h = node.auth("ana@my")
    rows = b"Case No,Date Reported,Phone Number\nC1,2026-03-01,012-345 6789\n"
    for params, field in (({"tlp": "amber", "group": "g" * (GROUP_CHARS + 1)}, "group"),
                          ({"tlp": "amber", "group": "MY\x00TH"}, "group"),
                          ({"tlp": "red", "recipients": "ana@my," + "a" * (NAME_CHARS + 1)},
                           "recipients")):
        r = node.client.post("/api/v1/ingest", params={"format": "csv", **params},
                             content=rows, headers=h)
        assert r.status_code == 422, (params, r.text)
        assert r.json()["field"] == field, r.text
        assert "batch_id" not in r.json()  # no batch: nothing was read, nothing rejected
    assert node.client.get("/api/v1/status", headers=h).json()["reports"] == 0


def test_a_write_kept_waiting_by_another_is_a_503_to_retry(
        node: Node, monkeypatch: pytest.MonkeyPatch) -> None:
    body = _bundle([_d(phone("+66812345678"))], "TH-TCSD", "TH")
    h = node.auth("ana@th")
    with writes_held(node.engine, "MY-PDRM", monkeypatch):
        r = node.client.post("/api/v1/ingest?format=stix", content=body, headers=h)
    assert r.status_code == 503, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == "busy"
    assert int(r.headers["retry-after"]) > 0
    again = node.client.post("/api/v1/ingest?format=stix", content=body, headers=h)
    assert again.status_code == 200, again.text
    assert again.json()["accepted"] == 1


def test_a_csv_export_in_its_own_layout_and_encoding_is_ingested_over_http(node: Node) -> None:
    h = node.auth("ana@my")
    export = "Tarikh Laporan;No. Telefon Suspek;Catatan\n01/03/2026;012-345 6789;caf\u00e9\n"
    mapping = orjson.dumps({"columns": {"reported_at": "Tarikh Laporan",
                                        "phone": "No. Telefon Suspek"},
                            "date_format": "%d/%m/%Y"}).decode()
    params = {"format": "csv", "mapping": mapping, "encoding": "cp1252"}
    r = node.client.post("/api/v1/ingest", params=params, content=export.encode("cp1252"),
                         headers=h)
    assert r.status_code == 200, r.text
    assert (r.json()["accepted"], r.json()["rejected"]) == (1, 0)
    check = node.client.get("/api/v1/check", params={"value": "+60123456789"}, headers=h)
    assert check.json()["reports"] == 1
    for bad, field in (({"format": "stix", "encoding": "cp1252"}, "encoding"),
                       ({"format": "csv", "mapping": "{not json"}, "mapping")):
        r = node.client.post("/api/v1/ingest", params=bad, content=b"x", headers=h)
        assert r.status_code == 422, r.text
        assert r.json()["field"] == field


def test_oversize_body_is_refused_without_writing(node: Node) -> None:
    h = node.auth("ana@my")
    big = b"a" * (node.settings.max_body_bytes + 1)
    r = node.client.post("/api/v1/ingest?format=text", content=big, headers=h)
    assert r.status_code == 413
    status = node.client.get("/api/v1/status", headers=h).json()
    assert status["reports"] == 0


def test_a_method_a_path_does_not_serve_is_a_405_naming_those_it_does(node: Node) -> None:
    for method, path, allowed in (("TRACE", "/api/v1/status", "GET"),
                                  ("PUT", "/api/v1/review/1/reject", "POST"),
                                  ("DELETE", "/api/v1/admin/agencies", "GET, POST"),
                                  ("OPTIONS", "/api/v1/check", "GET, POST")):
        r = node.client.request(method, path, headers=node.auth("ana@my"))
        assert r.status_code == 405, (method, path, r.text)
        assert r.headers["allow"] == allowed  # RFC 9110: a 405 lists the methods served
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["title"] == "Method Not Allowed"


def test_a_missing_or_broken_json_body_is_named_body(node: Node) -> None:
    h = {**node.auth("ana@my"), "content-type": "application/json"}
    for content, reason in ((b"", "Field required"), (b"\x00", "JSON decode error at character 0"),
                            (b'{"values": [1', "JSON decode error at character 13")):
        r = node.client.post("/api/v1/check", content=content, headers=h)
        assert r.status_code == 422, r.text
        first = r.json()["errors"][0]
        assert first["field"] == r.json()["field"] == "body"
        assert first["reason"].startswith(reason)
        assert r.json()["detail"].startswith(f"body: {reason}")


def test_a_body_json_cannot_be_read_from_is_a_400_named_body(node: Node) -> None:
    h = {**node.auth("ana@my"), "content-type": "application/json"}
    for content, reason in ((b"\xff", "not UTF-8 (invalid start byte at byte 0)"),
                            (b'{"values": ["\xe9"]}', "not UTF-8 (invalid continuation byte"),
                            (b"[" * 100_000, "JSON nested too deeply")):
        r = node.client.post("/api/v1/check", content=content, headers=h)
        assert r.status_code == 400, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        problem = r.json()
        assert problem["field"] == problem["errors"][0]["field"] == "body"
        assert problem["errors"][0]["reason"].startswith(reason)
        assert problem["detail"].startswith(f"body: {reason}")


def test_a_body_value_of_another_json_type_is_refused_not_coerced(node: Node) -> None:
    agency = {"code": "SG-SPF", "name": "SPF", "country": "SG", "type": "police"}
    for method, path, body, field in (
            ("POST", "/api/v1/check", {"values": ["+60123456789"], "top": False}, "top"),
            ("POST", "/api/v1/check", {"values": ["+60123456789"], "top": True}, "top"),
            ("POST", "/api/v1/check", {"values": ["+60123456789"], "top": "1"}, "top"),
            ("POST", "/api/v1/detect/message", {"items": ["hi"], "queue": 1}, "queue"),
            ("PUT", "/api/v1/admin/users/ana@my/disabled", {"disabled": "yes"}, "disabled"),
            ("POST", "/api/v1/admin/agencies", {**agency, "is_peer": 0}, "is_peer"),
            # a list item is named as everywhere else (the detection endpoints, the
            # lone-surrogate check): `values[1]`, not pydantic's `values.1`
            ("POST", "/api/v1/check", {"values": ["+60123456789", 7]}, "values[1]"),
            ("POST", "/api/v1/detect/url", {"items": ["http://a.example/", None]}, "items[1]")):
        r = node.client.request(method, path, json=body, headers=node.auth("adm@my"))
        assert r.status_code == 422, (path, body, r.text)
        assert r.json()["field"] == r.json()["errors"][0]["field"] == field, r.text
        assert r.json()["detail"].startswith(f"{field}: "), r.text
    r = node.client.post("/api/v1/check", json={"values": ["+60123456789"], "top": 0},
                         headers=node.auth("adm@my"))
    assert r.status_code == 200, r.text


def test_openapi_describes_what_the_node_answers(node: Node) -> None:
    spec = node.client.get("/openapi.json").json()
    paths = spec["paths"]
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    cluster = paths["/api/v1/clusters/{cluster_id}"]["get"]["responses"]
    for status in ("401", "404", "422", "429"):
        assert cluster[status]["content"] == problem, status
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    bulk = paths["/api/v1/check"]["post"]["responses"]["200"]["content"]["application/json"]
    assert bulk["schema"] != {"type": "string"}  # an object, not a string
    export = paths["/api/v1/review/export"]["get"]["responses"]["200"]["content"]
    assert list(export) == ["application/x-ndjson"]
    ingest = paths["/api/v1/ingest"]["post"]
    assert ingest["requestBody"]["required"] is True
    fmt = next(p for p in ingest["parameters"] if p["name"] == "format")
    assert fmt["schema"]["enum"] == ["stix", "misp", "csv", "text"]
    for path, item in paths.items():
        if path.startswith("/taxii2/"):
            for op in item.values():
                assert "422" not in op["responses"], path  # TAXII answers 400
                for status, r in op["responses"].items():
                    assert list(r["content"]) == [TAXII_21], (path, status)


def test_a_lone_surrogate_in_a_json_body_is_a_422_naming_where(node: Node) -> None:
    """JSON can spell a lone UTF-16 surrogate, which no UTF-8 text holds: echoing it back
    (bulk check) or storing it used to fail with a 500."""
    h = {**node.auth("ana@my"), "content-type": "application/json"}
    for path, body, field in (
        ("/api/v1/check", b'{"values": ["+60123456789", "\\ud800"]}', "values[1]"),
        ("/api/v1/check", b'{"values": ["x"], "country": "M\\udfffY"}', "country"),
        ("/api/v1/ask-peers", b'{"value": "\\ud83d"}', "value"),
    ):
        r = node.client.post(path, content=body, headers=h)
        assert r.status_code == 422, (path, r.text)
        assert r.json()["field"] == field, r.text
    ok = node.client.post("/api/v1/check", headers=h,
                          content=b'{"values": ["+60123456789 \\ud83d\\ude00"]}')
    assert ok.status_code == 200, ok.text  # a surrogate pair is a character (an emoji)


@pytest.mark.parametrize("value", ["012-345 6789", "+60 12-345 6789"])
def test_a_country_that_is_none_is_a_422_naming_country(node: Node, value: str) -> None:
    h = node.auth("ana@my")
    r = node.client.get("/api/v1/check", params={"value": value, "country": "ZZ"}, headers=h)
    assert r.status_code == 422, r.text
    assert r.json()["field"] == "country"
    r = node.client.post("/api/v1/check", json={"values": [value], "country": "ZZ"}, headers=h)
    assert r.status_code == 422, r.text
    assert r.json()["field"] == "country"


@pytest.mark.parametrize(("params", "named"), [
    ({"tlp": "amber", "group": "MY-TH-bilateral"}, "MY-TH-bilateral"),  # the group is MY-TH
    ({"tlp": "amber+strict", "recipients": "TH-TCSD,TH-TSCD"}, "TH-TSCD"),
    ({"tlp": "red", "recipients": "ana@th,ana@jp.example"}, "ana@jp.example"),
])
def test_a_batch_group_or_recipient_this_node_does_not_know_is_refused_naming_it(
        node: Node, params: dict[str, str], named: str) -> None:
    # A mistyped group or recipient was stored as given: the reports were then readable
    # by the owner agency alone, and nothing said so.
    h = node.auth("ana@my")
    rows = b"Case No,Date Reported,Phone Number\nC1,2026-03-01,012-345 6789\n"
    r = node.client.post("/api/v1/ingest", params={"format": "csv", **params}, content=rows,
                         headers=h)
    assert r.status_code == 404, r.text
    problem = r.json()
    assert problem["field"] == ("group" if "group" in params else "recipients"), r.text
    assert problem["value"] == named
    assert node.client.get("/api/v1/status", headers=h).json()["reports"] == 0


def test_asking_peers_reads_a_national_number_in_the_asking_agencys_country(node: Node) -> None:
    # POST /api/v1/ask-peers (and /disclosures) without "country" read "012-345 6789" with
    # no country at all: 'no country', never sent, although docs/psi.md and issue 5 say the
    # asking agency's national formats are read; a country that is none was not named.
    h = node.auth("ana@my")
    r = node.client.post("/api/v1/ask-peers", json={"values": ["012-345 6789"]}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["results"][0]["ref"] == "phone:+60123456789", r.text
    r = node.client.post("/api/v1/disclosures", headers=h, json={
        "peer": "th-node", "value": "012-345 6789", "reason": "case 42"})
    assert r.status_code == 404, r.text
    assert r.json()["field"] == "peer"  # the value was read; there is no such peer
    for path, body in (("/api/v1/ask-peers", {"values": ["+60123456789"]}),
                       ("/api/v1/disclosures", {"peer": "th-node", "value": "+60123456789",
                                                "reason": "case 42"})):
        r = node.client.post(path, json={**body, "country": "ZZ"}, headers=h)
        assert r.status_code == 422, r.text
        assert r.json()["field"] == "country", r.text


def test_asking_peers_about_more_values_than_a_bulk_check_takes_is_refused_as_it_is(
        node: Node) -> None:
    # POST /api/v1/ask-peers answered 422 where POST /api/v1/check answers 413 for the same
    # bound (`bulk_check_max`): one list over the node's bound, two answers.
    h = node.auth("ana@my")
    body = {"values": ["+60123456789"] * (node.settings.bulk_check_max + 1)}
    for path in ("/api/v1/check", "/api/v1/ask-peers"):
        r = node.client.post(path, json=body, headers=h)
        assert r.status_code == 413, (path, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        problem = r.json()
        assert problem["field"] == "values", (path, r.text)
        assert problem["code"] == "payload-too-large", (path, r.text)
        assert str(node.settings.bulk_check_max) in problem["detail"], (path, r.text)
        assert str(node.settings.bulk_check_max + 1) in problem["detail"], (path, r.text)
