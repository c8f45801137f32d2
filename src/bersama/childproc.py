"""Helper child processes: `python -m <module>`, length-prefixed frames over its pipes.

Why helper processes at all: a thread doing CPU work in a process that also
serves (or ingests) holds the GIL in 5 ms slices, and every other thread that
released it around a database call or a socket waits for it again (the convoy
effect).  Work moved to a child runs on the other core and leaves the parent's
threads alone (signature verification of large syncs, `federation/verifier.py`;
the cluster views writer of `bersama serve`, `store/summary_writer.py`).

Why a plain child rather than `multiprocessing`: a spawned multiprocessing
worker re-imports the parent's `__main__` (the whole CLI and web stack under
`bersama serve`), which cost more CPU than it saved; a `-m` child imports only
the module it runs.
"""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from pathlib import Path
from typing import IO, Any

_HEADER = struct.Struct(">I")


def spawn(module: str, **pipes: Any) -> subprocess.Popen[bytes]:
    """Start `python -m module` with a stdin pipe; `pipes` are further `Popen` keywords
    (stdout, stderr).  Raises OSError when it cannot start."""
    src = str(Path(__file__).resolve().parents[1])  # so `-m` finds this package
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (src, os.environ.get("PYTHONPATH")) if p)}
    argv = [sys.executable, "-m", module]  # this interpreter, one of our own modules
    return subprocess.Popen(argv, stdin=subprocess.PIPE, env=env, **pipes)  # noqa: S603


def read_frame(stream: IO[bytes]) -> bytes | None:
    """The next frame, or None at the end of the stream (or a truncated frame)."""
    head = stream.read(_HEADER.size)
    if len(head) < _HEADER.size:
        return None
    (size,) = _HEADER.unpack(head)
    body = stream.read(size)
    return body if len(body) == size else None


def write_frame(stream: IO[bytes], body: bytes) -> None:
    stream.write(_HEADER.pack(len(body)) + body)
    stream.flush()
