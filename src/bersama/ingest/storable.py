"""What the store's columns can hold, checked before a draft is written.

PostgreSQL refuses a NUL character in text, a value longer than its column and a number
with more digits than its column; SQLite stores all three.  Checking drafts against the
columns' own sizes (read from the table definitions, so a migration that widens a column
widens the check) makes such a record a rejection of its own on both stores instead of
the end of a PostgreSQL batch (docs/adr/0003-ingest-failure-policy.md).
"""

from __future__ import annotations

from decimal import Decimal

from bersama.ingest.model import ReportDraft
from bersama.markings import Marking
from bersama.store.tables.core import report_audience, reports

REJECTION_TEXT_LIMIT = 2000
_LOSS = reports.c.loss_amount.type
LOSS_LIMIT = Decimal(10) ** (_LOSS.precision - _LOSS.scale)  # type: ignore[attr-defined]
"""Losses must be below this (the column's digits before the point)."""
LANGUAGE_CHARS: int = reports.c.language.type.length  # type: ignore[attr-defined]
GROUP_CHARS: int = reports.c.sharing_group.type.length  # type: ignore[attr-defined]
NAME_CHARS: int = report_audience.c.token.type.length - len("agency:")  # type: ignore[attr-defined]
"""Longest recipient agency or user: its audience token (`agency:NAME`) must fit the column."""


def unstorable(draft: ReportDraft, marking: Marking) -> tuple[str, str] | None:
    """(field, reason) when a column cannot hold one of the draft's values, else None."""
    for name, text in (("title", draft.title), ("narrative", draft.narrative),
                       ("source_ref", draft.source_ref), ("language", draft.language or ""),
                       *(("labels", x) for x in draft.labels)):
        if "\x00" in text:
            return name, _NUL.format(name)
    if draft.language is not None and len(draft.language) > LANGUAGE_CHARS:
        return "language", f"language tag longer than {LANGUAGE_CHARS} characters"
    if draft.loss_amount is not None and not abs(draft.loss_amount) < LOSS_LIMIT:
        return "loss_amount", f"loss amount must be below {LOSS_LIMIT:,}"
    return unstorable_marking(marking)


_NUL = "{} contains a NUL character (U+0000), which text may not hold"


def unstorable_marking(marking: Marking) -> tuple[str, str] | None:
    """(field, reason) when the store cannot hold a marking's sharing group or a recipient:
    a record's own marking is a rejection (`unstorable`), a batch's is refused up front
    (`bersama.ingest.options.batch_marking`)."""
    if marking.group is not None and "\x00" in marking.group:
        return "group", _NUL.format("group")
    if marking.group is not None and len(marking.group) > GROUP_CHARS:
        return "group", f"sharing group name longer than {GROUP_CHARS} characters"
    for name in (*marking.recipient_agencies, *marking.recipient_users):
        if len(name) > NAME_CHARS or "\x00" in name:
            return "recipients", (f"recipient names are at most {NAME_CHARS} characters, "
                                  "without NUL")
    return None


def cut(text: str | None) -> str | None:
    """A rejection's text as stored: a reason or record may quote a whole line, and NUL
    (which PostgreSQL text cannot hold) is written as its escape."""
    if text is None:
        return None
    if "\x00" in text:
        text = text.replace("\x00", "\\x00")
    if len(text) <= REJECTION_TEXT_LIMIT:
        return text
    return text[: REJECTION_TEXT_LIMIT - 1] + "…"
