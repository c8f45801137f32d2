"""Evaluation figures for the model card: one function, the same for every model.

Why these: precision, recall and F1 say how the operating threshold behaves;
MCC stays honest on unbalanced sets; PR-AUC judges the ranking regardless of
the threshold; the false-positive rate is what a scam centre pays for in
wasted analyst time; Brier score and expected calibration error (10 equal-width
bins) say whether "0.9" means nine in ten.
"""

from __future__ import annotations

import numpy as np


def ece(y: np.ndarray, p: np.ndarray, bins: int = 10) -> float:
    edges = np.linspace(0.0, 1.0, bins + 1)
    idx = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        m = idx == b
        if m.any():
            total += m.mean() * abs(float(p[m].mean()) - float(y[m].mean()))
    return total


def f1_at(y: np.ndarray, p: np.ndarray, threshold: float) -> float:
    pred = p >= threshold
    tp = float((pred & (y == 1)).sum())
    denom = float(pred.sum() + (y == 1).sum())
    return 2 * tp / denom if denom else 0.0


def evaluate(y: np.ndarray, p: np.ndarray, threshold: float) -> dict[str, float | int | None]:
    from sklearn.metrics import (
        average_precision_score,
        brier_score_loss,
        matthews_corrcoef,
    )

    y = np.asarray(y, dtype=int)
    p = np.asarray(p, dtype=float)
    pred = (p >= threshold).astype(int)
    tp = int(((pred == 1) & (y == 1)).sum())
    fp = int(((pred == 1) & (y == 0)).sum())
    fn = int(((pred == 0) & (y == 1)).sum())
    tn = int(((pred == 0) & (y == 0)).sum())
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    both = bool(y.min() != y.max()) if len(y) else False
    return {
        "n": len(y), "positives": int(y.sum()),
        "precision": round(prec, 4), "recall": round(rec, 4), "f1": round(f1, 4),
        "mcc": round(float(matthews_corrcoef(y, pred)), 4) if both else None,
        "pr_auc": round(float(average_precision_score(y, p)), 4) if both else None,
        "fpr": round(fp / (fp + tn), 4) if fp + tn else None,
        "brier": round(float(brier_score_loss(y, p)), 4) if len(y) else None,
        "ece": round(ece(y, p), 4) if len(y) else None,
    }
