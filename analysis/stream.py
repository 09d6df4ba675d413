"""Streaming batch analysis across worker processes, in input order, with bounded memory.

``multiprocessing.Pool.imap`` would read the whole input iterator ahead (its task feeder thread drains
it), so a huge stdin would end up in memory. Instead at most ``2 × workers`` batches are in flight: the
next batch is read only after the oldest result has been written out.
"""

from __future__ import annotations

import gc
import itertools
import json
import multiprocessing
from collections import deque
from collections.abc import Iterable, Iterator
from multiprocessing.pool import AsyncResult


def analyze_batch(texts: list[str]) -> list[str]:
    """Worker function (module level so it pickles): one JSON line per text.

    Serialising in the worker keeps the parent, which only reads and writes, off the critical path.
    """
    from analysis.pipeline import analyze

    return [json.dumps(a.to_json(), ensure_ascii=False) for a in analyze(texts)]


def _warm_up() -> None:
    """Load jieba, the model and the lexicon (all loaded lazily and once per process)."""
    analyze_batch(["预热"])


def batches(lines: Iterable[str], size: int) -> Iterator[list[str]]:
    it = iter(lines)
    while batch := list(itertools.islice(it, size)):
        yield batch


def analyze_stream(lines: Iterable[str], workers: int = 2, batch_size: int = 256) -> Iterator[str]:
    """JSON lines (``Analysis.to_json``) for texts, lazily and in order; ``workers == 1`` runs in this
    process (no pool). With a pool, the model is loaded here first and the workers are forked from this
    process (POSIX only), sharing its memory."""
    if workers <= 1:
        for batch in batches(lines, batch_size):
            yield from analyze_batch(batch)
        return
    # Load jieba and the model here, before forking: the workers then share those pages with this
    # process (copy-on-write) instead of each building its own copy.
    _warm_up()
    gc.freeze()  # keep the collector from touching (and so copying) the shared objects in the workers
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            pending: deque[AsyncResult[list[str]]] = deque()
            for batch in batches(lines, batch_size):
                pending.append(pool.apply_async(analyze_batch, (batch,)))
                if len(pending) >= 2 * workers:
                    yield from pending.popleft().get()
            while pending:
                yield from pending.popleft().get()
    finally:
        gc.unfreeze()
