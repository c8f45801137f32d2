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

from bersama.detection.normalise import trie_pattern
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
    # matched on lower-cased text (typed tokens included), as one prefix tree
    rx = re.compile(f"(?<![a-z0-9])(?:{trie_pattern(sorted(types_of))})(?![a-z0-9])")
    return rx, {k: tuple(v) for k, v in types_of.items()}


def lexicon_languages() -> dict[str, list[str]]:
    """Scam type -> languages that have cue terms (for the model card)."""
    return {k: sorted(v) for k, v in _data().items() if not k.startswith("_")}


def score_types(tokenised: str) -> list[TypeScore]:
    """Types whose cues appear in the tokenised text, strongest first."""
    return score_types_many([tokenised])[0]


def score_types_many(texts: list[str]) -> list[list[TypeScore]]:
    """`score_types` for a batch: one regex pass over all texts joined."""
    rx, types_of = _index()
    joined = "\n\x00\n".join(texts).lower()
    bounds = [0]
    for t in texts:
        bounds.append(bounds[-1] + len(t) + 3)
    cues: list[dict[ScamType, list[str]]] = [{} for _ in texts]
    doc = 0
    for m in rx.finditer(joined):
        while m.start() >= bounds[doc + 1]:
            doc += 1
        term = m.group()
        found = cues[doc]
        for st in types_of.get(term, ()):
            if term not in found.setdefault(st, []):
                found[st].append(term)
    return [_scores(c) for c in cues]


def _scores(cues: dict[ScamType, list[str]]) -> list[TypeScore]:
    out: list[TypeScore] = []
    for st, found in cues.items():
        if len(found) >= MIN_HITS:
            p = round(1.0 - math.exp(-0.6 * len(found)), 3)
            out.append(TypeScore(st, p, "lexicon", tuple(found[:5])))
    out.sort(key=lambda t: (-t.probability, t.scam_type.value))
    return out[:MAX_TYPES]
