"""Scam-hotline CSV exports to report drafts: one row, one report.

Hotlines export whatever their case system calls its columns, so the header is
matched case-insensitively against documented aliases of our fields (docs/
ingest-formats.md), and a `CsvMapping` file (JSON or TOML) names the columns of
any other export.  Rows are streamed: memory is bounded by the longest row
(`MAX_ROW_BYTES`, on one line or over the several of a quoted cell's line breaks; a
longer row is rejected and skipped as it is read, not buffered).  A cell over the csv
module's field limit (131,072 characters unless a program changed it) is a rejection
of its row naming the line and column, and the row is skipped to its end; a quoted
cell that the file never closes raises InvalidInput, since every row after its quote
would otherwise be read as part of it.

Encoding: UTF-8 (a BOM is allowed) unless told otherwise; we never guess, because
a wrong guess silently changes names and narratives.  A byte that is not UTF-8
raises InvalidInput naming the line and suggesting `--encoding`.  Missing
required columns and binary content raise InvalidInput before any row is read;
a bad row is a Rejection with its line number; a bad identifier in a good row is
a Rejection while the rest of the row is still a draft.

An identifier cell may hold several values separated by `;` or `|`, except a URL
cell: `;` and `|` are characters of URLs (`;jsessionid=`, `&amp;`, `?q=a|b`), so
URLs are separated only by white space (with or without a `;` or `|` before it),
which no URL contains; splitting on the bare character cut one URL into a shorter,
different one and rejected fragments.
"""

from __future__ import annotations

import codecs
import csv as _csv
import json
import re
import tomllib
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO, NoReturn

from bersama import observables as ob
from bersama.errors import InvalidInput, InvalidObservable
from bersama.ingest import fields
from bersama.ingest.csvcells import Cells, RowLines, over_limit
from bersama.ingest.markings_map import tlp_marking
from bersama.ingest.model import Rejection, ReportDraft
from bersama.observables.model import Kind, Observable
from bersama.taxonomy import ScamType

MAX_ROW_BYTES = 1024 * 1024
_URL_SPLIT = re.compile(r"\s*[;|]\s+|\s+")
_NS = uuid.UUID("3b1a6d2e-5c0f-4f43-9a8e-1f6f0e2a0400")


def csv_source_id(agency_country: str, basis: str) -> str:
    """The stable report id of a CSV row: its `report_id` cell (or whole row) per country."""
    return f"report--{uuid.uuid5(_NS, f'{agency_country}|{basis}')}"


ALIASES: dict[str, tuple[str, ...]] = {
    "report_id": (
        "id",
        "case_id",
        "case_no",
        "case_number",
        "report_no",
        "report_number",
        "reference",
        "ref_no",
        "ticket_id",
        "no_laporan",
    ),
    "reported_at": (
        "date",
        "report_date",
        "reported_date",
        "date_reported",
        "created_at",
        "timestamp",
        "tarikh",
        "tanggal",
    ),
    "updated_at": ("modified", "last_updated", "updated"),
    "country": ("country_code",),
    "crime_type": ("crime", "offence_type", "offense_type", "crime_category"),
    "scam_type": ("scam", "scam_category", "modus", "fraud_type", "scam_types"),
    "loss_amount": ("loss", "amount", "amount_lost", "total_loss", "kerugian"),
    "currency": ("ccy", "loss_currency"),
    "phone": (
        "phone_number",
        "telephone",
        "mobile",
        "msisdn",
        "scammer_phone",
        "no_telefon",
        "caller_number",
    ),
    "bank": ("bank_name", "bank_code", "swift", "bic", "swift_code", "swift_bic"),
    "bank_country": (
        "account_country",
        "bank_country_code",
        "country_of_bank",
        "negara_bank",
        "negara_akaun",
    ),
    "account_number": ("account_no", "acct_no", "bank_account", "no_akaun"),
    "ewallet_provider": ("wallet_provider", "ewallet", "e_wallet", "e_wallet_provider"),
    "ewallet_account": ("wallet_account", "ewallet_id", "wallet_id", "e_wallet_account"),
    "crypto_address": ("wallet_address", "crypto_wallet", "btc_address", "crypto"),
    "url": ("link", "website", "urls"),
    "email": ("email_address", "e_mail", "emails"),
    "handle_platform": ("platform", "social_platform"),
    "handle": ("username", "social_handle", "account_handle"),
    "narrative": ("description", "details", "summary", "story", "keterangan"),
    "language": ("lang",),
    "tlp": ("marking",),
    "sharing_group": ("group",),
    "title": ("subject",),
}
"""Our field → header aliases (matched lower-cased, non-alphanumerics as `_`)."""
IDENTIFIER_FIELDS = (
    "phone",
    "account_number",
    "ewallet_account",
    "crypto_address",
    "url",
    "email",
    "handle",
)
_PAIRS = {"account_number": "bank"}
_KEY = re.compile(r"[^a-z0-9]+")


