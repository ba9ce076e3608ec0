"""A pytest plugin: a skipped or expected-to-fail test is not a passing one, so either fails
the run. Loaded by tests/conftest.py; it imports nothing from Django so it can be tested on
its own."""

from __future__ import annotations

import pytest


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None or exitstatus != pytest.ExitCode.OK:
        return
    unfinished = len(reporter.stats.get("skipped", [])) + len(reporter.stats.get("xfailed", []))
    if unfinished:
        reporter.write_line(
            f"FAILED: {unfinished} test(s) skipped or xfailed; this suite allows none.", red=True
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
