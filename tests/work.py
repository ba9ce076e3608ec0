"""Work bounds for tests of adversarial input: counted function calls, not seconds.

Speed is measured by the benchmarks; a test that asserts on the wall clock fails on a busy
machine and passes on a fast one whatever the code does. What such a test guards against
is work that grows with the input (reading a 20 MiB text word by word, trying every place a
quote occurs), and that shows as calls: Python functions and built-ins called from Python,
counted by a profile hook. The count is the same on every machine for the same code and
input, and a bound a few times above today's count fails by orders of magnitude when work
per word or per line comes back.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

Result = TypeVar("Result")


@dataclass
class CallCount:
    calls: int = 0

    def _count(self, frame: Any, event: str, arg: Any) -> None:
        if event in ("call", "c_call"):
            self.calls += 1


def counted(action: Callable[[], Result]) -> tuple[Result, int]:
    """What `action` returns, and how many calls it made on this thread."""
    count = CallCount()
    previous = sys.getprofile()
    sys.setprofile(count._count)
    try:
        result = action()
    finally:
        sys.setprofile(previous)
    return result, count.calls
