"""Confidence scores that decay with time since a value was last seen.

Model (documented in docs/correlation.md): corroboration by independent
agencies sets a base, `base = 1 - 0.6 ** agencies` (one agency: 0.40, two:
0.64, three: 0.78, ...), because a single report is not proof -- about a
tenth of public scam reports turn out not to be scams.  The base then decays
exponentially with the time since the value was last reported, halving every
`half_life_days` (MISP's decaying models use a polynomial decay to a cut-off;
an exponential half-life has no cliff and needs one parameter).
"""

from __future__ import annotations

from datetime import datetime


def base_score(independent_agencies: int) -> float:
    if independent_agencies <= 0:
        return 0.0
    return 1.0 - float(0.6**independent_agencies)


def decayed_score(
    independent_agencies: int, last_seen: datetime | None, now: datetime, half_life_days: float
) -> float:
    base = base_score(independent_agencies)
    if last_seen is None:
        return 0.0
    age_days = max(0.0, (now - last_seen).total_seconds() / 86400.0)
    return round(base * float(0.5 ** (age_days / half_life_days)), 4)
