"""Bundled warninglists (being written)."""

from __future__ import annotations

from bersama.observables.model import Observable


def is_warninglisted(obs: Observable) -> str | None:
    return None
