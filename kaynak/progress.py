"""Progress bars for management commands, drawn on the command's own `self.stderr`."""

from __future__ import annotations

from django.core.management.base import OutputWrapper


class ProgressStream:
    """A command's stderr as the file tqdm writes to: written as given (tqdm redraws the
    line with carriage returns, so no newline is added) and unstyled; captured like any
    other output when the command is called with `stderr=`."""

    def __init__(self, stream: OutputWrapper) -> None:
        self._stream = stream

    def write(self, text: str) -> None:
        self._stream.write(text, style_func=str, ending="")

    def flush(self) -> None:
        self._stream.flush()
