from __future__ import annotations

import pytest

from bersama.detection.url import (
    NUMERIC_NAMES,
    UrlFeaturizer,
    lookalike,
    numeric_features,
    split_url,
)


@pytest.mark.parametrize(
    ("url", "kind", "brand"),
    [
        ("https://www.rnaybank2u.com.my/x", "lookalike", "Maybank"),
        ("http://maybank2u-secure.xyz/login", "brand-in-host", "Maybank"),
        ("https://www.maybank2u.com.my/home", "owned", "Maybank"),
        ("paypa1.com", "lookalike", "PayPal"),
        ("https://example.org/", "", ""),
    ],
)
def test_lookalikes(url: str, kind: str, brand: str) -> None:
    p = split_url(url)
    assert lookalike(p.host, p.registered, p.domain_label) == (kind, brand)


def test_scheme_and_www_do_not_change_ngrams() -> None:
    assert split_url("https://www.a-b.com/x").stripped == split_url("a-b.com/x").stripped


def test_numeric_features() -> None:
    f = dict(zip(NUMERIC_NAMES, numeric_features(split_url("http://1.2.3.4/a@b")), strict=True))
    assert f["ip_host"] == 1.0
    f = dict(zip(NUMERIC_NAMES, numeric_features(split_url("https://xn--pypal-4ve.com/")),
                 strict=True))
    assert f["punycode"] == 1.0
    f = dict(zip(NUMERIC_NAMES, numeric_features(split_url("https://bit.ly/abc")), strict=True))
    assert f["shortener"] == 1.0


def test_names_match_columns() -> None:
    feat = UrlFeaturizer()
    x, parts = feat.transform(["http://login-verify.example.xyz/a"])
    row = x[0].tocsr()
    for name in feat.names([int(j) for j in row.indices], parts[0]):
        assert not name.startswith("char:#")
