"""How one generated report is written in each source format the node ingests.

Why each format gets its own idiom rather than one dump: the scenario exists
to exercise every ingest path the way real partners fill it.  Hotline CSV
uses the default column layout of docs/ingest-formats.md with national phone
formats; MISP events use MISP's attribute types and the `bank-account`,
`coin-address` and `*-account` object templates; advisories are plain text
with defanged indicators, sections split by `---`; STIX goes through the
node's own exporter (`bersama.stix.export.draft_to_stix`).

The ids of CSV rows and text sections are derived the way the CSV and text
adapters derive them (uuid5 of the agency's country and the hotline
reference or section text), so the answer key names the ids ingest will
produce; tests/unit/synth parse these outputs with the real adapters.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from bersama.markings import TLP, Marking
from bersama.observables.model import Kind
from bersama.synth.catalog import COUNTRIES
from bersama.synth.events import GeneratedReport
from bersama.synth.identifiers import Ident
from bersama.synth.narratives import PLATFORM_NAMES

CSV_COLUMNS = ("report_id", "reported_at", "country", "crime_type", "scam_type", "loss_amount",
               "currency", "phone", "bank", "account_number", "ewallet_provider",
               "ewallet_account", "crypto_address", "url", "email", "handle_platform", "handle",
               "narrative", "language", "tlp", "sharing_group")

_COLUMN_OF = {Kind.PHONE: "phone", Kind.CRYPTO: "crypto_address", Kind.URL: "url",
              Kind.EMAIL: "email"}


def tlp_text(marking: Marking | None) -> str:
    return (marking.tlp if marking else TLP.AMBER).value.upper()


def _amount(amount: Decimal | None) -> str:
    return "" if amount is None else format(amount, "f")


# ---------------------------------------------------------------------- CSV

def csv_row(rep: GeneratedReport, report_ref: str) -> list[str]:
    d = rep.draft
    row = dict.fromkeys(CSV_COLUMNS, "")
    row.update(
        report_id=report_ref,
        reported_at=d.modified.strftime("%Y-%m-%dT%H:%M:%SZ"),
        country=rep.agency.country,
        crime_type=d.crime_type.value,
        scam_type=";".join(s.value for s in d.scam_types),
        loss_amount=_amount(d.loss_amount),
        currency=d.loss_currency or "",
        narrative=d.narrative,
        language=d.language or "",
        tlp=tlp_text(d.marking),
        sharing_group=(d.marking.group or "") if d.marking else "",
    )
    for ident, written in rep.written:
        kind = ident.kind
        if kind is Kind.BANK_ACCOUNT:
            row["bank"], row["account_number"] = ident.parts[1], written
        elif kind is Kind.EWALLET:
            row["ewallet_provider"], row["ewallet_account"] = ident.parts[1], written
        elif kind is Kind.HANDLE:
            row["handle_platform"], row["handle"] = ident.parts[0], written
        else:  # a report may name a well-known or invalid value beside the real one
            col = _COLUMN_OF[kind]
            row[col] = f"{row[col]}; {written}" if row[col] else written
    return [row[c] for c in CSV_COLUMNS]


# --------------------------------------------------------------------- text

def _indicator(ident: Ident, written: str) -> str:  # noqa: PLR0911 - one line per kind
    kind = ident.kind
    if kind is Kind.PHONE:
        return f"- Phone: {written}"
    if kind is Kind.BANK_ACCOUNT:
        return f"- Bank account: {ident.parts[1]} {written}"
    if kind is Kind.EWALLET:
        return f"- E-wallet: {ident.parts[1]} {written}"
    if kind is Kind.CRYPTO:
        return f"- Crypto wallet ({ident.parts[0]}): {written}"
    if kind is Kind.URL:
        return f"- Website: {written}"
    if kind is Kind.EMAIL:
        return f"- E-mail: {written}"
    return f"- {PLATFORM_NAMES[ident.parts[0]]}: {written}"


def text_section(agency_code: str, agency_name: str, agency_country: str, *, scam_label: str,
                 occurred: datetime, reported: datetime, marking: Marking | None,
                 narrative: str, written: tuple[tuple[Ident, str], ...],
                 amount: Decimal | None, currency: str | None) -> str:
    """One advisory section: the first ISO date in it is the incident date."""
    lines = [
        f"SCAM ADVISORY {agency_code}: {scam_label}",
        f"TLP:{tlp_text(marking)}",
        f"Incident date: {occurred.date().isoformat()}",
        f"Reported: {reported.date().isoformat()} by {agency_name} "
        f"({COUNTRIES[agency_country].name})",
        "",
        narrative,
        "",
        "Indicators:",
        *(_indicator(i, w) for i, w in written),
    ]
    if amount is not None and currency:
        lines.append(f"Reported loss: {currency} {amount:,}")
    return "\n".join(lines)


# --------------------------------------------------------------------- MISP

def _attr(atype: str, category: str, value: str, uid: str, *, to_ids: bool = True,
          relation: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"type": atype, "category": category, "value": value, "uuid": uid,
                           "to_ids": to_ids, "disable_correlation": False}
    if relation is not None:
        out["object_relation"] = relation
    return out


def misp_event(rep: GeneratedReport, uid: uuid.UUID) -> dict[str, Any]:  # noqa: PLR0912 - per kind
    """The report as a MISP event export (`{"Event": {...}}`); `uid` seeds the uuids."""
    d = rep.draft
    counter = iter(range(1, 1000))
    base = uid.int

    def nid() -> str:  # distinct, deterministic attribute uuids derived from the event's
        return str(uuid.UUID(int=(base + next(counter) * 0x9E3779B97F4A7C15) % 2**128,
                             version=4))

    tags = [{"name": f"tlp:{tlp_text(d.marking).lower()}"},
            {"name": f'bersama:crime-type="{d.crime_type.value}"'},
            *({"name": f'bersama:scam-type="{s.value}"'} for s in d.scam_types),
            {"name": f'bersama:country="{rep.agency.country}"'}]
    if d.language:
        tags.append({"name": f'bersama:language="{d.language}"'})
    if d.loss_amount is not None and d.loss_currency:
        tags.append({"name": f'bersama:loss="{d.loss_currency} {_amount(d.loss_amount)}"'})
    attributes: list[dict[str, Any]] = []
    objects: list[dict[str, Any]] = []
    for ident, written in rep.written:
        kind = ident.kind
        if kind is Kind.PHONE:
            attributes.append(_attr("phone-number", "Other", written, nid()))
        elif kind is Kind.URL:
            attributes.append(_attr("url", "Network activity", written, nid()))
        elif kind is Kind.EMAIL:
            attributes.append(_attr("email-src", "Payload delivery", written, nid()))
        elif kind is Kind.CRYPTO:
            objects.append({"name": "coin-address", "meta-category": "financial", "uuid": nid(),
                            "Attribute": [
                                _attr("btc", "Financial fraud", written, nid(),
                                      relation="address"),
                                _attr("text", "Other", ident.parts[0], nid(), to_ids=False,
                                      relation="symbol")]})
        elif kind is Kind.BANK_ACCOUNT:
            code, name, swift, _digits = ident.parts
            attrs = [_attr("bank-account-nr", "Financial fraud", written, nid(),
                           relation="account"),
                     _attr("text", "Other", name, nid(), to_ids=False,
                           relation="institution-name")]
            if ident.country != rep.agency.country:
                # A foreign account: only the SWIFT/BIC says which country it is in.
                attrs.append(_attr("bic", "Financial fraud", swift, nid(), to_ids=False,
                                   relation="swift"))
            else:
                attrs.append(_attr("text", "Other", code, nid(), to_ids=False,
                                   relation="institution-code"))
            objects.append({"name": "bank-account", "meta-category": "financial", "uuid": nid(),
                            "Attribute": attrs})
        elif kind is Kind.EWALLET:
            attributes.append(_attr("phone-number", "Financial fraud", written, nid()))
            attributes.append(_attr("comment", "Other", f"{ident.parts[1]} e-wallet account",
                                    nid(), to_ids=False))
        else:
            platform = ident.parts[0]
            objects.append({"name": f"{platform}-account", "meta-category": "misc",
                            "uuid": nid(), "Attribute": [
                                _attr("text", "Social network", written, nid(),
                                      relation="username")]})
    event: dict[str, Any] = {
        "uuid": d.source_id.removeprefix("report--"),
        "info": d.title,
        "date": (d.occurred_at or d.modified).date().isoformat(),
        "timestamp": str(int(d.modified.timestamp())),
        "published": True,
        "analysis": "2",
        "threat_level_id": "2",
        "distribution": "4" if d.marking and d.marking.group else "1",
        "Orgc": {"name": rep.agency.code},
        "Tag": tags,
        "Attribute": attributes,
        "Object": objects,
    }
    if d.marking and d.marking.group:
        event["SharingGroup"] = {"name": d.marking.group}
    if d.narrative:
        attributes.append(_attr("text", "Other", d.narrative, nid(), to_ids=False))
    return {"Event": event}
