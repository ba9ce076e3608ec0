"""Progress bars go to the command's own stderr, so `call_command(stderr=…)` captures them."""

from __future__ import annotations

from io import StringIO

from django.core.management.base import OutputWrapper
from tqdm import tqdm

from kaynak.progress import ProgressStream


def test_a_progress_bar_is_written_to_the_commands_stderr_as_tqdm_draws_it() -> None:
    captured = StringIO()
    with tqdm(total=3, file=ProgressStream(OutputWrapper(captured)), mininterval=0) as bar:
        bar.update(3)
    text = captured.getvalue()
    assert "3/3" in text
    # Redrawn in place with carriage returns: no newline added after each redraw.
    assert text.count("\n") <= 1