def _header_key(name: str) -> str:
    return _KEY.sub("_", name.strip().lower()).strip("_")


@dataclass(frozen=True)
class CsvMapping:
    """How to read one export: our field → its column header, and format options."""

    columns: dict[str, str] = field(default_factory=dict)
    date_format: str | None = None
    """strptime format of reported_at/updated_at when not ISO 8601 (e.g. "%d/%m/%Y %H:%M")."""
    delimiter: str | None = None
    """Detected from the header line (`,` `;` tab) when None."""
    encoding: str | None = None
    """UTF-8 when None; any ASCII-compatible codec (cp1252, latin-1, cp874, tis-620...)."""

    @classmethod
    def load(cls, path: str | Path) -> CsvMapping:
        """From a JSON or TOML file: {"columns": {"phone": "No. Telefon"}, "date_format": ...}."""
        p = Path(path)
        try:
            raw = p.read_bytes()
            data: Any = (
                tomllib.loads(raw.decode("utf-8"))
                if p.suffix.lower() == ".toml"
                else json.loads(raw)
            )
        except (OSError, ValueError) as exc:
            raise InvalidInput(f"cannot read CSV mapping {p}: {exc}", field="mapping") from None
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: Any) -> CsvMapping:
        if not isinstance(data, dict):
            raise InvalidInput("CSV mapping must be an object", field="mapping")
        columns = data.get("columns", {})
        unknown = [k for k in columns if k not in ALIASES] if isinstance(columns, dict) else []
        if not isinstance(columns, dict) or unknown:
            raise InvalidInput(
                f"CSV mapping names unknown fields {unknown}; known: {', '.join(ALIASES)}",
                field="mapping.columns",
            )
        extra = set(data) - {"columns", "date_format", "delimiter", "encoding"}
        if extra:
            raise InvalidInput(f"unknown CSV mapping options {sorted(extra)}", field="mapping")
        return cls(
            columns={str(k): str(v) for k, v in columns.items()},
            date_format=data.get("date_format"),
            delimiter=data.get("delimiter"),
            encoding=data.get("encoding"),
        )


class _RowTooLong(Exception):
    """Raised through the csv reader when `_Lines` skipped a row over MAX_ROW_BYTES."""

    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


class _Lines(RowLines):
    """Decoded physical lines for the csv reader, and the lines of the row it is reading.

    A row (one line, or several when a quoted cell holds line breaks) is at most
    MAX_ROW_BYTES: a longer one is skipped as it is read, never buffered, and
    `_RowTooLong` raised through the reader.  The row's lines are kept so that a row
    the reader gives up on (a cell over its field limit) can be followed to its end
    (`given_up`)."""

    def __init__(self, stream: BinaryIO, encoding: str) -> None:
        super().__init__(",")
        self.stream = stream
        self.encoding = encoding
        self.row_bytes = 0

    def __next__(self) -> str:
        if not self.row_start:
            self.row, self.row_bytes = [], 0
        raw = self.stream.readline(MAX_ROW_BYTES - self.row_bytes + 1)
        if not raw:
            if self.row_start:  # the reader wants the rest of a quoted cell
                self._unclosed()
            raise StopIteration
        continued = self._count_line()
        self.row_bytes += len(raw)
        if self.row_bytes > MAX_ROW_BYTES:
            cells = Cells(self.delimiter, quoted=continued)
            cells.feed(raw.decode(self.encoding, "replace"))
            self.skip(cells, line_ended=raw.endswith(b"\n"))
            raise _RowTooLong(self.row_start)
        if self.line == 1:
            raw = self._first(raw)
        if b"\x00" in raw:
            raise InvalidInput(
                f"binary data (NUL byte) at line {self.line}: not a CSV file", line=self.line
            )
        try:
            text = raw.decode(self.encoding)
        except UnicodeDecodeError as exc:
            bad = raw[exc.start : exc.start + 1].hex()
            raise InvalidInput(
                f"file is not {self.encoding} (line {self.line}: byte 0x{bad}); re-export "
                "as UTF-8 or pass --encoding (e.g. cp1252, latin-1, cp874)",
                line=self.line,
                field="encoding",
            ) from None
        self.row.append(text)
        return text

    def _read_on(self, cells: Cells) -> None:
        self.skip(cells, line_ended=True)

    def skip(self, cells: Cells, *, line_ended: bool) -> None:
        """Read on to the end of the row `cells` follows, a bounded piece at a time."""
        while not cells.ended:
            raw = self.stream.readline(MAX_ROW_BYTES)
            if not raw:
                if cells.state == cells.QUOTED:
                    self._unclosed()
                return
            self.line += line_ended
            line_ended = raw.endswith(b"\n")
            cells.feed(raw.decode(self.encoding, "replace"))

    def _unclosed(self) -> NoReturn:
        raise InvalidInput(
            f"a quoted cell of the row at line {self.row_start} is never closed: the file "
            "ends inside it", line=self.row_start)

    def _first(self, raw: bytes) -> bytes:
        if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise InvalidInput("file is UTF-16; re-export as UTF-8", line=1, field="encoding")
        if raw.startswith(codecs.BOM_UTF8):
            return raw[3:]
        return raw


