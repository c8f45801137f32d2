"""Verifying a sync's signatures, in a helper process when the sync is large.

Why a process and not (only) the prefetch thread: libsodium releases the GIL
for each verification, but getting it back means waiting for the ingesting
main thread to yield it (the convoy effect).  Measured on the 2-core test VM:
1,000 verifications took 0.19 s alone and 0.68 s beside a busy thread, so
the fetch thread fell behind the ingest and the two ran in lockstep, one page
at a time.  A helper process verifies at full speed on another core while the
main thread ingests, and the fetch thread only fetches.

The child is `python -m bersama.federation.verifier` with frames over its
stdin/stdout (`bersama.childproc`); it imports only the signing code.

Small syncs (pages under `PROCESS_MIN_OBJECTS` objects) verify in the calling
thread: starting a process costs a few tenths of a second.  If the helper
cannot be started or dies, verification falls back to the thread, with a
warning.  The verdict of every object is computed exactly as before
(`signature_statuses`, in whichever process); only where it runs changes.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import IO, Any

import orjson
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from bersama.childproc import read_frame, spawn, write_frame
from bersama.federation.protocol import object_version, signature_key
from bersama.federation.signing import INLINE_SIGNATURE, verify

log = logging.getLogger("bersama.federation")

VALID = "valid"
UNSIGNED = "unsigned"
INVALID = "invalid"
PROCESS_MIN_OBJECTS = 500
"""A page at least this large starts the helper process (for the rest of the sync)."""
HELPER_TIMEOUT_SECONDS = 120.0
"""A page's verdicts not back from the helper by then are computed in-thread instead."""


@dataclass
class Checked:
    accepted: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[tuple[dict[str, Any], str]] = field(default_factory=list)
    """(object, signature status)"""


def signature_statuses(
    objects: Sequence[Mapping[str, Any]], signatures: Mapping[str, str],
    pinned: Ed25519PublicKey,
) -> list[str]:
    """VALID, UNSIGNED or INVALID for each object, against the pinned key."""
    out: list[str] = []
    for obj in objects:
        jws = signatures.get(signature_key(str(obj.get("id")), object_version(obj)))
        if jws is None:  # the in-object carrier, for servers that only store objects
            inline = obj.get(INLINE_SIGNATURE)
            jws = inline if isinstance(inline, str) else None
        if jws is None:
            out.append(UNSIGNED)
        else:
            out.append(VALID if verify(obj, jws, pinned) else INVALID)
    return out


def checked(objects: Sequence[dict[str, Any]], statuses: Sequence[str]) -> Checked:
    if len(statuses) != len(objects):  # never: one verdict per object, or nothing is valid
        return Checked(rejected=[(o, INVALID) for o in objects])
    out = Checked()
    for obj, status in zip(objects, statuses, strict=True):
        if status == VALID:
            out.accepted.append(obj)
        else:
            out.rejected.append((obj, status))
    return out


_CODES = {VALID: "v", UNSIGNED: "u", INVALID: "i"}
_STATUSES = {v: k for k, v in _CODES.items()}


def serve(stdin: IO[bytes], stdout: IO[bytes]) -> None:
    """The helper's loop: a first frame with the raw pinned key, then one frame of
    JSON ``[objects, signatures]`` per page, answered by one frame of status codes."""
    raw = read_frame(stdin)
    if raw is None:
        return
    pinned = Ed25519PublicKey.from_public_bytes(raw)
    while (frame := read_frame(stdin)) is not None:
        objects, signatures = orjson.loads(frame)
        codes = "".join(_CODES[s] for s in signature_statuses(objects, signatures, pinned))
        write_frame(stdout, codes.encode("ascii"))


