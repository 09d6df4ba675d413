"""Time limits for bad-input tests: a parser that never returns must fail its test, not hang CI.

``time_limit`` (SIGALRM) interrupts Python code; ``run_child`` runs a snippet in a subprocess that can be
killed, for inputs big enough that a hang could sit in C code (lxml, regex) where no signal gets through.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


class Hang(AssertionError):
    """The code under test did not return in time."""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    def _expired(signum: int, frame: FrameType | None) -> None:
        raise Hang(f"no result after {seconds} s: treated as a hang")

    previous = signal.signal(signal.SIGALRM, _expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run_child(code: str, timeout: float) -> dict[str, Any]:
    """Run ``code`` (which prints one JSON object last) with the repository on the path."""
    try:
        done = subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise Hang(f"no result after {timeout} s: treated as a hang") from None
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result
