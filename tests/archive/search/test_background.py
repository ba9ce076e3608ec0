"""The background indexer: changes reach the index after commit without the committing
request waiting, and pending changes to one document are merged. (The two-process ingest
test runs the commands with it, as production does.)"""

from __future__ import annotations

import threading
import time

from archive.search import index as index_module
from archive.search.index import _BackgroundIndexer


def wait_for(condition, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False


def test_pending_updates_are_merged_while_the_indexer_is_busy(monkeypatch) -> None:
    calls: list[list[int]] = []
    release = threading.Event()

    def slow_update(ids: list[int]) -> None:
        calls.append(ids)
        release.wait(5)

    monkeypatch.setattr(index_module, "_update_logged", slow_update)
    monkeypatch.setattr(index_module, "close_old_connections", lambda: None)
    indexer = _BackgroundIndexer()
    indexer.submit([1])
    assert wait_for(lambda: calls == [[1]])
    indexer.submit([3, 2])
    indexer.submit([2])
    assert indexer.flush(timeout=0.05) is False  # still busy with the first update
    release.set()
    assert indexer.flush(timeout=5)
    assert calls == [[1], [2, 3]]


def test_a_failing_update_does_not_stop_the_indexer(monkeypatch) -> None:
    calls: list[list[int]] = []

    def failing_once(ids: list[int]) -> None:
        calls.append(ids)
        if len(calls) == 1:
            raise RuntimeError("disk full")

    monkeypatch.setattr(index_module, "index_documents", failing_once)
    monkeypatch.setattr(index_module, "close_old_connections", lambda: None)
    indexer = _BackgroundIndexer()
    indexer.submit([7])
    assert indexer.flush(timeout=5)
    indexer.submit([8])
    assert indexer.flush(timeout=5)
    assert calls == [[7], [8]]
