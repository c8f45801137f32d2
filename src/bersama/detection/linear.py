"""A calibrated linear model as plain arrays: save, load, score, explain.

Why plain arrays: an artefact is code-free data, so loading one can never run
code (no pickle); `np.load(..., allow_pickle=False)` reads the arrays and JSON
holds the rest.  Calibration is Platt scaling fitted on a held-out fold,
p = sigmoid(a * margin + b), which is monotone in the margin, so the features
that raise the margin are exactly the features that raise the probability:
the explanation (coefficient x feature value) is the model, not an
approximation of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

# Operating threshold and bands; see docs/adr/0006-detection-models.md.
THRESHOLD = 0.5
LIKELY = 0.85
REVIEW = 0.35


def band(p: float) -> str:
    if p >= LIKELY:
        return "likely"
    if p >= REVIEW:
        return "review"
    return "unlikely"


@dataclass
class LinearModel:
    coef: np.ndarray
    intercept: float
    platt_a: float = 1.0
    platt_b: float = 0.0
    idf: np.ndarray | None = None

    def margin(self, x: sp.csr_matrix) -> np.ndarray:
        return np.asarray(x @ self.coef, dtype=np.float64).ravel() + self.intercept

    def proba(self, x: sp.csr_matrix) -> np.ndarray:
        return self.calibrate(self.margin(x))

    def calibrate(self, margin: np.ndarray) -> np.ndarray:
        z = np.clip(self.platt_a * margin + self.platt_b, -35.0, 35.0)
        out: np.ndarray = 1.0 / (1.0 + np.exp(-z))
        return out

    def contributions(self, x: sp.csr_matrix, i: int, top: int | None = None
                      ) -> list[tuple[int, float]]:
        """(column, coefficient x value) for the non-zero columns of row `i` of `x`,
        the `top` largest in absolute value first (all of them when `top` is None)."""
        a, b = x.indptr[i], x.indptr[i + 1]
        cols = x.indices[a:b]
        w = self.coef[cols].astype(np.float64) * x.data[a:b]
        order = np.argsort(-np.abs(w), kind="stable")
        if top is not None:
            order = order[:top]
        return [(int(cols[k]), float(w[k])) for k in order]

    def top_contributions(self, x: sp.csr_matrix, top: int) -> list[list[tuple[int, float]]]:
        """`contributions(x, i, top)` for every row at once, vectorised over the batch.

        A cheap exact pre-filter keeps the sort small: split each row's entries into
        `top` groups (by position modulo `top`); the smallest of the group maxima is
        at most the row's `top`-th largest |contribution|, so every entry below it
        can be dropped before sorting."""
        n_rows = x.shape[0]
        lens = np.diff(x.indptr)
        rows = np.repeat(np.arange(n_rows), lens)
        w = self.coef[x.indices].astype(np.float64) * x.data
        a = np.abs(w)
        group = np.zeros(n_rows * top)
        np.maximum.at(group, rows * top + (np.arange(len(a)) - x.indptr[rows]) % top, a)
        floor = group.reshape(n_rows, top).min(axis=1)
        cand = np.flatnonzero(a >= floor[rows])
        order = cand[np.lexsort((cand, -a[cand], rows[cand]))]
        r = rows[order]
        first = np.searchsorted(r, np.arange(n_rows))
        keep = order[np.arange(len(order)) - first[r] < top]
        cols, ws = x.indices[keep].tolist(), w[keep].tolist()
        out, start = [], 0
        for stop in np.cumsum(np.minimum(lens, top)).tolist():
            out.append(list(zip(cols[start:stop], ws[start:stop], strict=True)))
            start = stop
        return out

    def save(self, path: Path) -> None:
        arrays: dict[str, np.ndarray] = {
            "coef": self.coef.astype(np.float32),
            "intercept": np.array([self.intercept], dtype=np.float64),
            "platt": np.array([self.platt_a, self.platt_b], dtype=np.float64),
        }
        if self.idf is not None:
            arrays["idf"] = self.idf.astype(np.float32)
        np.savez_compressed(path, **arrays)  # type: ignore[arg-type]

    @classmethod
    def load(cls, path: Path) -> LinearModel:
        with np.load(path, allow_pickle=False) as z:
            platt = z["platt"]
            return cls(
                coef=np.asarray(z["coef"], dtype=np.float32),
                intercept=float(z["intercept"][0]),
                platt_a=float(platt[0]),
                platt_b=float(platt[1]),
                idf=np.asarray(z["idf"], dtype=np.float32) if "idf" in z.files else None,
            )


def fit_platt(margin: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Platt scaling on a held-out fold (one-feature logistic regression)."""
    from sklearn.linear_model import LogisticRegression

    lr = LogisticRegression(C=1e4, max_iter=1000)
    lr.fit(margin.reshape(-1, 1), y)
    return float(lr.coef_[0, 0]), float(lr.intercept_[0])