def _delimiter(header: str) -> str:
    counts = {d: header.count(d) for d in (",", ";", "\t")}
    return max(counts, key=counts.__getitem__) if any(counts.values()) else ","


def _resolve(header: list[str], mapping: CsvMapping) -> dict[str, int]:
    keys = [_header_key(h) for h in header]
    out: dict[str, int] = {}
    missing_mapped = []
    for ours, theirs in mapping.columns.items():
        try:
            out[ours] = keys.index(_header_key(theirs))
        except ValueError:
            missing_mapped.append(theirs)
    if missing_mapped:
        raise InvalidInput(
            f"columns named in the mapping are not in the header: {missing_mapped}",
            line=1,
            field="mapping",
        )
    for ours, aliases in ALIASES.items():
        if ours in out:
            continue
        for name in (ours, *aliases):
            if name in keys and keys.index(name) not in out.values():
                out[ours] = keys.index(name)
                break
    if "ewallet_provider" in out and "ewallet_account" not in out:
        # One wallet column ("E-wallet") holds the wallets themselves, `provider:account`:
        # read as the provider's column it would be dropped, row after row, unread.
        out["ewallet_account"] = out.pop("ewallet_provider")
    missing = []
    if "reported_at" not in out:
        missing.append("reported_at")
    if not any(f in out for f in IDENTIFIER_FIELDS):
        missing.append("one of " + ", ".join(IDENTIFIER_FIELDS))
    missing += [need for have, need in _PAIRS.items() if have in out and need not in out]
    if missing:
        raise InvalidInput(
            f"missing required CSV columns: {'; '.join(missing)} (header: {header[:30]}); "
            "rename them or pass a mapping file",
            line=1,
            field="header",
        )
    return out


