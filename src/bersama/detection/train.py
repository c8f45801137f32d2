"""Training and evaluation behind `bersama model train`: one reproducible run.

What one run does, in order: read and deduplicate each data set, split it by
time or source where the data allows (Thai: the Dec 2022 collection; Filipino:
messages from 2025 on) and at random otherwise; fit the message model
(logistic regression on hashed char_wb 2-5 and word 1-2 TF-IDF over the
tokenised text) on 80% of the training part and Platt-calibrate it on the
other 20%; evaluate per language on the held-out part; evaluate again with URLs
masked; evaluate a multinomial naive Bayes baseline on the same features;
measure transfer by leaving each language out of training and testing on it;
then the same for the URL scorer.  Outputs: arrays (`.npz`), `meta.json`, and
the model card (`model_card.json`, `model_card.md`).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from bersama.detection.datasets import SOURCES, LabelledUrl, Message, load_messages, load_urls
from bersama.detection.features import FeatureSpec, Featurizer
from bersama.detection.linear import LIKELY, REVIEW, THRESHOLD, LinearModel, fit_platt
from bersama.detection.metrics import evaluate
from bersama.detection.normalise import normalise
from bersama.detection.url import UrlFeaturizer

MESSAGE_C = 30.0
URL_C = 4.0


def _fit_lr(x: Any, y: np.ndarray, c: float, seed: int) -> tuple[np.ndarray, float]:
    from sklearn.linear_model import LogisticRegression

    lr = LogisticRegression(C=c, max_iter=2000, solver="liblinear", random_state=seed)
    lr.fit(x, y)
    return lr.coef_[0].astype(np.float32), float(lr.intercept_[0])


def _calib_split(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    mask = rng.random(n) < 0.2
    return np.flatnonzero(~mask), np.flatnonzero(mask)


def fit_message_model(docs: list[str], y: np.ndarray, seed: int,
                      spec: FeatureSpec | None = None) -> tuple[Featurizer, LinearModel]:
    feat = Featurizer(spec or FeatureSpec())
    fit_idx, cal_idx = _calib_split(len(docs), seed)
    feat.fit_idf([docs[i] for i in fit_idx])
    x = feat.transform(docs)
    coef, b = _fit_lr(x[fit_idx], y[fit_idx], MESSAGE_C, seed)
    model = LinearModel(coef, b, idf=feat.idf)
    a, c = fit_platt(model.margin(x[cal_idx]), y[cal_idx])
    model.platt_a, model.platt_b = a, c
    return feat, model


def _nb_scores(feat: Featurizer, train: list[str], ytr: np.ndarray, test: list[str]) -> np.ndarray:
    from sklearn.naive_bayes import MultinomialNB

    nb = MultinomialNB(alpha=0.1)
    nb.fit(feat.counts(train), ytr)
    out: np.ndarray = nb.predict_proba(feat.counts(test))[:, 1]
    return out


def _per_lang(rows: list[Message], p: np.ndarray) -> dict[str, Any]:
    y = np.array([r.label for r in rows])
    langs = sorted({r.lang for r in rows})
    out: dict[str, Any] = {"all": evaluate(y, p, THRESHOLD)}
    for lang in langs:
        m = np.array([r.lang == lang for r in rows])
        out[lang] = evaluate(y[m], p[m], THRESHOLD)
    return out


def train_messages(data_dir: Path, seed: int, log: Callable[[str], None]) -> tuple[
        Featurizer, LinearModel, dict[str, Any]]:
    rows = load_messages(data_dir, seed)
    log(f"messages after deduplication: {len(rows)}")
    tok = [normalise(r.text).tokenised for r in rows]
    tok_masked = [normalise(r.text, mask_urls=True).tokenised for r in rows]
    y = np.array([r.label for r in rows])
    tr = [i for i, r in enumerate(rows) if r.split == "train"]
    te = [i for i, r in enumerate(rows) if r.split == "test"]
    test_rows = [rows[i] for i in te]

    feat, model = fit_message_model([tok[i] for i in tr], y[tr], seed)
    p = model.proba(feat.transform([tok[i] for i in te]))
    report: dict[str, Any] = {"held_out": _per_lang(test_rows, p)}
    log("held-out: " + json.dumps({k: v["f1"] for k, v in report["held_out"].items()}))

    feat_m, model_m = fit_message_model([tok_masked[i] for i in tr], y[tr], seed)
    pm = model_m.proba(feat_m.transform([tok_masked[i] for i in te]))
    report["urls_masked"] = _per_lang(test_rows, pm)

    pnb = _nb_scores(feat, [tok[i] for i in tr], y[tr], [tok[i] for i in te])
    report["naive_bayes"] = _per_lang(test_rows, pnb)

    transfer: dict[str, Any] = {}
    for lang in sorted({r.lang for r in rows}):
        tr_l = [i for i in tr if rows[i].lang != lang]
        te_l = [i for i in te if rows[i].lang == lang]
        f_l, m_l = fit_message_model([tok[i] for i in tr_l], y[tr_l], seed)
        p_l = m_l.proba(f_l.transform([tok[i] for i in te_l]))
        transfer[lang] = evaluate(y[te_l], p_l, THRESHOLD)
        log(f"leave-{lang}-out F1: {transfer[lang]['f1']}")
    report["leave_one_language_out"] = transfer

    # The shipped model learns from every row, train and test alike.
    feat_all, model_all = fit_message_model(tok, y, seed)
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
    version = f"bersama-detect-{now:%Y%m%d}-s{seed}"
    model.save(out / "message.npz")
    url_model.save(out / "url.npz")
    meta = {"version": version, "created": now.isoformat(timespec="seconds"), "seed": seed,
            "message_features": feat.spec.as_dict(), "url_char_bits": 18,
            "threshold": THRESHOLD, "bands": {"likely": LIKELY, "review": REVIEW},
            "trained_languages": sorted(msg_report["rows"])}
    (out / "meta.json").write_text(json.dumps(meta, indent=2), "utf-8")
    from bersama.detection.card import write_card

    card = write_card(out, meta, msg_report, url_report,
                      {k: {"file": v[0], "source": v[1], "licence": v[2]}
                       for k, v in SOURCES.items()})
    return card