class _Helper:
    """One child process; pages go out in order and verdicts come back in order."""

    def __init__(self, raw_key: bytes) -> None:
        self.proc = spawn("bersama.federation.verifier", stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL)
        self.dead = False
        self._out: queue.Queue[tuple[bytes, Future[list[str]]] | None] = queue.Queue()
        self._waiting: queue.Queue[Future[list[str]]] = queue.Queue()
        self._writer = threading.Thread(target=self._write, args=(raw_key,), daemon=True,
                                        name="bersama-verify-writer")
        self._reader = threading.Thread(target=self._read, daemon=True,
                                        name="bersama-verify-reader")
        self._writer.start()
        self._reader.start()

    def submit(self, blob: bytes) -> Future[list[str]]:
        if self.dead:
            raise OSError("signature helper process stopped")
        fut: Future[list[str]] = Future()
        self._out.put((blob, fut))
        return fut

    def _write(self, raw_key: bytes) -> None:
        stdin = self.proc.stdin
        assert stdin is not None  # noqa: S101 - opened with PIPE
        try:
            write_frame(stdin, raw_key)
            while (item := self._out.get()) is not None:
                blob, fut = item
                self._waiting.put(fut)  # before the write: the answer may come at once
                write_frame(stdin, blob)
        except OSError as exc:  # the child died: the reader fails what is waiting
            log.warning("signature helper process stopped reading: %s", exc)
        finally:
            self.dead = True
            with contextlib.suppress(OSError):
                stdin.close()
            while not self._out.empty():
                left = self._out.get_nowait()
                if left is not None:
                    left[1].set_exception(OSError("signature helper process stopped"))

    def _read(self) -> None:
        stdout = self.proc.stdout
        assert stdout is not None  # noqa: S101 - opened with PIPE
        while (frame := read_frame(stdout)) is not None:
            fut = self._waiting.get()
            fut.set_result([_STATUSES.get(c, INVALID) for c in frame.decode("ascii")])
        self.dead = True
        while not self._waiting.empty():  # EOF: whatever is still waiting is lost
            self._waiting.get().set_exception(OSError("signature helper process exited"))

    def close(self) -> None:
        self._out.put(None)
        self._writer.join(5)
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._reader.join(5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


class Verdicts:
    """The verdicts of one page, computed already or on their way from the helper."""

    def __init__(self, objects: list[dict[str, Any]], signatures: Mapping[str, str],
                 pinned: Ed25519PublicKey, future: Future[list[str]] | None = None) -> None:
        self._objects, self._signatures, self._pinned = objects, signatures, pinned
        self._future = future
        self._done = None if future else checked(
            objects, signature_statuses(objects, signatures, pinned))

    def ready(self) -> bool:
        """Would `result()` return without waiting?"""
        return self._done is not None or self._future is None or self._future.done()

    def result(self) -> Checked:
        if self._done is None:
            try:
                statuses = self._future.result(HELPER_TIMEOUT_SECONDS) if self._future else []
            except Exception as exc:  # a dead helper must not lose the page
                log.warning("signature helper process failed (%s); verifying in-thread", exc)
                statuses = signature_statuses(self._objects, self._signatures, self._pinned)
            self._done = checked(self._objects, statuses)
            self._future = None
        return self._done


class Verifier:
    """Verifies pages for one sync; `close()` stops the helper process, if any."""

    def __init__(self, pinned: Ed25519PublicKey, *,
                 min_objects: int = PROCESS_MIN_OBJECTS) -> None:
        self.pinned = pinned
        self.min_objects = min_objects
        self._raw = pinned.public_bytes(serialization.Encoding.Raw,
                                        serialization.PublicFormat.Raw)
        self._helper: _Helper | None = None
        self._failed = False

    def submit(self, objects: list[dict[str, Any]], signatures: Mapping[str, str]) -> Verdicts:
        helper = self._start(len(objects))
        if helper is not None:
            try:
                blob = orjson.dumps([objects, signatures])
            except (TypeError, orjson.JSONEncodeError):
                pass  # not JSON again (never from a parsed page): verify it here
            else:
                try:
                    return Verdicts(objects, signatures, self.pinned, helper.submit(blob))
                except OSError as exc:
                    log.warning("signature helper process unavailable (%s); verifying "
                                "in-thread", exc)
                    self._failed = True
        return Verdicts(objects, signatures, self.pinned)

    def _start(self, n: int) -> _Helper | None:
        if self._helper is None and not self._failed and n >= self.min_objects:
            try:
                self._helper = _Helper(self._raw)
            except OSError as exc:
                log.warning("cannot start a signature helper process (%s); verifying "
                            "in-thread", exc)
                self._failed = True
        return None if self._failed else self._helper

    def close(self) -> None:
        self._failed = True  # a late submit (a fetch thread outliving the sync) stays here
        if self._helper is not None:
            self._helper.close()
            self._helper = None


if __name__ == "__main__":  # the helper process (see `_Helper`)
    serve(sys.stdin.buffer, sys.stdout.buffer)
