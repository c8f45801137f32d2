# ruff: noqa: RUF001 - full-width letters are the test input
from __future__ import annotations

from bersama.detection.normalise import clean, fold, normalise


def test_zero_width_and_nfkc() -> None:
    assert clean("pa\u200bss\u200dword ＦＲＥＥ") == "password FREE"


def test_homoglyphs_fold_only_inside_latin_words() -> None:
    assert fold("p\u0430yp\u0430l") == "paypal"
    assert fold("привет") == "привет"  # genuine Cyrillic survives


def test_leetspeak_light() -> None:
    assert fold("Fr33 pr1ze") == "free prize"
    assert fold("call 2day 4u 12345") == "call 2day 4u 12345"


def test_typed_tokens() -> None:
    n = normalise(
        "URGENT! Your Maybank acc is locked. Visit http://maybank2u-secure.xyz/login "
        "or call +60 12-345 6789. Pay RM 3,000 to 0x52908400098527886E0F7030069857D2E4169EE7"
    )
    for tok in ("__BANK__", "__URL__", "__PHONE__", "__MONEY__", "__CRYPTO__"):
        assert tok in n.tokenised
    assert "maybank2u-secure" not in n.tokenised


def test_masked_urls_vanish() -> None:
    n = normalise("click https://bit.ly/x now", mask_urls=True)
    assert n.tokenised == "click now"


def test_thai_money_and_agency() -> None:
    n = normalise("ตำรวจแจ้งว่าบัญชีของคุณ โอน 3000 บาท")
    assert "__AGENCY__" in n.tokenised
    assert "__MONEY__" in n.tokenised


def test_batch_equals_one_by_one() -> None:
    from bersama.detection.normalise import normalise_many

    texts = ["Pay RM 3,000 to Maybank 1234567890 now", "hello", "İstanbul visit www.a.com",
             "call +66 81 234 5678", "ตำรวจแจ้งว่าบัญชีของคุณ โอน 3000 บาท", "\ue000 odd \uf001"]
    assert normalise_many(texts) == [normalise(t) for t in texts]


def test_more_suffixes_are_urls_but_words_are_not() -> None:
    assert normalise("Kindly visit Cut.show/4G-Gcash now").tokenised == "kindly visit __URL__ now"
    assert "__URL__" not in normalise("I am at home.today is fine").tokenised
