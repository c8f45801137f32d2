"""FastAPI dependencies: settings, database connections and the reader.

Handlers receive a `Reader` from the trust layer's authentication
(`bersama.api.security.current_reader`) and pass it to the read layer; no
handler reads the database without one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, model_validator
from sqlalchemy import Connection, Engine

from bersama.api.security import current_reader
from bersama.config import Settings
from bersama.errors import InvalidInput, PayloadTooLarge, field_path
from bersama.markings import Reader
from bersama.store.values import ROW_ID_MAX


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def engine_of(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def read_conn(engine: Annotated[Engine, Depends(engine_of)]) -> Iterator[Connection]:
    """A connection for a read request; what it writes (audit rows of the reads) is
    committed only when the handler succeeded."""
    with engine.connect() as conn:
        yield conn
        conn.commit()


def write_conn(engine: Annotated[Engine, Depends(engine_of)]) -> Iterator[Connection]:
    with engine.begin() as conn:
        yield conn


SettingsDep = Annotated[Settings, Depends(settings_of)]
EngineDep = Annotated[Engine, Depends(engine_of)]
ReadConn = Annotated[Connection, Depends(read_conn)]
WriteConn = Annotated[Connection, Depends(write_conn)]
ReaderDep = Annotated[Reader, Depends(current_reader)]


RowId = Annotated[int, Path(ge=1, le=ROW_ID_MAX)]
Position = Annotated[int, Query(ge=0, le=ROW_ID_MAX)]
"""An offset, or the id after which a page starts."""


def bound_values(settings: Settings, values: list[str]) -> None:
    """Refuse a list of identifiers over `bulk_check_max`: 413 naming `values`.

    One bound, one answer, for every endpoint that takes such a list (`POST /check`,
    `POST /ask-peers`), before any of it is read or charged."""
    if len(values) > settings.bulk_check_max:
        raise PayloadTooLarge(
            f"at most {settings.bulk_check_max} values per request, got {len(values)}",
            field="values",
        )


class StrictBody(BaseModel):
    """Base of every JSON request body: its values have the JSON types its schema says.

    Pydantic's lax mode would read `false` as 0 in an integer field (and `1` or
    "yes" as true in a boolean one), so a client's mistake would pass as a request
    it did not mean; strict mode refuses it, 422 naming the field."""

    model_config = ConfigDict(strict=True)

    @model_validator(mode="before")
    @classmethod
    def _no_lone_surrogates(cls, data: Any) -> Any:
        """JSON may spell a lone UTF-16 surrogate (`"\\ud800"`), which no UTF-8 text holds:
        refused here, naming where, instead of failing when the value is echoed, stored or
        signed (orjson and the databases refuse to encode it: that was a 500)."""
        _check_text(data, ())
        return data


def _check_text(value: Any, where: tuple[str | int, ...]) -> None:
    if isinstance(value, str):
        if not value.isascii():
            try:
                value.encode()
            except UnicodeEncodeError as exc:
                name = field_path(*where) or "body"
                raise InvalidInput(
                    f"{name}: a lone UTF-16 surrogate (\\u{ord(value[exc.start]):04x}) "
                    "is no character", field=name) from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key, where)
            _check_text(item, (*where, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check_text(item, (*where, i))
