"""Table definitions, one module per feature, all on one MetaData."""

from __future__ import annotations

import importlib
import pkgutil

from sqlalchemy import MetaData


def all_tables() -> MetaData:
    """Import every table module so the shared MetaData is complete."""
    from bersama.store.tables.base import metadata

    for mod in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{mod.name}")
    return metadata
