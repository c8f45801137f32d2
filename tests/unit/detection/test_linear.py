from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from bersama.detection.features import FeatureSpec, Featurizer, stream
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
    assert "word:click" in names.values()


def test_char_ngrams_stay_inside_words_and_documents() -> None:
    f = Featurizer(FeatureSpec(char_bits=16, word_bits=10, char_ngrams=(2, 3)))
    b = f.analyse(["ab cd", "ef"])
    grams = {(int(r), b.text[int(s):int(e)]) for r, s, e, c in
             zip(b.row, b.start, b.end, b.col, strict=True) if c < f.spec.n_char}
    assert grams == {(0, " a"), (0, "ab"), (0, "b "), (0, " ab"), (0, "ab "),
                     (0, " c"), (0, "cd"), (0, "d "), (0, " cd"), (0, "cd "),
                     (1, " e"), (1, "ef"), (1, "f "), (1, " ef"), (1, "ef ")}


def test_stream_makes_every_run_of_white_space_one_space() -> None:
    docs = ["a\u00a0 b\tc", "", "  d\n\x1f e  ", "__URL__  f"]
    assert stream(docs) == " a b c \x00 \x00 d e \x00 \ue000 f \x00"


def test_hashing_is_stable_and_batch_independent() -> None:
    f = Featurizer(FeatureSpec())
    one = f.counts(["call 0123 now"])
    two = f.counts(["something else entirely", "call 0123 now"])
    assert (one[0] != two[1]).nnz == 0
    # digits are read as 0, so another number of the same shape is the same feature
    assert (f.counts(["call 9876 now"])[0] != one[0]).nnz == 0


def test_transform_rows_are_unit_length_and_empty_rows_stay_zero() -> None:
    f = Featurizer(FeatureSpec(char_bits=12, word_bits=10))
    f.fit_idf(["hello there", "general kenobi"])
    x = f.transform(["hello there", " ", "kenobi"])
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    assert norms == pytest.approx([1.0, 0.0, 1.0], abs=1e-5)


def test_top_contributions_match_one_by_one() -> None:
    rng = np.random.default_rng(1)
    x = sp.random(40, 300, density=0.1, format="csr", random_state=2, dtype=np.float32)
    m = LinearModel(rng.normal(size=300).astype(np.float32), 0.1)
    tops = m.top_contributions(x, 5)
    for i in range(40):
        ref = m.contributions(x, i, 5)
        assert [c for c, _ in tops[i]] == [c for c, _ in ref]
        assert [w for _, w in tops[i]] == pytest.approx([w for _, w in ref])


def test_metrics() -> None:
    y = np.array([0, 0, 1, 1])
    m = evaluate(y, np.array([0.1, 0.6, 0.7, 0.9]), 0.5)
    assert m["precision"] == pytest.approx(2 / 3, abs=1e-3)
    assert m["recall"] == 1.0
    assert m["fpr"] == 0.5
    assert ece(np.array([1, 0]), np.array([1.0, 0.0])) == 0.0
