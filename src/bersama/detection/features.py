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

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.utils import murmurhash3_32

WORD_PATTERN = r"(?u)\b\w\w+\b|[^\w\s]"


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
        self.word_analyzer: Callable[[str], list[str]] = self._word.build_analyzer()

    def counts(self, docs: Sequence[str]) -> sp.csr_matrix:
        """Raw hashed counts (what naive Bayes reads)."""
        return sp.hstack([self._char.transform(docs), self._word.transform(docs)],
                         format="csr")

    def fit_idf(self, docs: Sequence[str]) -> np.ndarray:
        x = self.counts(docs)
        df = np.bincount(x.indices, minlength=x.shape[1]).astype(np.float64)
        n = x.shape[0]
        self.idf = (np.log((1.0 + n) / (1.0 + df)) + 1.0).astype(np.float32)
        return self.idf

    def transform(self, docs: Sequence[str]) -> sp.csr_matrix:
        if self.idf is None:
            raise RuntimeError("fit_idf first")
        x = self.counts(docs)
        x.data = np.log1p(x.data, dtype=np.float32)
        x = x.multiply(self.idf).tocsr()
        norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        return sp.csr_matrix(sp.diags(1.0 / norms) @ x, dtype=np.float32)

    def named_columns(self, doc: str) -> dict[int, str]:
        """Column -> one n-gram of `doc` hashed there (char n-grams quoted)."""
        names: dict[int, str] = {}
        for g in _unique(self.char_analyzer(doc)):
            names.setdefault(_index(g, self.spec.n_char), f"char:'{g}'")
        for g in _unique(self.word_analyzer(doc)):
            names.setdefault(self.spec.n_char + _index(g, self.spec.n_word), f"word:{g}")
        return names


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _index(token: str, n: int) -> int:
    # The same hash and modulo as sklearn's FeatureHasher (seed 0, abs of signed hash).
    h = int(murmurhash3_32(token, seed=0))
    return abs(h) % n
