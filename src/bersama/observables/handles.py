"""Social-media and messenger handles: (platform, handle) with each platform's rules.

Key: `platform:handle`.  Platform names and their aliases map to one code
(`tg` -> `telegram`, `twitter` -> `x`).  Case-insensitive platforms (Telegram,
Instagram, TikTok, X, Facebook, LINE, Discord, YouTube) are lower-cased;
Facebook also ignores dots in user names, as Facebook itself does.  Platforms
whose case rules we cannot vouch for (WeChat, unknown platforms) keep case:
a missed link is cheaper than a false one.  Phone-based messengers
(WhatsApp, Viber, Zalo, Signal numbers) normalise the handle as E.164, so a
WhatsApp handle meets `wa.me/<number>`.  A leading `@` and profile URLs
(`t.me/x`, `instagram.com/x`, `tiktok.com/@x`) are stripped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from bersama.errors import InvalidObservable
from bersama.observables._common import CACHE_SIZE, clean, invalid, make
from bersama.observables.model import Kind, Observable
from bersama.observables.phone import phone


@dataclass(frozen=True, slots=True)
class Platform:
    code: str
    name: str
    pattern: re.Pattern[str] | None
    """Allowed user names; None: the handle is a phone number."""
    lower: bool
    hosts: tuple[str, ...] = ()
    phone_or_name: bool = False
    strip_dots: bool = False
    rule: str = ""


_P = re.compile
PLATFORMS: dict[str, Platform] = {p.code: p for p in (
    Platform("telegram", "Telegram", _P(r"\A[a-z][a-z0-9_]{3,31}\Z"), True,
             ("t.me", "telegram.me", "telegram.dog"), phone_or_name=True,
             rule="5-32 letters, digits or _, starting with a letter"),
    Platform("whatsapp", "WhatsApp", None, False, ("wa.me", "api.whatsapp.com", "whatsapp.com"),
             rule="a phone number"),
    Platform("viber", "Viber", None, False, (), rule="a phone number"),
    Platform("zalo", "Zalo", None, False, ("zalo.me",), rule="a phone number"),
    Platform("signal", "Signal", _P(r"\A[a-z_][a-z0-9_]{2,31}\.[0-9]{2,9}\Z"), True,
             ("signal.me",), phone_or_name=True, rule="a phone number or name.NN"),
    Platform("facebook", "Facebook", _P(r"\A(?:[a-z0-9.]{5,50}|[0-9]{5,20})\Z"), True,
             ("facebook.com", "fb.com", "m.facebook.com", "www.facebook.com", "fb.me"),
             strip_dots=True, rule="5-50 letters, digits or dots, or a numeric id"),
    Platform("instagram", "Instagram", _P(r"\A[a-z0-9._]{1,30}\Z"), True,
             ("instagram.com", "www.instagram.com", "instagr.am"),
             rule="1-30 letters, digits, . or _"),
    Platform("tiktok", "TikTok", _P(r"\A[a-z0-9._]{2,24}\Z"), True,
             ("tiktok.com", "www.tiktok.com", "vm.tiktok.com"),
             rule="2-24 letters, digits, . or _"),
    Platform("x", "X (Twitter)", _P(r"\A[a-z0-9_]{1,15}\Z"), True,
             ("x.com", "twitter.com", "www.twitter.com", "mobile.twitter.com"),
             rule="1-15 letters, digits or _"),
    Platform("line", "LINE", _P(r"\A[a-z0-9._-]{3,20}\Z"), True, ("line.me",),
             rule="3-20 letters, digits, . _ or -"),
    Platform("wechat", "WeChat", _P(r"\A[A-Za-z][A-Za-z0-9_-]{5,19}\Z"), False, (),
             phone_or_name=True, rule="6-20 letters, digits, _ or -, starting with a letter"),
    Platform("discord", "Discord", _P(r"\A[a-z0-9_.]{2,32}\Z"), True, ("discord.com",),
             rule="2-32 letters, digits, _ or ."),
    Platform("youtube", "YouTube", _P(r"\A[a-z0-9._-]{3,30}\Z"), True,
             ("youtube.com", "www.youtube.com"), rule="3-30 letters, digits, . _ or -"),
    Platform("kakaotalk", "KakaoTalk", _P(r"\A[a-z0-9._-]{4,20}\Z"), True, (),
             rule="4-20 letters, digits, . _ or -"),
)}
ALIASES = {
    "tg": "telegram", "tele": "telegram", "wa": "whatsapp", "whatsap": "whatsapp",
    "fb": "facebook", "messenger": "facebook", "ig": "instagram", "insta": "instagram",
    "tt": "tiktok", "twitter": "x", "linebot": "line", "lineid": "line", "weixin": "wechat",
    "wx": "wechat", "kakao": "kakaotalk", "yt": "youtube",
}
_GENERIC = re.compile(r"\A[A-Za-z0-9._-]{1,64}\Z")
_URL_PREFIX = re.compile(r"\A(?:https?://)?([a-z0-9.-]+)/", re.IGNORECASE)


def platform_code(name: str) -> str:
    c = "".join(ch for ch in name.lower() if ch.isalnum())
    if not c:
        invalid("empty platform name", field="platform", value=name)
    return ALIASES.get(c, c)


def _strip_url(p: Platform | None, s: str) -> str:
    m = _URL_PREFIX.match(s)
    if not m:
        return s
    host = m.group(1).lower()
    if p is None or host not in p.hosts:
        invalid(f"a URL on {host}, not a handle for this platform", field="handle", value=s)
    rest = s[m.end():].split("?", 1)[0].split("#", 1)[0].strip("/")
    if p.code == "whatsapp" and rest.startswith("send"):
        q = re.search(r"phone=([+0-9]+)", s)
        rest = q.group(1) if q else ""
    if p.code == "line" and rest.startswith("ti/p/"):
        rest = rest[5:].lstrip("~")
    if p.code == "facebook" and rest.startswith("profile.php"):
        q = re.search(r"id=([0-9]+)", s)
        rest = q.group(1) if q else ""
    return rest.split("/", 1)[0]


def _phone_handle(s: str, country: str | None) -> str:
    """wa.me-style digits carry the country code; national forms need `country`."""
    if s.startswith(("+", "00")) or (country is None and not s.startswith("0")):
        return str(phone(s if s.startswith(("+", "00")) else "+" + s).key)
    if s.startswith("0"):
        return str(phone(s, country).key)
    try:
        return str(phone("+" + s).key)
    except InvalidObservable:
        return str(phone(s, country).key)


@lru_cache(maxsize=CACHE_SIZE)
def handle(platform: str, value: str, country: str | None = None) -> Observable:
    """Normalise a (platform, handle) pair to `platform:handle`.

    `country` resolves national-format numbers of phone-based messengers.
    """
    code = platform_code(clean(platform, "platform"))
    p = PLATFORMS.get(code)
    raw = clean(value, "handle")
    s = _strip_url(p, raw).lstrip("@").strip()
    if not s:
        invalid("empty handle", field="handle", value=raw)
    if p is None:
        if not _GENERIC.match(s):
            invalid("handle must be 1-64 letters, digits, . _ or -", field="handle", value=raw)
        return make(Kind.HANDLE, f"{code}:{s}", f"{code} @{s}", {"platform": code})
    if p.pattern is None or (p.phone_or_name and s[:1] in "+0123456789"):
        try:
            key = _phone_handle(s, country)
        except InvalidObservable as exc:
            invalid(f"{p.name} handle must be {p.rule}: {exc.detail}", field="handle", value=raw)
        return make(Kind.HANDLE, f"{code}:{key}", f"{p.name} {key}",
                    {"platform": code, "handle_type": "phone"})
    name = s.lower() if p.lower else s
    if p.strip_dots:
        name = name.replace(".", "")
    if not p.pattern.match(name if not p.strip_dots else s.lower()):
        invalid(f"{p.name} handle must be {p.rule}", field="handle", value=raw)
    return make(Kind.HANDLE, f"{code}:{name}", f"{p.name} @{name}", {"platform": code})
