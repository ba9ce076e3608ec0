"""Ingest benchmark: the shared corpus, each article wrapped in the AVİM reprint layout in
memory, through the bulk path the `ingest` command uses, into a fresh database.

    make bench-ingest                        # corpus x1 into a fresh SQLite file
    make bench-ingest BENCH_ARGS="--copies 5"
    make bench-ingest BENCH_ARGS="--database-url postgres://postgres@127.0.0.1:5432/kaynak_bench"
    make bench-ingest BENCH_ARGS="--no-index"   # database and stored files only

Reports documents/s and peak resident memory.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import as_reprint, load_articles, peak_rss_mib, setup_django


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=1, help="Replicate the corpus N times.")
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--database-url", help="Default: a fresh SQLite file in a temp folder.")
    parser.add_argument("--no-index", action="store_true", help="Leave the search index out.")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="kaynak-bench-"))
    setup_django(workdir, args.database_url)
    from django.core.management import call_command
    from django.db import connection

    from archive.ingest import Submission
    from archive.models import Document
    from archive.services import IngestMethod, documents_ingest_many
    from kaynak.tasks import run_pending_tasks

    if args.no_index:
        import archive.services.ingest

        archive.services.ingest.schedule_index_update = lambda ids: None

    call_command("migrate", verbosity=0)
    if Document.objects.exists():
        sys.exit("The benchmark database is not empty; give it a fresh database.")
    submissions = [
        Submission(data=data, filename=name, label=name)
        for name, data in map(as_reprint, load_articles(args.copies))
    ]
    total_bytes = sum(len(item.data) for item in submissions)
    rss_before = peak_rss_mib()

    started = time.perf_counter()
    statuses: dict[str, int] = {}
    for report in documents_ingest_many(
        items=submissions, actor=None, method=IngestMethod.COMMAND, batch_size=args.batch_size
    ):
        statuses[report.status] = statuses.get(report.status, 0) + 1
    run_pending_tasks()
    elapsed = time.perf_counter() - started

    ingested = statuses.get("ingested", 0)
    print(f"database:          {connection.vendor} ({connection.settings_dict['NAME']})")
    print(
        f"corpus:            x{args.copies}: {len(submissions):,} documents, "
        f"{total_bytes / 1e6:.1f} MB"
    )
    print(f"outcomes:          {statuses}")
    print(f"elapsed:           {elapsed:.2f} s")
    print(
        f"throughput:        {ingested / elapsed:,.0f} documents/s "
        f"(search index: {'off' if args.no_index else 'on'})"
    )
    print(f"peak RSS:          {peak_rss_mib():.0f} MiB (before ingest: {rss_before:.0f} MiB)")
    if statuses.get("refused"):
        sys.exit("Some documents were refused; the figures are not comparable.")


if __name__ == "__main__":
    main()
