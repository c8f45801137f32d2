"""Scam types from transparent per-language lexicons, with abstention.

Why lexicons: the labelled data in ../shared/data says *whether* a message is
spam or a scam, never *which kind*, so no scam type can be learned from it.
Rather than pretend, each type is scored from cue terms an analyst can read and
correct (data/lexicons.json).  The score is a plain function of the number of
distinct cues matched, not a calibrated probability; the model card says so.
A type is reported only with at least `MIN_HITS` cues, and no type at all when
the message itself is scored unlikely (abstention).
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from bersama.taxonomy import ScamType

MIN_HITS = 1
MAX_TYPES = 3


@dataclass(frozen=True, slots=True)
class TypeScore:
    scam_type: ScamType
    probability: float
    source: str
    """`lexicon` or `learned`."""
    cues: tuple[str, ...]


@lru_cache(maxsize=1)
def _data() -> dict[str, dict[str, list[str]]]:
    raw = resources.files("bersama.detection").joinpath("data/lexicons.json").read_text("utf-8")
    data: dict[str, dict[str, list[str]]] = json.loads(raw)
    return data


@lru_cache(maxsize=1)
def _index() -> tuple[re.Pattern[str], dict[str, tuple[ScamType, ...]]]:
    """One regex over every cue term, and term -> the types it signals (one pass a text)."""
    data = _data()
    types_of: dict[str, list[ScamType]] = {}
    for st in ScamType:
        for terms in data.get(st.value, {}).values():
            for t in terms:
                key = unicodedata.normalize("NFKC", t).lower()
                if st not in types_of.setdefault(key, []):
                    types_of[key].append(st)
    alts = "|".join(re.escape(t) for t in sorted(types_of, key=len, reverse=True))
    rx = re.compile(f"(?<![a-z0-9])(?:{alts})(?![a-z0-9])", re.IGNORECASE)
    return rx, {k: tuple(v) for k, v in types_of.items()}


def lexicon_languages() -> dict[str, list[str]]:
    """Scam type -> languages that have cue terms (for the model card)."""
    return {k: sorted(v) for k, v in _data().items() if not k.startswith("_")}


def score_types(tokenised: str) -> list[TypeScore]:
    """Types whose cues appear in the tokenised text, strongest first."""
    rx, types_of = _index()
    cues: dict[ScamType, list[str]] = {}
    for m in rx.finditer(tokenised):
        term = m.group().lower()
        for st in types_of.get(term, ()):
            if term not in cues.setdefault(st, []):
                cues[st].append(term)
    out: list[TypeScore] = []
    for st, found in cues.items():
        if len(found) >= MIN_HITS:
            p = round(1.0 - math.exp(-0.6 * len(found)), 3)
            out.append(TypeScore(st, p, "lexicon", tuple(found[:5])))
    out.sort(key=lambda t: (-t.probability, t.scam_type.value))
    return out[:MAX_TYPES]
