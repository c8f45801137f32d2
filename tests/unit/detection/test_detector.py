"""The shipped artefact: results, explanations that add up, bad input."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from bersama.detection.detector import check_text, load_detector
from bersama.detection.linear import band
from bersama.detection.normalise import normalise, normalise_many
from bersama.errors import InvalidInput, PayloadTooLarge

SCAM = ("URGENT: your Maybank account is suspended. Verify now at "
        "http://maybank2u-secure.xyz/login or call +60 12-345 6789")


def test_result_shape() -> None:
    r = load_detector().messages([SCAM])[0].as_dict()
    assert set(r) >= {"label", "probability", "band", "scam_types", "language", "top_features",
                      "entities", "model_version"}
    assert r["label"] == "scam"
    assert r["language"] == "en"
    assert {"kind": "phone", "key": "+60123456789", "display": "+60 12-345 6789"} in r["entities"]
    assert any(t["type"] == "impersonation-bank" and t["source"] == "lexicon"
               for t in r["scam_types"])


def test_ham_is_unlikely() -> None:
    r = load_detector().messages(["Ok see you at lunch tomorrow, I'll bring the cake"])[0]
    assert r.label == "not-scam"
    assert r.band == "unlikely"
    assert r.scam_types == []  # abstention


def test_explanation_is_faithful() -> None:
    det = load_detector()
    x = det.featurizer.transform([normalise(SCAM).tokenised])
    contribs = det.message.contributions(x, 0)
    margin = sum(w for _, w in contribs) + det.message.intercept
    p = float(det.message.calibrate(np.array([margin]))[0])
    assert math.isclose(p, det.messages([SCAM])[0].probability, rel_tol=1e-4)


def test_untrained_language_capped_to_review() -> None:
    r = load_detector().messages(["Tahniah! Anda menang hadiah RM5000, klik "
                                  "http://hadiah-maybank.xyz untuk tuntut sekarang"])[0]
    assert r.band in ("review", "unlikely")


def test_bands() -> None:
    assert band(0.9) == "likely"
    assert band(0.5) == "review"
    assert band(0.1) == "unlikely"


@pytest.mark.parametrize(
    ("value", "exc"),
    [("", InvalidInput), ("   \n", InvalidInput), ("a\x00b", InvalidInput),
     (b"\xff\xfe", InvalidInput), ("x" * (64 * 1024 + 1), PayloadTooLarge), (12, InvalidInput),
     ("abc \ud800 def", InvalidInput), ("bad \udcff byte", InvalidInput)],
)
def test_bad_text(value: object, exc: type[Exception]) -> None:
    with pytest.raises(exc) as info:
        check_text(value, "items[0]")
    assert getattr(info.value, "field", None) == "items[0]"


@pytest.mark.parametrize("text", ["😀🎉🔥", "Hello สวัสดี 你好 привет مرحبا", "\u200b\u200bhi",
                                  "€" * 1000, "pay \u0130DR 500 now", "\u0131dr 5 juta"])
def test_odd_text_answers(text: str) -> None:
    r = load_detector().messages([text])[0]
    assert 0.0 <= r.probability <= 1.0


@pytest.mark.parametrize("kind", ["message", "url"])
def test_lone_surrogate_is_a_clear_error_not_a_crash(kind: str) -> None:
    """JSON allows "\\ud800", and argv holds undecodable bytes as surrogates."""
    det = load_detector()
    fn = det.messages if kind == "message" else det.urls
    with pytest.raises(InvalidInput, match="not valid UTF-8") as info:
        fn(["ok", "http://\ud800.com/x"])
    assert info.value.field == "items[1]"


def test_country_normalises_national_phone_numbers() -> None:
    text = "Your GCash is locked, call 09171234567 to verify"
    det = load_detector()
    plain = det.messages([text])[0].entities
    ph = det.messages([text], country="ph")[0].entities
    assert not any(e.kind == "phone" for e in plain)
    assert ("phone", "+639171234567") in {(e.kind, e.key) for e in ph}
    with pytest.raises(InvalidInput) as info:
        det.messages([text], country="ZZ")
    assert info.value.field == "country"


def test_urls() -> None:
    det = load_detector()
    bad, good, blocked = det.urls(["http://rnaybank2u-login.xyz/verify?id=1",
                                   "https://www.maybank2u.com.my/home", "http://a.phishing.test/"])
    assert bad.probability > good.probability
    assert "lookalike of Maybank" in bad.notes or "brand-in-host of Maybank" in bad.notes
    assert good.label == "not-phishing"
    assert good.entities[0].key == "https://www.maybank2u.com.my/home"
    assert blocked.label == "phishing"


def test_long_url_refused_clearly() -> None:
    with pytest.raises(PayloadTooLarge) as info:
        load_detector().urls(["http://a.com/" + "a" * 10_000])
    assert info.value.field == "items[0]"


def test_garbage_url_answers() -> None:
    r = load_detector().urls(["not a url at all"])[0]
    assert r.label in ("phishing", "not-phishing")
    assert r.entities == []


def test_batch_equals_one_by_one() -> None:
    det = load_detector()
    texts = [SCAM, "Ok see you at lunch tomorrow", "Tahniah! Anda menang RM5000 http://x.xyz",
             "ยินดีด้วย คุณได้รับรางวัล 5000 บาท"]
    batch = [r.as_dict() for r in det.messages(texts)]
    assert batch == [det.messages([t])[0].as_dict() for t in texts]


def test_explanations_sum_to_the_score_for_every_row() -> None:
    det = load_detector()
    texts = [SCAM, "Ok see you at lunch tomorrow", "win a prize now"]
    x = det.featurizer.transform([n.tokenised for n in normalise_many(texts)])
    for i, r in enumerate(det.messages(texts)):
        margin = sum(w for _, w in det.message.contributions(x, i)) + det.message.intercept
        assert math.isclose(float(det.message.calibrate(np.array([margin]))[0]), r.probability,
                            rel_tol=1e-4)
        top = [f.weight for f in r.features]
        assert top == sorted(top, key=abs, reverse=True)


def test_text_without_digits_or_dots_skips_extraction() -> None:
    r = load_detector().messages(["hello my friend how are you"])[0]
    assert r.entities == []
    assert r.amounts == []


def test_long_batches_are_cut_without_changing_results(monkeypatch: pytest.MonkeyPatch) -> None:
    from bersama.detection import detector

    det = load_detector()
    texts = [SCAM, "Ok see you at lunch tomorrow", "x" * 5000, "win a prize now"]
    whole = [r.as_dict() for r in det.messages(texts)]
    monkeypatch.setattr(detector, "CHUNK_CHARS", 100)
    assert [r.as_dict() for r in det.messages(texts)] == whole
    assert det.messages([]) == []


def test_collector_is_paused_while_a_batch_is_scored(monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    from bersama.detection import detector

    seen: list[bool] = []
    real = detector.check_text

    def spy(text: object, field: str = "text") -> str:
        seen.append(gc.isenabled())
        return real(text, field)

    monkeypatch.setattr(detector, "check_text", spy)
    was = gc.isenabled()
    gc.enable()
    try:
        load_detector().messages([SCAM])
        load_detector().urls(["https://example.org/"])
        assert seen == [False, False]
        assert gc.isenabled()
    finally:
        if not was:
            gc.disable()


def test_artefact_of_another_hasher_is_refused(tmp_path: Path) -> None:
    import json
    import shutil

    from bersama.detection.detector import Detector, default_dir
    from bersama.errors import ConfigurationError

    for f in default_dir().iterdir():
        shutil.copy(f, tmp_path / f.name)
    meta = json.loads((tmp_path / "meta.json").read_text("utf-8"))
    del meta["message_features"]["hasher"]
    (tmp_path / "meta.json").write_text(json.dumps(meta), "utf-8")
    with pytest.raises(ConfigurationError, match="retrain"):
        Detector(tmp_path)
