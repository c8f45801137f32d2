"""Hashed n-gram features computed for a whole batch at once with numpy.

Why our own hasher: scikit-learn's analyzers build every n-gram as a Python
string, about 0.6 ms a message, which alone caps throughput near 1,500
messages/s.  Here a batch is one string turned into one array of code points;
rolling polynomial hashes give every character 2-5-gram (char_wb semantics:
n-grams inside space-padded words) and every word uni- and bigram in a few
vectorised passes, and a sparse matrix is built from the (row, column) pairs.

Why hashing at all: a vocabulary of n-grams over a dozen scripts runs to
millions of entries; hashed columns need none, so the artefact is the IDF and
coefficient arrays, saved as plain numpy arrays (no pickle).

Explanations stay faithful: `Batch` keeps where each n-gram sits, so for the
few columns that carry a message's largest contributions (coefficient x
value, the very product the linear model sums) we can show one n-gram of that
message that hashed there.  Only the first `MAX_CHARS` characters of a message
are read.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import scipy.sparse as sp

from bersama.detection.normalise import TOKENS

HASHER = "bersama-fnv-murmur-v1"
"""Names the hash below; an artefact records it and is refused by other code."""
MAX_CHARS = 4096
"""Characters of one message that the features read (SMS and chats are far shorter)."""

# In the hashed stream each typed token is one private-use character, so that
# "__URL__" yields n-grams about a URL rather than about underscores.
_TOKEN_CHAR = {tok: chr(0xE000 + i) for i, tok in enumerate(TOKENS)}
_CHAR_TOKEN = {c: f"<{tok.strip('_')}>" for tok, c in _TOKEN_CHAR.items()}
_TOKEN_RE = re.compile("|".join(re.escape(t) for t in TOKENS))
_SEP = "\x00"
CHUNK = 1000
# Digits are read as 0 (in `analyse`): "call 09090900040" and "call 08707808226"
# share their n-grams, since shape, not value, marks a premium number or a short code.

_U = np.uint64
_P = _U(0x100000001B3)  # FNV prime: odd, so invertible modulo 2**64
_P_INV = _U(pow(0x100000001B3, -1, 1 << 64))
_Q = _U(0x9E3779B97F4A7C15)
_M1 = _U(0xFF51AFD7ED558CCD)
_M2 = _U(0xC4CEB9FE1A85EC53)
_S33 = _U(33)
_WORD_SALT = _U(0x5851F42D4C957F2D)
_BIGRAM_SALT = _U(0x14057B7EF767814F)


_READABLE = {ord(c): name for c, name in _CHAR_TOKEN.items()}
_SHOWN = {**_READABLE, **{ord(d): "0" for d in "123456789"},
          **{0xE50 + i: "\u0e50" for i in range(1, 10)}}


@lru_cache(maxsize=1 << 16)
def _shown(gram: str, char: bool) -> str:
    """How an n-gram is named in explanations (the same n-grams recur across messages)."""
    shown = gram.translate(_SHOWN)
    return f"char:'{shown}'" if char else f"word:{shown}"


def readable(gram: str) -> str:
    """An n-gram with its private-use token characters shown as <URL>, <PHONE>..."""
    return gram.translate(_READABLE)


def _mix(h: np.ndarray) -> np.ndarray:
    """murmur3's 64-bit finaliser: spreads every input bit over the top bits we keep."""
    h = h ^ (h >> _S33)
    h = h * _M1
    h = h ^ (h >> _S33)
    h = h * _M2
    out: np.ndarray = h ^ (h >> _S33)
    return out


@lru_cache(maxsize=1)
def _word_table() -> np.ndarray:
    """Code point -> is a word character (letters, digits, marks, `_`), below U+30000."""
    import unicodedata

    return np.array([c.isalnum() or c == "_" or unicodedata.category(c)[0] == "M"
                     for c in map(chr, range(0x30000))], dtype=bool)


def _cat(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros(0, np.int64)


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
                "char_ngrams": list(self.char_ngrams), "word_ngrams": list(self.word_ngrams),
                "hasher": HASHER}


