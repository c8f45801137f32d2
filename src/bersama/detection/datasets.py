"""Readers for the labelled data in ../shared/data (training only).

This is the one module of `bersama.detection` that reads files, and only the
`bersama model train` command calls it; inference never does.  Each reader
returns plain records with the binary label the classifier learns:
positive = scam or unsolicited spam (English `spam`; Thai `scam` and `spam`;
Filipino `spam`; the Burmese synthetic set is all scam), negative = everything
else (ham, OTP, OK, and the Filipino `ads`/`gov`/`notifs` from senders the
recipient deals with).  See the model card for why.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from pathlib import Path

from bersama.errors import InvalidInput

SOURCES = {
    "en": ("en_uci_sms_spam_collection.tsv", "UCI SMS Spam Collection v.1 (Almeida & Gómez "
           "Hidalgo, 2011)", "CC BY 4.0"),
    "th": ("th_ssivakorn_sms.csv", "Thai-SMS-spam-filter (Suphannee Sivakorn, 2023)", "MIT"),
    "tl": ("ph_scottleechua_sms.csv", "spam and marketing SMS (Scott Lee Chua, 2022-2026)",
           "CC BY 4.0"),
    "my": ("my_synthetic_scam_messages.csv", "MoneyScam_in_Myanmar (Myo Thida, 2025), synthetic",
           "MIT"),
    "url-11k": ("url_web_page_phishing_11k.csv", "Web page phishing detection dataset "
                "(Hannousse & Yahiouche, 2021), DOI 10.17632/c2gw7fy2j4.3", "CC BY 4.0"),
    "url-10k": ("url_malicious_phish_first10k.csv", "Malicious URLs dataset (malicious_phish.csv, "
                "first 9,999 rows)", "CC0"),
}


@dataclass(frozen=True, slots=True)
class Message:
    text: str
    label: int
    lang: str
    split: str
    """`train` or `test`, decided by source or time where the data allows."""
    original: str = ""


@dataclass(frozen=True, slots=True)
class LabelledUrl:
    url: str
    label: int
    split: str


def _need(path: Path) -> Path:
    if not path.is_file():
        raise InvalidInput(f"training data file not found: {path}", field="data_dir",
                           value=str(path))
    return path


def _dedup(rows: list[Message]) -> list[Message]:
    """One row per distinct text; a text labelled both ways counts as positive."""
    seen: dict[str, Message] = {}
    for r in rows:
        key = " ".join(r.text.split()).lower()
        old = seen.get(key)
        if old is None or (r.label > old.label):
            seen[key] = r
    return list(seen.values())


def _random_split(rows: list[Message], seed: int, frac: float = 0.2) -> list[Message]:
    rng = random.Random(seed)  # noqa: S311 - a seeded split, not a secret
    out = []
    for r in rows:
        split = "test" if rng.random() < frac else "train"
        out.append(Message(r.text, r.label, r.lang, split, r.original))
    return out


def load_messages(data_dir: Path, seed: int = 13) -> list[Message]:
    """All message sets, deduplicated per language before splitting."""
    out: list[Message] = []
    en = []
    with _need(data_dir / SOURCES["en"][0]).open(encoding="utf-8") as f:
        for row in csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            if len(row) >= 2:
                en.append(Message("\t".join(row[1:]), int(row[0] == "spam"), "en", ""))
    out += _random_split(_dedup(en), seed)

    th = []
    with _need(data_dir / SOURCES["th"][0]).open(encoding="utf-8") as f:
        for rec in csv.DictReader(f):
            # Time split: the December 2022 collection is held out.
            split = "test" if rec["source_file"] == "202212.txt" else "train"
            th.append(Message(rec["text"], int(rec["label"] in ("scam", "spam")), "th", split,
                              rec["label"]))
    out += _dedup(th)

    tl = []
    with _need(data_dir / SOURCES["tl"][0]).open(encoding="utf-8", newline="") as f:
        for rec in csv.DictReader(f):
            text = rec.get("text") or ""
            if None in rec or text in ("", "<REDACTED>") or rec["category"] not in (
                    "spam", "ads", "gov", "notifs"):
                continue  # the two malformed rows carry a shifted column: dropped
            # Time split: messages received from April 2024 on are held out.
            split = "test" if rec["date-received"] >= "2024-04-01" else "train"
            tl.append(Message(text, int(rec["category"] == "spam"), "tl", split, rec["category"]))
    out += _dedup(tl)

    my = []
    with _need(data_dir / SOURCES["my"][0]).open(encoding="utf-8") as f:
        for row in csv.reader(f):
            if row and row[0].strip():
                my.append(Message(row[0], 1, "my", ""))
    out += _random_split(_dedup(my), seed)
    return out


def load_urls(data_dir: Path, seed: int = 13) -> list[LabelledUrl]:
    rows: dict[str, int] = {}
    with _need(data_dir / SOURCES["url-11k"][0]).open(encoding="utf-8") as f:
        for rec in csv.DictReader(f):
            rows.setdefault(rec["url"].strip(), int(rec["status"] == "phishing"))
    with _need(data_dir / SOURCES["url-10k"][0]).open(encoding="utf-8") as f:
        for rec in csv.DictReader(f):
            rows.setdefault(rec["url"].strip(), int(rec["type"] != "benign"))
    rng = random.Random(seed)  # noqa: S311 - a seeded split, not a secret
    return [LabelledUrl(u, y, "test" if rng.random() < 0.2 else "train")
            for u, y in sorted(rows.items())]
