"""The batch marking given on the command line or query string (`--tlp --group --recipients`).

Recipients name agencies for AMBER+STRICT and users (e-mail addresses) for
RED; for other levels they are refused rather than silently ignored.  A group
or recipient the store cannot hold (too long, or with a NUL) is refused here,
once, before any input is read: it would otherwise reject every record.
"""

from __future__ import annotations

from bersama.errors import InvalidInput
from bersama.ingest.pipeline import unstorable_marking
from bersama.markings import TLP, Marking


def batch_marking(tlp: str | None, group: str | None, recipients: str | None) -> Marking | None:
    marking = _marking(tlp, group, recipients)
    problem = unstorable_marking(marking) if marking else None
    if problem is not None:
        option, reason = problem
        raise InvalidInput(reason, field=option)
    return marking


def _marking(tlp: str | None, group: str | None, recipients: str | None) -> Marking | None:
    if tlp is None:
        if group or recipients:
            raise InvalidInput("--group and --recipients need --tlp", field="tlp")
        return None
    level = TLP.parse(tlp)
    names = frozenset(r.strip() for r in (recipients or "").split(",") if r.strip())
    if group and level is not TLP.AMBER:
        raise InvalidInput("a sharing group applies to TLP:AMBER only", field="group",
                           value=group)
    if names and level not in (TLP.AMBER_STRICT, TLP.RED):
        raise InvalidInput(
            "recipients apply to TLP:AMBER+STRICT (agencies) and TLP:RED (users) only",
            field="recipients", value=recipients,
        )
    if level is TLP.AMBER_STRICT:
        return Marking(level, recipient_agencies=names)
    if level is TLP.RED:
        return Marking(level, recipient_users=frozenset(n.lower() for n in names))
    return Marking(level, group=group or None)
