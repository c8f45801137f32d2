"""One small error hierarchy for the whole node.

Errors carry structured fields (which field, line or value was wrong) and no
transport details: the API maps them once to RFC 9457 problem+json
(`bersama.api.problems`) and the CLI maps them once to exit codes
(`bersama.cli.main`).  Code that raises never thinks about HTTP.
"""

from __future__ import annotations

from typing import Any


class BersamaError(Exception):
    """Base of every error the node raises on purpose."""

    code = "error"
    title = "Error"

    def __init__(
        self,
        detail: str,
        *,
        field: str | None = None,
        line: int | None = None,
        value: str | None = None,
        errors: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.line = line
        self.value = value
        self.errors = errors or []

    def as_dict(self) -> dict[str, Any]:
        """The structured form used by both the API and `--json` CLI output."""
        out: dict[str, Any] = {"code": self.code, "title": self.title, "detail": self.detail}
        if self.field is not None:
            out["field"] = self.field
        if self.line is not None:
            out["line"] = self.line
        if self.value is not None:
            out["value"] = self.value[:200]
        if self.errors:
            out["errors"] = self.errors
        return out


def field_path(*parts: str | int) -> str:
    """The name of a field inside a structure, the one form every error uses for it:
    names joined by dots, list indices in brackets (`items[2].text`, `mapping.phone`,
    `[0]` for the first item of a list at the top); an empty name is left out.

    WHY one helper: the API's request validation, the checks of the detection
    endpoints, the ingest formats and the CLI all name fields, and a client that
    reads `field` to find its mistake should not meet `values.0` from one and
    `values[0]` from another."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part:
            out += f".{part}" if out else part
    return out


class InvalidInput(BersamaError):
    """The caller sent something that cannot be accepted as it is."""

    code = "invalid-input"
    title = "Invalid input"


class InvalidObservable(InvalidInput):
    """An identifier failed parsing or validation; `detail` says why."""

    code = "invalid-observable"
    title = "Invalid identifier"


class PayloadTooLarge(InvalidInput):
    code = "payload-too-large"
    title = "Payload too large"


class NotFound(BersamaError):
    code = "not-found"
    title = "Not found"


class Conflict(BersamaError):
    code = "conflict"
    title = "Conflict"


class Unauthenticated(BersamaError):
    code = "unauthenticated"
    title = "Authentication required"


class Forbidden(BersamaError):
    code = "forbidden"
    title = "Forbidden"


class TryLater(BersamaError):
    """The same request may succeed later; `retry_after` says when, in seconds."""

    def __init__(self, detail: str, *, retry_after: int = 60) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class RateLimited(TryLater):
    code = "rate-limited"
    title = "Too many requests"


class Busy(TryLater):
    """Another write held the store longer than a writer waits (store/db.py
    `WRITE_WAIT_MS`): a long ingest, say.  Nothing of this request was written."""

    code = "busy"
    title = "Store busy"


class PeerError(BersamaError):
    """A peer node answered badly, too slowly, or with something we refuse."""

    code = "peer-error"
    title = "Peer error"


class ConfigurationError(BersamaError):
    code = "configuration"
    title = "Configuration error"
