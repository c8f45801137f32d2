"""The training helpers on small made-up data (no ../shared/data needed)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from bersama.detection.linear import LIKELY, REVIEW
from bersama.detection.train import choose_threshold, fit_message_model, fit_nblr, nb_ratio

SCAMS = ["win __MONEY__ now click __URL__", "your __BANK__ account is locked verify __URL__",
         "claim your prize call __PHONE__", "urgent verify your __WALLET__ at __URL__"]
HAMS = ["see you at lunch", "can you pick up milk", "meeting moved to three",
        "happy birthday mum", "running late sorry"]


def test_nb_ratio_sign_follows_the_class() -> None:
    x = sp.csr_matrix(np.array([[1, 0], [1, 0], [0, 1]], dtype=np.float32))
    r = nb_ratio(x, np.array([1, 1, 0]))
    assert r[0] > 0 > r[1]


def test_nblr_is_a_plain_linear_model_on_the_unscaled_features() -> None:
    x = sp.csr_matrix(np.array([[1, 0, 1], [1, 0, 0], [0, 1, 0], [0, 1, 1]], dtype=np.float32))
    y = np.array([1, 1, 0, 0])
    coef, b = fit_nblr(x, y, 10.0, 0)
    margin = x @ coef + b
    assert (margin[:2] > 0).all()
    assert (margin[2:] < 0).all()


def test_threshold_is_chosen_inside_the_bands() -> None:
    y = np.array([0, 0, 0, 1, 1, 1])
    t = choose_threshold(np.array([0.1, 0.2, 0.3, 0.6, 0.7, 0.9]), y)
    assert REVIEW <= t <= LIKELY
    assert t <= 0.6


def test_fit_message_model_selects_c_and_threshold() -> None:
    docs = (SCAMS + HAMS) * 6
    y = np.array(([1] * len(SCAMS) + [0] * len(HAMS)) * 6)
    feat, model, info = fit_message_model(docs, y, seed=3)
    assert set(info) == {"cv_pr_auc_by_c", "c", "threshold"}
    p = model.proba(feat.transform(["verify your __BANK__ at __URL__", "see you at three"]))
    assert p[0] > p[1]


def test_weights_of_one_are_the_unweighted_fit() -> None:
    docs = (SCAMS + HAMS) * 6
    y = np.array(([1] * len(SCAMS) + [0] * len(HAMS)) * 6)
    _, model, _ = fit_message_model(docs, y, seed=3, c=10.0)
    _, model_w, _ = fit_message_model(docs, y, seed=3, c=10.0, weight=np.ones(len(docs)))
    np.testing.assert_array_equal(model.coef, model_w.coef)
    assert model.intercept == model_w.intercept


def test_a_weighted_row_pulls_the_fit_its_way() -> None:
    # the same text labelled both ways: the heavier label wins
    x = sp.csr_matrix(np.array([[1, 0], [1, 0], [0, 1], [0, 1]], dtype=np.float32))
    y = np.array([1, 0, 0, 1])
    for heavy, sign in ((0, 1.0), (1, -1.0)):
        w = np.ones(4)
        w[heavy] = 5.0
        coef, b = fit_nblr(x, y, 10.0, 0, w)
        assert sign * (float(coef[0]) + b) > 0
