"""Social-media and messenger handles."""

from __future__ import annotations

import pytest

from bersama.errors import InvalidObservable
from bersama.observables import Kind, handle


@pytest.mark.parametrize(
    ("platform", "value", "key"),
    [
        ("telegram", "@Scam_Boss", "telegram:scam_boss"),
        ("tg", "scam_boss", "telegram:scam_boss"),
        ("Telegram", "https://t.me/Scam_Boss", "telegram:scam_boss"),
        ("telegram", "t.me/scam_boss/", "telegram:scam_boss"),
        ("whatsapp", "wa.me/60123456789", "whatsapp:+60123456789"),
        ("WA", "+60 12-345 6789", "whatsapp:+60123456789"),
        ("whatsapp", "https://api.whatsapp.com/send?phone=60123456789", "whatsapp:+60123456789"),
        ("facebook", "facebook.com/John.Doe.99", "facebook:johndoe99"),
        ("fb", "johndoe99", "facebook:johndoe99"),
        (
            "facebook",
            "https://www.facebook.com/profile.php?id=100012345678",
            "facebook:100012345678",
        ),
        ("instagram", "@Some.User", "instagram:some.user"),
        ("ig", "https://instagram.com/some.user/", "instagram:some.user"),
        ("tiktok", "https://www.tiktok.com/@Foo_1", "tiktok:foo_1"),
        ("twitter", "@Jack", "x:jack"),
        ("x", "https://x.com/jack", "x:jack"),
        ("line", "https://line.me/ti/p/~Scam.TH88", "line:scam.th88"),
        ("line", "@scam.th88", "line:scam.th88"),
        ("wechat", "ScamBoss88", "wechat:ScamBoss88"),
        ("zalo", "+84 912 345 678", "zalo:+84912345678"),
        ("viber", "+66 81 234 5678", "viber:+66812345678"),
        ("signal", "scam_boss.01", "signal:scam_boss.01"),
        ("MySpace", "Foo.Bar", "myspace:Foo.Bar"),
    ],
)
def test_handles(platform: str, value: str, key: str) -> None:
    obs = handle(platform, value)
    assert obs.kind is Kind.HANDLE
    assert obs.key == key
    plat, name = key.split(":", 1)
    assert obs.attr("platform") == plat
    assert handle(plat, name) == obs


def test_phone_messenger_national_format_needs_country() -> None:
    assert handle("whatsapp", "012-345 6789", "MY").key == "whatsapp:+60123456789"
    with pytest.raises(InvalidObservable, match="no country"):
        handle("whatsapp", "012-345 6789")


@pytest.mark.parametrize(
    ("platform", "value", "reason"),
    [
        ("telegram", "@abc", "5-32"),
        ("telegram", "@1abcde", "phone number"),
        ("telegram", "https://x.com/foo", "not a handle for this platform"),
        ("x", "a" * 16, "1-15"),
        ("instagram", "bad name", "1-30"),
        ("whatsapp", "hello", "phone number"),
        ("wechat", "12345", "starting with a letter"),
        ("telegram", "@", "empty handle"),
        ("", "foo", "empty"),
    ],
)
def test_invalid_handles(platform: str, value: str, reason: str) -> None:
    with pytest.raises(InvalidObservable) as exc:
        handle(platform, value)
    assert reason in exc.value.detail
