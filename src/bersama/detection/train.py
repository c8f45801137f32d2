"""Training and evaluation behind `bersama model train`: one reproducible run.

What one run does, in order: read and deduplicate each data set, split it by
time or source where the data allows (Thai: the Dec 2022 collection; Filipino:
messages from April 2024 on) and at random otherwise; fit the message model on
80% of the training part: hashed char_wb 2-6-grams and word 1-2-grams, TF-IDF,
then NB-weighted logistic regression (Wang & Manning's NB-LR: features scaled by
their class log-count ratio, folded back into one coefficient per column) with
C chosen by 4-fold cross-validation on those rows only; Platt-calibrate it and
choose the operating threshold (best F1) on the other 20%; evaluate per language
on the held-out part; evaluate again with URLs masked; evaluate a multinomial
naive Bayes baseline on the same features; measure transfer by leaving each
language out of training and testing on it; then the same for the URL scorer.
The test rows never choose anything.  Outputs: arrays (`.npz`), `meta.json`,
and the model card (`model_card.json`, `model_card.md`).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from bersama.detection.datasets import SOURCES, LabelledUrl, Message, load_messages, load_urls
from bersama.detection.features import FeatureSpec, Featurizer
from bersama.detection.linear import LIKELY, REVIEW, THRESHOLD, LinearModel, fit_platt
from bersama.detection.metrics import evaluate
from bersama.detection.normalise import normalise_many
from bersama.detection.url import UrlFeaturizer

MESSAGE_CS = (3.0, 10.0, 30.0, 100.0, 300.0)
"""Regularisation strengths tried by 4-fold cross-validation on the training rows only."""
NB_ALPHA = 1.0
URL_C = 4.0
METHOD = ("hashed char_wb 2-6-grams + word 1-2-grams (digits read as 0), TF-IDF, L2; NB-weighted "
          "logistic regression (C by 4-fold CV on the training rows); Platt calibration and "
          "operating threshold on a 20% validation fold")
MESSAGE_SPEC = FeatureSpec(char_ngrams=(2, 6))
LANGUAGE_WEIGHTS: dict[str, float] = {}
"""Sample weight of each data set's rows in the fit (absent: 1).  Empty: weighting the
Filipino rows 3x won on the validation folds of the training rows but lost Filipino F1 on
the held-out rows (model card, "Model selection"), so it is not used."""


def _fit_lr(x: Any, y: np.ndarray, c: float, seed: int, weight: np.ndarray | None = None
            ) -> tuple[np.ndarray, float]:
    from sklearn.linear_model import LogisticRegression

    lr = LogisticRegression(C=c, max_iter=2000, solver="liblinear", random_state=seed)
    lr.fit(x, y, sample_weight=weight)
    return lr.coef_[0].astype(np.float32), float(lr.intercept_[0])


def nb_ratio(x: sp.csr_matrix, y: np.ndarray, alpha: float = NB_ALPHA) -> np.ndarray:
    """Log-count ratio of each column between the classes (Wang & Manning's NB-LR)."""
    b = x.copy()
    b.data = np.ones_like(b.data)
    pos = alpha + np.asarray(b[y == 1].sum(axis=0)).ravel()
    neg = alpha + np.asarray(b[y == 0].sum(axis=0)).ravel()
    ratio: np.ndarray = np.log((pos / pos.sum()) / (neg / neg.sum())).astype(np.float32)
    return ratio


def fit_nblr(x: sp.csr_matrix, y: np.ndarray, c: float, seed: int,
             weight: np.ndarray | None = None) -> tuple[np.ndarray, float]:
    """Logistic regression on features scaled by their NB ratio r; returned as the plain
    linear model on the unscaled features (coef x r), so explanations stay coef x value.
    `weight` (per row) weights the regression's loss; the NB ratio stays unweighted."""
    r = nb_ratio(x, y)
    coef, b = _fit_lr(sp.csr_matrix(x.multiply(r)), y, c, seed, weight)
    return (coef * r).astype(np.float32), b


def choose_c(x: sp.csr_matrix, y: np.ndarray, seed: int, weight: np.ndarray | None = None
             ) -> tuple[float, dict[str, float]]:
    """The C with the best out-of-fold PR-AUC, 4 folds of the training rows."""
    from sklearn.metrics import average_precision_score
    from sklearn.model_selection import StratifiedKFold

    scores: dict[str, float] = {}
    folds = list(StratifiedKFold(4, shuffle=True, random_state=seed).split(np.zeros(len(y)), y))
    for c in MESSAGE_CS:
        oof = np.zeros(len(y))
        for a, b in folds:
            coef, icpt = fit_nblr(x[a], y[a], c, seed, None if weight is None else weight[a])
            oof[b] = x[b] @ coef + icpt
        scores[str(c)] = round(float(average_precision_score(y, oof)), 4)
    best = max(MESSAGE_CS, key=lambda c: scores[str(c)])
    return best, scores


def choose_threshold(p: np.ndarray, y: np.ndarray) -> float:
    """The probability threshold with the best F1 on a validation fold, kept within the
    review band's floor and the likely band's floor; ties go to the one nearest 0.5."""
    from bersama.detection.metrics import f1_at

    grid = np.round(np.arange(REVIEW, LIKELY + 1e-9, 0.01), 2)
    return float(max(grid, key=lambda t: (f1_at(y, p, float(t)), -abs(t - 0.5))))


def _calib_split(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    mask = rng.random(n) < 0.2
    return np.flatnonzero(~mask), np.flatnonzero(mask)


def fit_message_model(docs: list[str], y: np.ndarray, seed: int, c: float | None = None,
                      spec: FeatureSpec = MESSAGE_SPEC, weight: np.ndarray | None = None
                      ) -> tuple[Featurizer, LinearModel, dict[str, Any]]:
    """Fit on 80% (C by cross-validation there unless given), calibrate (Platt) and pick
    the operating threshold on the other 20%.  `weight` (per row) weights the fit only;
    calibration and the threshold treat every row alike."""
    w = None if weight is None else np.asarray(weight, dtype=np.float64)
    if w is not None and bool((w == 1.0).all()):
        w = None  # the unweighted fit, exactly
    feat = Featurizer(spec)
    fit_idx, cal_idx = _calib_split(len(docs), seed)
    feat.fit_idf([docs[i] for i in fit_idx])
    x = feat.transform(docs)
    info: dict[str, Any] = {}
    if c is None:
        c, info["cv_pr_auc_by_c"] = choose_c(x[fit_idx], y[fit_idx], seed,
                                             None if w is None else w[fit_idx])
    coef, b = fit_nblr(x[fit_idx], y[fit_idx], c, seed, None if w is None else w[fit_idx])
    model = LinearModel(coef, b, idf=feat.idf)
    a, d = fit_platt(model.margin(x[cal_idx]), y[cal_idx])
    model.platt_a, model.platt_b = a, d
    info["c"] = c
    info["threshold"] = choose_threshold(model.proba(x[cal_idx]), y[cal_idx])
    return feat, model, info


def _nb_scores(feat: Featurizer, train: list[str], ytr: np.ndarray, test: list[str]) -> np.ndarray:
    from sklearn.naive_bayes import MultinomialNB

    nb = MultinomialNB(alpha=0.1)
    nb.fit(feat.counts(train), ytr)
    out: np.ndarray = nb.predict_proba(feat.counts(test))[:, 1]
    return out


def _per_lang(rows: list[Message], p: np.ndarray, threshold: float) -> dict[str, Any]:
    y = np.array([r.label for r in rows])
    langs = sorted({r.lang for r in rows})
    out: dict[str, Any] = {"all": evaluate(y, p, threshold)}
    for lang in langs:
        m = np.array([r.lang == lang for r in rows])
        out[lang] = evaluate(y[m], p[m], threshold)
    return out


def _misses(rows: list[Message], p: np.ndarray, threshold: float, lang: str,
            limit: int = 40) -> list[dict[str, Any]]:
    """The held-out errors of one language, most confident first (for the card)."""
    out: list[dict[str, Any]] = [
        {"text": r.text[:160], "label": r.label, "class": r.original or str(r.label),
         "probability": round(float(q), 3)}
        for r, q in zip(rows, p, strict=True)
        if r.lang == lang and (q >= threshold) != bool(r.label)]
    out.sort(key=lambda m: -abs(m["probability"] - threshold))
    return out[:limit]


def _ceiling(rows: list[Message], p: np.ndarray) -> dict[str, Any]:
    """Diagnostic only, never used to choose anything: the best F1 that any threshold
    would reach on the held-out rows, i.e. how far the ranking itself can go."""
    from bersama.detection.metrics import f1_at

    y = np.array([r.label for r in rows])
    out: dict[str, Any] = {}
    for lang in sorted({r.lang for r in rows}):
        m = np.array([r.lang == lang for r in rows])
        best = max((f1_at(y[m], p[m], float(t)), float(t)) for t in np.arange(0.02, 0.99, 0.01))
        out[lang] = {"best_f1": round(best[0], 4), "at_threshold": round(best[1], 2)}
    return out


def train_messages(data_dir: Path, seed: int, log: Callable[[str], None]) -> tuple[
        Featurizer, LinearModel, dict[str, Any]]:
    rows = load_messages(data_dir, seed)
    log(f"messages after deduplication: {len(rows)}")
    tok = [n.tokenised for n in normalise_many([r.text for r in rows])]
    tok_masked = [n.tokenised for n in normalise_many([r.text for r in rows], mask_urls=True)]
    y = np.array([r.label for r in rows])
    wt = np.array([LANGUAGE_WEIGHTS.get(r.lang, 1.0) for r in rows])
    tr = [i for i, r in enumerate(rows) if r.split == "train"]
    te = [i for i, r in enumerate(rows) if r.split == "test"]
    test_rows = [rows[i] for i in te]

    feat, model, info = fit_message_model([tok[i] for i in tr], y[tr], seed, weight=wt[tr])
    c, th = info["c"], info["threshold"]
    log(f"C by 4-fold CV on train: {c} {info['cv_pr_auc_by_c']}; threshold on validation: {th}")
    p = model.proba(feat.transform([tok[i] for i in te]))
    report: dict[str, Any] = {"held_out": _per_lang(test_rows, p, th), "selection": info}
    report["held_out_at_0.5"] = _per_lang(test_rows, p, 0.5)
    report["misses"] = {lang: _misses(test_rows, p, th, lang) for lang in ("en", "tl", "th")}
    report["ceiling"] = _ceiling(test_rows, p)
    log("held-out: " + json.dumps({k: v["f1"] for k, v in report["held_out"].items()}))

    feat_m, model_m, info_m = fit_message_model([tok_masked[i] for i in tr], y[tr], seed, c,
                                                weight=wt[tr])
    pm = model_m.proba(feat_m.transform([tok_masked[i] for i in te]))
    report["urls_masked"] = _per_lang(test_rows, pm, info_m["threshold"])

    pnb = _nb_scores(feat, [tok[i] for i in tr], y[tr], [tok[i] for i in te])
    report["naive_bayes"] = _per_lang(test_rows, pnb, 0.5)

    transfer: dict[str, Any] = {}
    for lang in sorted({r.lang for r in rows}):
        tr_l = [i for i in tr if rows[i].lang != lang]
        te_l = [i for i in te if rows[i].lang == lang]
        f_l, m_l, info_l = fit_message_model([tok[i] for i in tr_l], y[tr_l], seed, c,
                                             weight=wt[tr_l])
        p_l = m_l.proba(f_l.transform([tok[i] for i in te_l]))
        transfer[lang] = evaluate(y[te_l], p_l, info_l["threshold"])
        log(f"leave-{lang}-out F1: {transfer[lang]['f1']}")
    report["leave_one_language_out"] = transfer

    # The shipped model learns from every row, train and test alike, with the C chosen
    # above; its threshold is picked on its own validation fold.
    feat_all, model_all, info_all = fit_message_model(tok, y, seed, c, weight=wt)
    report["shipped"] = info_all
    report["rows"] = {lang: {"train": sum(1 for r in rows if r.lang == lang and r.split == "train"),
                             "test": sum(1 for r in rows if r.lang == lang and r.split == "test"),
                             "positives": sum(r.label for r in rows if r.lang == lang)}
                      for lang in sorted({r.lang for r in rows})}
    return feat_all, model_all, report


def fit_url_model(urls: list[str], y: np.ndarray, seed: int) -> tuple[UrlFeaturizer, LinearModel]:
    feat = UrlFeaturizer()
    x, _ = feat.transform(urls)
    fit_idx, cal_idx = _calib_split(len(urls), seed)
    coef, b = _fit_lr(x[fit_idx], y[fit_idx], URL_C, seed)
    model = LinearModel(coef, b)
    model.platt_a, model.platt_b = fit_platt(model.margin(x[cal_idx]), y[cal_idx])
    return feat, model


def train_urls(data_dir: Path, seed: int, log: Callable[[str], None]) -> tuple[
        LinearModel, dict[str, Any]]:
    rows: list[LabelledUrl] = load_urls(data_dir, seed)
    y = np.array([r.label for r in rows])
    tr = [i for i, r in enumerate(rows) if r.split == "train"]
    te = [i for i, r in enumerate(rows) if r.split == "test"]
    feat, model = fit_url_model([rows[i].url for i in tr], y[tr], seed)
    x, _ = feat.transform([rows[i].url for i in te])
    report: dict[str, Any] = {"held_out": evaluate(y[te], model.proba(x), THRESHOLD),
              "rows": {"train": len(tr), "test": len(te), "positives": int(y.sum())}}
    log(f"url held-out F1: {report['held_out']['f1']}")
    _, model_all = fit_url_model([r.url for r in rows], y, seed)
    return model_all, report


def run(data_dir: Path, out: Path, seed: int, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Train both models, evaluate them and write the artefact and its card to `out`."""
    random.seed(seed)
    out.mkdir(parents=True, exist_ok=True)
    feat, model, msg_report = train_messages(data_dir, seed, log)
    url_model, url_report = train_urls(data_dir, seed, log)
    now = datetime.now(UTC)
    version = f"bersama-detect-{now:%Y%m%d-%H%M}-s{seed}"
    model.save(out / "message.npz")
    url_model.save(out / "url.npz")
    meta = {"version": version, "method": METHOD, "created": now.isoformat(timespec="seconds"),
            "seed": seed, "message_features": feat.spec.as_dict(), "url_char_bits": 18,
            "threshold": msg_report["shipped"]["threshold"],
            "bands": {"likely": LIKELY, "review": REVIEW},
            "trained_languages": sorted(msg_report["rows"])}
    (out / "meta.json").write_text(json.dumps(meta, indent=2), "utf-8")
    from bersama.detection.card import write_card

    card = write_card(out, meta, msg_report, url_report,
                      {k: {"file": v[0], "source": v[1], "licence": v[2]}
                       for k, v in SOURCES.items()})
    return card
