from __future__ import annotations

import socket

import pytest

from bersama.detection import language
from bersama.detection.language import detect_language


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("สวัสดีครับ คุณได้รับรางวัล", "th"),
        ("ສະບາຍດີ ທ່ານໄດ້ຮັບລາງວັນ", "lo"),
        ("សួស្តី អ្នកបានឈ្នះរង្វាន់", "km"),
        ("မင်္ဂလာပါ ဆုငွေ ပေါက်ပါသည်", "my"),
        ("வணக்கம் நீங்கள் வென்றீர்கள்", "ta"),
        ("안녕하세요 당첨되었습니다", "ko"),
        ("こんにちは、当選しました", "ja"),
        ("恭喜您中奖了请联系客服", "zh"),
        ("Hello, your parcel is waiting at the post office for delivery", "en"),
        ("Chúc mừng bạn đã trúng thưởng một chiếc xe máy", "vi"),
        ("Congrats po, nanalo kayo ng premyo sa aming raffle", "tl"),
        ("Selamat, Anda memenangkan hadiah dari kami, silakan hubungi nomor ini", "id"),
    ],
)
def test_languages(text: str, code: str) -> None:
    assert detect_language(text).code == code


@pytest.mark.parametrize("text", ["", "ok", "😀😀😀", "12345 678", "!!!"])
def test_unsure_is_und(text: str) -> None:
    assert detect_language(text).code == "und"


def test_mixed_script_takes_dominant_script() -> None:
    g = detect_language("Promo ကံစမ်းမဲ ဆုငွေ ပေါက်ရှိထားပါသဖြင့် ဖုန်းခေါ်ဆိုပေးပါ")
    assert g.code == "my"
    assert g.method == "script"


def test_lite_model_loads_without_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_a: object, **_k: object) -> None:
        raise AssertionError("language id tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    language._model.cache_clear()
    assert language.detect_language("Good morning, the meeting is at ten today").code == "en"


def test_batch_equals_one_by_one() -> None:
    from bersama.detection.language import clear_cache, detect_languages

    parcel = "Hello, your parcel is waiting at the post office"
    texts = [parcel, "สวัสดีครับ", "ok", "Selamat, Anda memenangkan hadiah dari kami", parcel]
    clear_cache()
    batch = detect_languages(texts)
    clear_cache()
    assert batch == [detect_language(t) for t in texts]
