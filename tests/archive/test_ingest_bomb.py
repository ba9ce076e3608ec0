"""A compressed JSON Lines file that unpacks far past the upload limit is refused line by line
with flat memory: the ingest command is run in a child process whose peak RSS is measured."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
UNPACKED_BYTES = 100 * 1024 * 1024
LIMIT_BYTES = 20 * 1024 * 1024
RSS_CEILING_BYTES = 200 * 1024 * 1024

# Runs in the child: a fresh database, then the command, then the child's own peak RSS. It is
# VmHWM (KiB) of /proc/self/status, not getrusage's ru_maxrss, which Linux carries over exec
# from the forking parent (a long test run's pytest).
CHILD = """
import json, re, sys
from pathlib import Path
from io import StringIO
import django
django.setup()
from django.core.management import CommandError, call_command
call_command("migrate", verbosity=0)
out, err = StringIO(), StringIO()
try:
    call_command("ingest", sys.argv[1], "--no-progress", stdout=out, stderr=err)
except CommandError:
    pass
from archive.models import Document
print(json.dumps({
    "out": out.getvalue(),
    "err": err.getvalue(),
    "titles": list(Document.objects.values_list("title", flat=True)),
    "peak_rss": int(re.search(r"VmHWM:\\s+(\\d+) kB", Path("/proc/self/status").read_text())[1])
    * 1024,
}))
"""


def write_bomb(path: Path) -> Path:
    """One line of 100 MB of zeros (written in slices, so the test itself stays small), then
    an ordinary record that must still be read."""
    zeros = b"0" * (1024 * 1024)
    with gzip.open(path, "wb", compresslevel=6) as handle:
        for _ in range(UNPACKED_BYTES // len(zeros)):
            handle.write(zeros)
        handle.write(b"\n")
        record = {"title": "Invented survivor", "body": "A short record after the bomb."}
        handle.write(json.dumps(record).encode() + b"\n")
    return path


def test_ingest_refuses_a_gzip_bomb_line_with_flat_memory(tmp_path: Path) -> None:
    bomb = write_bomb(tmp_path / "bomb.jsonl.gz")
    assert bomb.stat().st_size < UNPACKED_BYTES // 100
    env = {key: value for key, value in os.environ.items() if not key.startswith("KAYNAK_")}
    env |= {
        "SECRET_KEY": "kaynak-test-only",
        "DATABASE_URL": f"sqlite:///{tmp_path}/bomb.sqlite3",
        "KAYNAK_DATA_DIR": str(tmp_path / "data"),
        "KAYNAK_INDEX_IN_BACKGROUND": "0",
        "KAYNAK_MAX_UPLOAD_BYTES": str(LIMIT_BYTES),
    }
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(bomb)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert child.returncode == 0, child.stderr[-2000:]
    report = json.loads(child.stdout.strip().splitlines()[-1])

    assert report["peak_rss"] < RSS_CEILING_BYTES, f"peak RSS {report['peak_rss']:,} bytes"
    assert f"refused {bomb}:1: " in report["err"]
    assert f"over the limit of {LIMIT_BYTES:,} bytes" in report["err"]
    assert "Ingested: 1, duplicates: 0, refused: 1." in report["out"]
    assert report["titles"] == ["Invented survivor"]
