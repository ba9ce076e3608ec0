"""From paths on disk to submissions: files and folders (recursively) and JSON Lines files,
whose every line is a document of its own."""

from __future__ import annotations

import gzip
import hashlib
import io
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files import File

from archive.ingest.errors import IngestRefused
from archive.ingest.validation import check_size

JSONL_SUFFIXES = (".jsonl", ".jsonl.gz")


@dataclass(frozen=True)
class Submission:
    """Bytes offered for ingest, with where they came from."""

    data: bytes
    filename: str
    label: str
    layouts: tuple[str, ...] | None = None
    context: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Unreadable:
    """Something that could not even be offered: a missing file, an oversized one, a broken
    line of a JSON Lines file."""

    label: str
    reason: str
    code: str = "unreadable"


def is_jsonl(path: Path) -> bool:
    return path.name.lower().endswith(JSONL_SUFFIXES)


def _open_jsonl(path: Path) -> io.BufferedIOBase:
    return gzip.open(path, "rb") if path.name.lower().endswith(".gz") else path.open("rb")


def expand_paths(paths: Iterable[Path]) -> Iterator[Path | Unreadable]:
    """Files in sorted order; folders recursively, skipping hidden files and folders."""
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                relative = child.relative_to(path).parts
                if child.is_file() and not any(part.startswith(".") for part in relative):
                    yield child
        elif path.is_file():
            yield path
        else:
            yield Unreadable(str(path), "no such file or folder", code="missing")


# Lines are read at most the upload limit (plus a line end) at a time, and what lies past the
# limit in chunks of this size, so neither pass holds more than one line's allowance however
# long a line is or however far a compressed file unpacks (a gzip bomb is one endless line).
_SKIP_CHUNK = 1024 * 1024


def _bounded_lines(handle: io.BufferedIOBase, limit: int) -> Iterator[tuple[int, bytes | None]]:
    """Each line's number and bytes (without its line end), or None for a line longer than
    `limit` bytes: reported as soon as the limit is passed, then read through and dropped."""
    number = 0
    while raw := handle.readline(limit + 2):
        number += 1
        if raw.endswith(b"\n") or len(raw) < limit + 2:
            line = raw.rstrip(b"\r\n")
            yield number, (line if len(line) <= limit else None)
            continue
        yield number, None
        while (rest := handle.readline(_SKIP_CHUNK)) and not rest.endswith(b"\n"):
            pass


def _container(path: Path) -> tuple[dict[str, Any], int]:
    """The JSON Lines file's own fixity (of the bytes as received) and its number of lines."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    lines = 0
    try:
        with _open_jsonl(path) as handle:
            limit = settings.KAYNAK_MAX_UPLOAD_BYTES
            lines = sum(
                1 for _, line in _bounded_lines(handle, limit) if line is None or bool(line.strip())
            )
    except (OSError, EOFError, zlib.error):
        pass  # reported line by line when the lines are read
    info = {"filename": path.name, "sha256": digest.hexdigest(), "size_bytes": path.stat().st_size}
    return info, lines


def _jsonl_lines(path: Path, container: dict[str, Any]) -> Iterator[Submission | Unreadable]:
    number = 0
    limit = settings.KAYNAK_MAX_UPLOAD_BYTES
    try:
        with _open_jsonl(path) as handle:
            for number, line in _bounded_lines(handle, limit):
                label = f"{path}:{number}"
                if line is None:
                    yield Unreadable(
                        label,
                        f"the line is over the limit of {limit:,} bytes (KAYNAK_MAX_UPLOAD_BYTES)",
                        code="too_large",
                    )
                    continue
                if not line.strip():
                    continue
                yield Submission(
                    data=line,
                    filename=path.name,
                    label=label,
                    layouts=("json_record",),
                    context={"container": container, "line": number, "path": str(path)},
                )
    except (OSError, EOFError, zlib.error) as error:
        yield Unreadable(
            f"{path}:{number + 1}", f"the file cannot be read past line {number}: {error}"
        )


@dataclass
class IngestPlan:
    total: int
    items: Iterator[Submission | Unreadable]


def plan_paths(paths: Iterable[Path]) -> IngestPlan:
    """Everything under `paths` to offer for ingest, and how many items that is."""
    entries: list[tuple[Path | Unreadable, dict[str, Any] | None]] = []
    total = 0
    for entry in expand_paths(paths):
        if isinstance(entry, Path) and is_jsonl(entry):
            container, lines = _container(entry)
            entries.append((entry, container))
            total += max(lines, 1)
        else:
            entries.append((entry, None))
            total += 1
    return IngestPlan(total=total, items=_items(entries))


def _items(
    entries: list[tuple[Path | Unreadable, dict[str, Any] | None]],
) -> Iterator[Submission | Unreadable]:
    for entry, container in entries:
        if isinstance(entry, Unreadable):
            yield entry
        elif container is not None:
            yield from _jsonl_lines(entry, container)
        else:
            yield _file_submission(entry)


def _file_submission(path: Path) -> Submission | Unreadable:
    try:
        check_size(path.stat().st_size)
        data = path.read_bytes()
    except IngestRefused as refusal:
        return Unreadable(str(path), refusal.message, code=refusal.code)
    except OSError as error:
        return Unreadable(str(path), f"cannot be read: {error.strerror or error}")
    return Submission(data=data, filename=path.name, label=str(path), context={"path": str(path)})


def read_within_limit(received: bytes | File, *, check: Callable[[int], None]) -> bytes:
    """The bytes of what was received, its size passed to `check` (which raises) first.

    A received file (Django's `UploadedFile`, a large one spooled to disk) knows its size
    before it is read, so an oversized upload is refused without being read into memory. The
    services call this; their callers (API, pages, admin) hand over the upload unread.
    """
    if isinstance(received, bytes):
        check(len(received))
        return received
    check(received.size)
    received.seek(0)
    return received.read()


def refuse_bulk_file(filename: str) -> None:
    """Single-document entry points (API, upload page) refuse JSON Lines bulk files."""
    if is_jsonl(Path(filename)):
        raise IngestRefused(
            f"{filename!r} is a JSON Lines bulk file holding many documents; load it with "
            "`manage.py ingest`",
            code="bulk_file",
        )