def parse_csv(
    stream: BinaryIO,
    *,
    agency_country: str,
    source_name: str = "",
    mapping: CsvMapping | None = None,
    encoding: str | None = None,
) -> Iterator[ReportDraft | Rejection]:
    """Drafts and rejections from a hotline CSV export (see module docstring)."""
    mapping = mapping or CsvMapping()
    enc = encoding or mapping.encoding or "utf-8"
    try:
        codecs.lookup(enc)
    except LookupError:
        raise InvalidInput(f"unknown encoding {enc!r}", field="encoding", value=enc) from None
    lines = _Lines(stream, enc)
    try:
        first = next(lines, None)
    except _RowTooLong:
        raise InvalidInput(f"header line longer than {MAX_ROW_BYTES} bytes: not a CSV export",
                           line=1, field="header") from None
    if first is None or not first.strip():
        raise InvalidInput("empty CSV: expected a header line", line=1, field="header")
    delim = lines.delimiter = mapping.delimiter or _delimiter(first)
    if "\r" in first.rstrip("\r\n"):  # lines are read up to LF: CR-only files are one line
        raise InvalidInput("lines end in a bare CR (old Mac format): re-export the CSV with LF "
                           "or CRLF line ends", line=1, field="header")
    try:
        header = next(_csv.reader([first], delimiter=delim))
    except _csv.Error as exc:
        raise InvalidInput(f"CSV syntax error in the header line: {exc}", line=1,
                           field="header") from None
    cols = _resolve(header, mapping)
    reader = _csv.reader(lines, delimiter=delim)
    multi = "|" if delim == ";" else ";|"
    split = re.compile(f"[{re.escape(multi)}]")
    while True:
        lines.row_start = 0
        try:
            row = next(reader, None)
        except _RowTooLong as exc:
            yield Rejection(f"row longer than {MAX_ROW_BYTES} bytes: skipped", line=exc.line,
                            record=f"line {exc.line}")
            continue
        except _csv.Error as exc:
            if not str(exc).startswith("field larger than field limit"):
                raise InvalidInput(
                    f"CSV syntax error at line {lines.line}: {exc}", line=lines.line
                ) from None
            yield _over_long(lines, header)
            continue
        if row is None:
            return
        if not any(c.strip() for c in row):
            continue
        yield from _row(
            row,
            lines.row_start or lines.line,
            cols,
            mapping=mapping,
            split=split,
            agency_country=agency_country,
            header=header,
        )


def _over_long(lines: _Lines, header: list[str]) -> Rejection:
    """The row whose cell the reader refused as over its field limit, skipped whole."""
    line = lines.row_start
    what, column = over_limit(lines.given_up(), header)
    return Rejection(f"{what}: row skipped", line=line, field=column, record=f"line {line}")


def _row(
    row: list[str],
    line: int,
    cols: dict[str, int],
    *,
    mapping: CsvMapping,
    split: re.Pattern[str],
    agency_country: str,
    header: list[str],
) -> Iterator[ReportDraft | Rejection]:
    record = f"line {line}"

    def cell(name: str) -> str:
        i = cols.get(name)
        return row[i].strip() if i is not None and i < len(row) else ""

    def reject(reason: str, name: str, value: str | None = None) -> Rejection:
        i = cols.get(name)
        return Rejection(
            reason,
            line=line,
            field=header[i] if i is not None else name,
            value=value,
            record=record,
        )

    if len(row) > len(header):
        yield reject(f"row has {len(row)} cells, header has {len(header)}", "header")
        return
    try:
        reported = fields.parse_datetime(cell("reported_at"), mapping.date_format)
        updated = (
            fields.parse_datetime(cell("updated_at"), mapping.date_format)
            if cell("updated_at")
            else reported
        )
    except ValueError as exc:
        yield reject(f"row not ingested: {exc}", "reported_at", cell("reported_at"))
        return
    rejections: list[Rejection] = []
    country = agency_country
    ctx: dict[str, Any] = {}

    def guarded(name: str, fn: Callable[[str], Any]) -> Any:
        value = cell(name)
        if not value:
            return None
        try:
            return fn(value)
        except (ValueError, InvalidInput) as exc:
            reason = exc.detail if isinstance(exc, InvalidInput) else str(exc)
            rejections.append(reject(reason, name, value))
            return None

    if (c := guarded("country", fields.country)) is not None:
        country = ctx["country"] = c
    if (crime := guarded("crime_type", fields.crime_type)) is not None:
        ctx["crime_type"] = crime
    scams: list[ScamType] = []
    for s in split.split(cell("scam_type")):
        if s.strip():
            try:
                scams.append(fields.scam_type(s))
            except ValueError as exc:
                rejections.append(reject(str(exc), "scam_type", s.strip()))
    if scams:
        ctx["scam_types"] = tuple(dict.fromkeys(scams))
    if (loss := guarded("loss_amount", fields.parse_amount)) is not None:
        amount, ccy = loss
        ccy = guarded("currency", fields.currency) or ccy or fields.COUNTRY_CURRENCY.get(country)
        if ccy is None:
            rejections.append(reject("loss without a currency", "currency"))
        else:
            ctx["loss_amount"], ctx["loss_currency"] = amount, ccy
    if (lang := cell("language")) != "":
        ctx["language"] = lang.lower()
    marking = guarded("tlp", lambda v: tlp_marking(v, group=cell("sharing_group") or None))
    observables = _observables(cell, split, country, reject, rejections)
    yield from rejections
    report_id = cell("report_id")
    basis = report_id if report_id else "\x1f".join(row)
    yield ReportDraft(
        source_id=csv_source_id(agency_country, basis),
        modified=max(updated, reported),
        observables=tuple(observables.values()),
        title=cell("title")[:500] or (f"Hotline report {report_id}" if report_id else ""),
        occurred_at=reported,
        narrative=fields.truncate(cell("narrative")),
        marking=marking,
        source_ref=record if not report_id else f"{record} ({report_id})",
        **ctx,
    )


