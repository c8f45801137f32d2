"""Context fields every adapter reads the same way: times, amounts, currencies, types.

Hotline exports, MISP events and advisories spell the same facts many ways
("RM 1,234.50", "love scam", "2024-03-01"); parsing them here once keeps the
adapters consistent and the accepted spellings documented in one place
(docs/ingest-formats.md).  Functions raise ValueError with a reason; adapters
turn that into a Rejection naming the field.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from bersama.taxonomy import CrimeType, ScamType

NARRATIVE_LIMIT = 20_000
"""Characters of narrative kept per report; longer text is cut and marked with '…'."""

_STIX_TS = re.compile(
    r"\A\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)"
    r"(\.\d+)?Z\Z"
)
_FRACTION = re.compile(r"(\.\d{6})\d+")


def truncate(text: str) -> str:
    text = text.strip()
    return text if len(text) <= NARRATIVE_LIMIT else text[: NARRATIVE_LIMIT - 1] + "…"


def is_stix_timestamp(value: object) -> bool:
    return isinstance(value, str) and _STIX_TS.match(value) is not None


def stix_timestamp(value: object) -> datetime:
    """An RFC 3339 STIX timestamp (UTC, `Z`) as an aware datetime; ValueError otherwise."""
    if not isinstance(value, str) or not _STIX_TS.match(value):
        raise ValueError(f"not an RFC 3339 UTC timestamp (YYYY-MM-DDTHH:MM:SS[.s]Z): {value!r}")
    if len(value) > 27:
        value = _FRACTION.sub(r"\1", value)
    return datetime.fromisoformat(value.replace(":60", ":59"))


def parse_datetime(value: str, fmt: str | None = None) -> datetime:
    """ISO 8601 date or date-time, Unix epoch seconds, or `fmt` (strptime); naive means UTC."""
    s = value.strip()
    if not s:
        raise ValueError("empty date")
    if fmt:
        try:
            dt = datetime.strptime(s, fmt)
        except ValueError:
            raise ValueError(f"date {s!r} does not match format {fmt!r}") from None
    elif s.isdigit() and len(s) >= 9:
        try:
            dt = datetime.fromtimestamp(int(s), tz=UTC)
        except (OverflowError, OSError, ValueError):  # past year 9999 or the platform's time_t
            raise ValueError(f"epoch seconds {s!r} are out of range") from None
    else:
        try:
            dt = datetime.fromisoformat(s.replace(" ", "T", 1) if len(s) > 10 else s)
        except ValueError:
            raise ValueError(
                f"not an ISO 8601 date {s!r}; give the column's format in the mapping "
                "(date_format, e.g. \"%d/%m/%Y\")") from None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


CURRENCY_SYMBOLS: dict[str, str] = {
    "RM": "MYR", "S$": "SGD", "SGD$": "SGD", "₱": "PHP", "PHP₱": "PHP", "฿": "THB",
    "RP": "IDR", "RP.": "IDR", "₫": "VND", "B$": "BND", "A$": "AUD", "¥": "JPY", "₩": "KRW",
    "US$": "USD", "$": "USD", "€": "EUR", "£": "GBP", "₹": "INR", "៛": "KHR", "₭": "LAK",
    "K": "MMK",
}
COUNTRY_CURRENCY: dict[str, str] = {
    "BN": "BND", "KH": "KHR", "ID": "IDR", "LA": "LAK", "MY": "MYR", "MM": "MMK", "PH": "PHP",
    "SG": "SGD", "TH": "THB", "TL": "USD", "VN": "VND", "JP": "JPY", "KR": "KRW", "CN": "CNY",
    "AU": "AUD", "IN": "INR", "NZ": "NZD", "US": "USD", "GB": "GBP",
}
_CCY = re.compile(r"\A[A-Z]{3}\Z")
_AMOUNT = re.compile(r"[0-9][0-9.,' \u00a0]*")


def currency(value: str) -> str:
    """ISO 4217 code from a code or a common symbol ("rm", "RM", "₱"); ValueError otherwise."""
    s = value.strip().upper()
    s = CURRENCY_SYMBOLS.get(s, s)
    if not _CCY.match(s):
        raise ValueError(f"not an ISO 4217 currency code: {value!r}")
    return s


def parse_amount(value: str) -> tuple[Decimal, str | None]:
    """(amount, currency or None) from "1,234.50", "RM 1.234,50", "PHP 20000", "12 000"."""
    s = value.strip()
    m = _AMOUNT.search(s)
    if not m:
        raise ValueError(f"no amount in {value!r}")
    rest = (s[: m.start()] + s[m.end():]).strip()
    ccy = currency(rest) if rest else None
    num = m.group().strip().replace(" ", "").replace("\u00a0", "").replace("'", "")
    if "," in num and "." in num:
        dec = "." if num.rfind(".") > num.rfind(",") else ","
        num = num.replace("," if dec == "." else ".", "").replace(",", ".")
    elif "," in num:
        groups = num.split(",")
        if all(len(g) == 3 for g in groups[1:]):  # thousands separators: 1,234,567
            num = num.replace(",", "")
        else:  # decimal comma: 1234,50
            num = num.replace(",", ".")
    elif num.count(".") > 1:  # 1.234.567 (thousands dots)
        num = num.replace(".", "")
    try:
        amount = Decimal(num)
    except InvalidOperation:
        raise ValueError(f"not an amount: {value!r}") from None
    if amount < 0:
        raise ValueError(f"negative amount: {value!r}")
    return amount, ccy


_SCAM_ALIASES: dict[str, ScamType] = {
    "investment": ScamType.INVESTMENT, "crypto investment": ScamType.INVESTMENT,
    "ponzi": ScamType.INVESTMENT, "pig butchering": ScamType.INVESTMENT,
    "job": ScamType.JOB, "task": ScamType.JOB, "employment": ScamType.JOB,
    "romance": ScamType.ROMANCE, "love": ScamType.ROMANCE, "dating": ScamType.ROMANCE,
    "impersonation": ScamType.IMPERSONATION_AUTHORITY,
    "impersonation authority": ScamType.IMPERSONATION_AUTHORITY,
    "police impersonation": ScamType.IMPERSONATION_AUTHORITY,
    "government impersonation": ScamType.IMPERSONATION_AUTHORITY,
    "macau": ScamType.IMPERSONATION_AUTHORITY,
    "impersonation bank": ScamType.IMPERSONATION_BANK,
    "bank impersonation": ScamType.IMPERSONATION_BANK,
    "impersonation courier": ScamType.IMPERSONATION_COURIER,
    "parcel": ScamType.IMPERSONATION_COURIER,
    "courier": ScamType.IMPERSONATION_COURIER,
    "impersonation contact": ScamType.IMPERSONATION_CONTACT,
    "friend impersonation": ScamType.IMPERSONATION_CONTACT,
    "phishing": ScamType.PHISHING, "smishing": ScamType.PHISHING, "vishing": ScamType.PHISHING,
    "malware": ScamType.MALWARE_APK, "apk": ScamType.MALWARE_APK,
    "malware apk": ScamType.MALWARE_APK, "loan": ScamType.LOAN,
    "ecommerce": ScamType.ECOMMERCE, "e commerce": ScamType.ECOMMERCE,
    "online purchase": ScamType.ECOMMERCE, "online shopping": ScamType.ECOMMERCE,
    "prize": ScamType.PRIZE, "lottery": ScamType.PRIZE, "lucky draw": ScamType.PRIZE,
    "tech support": ScamType.TECH_SUPPORT, "extortion": ScamType.EXTORTION,
    "sextortion": ScamType.EXTORTION,
}
_CRIME_ALIASES: dict[str, CrimeType] = {
    "scam": CrimeType.SCAM, "fraud": CrimeType.SCAM, "online fraud": CrimeType.SCAM,
    "ransomware": CrimeType.RANSOMWARE, "intrusion": CrimeType.INTRUSION,
    "hacking": CrimeType.INTRUSION, "trafficking": CrimeType.TRAFFICKING,
    "human trafficking": CrimeType.TRAFFICKING,
    "terrorist content": CrimeType.TERRORIST_CONTENT, "terrorism": CrimeType.TERRORIST_CONTENT,
    "tvec": CrimeType.TERRORIST_CONTENT, "violent extremism": CrimeType.TERRORIST_CONTENT,
}
_WORDS = re.compile(r"[^a-z0-9]+")


def _norm(value: str) -> str:
    s = _WORDS.sub(" ", value.lower()).strip()
    for suffix in (" scam", " scams", " fraud"):
        if s.endswith(suffix) and s != suffix.strip():
            s = s[: -len(suffix)]
    return s


def scam_type(value: str) -> ScamType:
    """ScamType from its value or a common alias ("love scam", "Macau scam"); ValueError."""
    n = _norm(value)
    try:
        return ScamType(n.replace(" ", "-"))
    except ValueError:
        pass
    if n in _SCAM_ALIASES:
        return _SCAM_ALIASES[n]
    allowed = ", ".join(s.value for s in ScamType)
    raise ValueError(f"unknown scam type {value!r}; expected one of {allowed} or a common alias")


def crime_type(value: str) -> CrimeType:
    """CrimeType from its value or a common alias ("fraud", "hacking"); ValueError."""
    n = _WORDS.sub(" ", value.lower()).strip()
    try:
        return CrimeType(n.replace(" ", "-"))
    except ValueError:
        pass
    if n in _CRIME_ALIASES:
        return _CRIME_ALIASES[n]
    allowed = ", ".join(c.value for c in CrimeType)
    raise ValueError(f"unknown crime type {value!r}; expected one of {allowed}")


_CC = re.compile(r"\A[A-Z]{2}\Z")


def country(value: str) -> str:
    s = value.strip().upper()
    if not _CC.match(s):
        raise ValueError(f"not an ISO 3166-1 alpha-2 country code: {value!r}")
    return s
