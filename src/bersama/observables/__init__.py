"""Observables: identifiers normalised so that spellings of one value meet on one key.

Pure package (no I/O beyond reading its bundled data files, no web or database
imports).  The public API, stable for ingest, checks and detection:

- `normalise(kind, value, country=)` and the typed helpers below;
- `guess(value, country=)` for free-form values (`bersama check VALUE`);
- `extract_entities(text, country=)`, `extract_entities_with_rejections`,
  `extract_amounts(text)` for free text;
- `is_warninglisted(obs)`: the bundled list a well-known value is on, if any.
"""

from __future__ import annotations

from bersama.observables.accounts import bank_account, ewallet
from bersama.observables.amounts import extract_amounts
from bersama.observables.crypto import crypto
from bersama.observables.extract import (
    Rejected,
    extract_entities,
    extract_entities_with_rejections,
)
from bersama.observables.guess import guess
from bersama.observables.handles import handle
from bersama.observables.hashes import file_hash
from bersama.observables.model import Kind, Observable
from bersama.observables.net import email, ip
from bersama.observables.normalise import normalise
from bersama.observables.phone import phone
from bersama.observables.url import domain, url
from bersama.observables.warninglists import is_warninglisted

__all__ = [
    "Kind",
    "Observable",
    "Rejected",
    "bank_account",
    "crypto",
    "domain",
    "email",
    "ewallet",
    "extract_amounts",
    "extract_entities",
    "extract_entities_with_rejections",
    "file_hash",
    "guess",
    "handle",
    "ip",
    "is_warninglisted",
    "normalise",
    "phone",
    "url",
]
