"""Stored check summaries per observable: a bulk check reads one row per value.

WHY: a check's figures for a value (reports, agencies, countries, first and last
seen, losses, corroboration) are aggregated from every active report linking it.
Reading those links -- one row per link, joined to its report, its cluster and
its audience -- and aggregating them in Python was most of a bulk check's cost:
about 40 us a value, a quarter of the issue's 100,000 values/s.  A value's figures
change only when its links change, so they are stored once per value and read
back by the value's ref with two index probes (the row, its cluster's stamp).

What a row is valid for:
- *when*: while `stamp` is its cluster's.  Every change to a linkable value's
  links rewrites that stamp (a report added joins the value's cluster; a version
  replaced or withdrawn splits it; store/correlate.py stamps every cluster it
  writes), so a stale row is recognised, never served.  Hubs and warninglisted
  values, whose links do not join clusters, get no row, and a value turning into
  one splits its cluster (store/correlate.py, store/warninglists.py): a new stamp;
- *whom*: every reader.  The row names the distinct canonical audiences of those
  reports (store/holdings.py: every reader reads a canonical audience exactly as
  the report's own tokens) and, per audience, the figures of its reports and the
  owner agencies of its AMBER ones.  A reader's decision on each audience is the
  one `may_read` of bersama.markings: who may read them all gets the stored
  figures of all; anyone else the figures of the audiences it may read, merged
  (`merged`: what the per-link path computes from those links), and for the
  others what their AMBER reports may reveal under their owners' *current* hint
  settings (read at check time, so a changed setting never needs a new row);
- the score decays with time, so it is computed at read time from `last_seen`;
  the cluster view is the reader's own (store/summaries.py), seeded by `seed`.

Rows are computed from the links the per-link path reads (store/queries.py; every
active link comes back, readable or not), and written behind the reads by the
views writer (store/summary_writer.py) or by `bersama correlate --summaries`:
ingest never waits for them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, bindparam, delete, select

from bersama.store import bulk
from bersama.store.clusterviews import iso, money
from bersama.store.tables.core import clusters, observable_summaries
from bersama.store.values import chunks

CHUNK = 2000
COLUMNS = (
    "ref", "cluster_id", "stamp", "seed", "audiences", "sensitive", "summary", "groups",
)
Row = tuple[str, int, int, int, str, str, str, str]
"""A row in COLUMNS order: audiences, sensitive report ids, summary and groups as JSON."""
Group = tuple[dict[str, Any], int, list[str], list[str]]
"""The reports of one audience: their figures, seed, AMBER+ report ids and the owner
agencies of the AMBER ones (one entry per report)."""

_s = observable_summaries
LOOKUP = (
    select(
        _s.c.ref,
        _s.c.cluster_id,
        _s.c.stamp,
        _s.c.seed,
        _s.c.audiences,
        _s.c.sensitive,
        _s.c.summary,
        clusters.c.stamp.label("current"),
        _s.c.groups,
    )
    .select_from(_s.outerjoin(clusters, clusters.c.id == _s.c.cluster_id))
    .where(_s.c.ref.in_(bindparam("refs", expanding=True)))
)
"""The stored rows of `refs`, each with its cluster's current stamp (NULL when gone)."""
# Positions in a LOOKUP row.
REF, CID, STAMP, SEED, AUDIENCES, SENSITIVE, SUMMARY, CURRENT, GROUPS = range(9)

_STAMPS = select(clusters.c.id, clusters.c.stamp).where(
    clusters.c.id.in_(bindparam("cids", expanding=True))
)
_DELETE = delete(_s).where(_s.c.ref.in_(bindparam("refs", expanding=True)))


def usable(row: Any) -> bool:
    """Is a LOOKUP row current (for readers who may read every report it counts)?"""
    return bool(row[STAMP] == row[CURRENT])


def merged(groups: Sequence[Group]) -> tuple[dict[str, Any], int, list[str]]:
    """The figures, seed and AMBER+ report ids of several audiences' reports together:
    what the check computes from all their links at once (sums and unions; money as
    exact decimals, whose sum does not depend on the order)."""
    count = 0
    ags: set[str] = set()
    countries: set[str] = set()
    losses: dict[str, Decimal] = defaultdict(Decimal)
    first = last = datetime.fromisoformat(groups[0][0]["first_seen"])
    seed = groups[0][1]
    sensitive: list[str] = []
    for fields, g_seed, g_sensitive, _ in groups:
        count += fields["reports"]
        ags.update(fields["agencies"])
        countries.update(fields["countries"])
        first = min(first, datetime.fromisoformat(fields["first_seen"]))
        last = max(last, datetime.fromisoformat(fields["last_seen"]))
        for item in fields["losses"]:
            losses[item["currency"]] += Decimal(item["amount"])
        seed = min(seed, g_seed)
        sensitive.extend(g_sensitive)
    agencies = sorted(ags)
    return (
        {
            "reports": count,
            "agencies": agencies,
            "countries": sorted(countries),
            "first_seen": iso(first),
            "last_seen": iso(last),
            "losses": money(losses),
            "corroboration": len(agencies),
        },
        seed,
        sensitive,
    )


def write(conn: Connection, rows: Sequence[Row]) -> int:
    """Store the rows whose stamp is still their cluster's, replacing older rows of the
    same values; return how many were stored.  Rows of changed clusters are dropped:
    the next check of those values computes them again."""
    latest = {row[0]: row for row in rows}
    written = 0
    for part in chunks(sorted(latest), CHUNK):
        todo = [latest[oid] for oid in part]
        current = dict(conn.execute(_STAMPS, {"cids": sorted({r[1] for r in todo})}).all())
        keep = [r for r in todo if current.get(r[1]) == r[2]]
        if keep:
            conn.execute(_DELETE, {"refs": [r[0] for r in keep]})
            # Another writer (a second API worker's) may store the same value first.
            written += bulk.insert_rows(conn, _s, COLUMNS, keep, ignore_conflicts=True)
    return written


__all__ = ["COLUMNS", "LOOKUP", "Group", "Row", "merged", "usable", "write"]