@dataclass(frozen=True)
class Batch:
    """Every n-gram of a batch: its row, where it starts and ends in `text`, its column."""

    text: str
    n_docs: int
    row: np.ndarray
    start: np.ndarray
    end: np.ndarray
    col: np.ndarray


def stream(docs: Sequence[str]) -> str:
    """The hashed form of a batch: typed tokens as single characters, single spaces,
    each document padded by spaces and ended by NUL (never in a checked text)."""
    joined = (" " + _SEP + " ").join(d[:MAX_CHARS] for d in docs)
    if "__" in joined:
        joined = _TOKEN_RE.sub(lambda m: _TOKEN_CHAR[m.group()], joined)
    # str.split() and re's \s know the same white space; splitting is 5x faster than \s+
    return " " + " ".join((joined + " " + _SEP).split())


class Featurizer:
    """Tokenised text -> sublinear TF x IDF, L2-normalised, char block then word block."""

    def __init__(self, spec: FeatureSpec, idf: np.ndarray | None = None) -> None:
        self.spec = spec
        self.idf = idf

    def analyse(self, docs: Sequence[str]) -> Batch:
        """All n-grams of `docs` with their columns (char block first, then word block)."""
        text = stream(docs)
        codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).copy()
        for zero in (0x30, 0xE50):  # digits are read as 0 (ASCII and Thai)
            codes[(codes > zero) & (codes <= zero + 9)] = zero
        n = len(codes)
        is_sep = codes == 0
        csep = np.concatenate(([0], np.cumsum(is_sep)))
        cspace = np.concatenate(([0], np.cumsum(codes == 32)))
        c64 = codes.astype(_U) + _U(1)
        rows, starts, ends, cols = [], [], [], []
        h = c64.copy()
        lo, hi = self.spec.char_ngrams
        shift = _U(64 - self.spec.char_bits)
        for k in range(2, hi + 1):
            m = n - k + 1
            if m <= 0:
                break
            h = h[:m] * _P + c64[k - 1:]
            if k < lo:
                continue
            # n-gram i..i+k: inside one document, no space except at its two ends
            ok = (csep[k:] == csep[:m]) & (cspace[k - 1:k - 1 + m] == cspace[1:1 + m])
            i = np.flatnonzero(ok)
            rows.append(csep[i])
            starts.append(i)
            ends.append(i + k)
            cols.append((_mix(h[ok] + _U(k)) >> shift).astype(np.int64))
        self._words(codes, c64, csep, rows, starts, ends, cols)
        return Batch(text, len(docs), _cat(rows), _cat(starts), _cat(ends), _cat(cols))

    def _words(self, codes: np.ndarray, c64: np.ndarray, csep: np.ndarray,
               rows: list[np.ndarray], starts: list[np.ndarray], ends: list[np.ndarray],
               cols: list[np.ndarray]) -> None:
        """Word tokens: runs of 2+ word characters, and each other non-space character."""
        table = _word_table()
        w = np.zeros(len(codes), dtype=bool)
        inside = codes < len(table)
        w[inside] = table[codes[inside]]
        prev = np.concatenate(([False], w[:-1]))
        nxt = np.concatenate((w[1:], [False]))
        run_s = np.flatnonzero(w & ~prev)
        run_e = np.flatnonzero(w & ~nxt) + 1
        keep = run_e - run_s >= 2
        other = np.flatnonzero(~w & (codes != 32) & (codes != 0))
        s = np.concatenate((run_s[keep], other))
        e = np.concatenate((run_e[keep], other + 1))
        order = np.argsort(s, kind="stable")
        s, e = s[order], e[order]
        if not len(s):
            return
        # hash of c[s:e] = P^(e-1) * sum_{j in [s, e)} c_j * P^-j, all modulo 2**64
        n = len(codes)
        pw = np.cumprod(np.full(n, _P, dtype=_U))
        pw = np.concatenate(([_U(1)], pw[:-1]))
        inv = np.cumprod(np.full(n, _P_INV, dtype=_U))
        inv = np.concatenate(([_U(1)], inv[:-1]))
        pre = np.concatenate(([_U(0)], np.cumsum(c64 * inv, dtype=_U)))
        th = (pre[e] - pre[s]) * pw[e - 1] + _WORD_SALT
        row = csep[s]
        off = self.spec.n_char
        shift = _U(64 - self.spec.word_bits)
        lo, hi = self.spec.word_ngrams
        if lo <= 1:
            rows.append(row)
            starts.append(s)
            ends.append(e)
            cols.append((_mix(th) >> shift).astype(np.int64) + off)
        if hi >= 2 and len(s) > 1:
            same = row[:-1] == row[1:]
            bh = th[:-1][same] * _Q + th[1:][same] + _BIGRAM_SALT
            rows.append(row[:-1][same])
            starts.append(s[:-1][same])
            ends.append(e[1:][same])
            cols.append((_mix(bh) >> shift).astype(np.int64) + off)

    def counts(self, docs: Sequence[str] | Batch) -> sp.csr_matrix:
        """Raw hashed counts (what naive Bayes reads)."""
        if not isinstance(docs, Batch):
            if len(docs) > CHUNK:  # bounded memory, and numpy stays in cache
                return sp.vstack([self.counts(docs[i:i + CHUNK])
                                  for i in range(0, len(docs), CHUNK)], format="csr")
            docs = self.analyse(docs)
        b = docs
        data = np.ones(len(b.col), dtype=np.float32)
        x = sp.csr_matrix((data, (b.row, b.col)), shape=(b.n_docs, self.spec.n_features),
                          dtype=np.float32)
        x.sum_duplicates()
        return x

    def fit_idf(self, docs: Sequence[str]) -> np.ndarray:
        x = self.counts(docs)
        df = np.bincount(x.indices, minlength=x.shape[1]).astype(np.float64)
        n = x.shape[0]
        self.idf = (np.log((1.0 + n) / (1.0 + df)) + 1.0).astype(np.float32)
        return self.idf

    def transform(self, docs: Sequence[str] | Batch) -> sp.csr_matrix:
        if self.idf is None:
            raise RuntimeError("fit_idf first")
        x = self.counts(docs)
        x.data = np.log1p(x.data, dtype=np.float32) * self.idf[x.indices]
        lens = np.diff(x.indptr)
        rows = np.repeat(np.arange(x.shape[0]), lens)
        norms = np.sqrt(np.bincount(rows, weights=x.data * x.data, minlength=x.shape[0]))
        norms[norms == 0] = 1.0
        x.data /= norms[rows].astype(np.float32)
        return x

    def names(self, batch: Batch, wanted: list[list[int]]) -> list[dict[int, str]]:
        """For each row, column -> one n-gram of that row hashed there, for the `wanted`
        columns of that row (its largest contributions)."""
        out: list[dict[int, str]] = [{} for _ in range(batch.n_docs)]
        nf = self.spec.n_features
        want = np.array([r * nf + c for r, cs in enumerate(wanted) for c in cs], dtype=np.int64)
        if not len(want) or not len(batch.col):
            return out
        # first the n-grams whose column some row wants (one gather), then the exact pairs
        wanted_col = np.zeros(nf, dtype=bool)
        wanted_col[want % nf] = True
        near = np.flatnonzero(wanted_col[batch.col])
        keys = batch.row[near] * nf + batch.col[near]
        wants = np.sort(want)
        hit = near[wants[np.minimum(np.searchsorted(wants, keys), len(wants) - 1)] == keys]
        keys = batch.row[hit] * nf + batch.col[hit]
        uniq, first = np.unique(keys, return_index=True)
        at = hit[first]
        text, n_char = batch.text, self.spec.n_char
        for row, col, a, b in zip((uniq // nf).tolist(), (uniq % nf).tolist(),
                                  batch.start[at].tolist(), batch.end[at].tolist(), strict=True):
            out[row][col] = _shown(text[a:b], col < n_char)
        return out

    def named_columns(self, doc: str) -> dict[int, str]:
        """Column -> one n-gram of `doc` hashed there, for every column of `doc`."""
        b = self.analyse([doc])
        return self.names(b, [sorted(set(b.col.tolist()))])[0]