def _accounts(
    values: Callable[[str], list[str]],
    paired: Callable[[str, str], list[tuple[str, str]]],
    reject: Callable[..., Rejection],
    rejections: list[Rejection],
) -> list[tuple[str, str, str | None]]:
    """(bank, number, stated country or None) of each account in a row.

    `bank_country` holds one country for all accounts or one per account; an
    account without one is placed by `bersama.observables.accounts.resolve_bank`
    (the bank's own country when the alias table knows it, else the row's).
    """
    pairs = paired("account_number", "bank")
    countries = values("bank_country")
    if not pairs or not countries:
        return [(bank, number, None) for bank, number in pairs]
    if len(countries) == 1:
        countries = countries * len(pairs)
    if len(countries) != len(pairs):
        rejections.append(reject(f"{len(pairs)} account_number value(s) but {len(countries)} "
                                 "bank_country value(s)", "bank_country", ";".join(countries)))
        return []
    out: list[tuple[str, str, str | None]] = []
    for (bank, number), cc in zip(pairs, countries, strict=True):
        try:
            out.append((bank, number, fields.country(cc)))
        except ValueError as exc:
            rejections.append(reject(f"{exc}; account {number} not ingested", "bank_country", cc))
    return out


def _observables(
    cell: Callable[[str], str],
    split: re.Pattern[str],
    country: str,
    reject: Callable[..., Rejection],
    rejections: list[Rejection],
) -> dict[str, Observable]:
    out: dict[str, Observable] = {}

    def values(name: str) -> list[str]:
        sep = _URL_SPLIT if name == "url" else split
        return [v.strip() for v in sep.split(cell(name)) if v.strip()]

    def paired(name: str, partner: str) -> list[tuple[str, str]]:
        vals, others = values(name), values(partner)
        if not vals:
            return []
        if len(others) == 1:
            others = others * len(vals)
        if len(others) != len(vals):
            rejections.append(
                reject(
                    f"{len(vals)} {name} value(s) but {len(others)} {partner} value(s)",
                    partner,
                    cell(partner),
                )
            )
            return []
        return list(zip(others, vals, strict=True))

    def add(name: str, value: str, build: Callable[[], Observable]) -> None:
        try:
            obs = build()
        except InvalidObservable as exc:
            rejections.append(reject(exc.detail, name, value))
            return
        out.setdefault(obs.ref, obs)

    simple = {
        "phone": Kind.PHONE,
        "crypto_address": Kind.CRYPTO,
        "url": Kind.URL,
        "email": Kind.EMAIL,
    }
    for name, kind in simple.items():
        for v in values(name):
            add(name, v, partial(ob.normalise, kind, v, country=country))
    for bank, number, bank_cc in _accounts(values, paired, reject, rejections):
        build = partial(ob.bank_account, bank_cc, bank, number, default_country=country)
        try:
            obs = build()
        except InvalidObservable as exc:
            # name the cell that is wrong: the stated country, the bank, or the number
            if exc.field == "country" and bank_cc:
                rejections.append(reject(exc.detail, "bank_country", bank_cc))
            elif exc.field in ("country", "bank"):
                rejections.append(reject(exc.detail, "bank", bank))
            else:
                rejections.append(reject(exc.detail, "account_number", number))
            continue
        out.setdefault(obs.ref, obs)
    for name, partner, kind, fn in (
        ("ewallet_account", "ewallet_provider", Kind.EWALLET, ob.ewallet),
        ("handle", "handle_platform", Kind.HANDLE, ob.handle),
    ):
        if cell(partner):
            for p, v in paired(name, partner):
                add(name, v, partial(fn, p, v, country))
        else:  # "platform:handle" / "provider:account" in the cell itself
            for v in values(name):
                add(name, v, partial(ob.normalise, kind, v, country=country))
    return out
