from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from bersama.detection.features import FeatureSpec, Featurizer
from bersama.detection.linear import LinearModel
from bersama.detection.metrics import ece, evaluate


def test_round_trip_without_pickle(tmp_path: Path) -> None:
    m = LinearModel(np.arange(5, dtype=np.float32), 0.5, 2.0, -1.0, np.ones(5, np.float32))
    m.save(tmp_path / "m.npz")
    m2 = LinearModel.load(tmp_path / "m.npz")
    x = sp.csr_matrix(np.ones((1, 5), dtype=np.float32))
    assert m2.proba(x)[0] == pytest.approx(m.proba(x)[0])


def test_named_columns_cover_every_column() -> None:
    f = Featurizer(FeatureSpec(char_bits=12, word_bits=10))
    doc = "win __MONEY__ now, click __URL__"
    f.fit_idf([doc])
    names = f.named_columns(doc)
    assert set(f.counts([doc]).indices) == set(names)
    assert "char:' <URL>'" in names.values()


def test_metrics() -> None:
    y = np.array([0, 0, 1, 1])
    m = evaluate(y, np.array([0.1, 0.6, 0.7, 0.9]), 0.5)
    assert m["precision"] == pytest.approx(2 / 3, abs=1e-3)
    assert m["recall"] == 1.0
    assert m["fpr"] == 0.5
    assert ece(np.array([1, 0]), np.array([1.0, 0.0])) == 0.0
