"""Two processes ingesting into one database and one on-disk index at the same time."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from whoosh import index as whoosh_index

from tests.factories import reprint_bytes

ROOT = Path(__file__).resolve().parents[2]
PER_PROCESS = 30


def manage(*args: str, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finished(*processes: subprocess.Popen) -> list[str]:
    """Wait for every process (none is left running), then check each succeeded."""
    outputs = [(process, *process.communicate(timeout=300)) for process in processes]
    for process, out, err in outputs:
        assert process.returncode == 0, f"{out}\n{err}"
    return [out for _, out, _ in outputs]


def test_two_processes_ingesting_at_once_lose_no_index_entries(
    tmp_path: Path, shared_database: str
) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": shared_database,
        "KAYNAK_DATA_DIR": str(tmp_path / "data"),
        "SECRET_KEY": "concurrency-test",
    }
    finished(manage("migrate", "--noinput", env=env))
    folders = []
    for name in ("left", "right"):
        folder = tmp_path / name
        folder.mkdir()
        for number in range(PER_PROCESS):
            data = reprint_bytes(title=f"{name.upper()} HEADLINE NUMBER {number}")
            (folder / f"{number}.txt").write_bytes(data)
        folders.append(folder)

    # Small batches: many index commits from each process, contending for the index lock.
    processes = [
        manage("ingest", str(folder), "--batch-size", "3", "--no-progress", env=env)
        for folder in folders
    ]
    for output in finished(*processes):
        assert "Ingested: 30, duplicates: 0, refused: 0." in output

    live = whoosh_index.open_dir(str(tmp_path / "data" / "index" / "current"))
    with live.searcher() as searcher:
        assert searcher.doc_count() == 2 * PER_PROCESS
    [check] = finished(manage("search_index", "check", env=env))
    assert "The index matches the database." in check
