"""Phishing-URL features: lexical facts about the address and its character n-grams.

Why lexical only: a node runs offline and must not touch a suspect address
(no DNS, no fetch, no reputation service), so everything comes from the string:
length, entropy, digits, an IP for a host, punycode or mixed scripts, the
suffix, URL shorteners, `@`, many subdomains, and above all lookalikes of the
region's banks, wallets, couriers and agencies (edit distance to the bundled
brand list, or a brand name in a host that the brand does not own).  The
scheme and a leading `www.` are dropped before the n-grams, because one of the
training sets writes URLs without a scheme and the other with one: a model
must not learn which data set a URL came from.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction import FeatureHasher
from sklearn.feature_extraction.text import HashingVectorizer

from bersama.detection.normalise import brand_entries

SHORTENERS = frozenset({
    "bit.ly", "tinyurl.com", "t.co", "goo.gl", "ow.ly", "is.gd", "buff.ly", "cutt.ly",
    "rebrand.ly", "shorturl.at", "s.id", "lin.ee", "rb.gy", "t.ly", "tiny.cc", "bitly.com",
    "shorte.st", "adf.ly", "v.gd", "qrco.de", "linktr.ee", "u.to", "clck.ru", "urlz.fr",
})
RISKY_SUFFIXES = frozenset({
    "xyz", "top", "club", "site", "online", "shop", "vip", "icu", "buzz", "tk", "ml", "ga",
    "cf", "gq", "pw", "cc", "live", "work", "click", "link", "rest", "fit", "cyou", "sbs",
})
SENSITIVE_WORDS = ("login", "signin", "verify", "secure", "account", "update", "bank", "confirm",
                   "wallet", "password", "webscr", "ebayisapi", "billing", "otp", "claim")
NUMERIC_NAMES = (
    "len_log", "host_len_log", "path_len_log", "entropy", "digit_ratio", "host_digit_ratio",
    "ip_host", "punycode", "non_ascii_host", "mixed_script_host", "at_sign", "dash_in_host",
    "subdomains", "many_subdomains", "shortener", "risky_suffix", "gov_suffix", "port",
    "query_params_log", "sensitive_words", "brand_lookalike", "brand_in_host_not_owner",
    "brand_owned", "double_slash_in_path", "http_in_path", "dots_log", "apk_file",
)
_IP = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$|^\[?[0-9a-f:]+:[0-9a-f:]*\]?$")
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.I)


@dataclass(frozen=True, slots=True)
class UrlParts:
    raw: str
    stripped: str
    host: str
    path: str
    query: str
    registered: str
    suffix: str
    subdomain: str
    domain_label: str


def split_url(raw: str) -> UrlParts:
    """Parse without validating (phishing URLs are often malformed on purpose)."""
    s = raw.strip()
    s2 = _SCHEME.sub("", s)
    s2 = re.sub(r"^www\d?\.", "", s2, flags=re.I)
    hostport = re.split(r"[/?#]", s2, maxsplit=1)[0]
    host = hostport.rsplit("@", 1)[-1].split(":")[0].lower().strip(".")
    rest = s2[len(hostport):]
    path, _, query = rest.partition("?")
    sub = dom = suf = ""
    if host and not _IP.match(host):
        r = _tld().extract_str(host)
        sub, dom, suf = r.subdomain, r.domain, r.suffix
    reg = f"{dom}.{suf}" if dom and suf else ""
    return UrlParts(s, s2.lower(), host, path, query, reg, suf, sub, dom)


@lru_cache(maxsize=1)
def _tld() -> Any:
    """tldextract on its bundled suffix snapshot: no cache dir, no network."""
    import tldextract

    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None,
                                 include_psl_private_domains=True)


@lru_cache(maxsize=1)
def _brands() -> tuple[dict[str, str], dict[str, str]]:
    """(registered domain -> brand, brand label -> brand) for the lookalike checks."""
    owned: dict[str, str] = {}
    labels: dict[str, str] = {}
    for e in brand_entries():
        for d in e["domains"]:
            owned[d] = e["name"]
            label = d.split(".")[0]
            if len(label) >= 4:
                labels[label] = e["name"]
        for a in e["aliases"]:
            a2 = re.sub(r"[^a-z0-9]", "", a.lower())
            if len(a2) >= 5:
                labels.setdefault(a2, e["name"])
    return owned, labels


def brand_domains() -> frozenset[str]:
    return frozenset(_brands()[0])


@lru_cache(maxsize=4096)
def _pieces(b: str, k: int) -> tuple[str, ...]:
    step = max(1, len(b) // (k + 1))
    return tuple(p for p in [b[i * step:(i + 1) * step] for i in range(k)] + [b[k * step:]] if p)


def _may_be_close(a: str, b: str, k: int) -> bool:
    """Pigeonhole filter: within k edits, one of k + 1 disjoint pieces of b survives in a."""
    return any(p in a for p in _pieces(b, k))


def _lev_at_most(a: str, b: str, k: int) -> int:
    """Levenshtein distance, or k + 1 once it must exceed k."""
    if abs(len(a) - len(b)) > k:
        return k + 1
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        if min(cur) > k:
            return k + 1
        prev = cur
    return prev[-1]


@lru_cache(maxsize=65536)
def lookalike(host: str, registered: str, domain_label: str) -> tuple[str, str]:
    """(kind, brand): kind is `owned`, `lookalike`, `brand-in-host` or ``."""
    owned, labels = _brands()
    if registered in owned:
        return "owned", owned[registered]
    flat = host.replace("-", "").replace(".", "")
    for bl, brand in labels.items():
        if bl in flat:
            return "brand-in-host", brand
    host_part = host[: len(host) - len(registered) + len(domain_label)] if registered else host
    candidates = {domain_label.replace("-", "")} | set(re.split(r"[-.]", host_part))
    for label in candidates:
        if len(label) < 4:
            continue
        for bl, brand in labels.items():
            k = 1 if len(bl) < 7 else 2
            if abs(len(bl) - len(label)) > k or not _may_be_close(label, bl, k):
                continue
            if 0 < _lev_at_most(label, bl, k) <= k:
                return "lookalike", brand
    return "", ""


def _entropy(s: str) -> float:
    if not s:
        return 0.0
    n = len(s)
    return -sum(c / n * math.log2(c / n) for c in Counter(s).values())


def numeric_features(p: UrlParts) -> list[float]:
    host = p.host
    is_ip = bool(_IP.match(host)) if host else False
    digits = sum(c.isdigit() for c in p.stripped)
    kind, _ = lookalike(host, p.registered, p.domain_label) if host else ("", "")
    n_sub = len([x for x in p.subdomain.split(".") if x])
    non_ascii = any(ord(c) > 127 for c in host)
    scripts = {("latin" if c.isascii() else "other") for c in host if c.isalpha()}
    return [
        math.log1p(len(p.stripped)) / 6, math.log1p(len(host)) / 5, math.log1p(len(p.path)) / 6,
        _entropy(p.stripped) / 6, digits / max(len(p.stripped), 1),
        sum(c.isdigit() for c in host) / max(len(host), 1),
        float(is_ip), float("xn--" in host), float(non_ascii), float(len(scripts) > 1),
        float("@" in p.raw), float("-" in host), min(n_sub, 5) / 5, float(n_sub >= 3),
        float(p.registered in SHORTENERS or host in SHORTENERS),
        float(p.suffix.split(".")[-1] in RISKY_SUFFIXES),
        float(any(x in ("gov", "go", "gob", "mil") for x in p.suffix.split("."))),
        float(bool(re.search(r":\d+$", p.raw.split("/")[2] if "//" in p.raw else ""))),
        math.log1p(p.query.count("&") + (1 if p.query else 0)) / 3,
        min(sum(w in p.stripped for w in SENSITIVE_WORDS), 3) / 3,
        float(kind == "lookalike"), float(kind == "brand-in-host"), float(kind == "owned"),
        float("//" in p.path), float("http" in p.path.lower()), math.log1p(host.count(".")) / 2,
        float(p.path.lower().endswith(".apk")),
    ]


class UrlFeaturizer:
    """Numeric lexical block followed by hashed character 3-5-grams of the stripped URL."""

    def __init__(self, bits: int = 18) -> None:
        self.n_numeric = len(NUMERIC_NAMES)
        self.bits = bits
        self._char = HashingVectorizer(analyzer="char", ngram_range=(3, 5), n_features=1 << bits,
                                       alternate_sign=False, norm="l2", lowercase=False,
                                       dtype=np.float32)
        self.char_analyzer = self._char.build_analyzer()
        self._hasher = FeatureHasher(1 << bits, input_type="string", alternate_sign=False)

    @property
    def n_features(self) -> int:
        return self.n_numeric + (1 << self.bits)

    def transform(self, urls: Sequence[str]) -> tuple[sp.csr_matrix, list[UrlParts]]:
        parts = [split_url(u[:2048]) for u in urls]
        num = sp.csr_matrix(np.array([numeric_features(p) for p in parts], dtype=np.float32)
                            .reshape(len(parts), self.n_numeric))
        chars = self._char.transform([p.stripped[:512] for p in parts])
        return sp.hstack([num, chars], format="csr"), parts

    def names(self, columns: list[int], parts: UrlParts) -> list[str]:
        """Names of the given columns for one URL (n-grams hashed once, by the same hasher)."""
        return self.names_many([columns], [parts])[0]

    def names_many(self, columns: list[list[int]], parts: list[UrlParts]) -> list[list[str]]:
        """`names` for a batch: every n-gram that may be needed is hashed in one call."""
        grams_of: list[list[str]] = []
        for cols, p in zip(columns, parts, strict=True):
            wanted = any(c >= self.n_numeric for c in cols)
            grams_of.append(list(dict.fromkeys(self.char_analyzer(p.stripped[:512])))
                            if wanted else [])
        uniq = list({g for grams in grams_of for g in grams})
        col_of = dict(zip(uniq, self._hasher.transform([[g] for g in uniq]).indices.tolist(),
                          strict=True)) if uniq else {}
        out = []
        for cols, grams in zip(columns, grams_of, strict=True):
            found: dict[int, str] = {}
            for g in grams:
                found.setdefault(col_of[g], g)
            out.append([f"url:{NUMERIC_NAMES[c]}" if c < self.n_numeric
                        else f"char:'{found[c - self.n_numeric]}'" if c - self.n_numeric in found
                        else f"char:#{c - self.n_numeric}" for c in cols])
        return out
