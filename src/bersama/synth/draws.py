"""Weighted draws of a scenario: who reports, in which format, under which marking, in
which language, and how a loss is rounded.

Kept apart from the generator's stream (`scenario`) because these are the scenario's
*data*: the weights say how often a country's agencies report, which formats each kind of
agency writes and how often reports are shared at each TLP level, and tuning them never
changes how campaigns are connected.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Sequence
from decimal import Decimal

from bersama.markings import TLP
from bersama.synth.catalog import COUNTRIES, SCAM_PROFILES

FORMATS = ("stix", "misp", "csv", "text")

VICTIM_WEIGHT = {"MY": 1.0, "SG": 1.0, "TH": 1.0, "ID": 0.9, "PH": 0.9, "VN": 0.8, "JP": 0.7,
                 "AU": 0.7, "KR": 0.5, "CN": 0.5, "KH": 0.4, "BN": 0.3, "LA": 0.2, "MM": 0.2,
                 "TL": 0.15}
TYPE_WEIGHT = {"police": 3.0, "scam-centre": 3.0, "cert": 1.0, "fiu": 1.0, "regulator": 1.0}
FORMAT_WEIGHTS = {  # stix, misp, csv, text by agency type
    "police": (3, 1, 4, 2), "scam-centre": (2, 1, 6, 1), "cert": (5, 4, 0.5, 1),
    "fiu": (4, 2, 3, 0.5), "regulator": (2, 1, 5, 1),
}
_TLP_WEIGHTS = ((TLP.CLEAR, 8), (TLP.GREEN, 47), (TLP.AMBER, 36), (TLP.AMBER_STRICT, 6),
                (TLP.RED, 3))


class Picker:
    """A weighted choice with precomputed cumulative weights (rng.choices rebuilds them)."""

    __slots__ = ("cum", "items", "total")

    def __init__(self, items: Sequence[object], weights: Sequence[float]) -> None:
        self.items = tuple(items)
        self.cum = list(itertools.accumulate(weights))
        self.total = self.cum[-1]

    def __call__(self, rng: random.Random) -> object:
        return self.items[bisect.bisect_right(self.cum, rng.random() * self.total)]


PROFILE_PICK = Picker(SCAM_PROFILES, [p.weight for p in SCAM_PROFILES])
KIND_PICK = {p.scam_type: Picker([k for k, _ in p.kinds], [w for _, w in p.kinds])
             for p in SCAM_PROFILES}
TLP_PICK = Picker([t for t, _ in _TLP_WEIGHTS], [w for _, w in _TLP_WEIGHTS])
LANG_PICK = {c.code: Picker([lc for lc, _ in c.languages], [w for _, w in c.languages])
             for c in COUNTRIES.values()}
NEW_PICK = Picker((0, 1, 2, 3), (15, 40, 33, 12))


_CURRENCY_DECIMALS = {c.currency: c.currency_decimals for c in COUNTRIES.values()}


def round_amount(value: float, currency: str, rng: random.Random) -> Decimal:
    if _CURRENCY_DECIMALS.get(currency, 2) == 0:
        step = 1000 if value > 100_000 else 100 if value > 1000 else 1
        return Decimal(max(step, int(round(value / step) * step)))
    if rng.random() < 0.7:
        return Decimal(max(1, round(value)))
    return Decimal(f"{max(value, 1.0):.2f}")
