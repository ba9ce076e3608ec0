"""Bag benchmark: the shared corpus ingested into a fresh database (search index off), then
`export_bag`, `verify_bag` and `import_bag` (into a second fresh database) each run as the
operator runs them, in a process of its own, timed, with that process's peak memory.

    make bench-bags                           # corpus x1, SQLite
    make bench-bags BENCH_ARGS="--copies 20"  # 44,500 documents

The export streams document by document, so its peak memory should not grow with the corpus.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import ROOT, as_reprint, load_articles, setup_django


def run(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Run `manage.py args`; (seconds, peak RSS in MiB) of that process alone."""
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, str(ROOT / "manage.py"), *args], env=env)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        sys.exit(f"manage.py {' '.join(args)} failed ({process.returncode})")
    return elapsed, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=1, help="Replicate the corpus N times.")
    parser.add_argument("--keep", action="store_true", help="Keep the work folder.")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="kaynak-bench-bags-"))
    setup_django(workdir, None)
    from django.core.management import call_command

    import archive.services.ingest
    from archive.ingest import Submission
    from archive.services import IngestMethod, documents_ingest_many
    from archive.services.checkpoints import provenance_checkpoint

    # The index is not what is measured here (import_bag rebuilds it, and that is timed).
    archive.services.ingest.schedule_index_update = lambda ids: None
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    count = 0
    submissions = (
        Submission(data=data, filename=name, label=name)
        for name, data in map(as_reprint, load_articles(args.copies))
    )
    for report in documents_ingest_many(items=submissions, actor=None, method=IngestMethod.COMMAND):
        count += report.status == "ingested"
    provenance_checkpoint()
    print(
        f"corpus:            x{args.copies}: {count:,} documents ingested in "
        f"{time.perf_counter() - started:.0f} s"
    )

    source_env = {**os.environ, "KAYNAK_INDEX_IN_BACKGROUND": "0"}
    bag = workdir / "bag"
    seconds, rss = run(["export_bag", str(bag), "--verbosity", "0"], source_env)
    size = sum(path.stat().st_size for path in bag.rglob("*") if path.is_file())
    print(
        f"export_bag:        {seconds:.1f} s, peak RSS {rss:.0f} MiB, bag {size / 1e6:.0f} MB "
        f"({count / seconds:,.0f} documents/s)"
    )
    seconds, rss = run(["verify_bag", str(bag)], source_env)
    print(f"verify_bag:        {seconds:.1f} s, peak RSS {rss:.0f} MiB")

    target_env = {
        **source_env,
        "DATABASE_URL": f"sqlite:///{workdir}/restored.sqlite3",
        "KAYNAK_DATA_DIR": str(workdir / "restored-data"),
    }
    run(["migrate", "--verbosity", "0"], target_env)
    seconds, rss = run(["import_bag", str(bag), "--verbosity", "0"], target_env)
    print(f"import_bag:        {seconds:.1f} s, peak RSS {rss:.0f} MiB (search index rebuilt)")
    if not args.keep:
        shutil.rmtree(workdir)


if __name__ == "__main__":
    main()
