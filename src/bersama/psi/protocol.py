"""A thin, typed wrapper around the OpenMined PSI library (ECDH-PSI, GCS encoding).

Why a wrapper: the library's Python surface takes and returns protobuf objects
and raises bare `RuntimeError`s from C++; the rest of the node wants bytes on
the wire, one place that decides the parameters (false-positive rate, batch
size, domain separation) and `bersama.errors` exceptions naming the field.

The protocol, in the library's words: the *server* (the node that holds data
and answers) encrypts its set under its secret key once and sends the
encoding as a `ServerSetup` (a Golomb-compressed set of hashed points); the
*client* (the asking node) blinds each of its items under its own key and
sends a `Request`; the server re-blinds those points and returns them in a
`Response`; the client removes its own blinding and looks the results up in
the setup, learning *which* of its items the server holds (reveal_intersection)
and nothing else about the server's set except its size.  The server learns
how many items were asked, never which.  Every item is prefixed with
`DOMAIN` so points from this protocol are never equal to points of any other
use of the same keys.

Parameters: a setup is sized for `MAX_BATCH` client items at `DEFAULT_FPR`
(the probability that a whole batch of that size contains at least one false
positive), so one cached setup serves every query up to that size; larger
queries are split into batches by `PsiClient.batches`.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import private_set_intersection.python as _psi
from google.protobuf.message import DecodeError  # type: ignore[import-untyped]  # no stubs

from bersama.errors import InvalidInput

DOMAIN = "bersama-psi-v1|"
DEFAULT_FPR = 1e-9
MAX_BATCH = 10_000
KEY_BYTES = 32
RAW_BELOW = 64
PARALLEL_MIN = 200_000
"""Below this many items a set-up is built in-process: starting workers costs more."""


def _encode(items: Iterable[str]) -> list[str]:
    return [DOMAIN + item for item in items]


def _parse_request(data: bytes) -> _psi.Request:
    try:
        msg = _psi.Request.FromString(data)
    except DecodeError:
        raise InvalidInput("PSI request is not a valid protobuf message", field="request") from None
    if not msg.reveal_intersection:
        raise InvalidInput("PSI request must ask for the intersection itself", field="request")
    return msg


def request_size(request: bytes) -> int:
    """How many items a client asks about, read from its message before any work is done."""
    return len(_parse_request(request).encrypted_elements)


class PsiServer:
    """The answering side: one secret key, used for one setup generation."""

    def __init__(self, key: bytes | None = None) -> None:
        try:
            self._impl = (
                _psi.server.CreateWithNewKey(True)
                if key is None
                else _psi.server.CreateFromKey(key, True)
            )
        except RuntimeError as exc:
            raise InvalidInput(f"bad PSI server key: {exc}", field="key") from None

    @property
    def key(self) -> bytes:
        """The secret scalar; stored only in the node's own database, never sent."""
        return bytes(self._impl.GetPrivateKeyBytes())

    def setup(
        self, items: Iterable[str], *, fpr: float = DEFAULT_FPR, max_client_items: int = MAX_BATCH
    ) -> bytes:
        """The encrypted, compressed encoding of `items` (O(n) point multiplications).

        Sets smaller than `RAW_BELOW` are sent as the raw sorted points (exact, and a
        few hundred bytes): the library's GCS encoder fails on tiny sets at small fprs.
        """
        encoded = _encode(items)
        kind = _psi.DataStructure.RAW if len(encoded) < RAW_BELOW else _psi.DataStructure.GCS
        msg = self._impl.CreateSetupMessage(fpr, max_client_items, encoded, kind)
        return bytes(msg.SerializeToString())

    def process(self, request: bytes, *, max_items: int = MAX_BATCH) -> bytes:
        """Re-blind a client's request; refuses oversized or malformed requests."""
        msg = _parse_request(request)
        n = len(msg.encrypted_elements)
        if n > max_items:
            raise InvalidInput(
                f"PSI request holds {n} items; at most {max_items} per request",
                field="request", value=str(n),
            )
        try:
            resp = self._impl.ProcessRequest(msg)
        except RuntimeError as exc:
            raise InvalidInput(f"PSI request rejected: {exc}", field="request") from None
        return bytes(resp.SerializeToString())


def _setup_part(key: bytes, items: list[str]) -> bytes:
    return PsiServer(key).setup(items)


def setup_segments(
    key: bytes, items: Sequence[str], *, workers: int = 1, min_parallel: int = PARALLEL_MIN
) -> list[bytes]:
    """Set-up segments for `items` under one key, built by up to `workers` processes.

    The encryption is one elliptic-curve multiplication per item in a single-threaded
    library, so a large set is cut into `workers` parts, each encoded as its own segment
    (the client unions the segments, so the answer is the same; the false-positive rate
    adds up, staying within workers x `DEFAULT_FPR`).  Workers are spawned, not forked:
    the server process runs threads.
    """
    items = list(items)
    if workers <= 1 or len(items) < min_parallel:
        return [PsiServer(key).setup(items)]
    size = -(-len(items) // workers)
    parts = [items[i : i + size] for i in range(0, len(items), size)]
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=len(parts), mp_context=ctx) as pool:
        return list(pool.map(_setup_part, [key] * len(parts), parts))


@dataclass(frozen=True)
class ClientBatch:
    """One request's worth of items with the client state needed to read the answer."""

    items: tuple[str, ...]
    request: bytes
    _impl: _psi.client

    def intersect(self, setups: Sequence[bytes], response: bytes) -> list[int]:
        """Indices into `items` that the server holds, in any of its setup segments."""
        try:
            resp = _psi.Response.FromString(response)
        except DecodeError:
            raise InvalidInput("PSI response is not a valid protobuf", field="response") from None
        if len(resp.encrypted_elements) != len(self.items):
            raise InvalidInput(
                f"PSI response holds {len(resp.encrypted_elements)} items, "
                f"expected {len(self.items)}", field="response",
            )
        found: set[int] = set()
        for i, raw in enumerate(setups):
            try:
                setup = _psi.ServerSetup.FromString(raw)
                found.update(self._impl.GetIntersection(setup, resp))
            except (DecodeError, RuntimeError) as exc:
                raise InvalidInput(
                    f"PSI setup segment {i} unusable: {exc}", field="setup", value=str(i)
                ) from None
        return sorted(found)


def client_batch(items: Sequence[str]) -> ClientBatch:
    """Blind `items` under a fresh client key (one key per batch, never reused)."""
    if len(items) > MAX_BATCH:
        raise InvalidInput(
            f"at most {MAX_BATCH} items per PSI batch, got {len(items)}", field="items"
        )
    impl = _psi.client.CreateWithNewKey(True)
    req = impl.CreateRequest(_encode(items))
    return ClientBatch(tuple(items), bytes(req.SerializeToString()), impl)


def batches(items: Sequence[str], size: int = MAX_BATCH) -> list[list[str]]:
    """Split a long query into setup-sized batches (order preserved)."""
    return [list(items[i : i + size]) for i in range(0, len(items), size)]
