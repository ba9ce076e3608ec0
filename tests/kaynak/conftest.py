"""Fixtures for the tests that call the API through schemathesis's WSGI transport."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from django.core import signals
from django.db import close_old_connections


@pytest.fixture
def wsgi_keeps_the_test_connection() -> Iterator[None]:
    """Schemathesis calls the WSGI app directly, which closes "old" database connections at
    each request's start and end: inside the test's transaction that is the test's own
    connection (PostgreSQL then answers "the connection is closed"). Django's test client
    disconnects the same handler around its requests."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def downloads_closed_here() -> Iterator[None]:
    """Collect what the test dropped before it ends: a download schemathesis left open is
    then reported (and ignored, see UNCLOSED_DOWNLOADS) in this test, not raised as an
    error in whichever test the garbage collector happens to run in next."""
    yield
    gc.collect()
