"""TLP 2.0 markings, sharing groups and the read-policy decision (pure)."""

from bersama.markings.model import (
    TLP,
    Marking,
    Reader,
    Role,
    audience,
    may_read,
    reader_tokens,
)

__all__ = ["TLP", "Marking", "Reader", "Role", "audience", "may_read", "reader_tokens"]
