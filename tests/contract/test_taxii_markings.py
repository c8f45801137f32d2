"""TAXII serves each version of a report under its own marking as well as the current one.
(Found by the session 17 soak: an old RED version was read under a newer GREEN marking.)"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from bersama.config import Settings
from bersama.federation.protocol import Filters
from bersama.ingest.model import ReportDraft
from bersama.ingest.pipeline import ingest
from bersama.markings import TLP, Marking, Reader, Role
from bersama.observables import phone
from bersama.store import taxii
from bersama.store.identities import add_agency

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def test_an_old_red_version_stays_red_when_the_report_is_re_marked_green(
        engine: Engine, settings: Settings) -> None:
    """An agency files a report RED naming two numbers, then a sanitised GREEN version
    naming one.  Another agency may read the GREEN version, never the RED one nor the
    number only it named (the soak read both through TAXII, match[version]=all and the
    default `last`, as MY-NSRC: the RED narrative and its identifiers)."""
    with engine.begin() as c:
        for code, cc in (("PH-PNP", "PH"), ("MY-NSRC", "MY")):
            add_agency(c, code=code, name=code, country=cc, type="police", now=NOW)
    shared, secret = phone("+639171234567", "PH"), phone("+639179876543", "PH")
    red = ReportDraft(source_id="report--52ca1d22-1c5e-5a20-9b72-cc5887090fc5", modified=NOW,
                      observables=(shared, secret), narrative="RED narrative",
                      marking=Marking(TLP.RED, recipient_users=frozenset()))
    green = replace(red, modified=NOW + timedelta(days=1), observables=(shared,),
                    narrative="GREEN narrative", marking=Marking(TLP.GREEN))
    for draft in (red, green):
        with engine.begin() as c:
            ingest(c, settings, agency="PH-PNP", items=[draft], source_format="test",
                   source="test", actor=Reader(agency="PH-PNP", user="a@ph", role=Role.ANALYST))
    other = Reader(agency="MY-NSRC", user="a@my", role=Role.ANALYST)
    with engine.connect() as c:
        rows = [*taxii.page(c, other, None, Filters(limit=1000, versions=("all",))).rows,
                *taxii.page(c, other, None, Filters(limit=1000)).rows]
    bodies = " ".join(r.body or "" for r in rows)
    assert "GREEN narrative" in bodies
    assert "RED narrative" not in bodies
    assert secret.key not in bodies
    owner = Reader(agency="PH-PNP", user="a@ph", role=Role.ANALYST)
    with engine.connect() as c:
        mine = taxii.page(c, owner, None, Filters(limit=1000, versions=("all",))).rows
    assert "RED narrative" in " ".join(r.body or "" for r in mine)
