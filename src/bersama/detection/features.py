"""Hashed n-gram features with IDF weights, and the names behind each column.

Why hashing: a vocabulary of character 2-5-grams over a dozen scripts runs to
millions of entries and would dominate the artefact; hashed columns need no
vocabulary, so the artefact is just the IDF and coefficient arrays (a few MB),
saved as plain numpy arrays (no pickle).  Explanations stay faithful because
we can recompute, for one message, exactly which n-grams fell in which column
(`named_columns`), and each column's contribution is coefficient x value, the
same product the linear model sums.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction import FeatureHasher
from sklearn.feature_extraction.text import HashingVectorizer

from bersama.detection.normalise import TOKENS

WORD_PATTERN = r"(?u)\b\w\w+\b|[^\w\s]"
Grams = tuple[list[str], list[str]]

# In the character stream each typed token is one private-use character, so
# that "__URL__" yields n-grams about a URL rather than about underscores.
_TOKEN_CHAR = {tok: chr(0xE000 + i) for i, tok in enumerate(TOKENS)}
_CHAR_TOKEN = {c: f"<{tok.strip('_')}>" for tok, c in _TOKEN_CHAR.items()}
_TOKEN_RE = re.compile("|".join(re.escape(t) for t in TOKENS))


def _char_stream(doc: str) -> str:
    return _TOKEN_RE.sub(lambda m: _TOKEN_CHAR[m.group()], doc) if "__" in doc else doc


def readable(gram: str) -> str:
    """An n-gram with its private-use token characters shown as <URL>, <PHONE>..."""
    return "".join(_CHAR_TOKEN.get(c, c) for c in gram)


@dataclass(frozen=True)
class FeatureSpec:
    char_bits: int = 18
    word_bits: int = 17
    char_ngrams: tuple[int, int] = (2, 5)
    word_ngrams: tuple[int, int] = (1, 2)

    @property
    def n_char(self) -> int:
        return 1 << self.char_bits

    @property
    def n_word(self) -> int:
        return 1 << self.word_bits

    @property
    def n_features(self) -> int:
        return self.n_char + self.n_word

    def as_dict(self) -> dict[str, object]:
        return {"char_bits": self.char_bits, "word_bits": self.word_bits,
                "char_ngrams": list(self.char_ngrams), "word_ngrams": list(self.word_ngrams)}


class Featurizer:
    """Tokenised text -> sublinear TF x IDF, L2-normalised, char block then word block."""

    def __init__(self, spec: FeatureSpec, idf: np.ndarray | None = None) -> None:
        self.spec = spec
        self.idf = idf
        common = {"alternate_sign": False, "norm": None, "lowercase": False,
                  "dtype": np.float32}
        self._char = HashingVectorizer(analyzer="char_wb", ngram_range=spec.char_ngrams,
                                       n_features=spec.n_char, **common)
        self._word = HashingVectorizer(analyzer="word", ngram_range=spec.word_ngrams,
                                       token_pattern=WORD_PATTERN, n_features=spec.n_word,
                                       **common)
        self.char_analyzer: Callable[[str], list[str]] = self._char.build_analyzer()
        self._char_hasher = FeatureHasher(spec.n_char, input_type="string",
                                          alternate_sign=False, dtype=np.float32)
        self._word_hasher = FeatureHasher(spec.n_word, input_type="string",
                                          alternate_sign=False, dtype=np.float32)
        self.word_analyzer: Callable[[str], list[str]] = self._word.build_analyzer()

    def analyse(self, docs: Sequence[str]) -> list[Grams]:
        """Each document's char and word n-grams, computed once per batch."""
        return [(self.char_analyzer(_char_stream(d)), self.word_analyzer(d)) for d in docs]

    def counts(self, docs: Sequence[str] | list[Grams]) -> sp.csr_matrix:
        """Raw hashed counts (what naive Bayes reads)."""
        grams = self._grams(docs)
        if not grams:
            return sp.csr_matrix((0, self.spec.n_features), dtype=np.float32)
        return sp.hstack([self._char_hasher.transform(g[0] for g in grams),
                          self._word_hasher.transform(g[1] for g in grams)], format="csr")

    def _grams(self, docs: Sequence[str] | list[Grams]) -> list[Grams]:
        if docs and isinstance(docs[0], str):
            return self.analyse(docs)  # type: ignore[arg-type]
        return list(docs)  # type: ignore[arg-type]

    def fit_idf(self, docs: Sequence[str]) -> np.ndarray:
        x = self.counts(docs)
        df = np.bincount(x.indices, minlength=x.shape[1]).astype(np.float64)
        n = x.shape[0]
        self.idf = (np.log((1.0 + n) / (1.0 + df)) + 1.0).astype(np.float32)
        return self.idf

    def transform(self, docs: Sequence[str] | list[Grams]) -> sp.csr_matrix:
        if self.idf is None:
            raise RuntimeError("fit_idf first")
        x = self.counts(docs)
        x.data = np.log1p(x.data, dtype=np.float32)
        x = x.multiply(self.idf).tocsr()
        norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        return sp.csr_matrix(sp.diags(1.0 / norms) @ x, dtype=np.float32)

    def column_map(self, grams: list[Grams]) -> dict[str, int]:
        """Prefixed n-gram -> column for every n-gram of a batch, hashed in one call each by
        the same compiled FeatureHasher as the features, so names and columns agree."""
        out: dict[str, int] = {}
        for block, hasher, offset, fmt in ((0, self._char_hasher, 0, "char:'{}'"),
                                           (1, self._word_hasher, self.spec.n_char, "word:{}")):
            uniq = list({g for doc in grams for g in doc[block]})
            if uniq:
                cols = (hasher.transform([[g] for g in uniq]).indices + offset).tolist()
                out.update((fmt.format(g), c) for g, c in zip(uniq, cols, strict=True))
        return out

    def named_columns(self, doc: str | Grams, wanted: set[int] | None = None,
                      colmap: dict[str, int] | None = None) -> dict[int, str]:
        """Column -> one n-gram of `doc` hashed there (char n-grams quoted), limited to
        `wanted` columns when given (the top contributions)."""
        grams = self._grams([doc])[0] if isinstance(doc, str) else doc
        cmap = colmap if colmap is not None else self.column_map([grams])
        names: dict[int, str] = {}
        for g in [f"char:'{c}'" for c in grams[0]] + [f"word:{w}" for w in grams[1]]:
            c = cmap[g]
            if (wanted is None or c in wanted) and c not in names:
                names[c] = readable(g)
        return names


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))

