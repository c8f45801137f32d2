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
def _patterns() -> dict[ScamType, re.Pattern[str]]:
    raw = resources.files("bersama.detection").joinpath("data/lexicons.json").read_text("utf-8")
    data: dict[str, dict[str, list[str]]] = json.loads(raw)
    out: dict[ScamType, re.Pattern[str]] = {}
    for st in ScamType:
        terms = sorted({unicodedata.normalize("NFKC", t).lower() for terms in data.get(st.value, {}).values() for t in terms},
                       key=len, reverse=True)
        alts = "|".join(re.escape(t) for t in terms)
        out[st] = re.compile(f"(?<![a-z0-9])(?:{alts})(?![a-z0-9])", re.IGNORECASE)
    return out


def lexicon_languages() -> dict[str, list[str]]:
    """Scam type -> languages that have cue terms (for the model card)."""
    raw = resources.files("bersama.detection").joinpath("data/lexicons.json").read_text("utf-8")
    data: dict[str, dict[str, list[str]]] = json.loads(raw)
    return {k: sorted(v) for k, v in data.items() if not k.startswith("_")}


def score_types(tokenised: str) -> list[TypeScore]:
    """Types whose cues appear in the tokenised text, strongest first."""
    out: list[TypeScore] = []
    for st, rx in _patterns().items():
        cues = tuple(dict.fromkeys(m.group().lower() for m in rx.finditer(tokenised)))
        if len(cues) >= MIN_HITS:
            p = round(1.0 - math.exp(-0.6 * len(cues)), 3)
            out.append(TypeScore(st, p, "lexicon", cues[:5]))
    out.sort(key=lambda t: (-t.probability, t.scam_type.value))
    return out[:MAX_TYPES]
