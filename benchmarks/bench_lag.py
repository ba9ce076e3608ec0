"""Commit-to-searchable lag: how long after a change commits the background worker has it in
the search index, with the worker (`manage.py db_worker`, a real subprocess) at idle.

    make bench-lag                                   # 300 corpus articles, 40 edits, SQLite
    make bench-lag BENCH_ARGS="--articles 2225 --edits 100"
    make bench-lag BENCH_ARGS="--database-url postgres://postgres@127.0.0.1:5432/kaynak_bench"

Each edit renames one document's title to a new word through `document_update` (its own
transaction, its index task in it) and then polls the live index every 5 ms until the word is
there. Searches do not wait for this: documents with a queued update are read from the
database at query time. This is how far behind the index itself may be.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import ROOT, as_reprint, load_articles, setup_django


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=300, help="Corpus articles to load.")
    parser.add_argument("--edits", type=int, default=40)
    parser.add_argument("--database-url", help="Default: a fresh SQLite file in a temp folder.")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="kaynak-bench-lag-"))
    setup_django(workdir, args.database_url)
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from whoosh.query import Term

    from archive.ingest import Submission
    from archive.models import Document
    from archive.services import IngestMethod, document_update, documents_ingest_many
    from archive.services.provenance import kaynak_agent
    from kaynak.tasks import run_pending_tasks
    from search.engine import open_index

    call_command("migrate", verbosity=0)
    if Document.objects.exists():
        sys.exit("The benchmark database is not empty; give it a fresh database.")
    submissions = [
        Submission(data=data, filename=name, label=name)
        for name, data in map(as_reprint, load_articles()[: args.articles])
    ]
    list(documents_ingest_many(items=submissions, actor=None, method=IngestMethod.COMMAND))
    run_pending_tasks()
    documents = list(Document.objects.order_by("pk")[: args.edits])

    worker = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "db_worker",
            "--no-reload",
            "--no-startup-delay",
            "--verbosity",
            "0",
        ],
        cwd=ROOT,
        env={**os.environ},
        stdout=subprocess.DEVNULL,
    )
    lags = []
    try:
        time.sleep(2)  # the worker is up and idle
        for number, document in enumerate(documents):
            word = f"lagword{number}x"
            document_update(
                document=document,
                actor=None,
                agent=kaynak_agent("bench-lag"),
                title=f"{document.title[:80]} {word}",
            )
            committed = time.perf_counter()
            deadline = committed + 30
            index = open_index()
            while True:
                with index.searcher() as searcher:
                    if searcher.search(Term("title", word), limit=1):
                        break
                if time.perf_counter() > deadline:
                    sys.exit(f"edit {number} was not in the index after 30 s")
                time.sleep(0.005)
            lags.append(time.perf_counter() - committed)
            time.sleep(0.3)  # idle between edits, as a person's edits are
    finally:
        worker.terminate()
        worker.wait(timeout=30)

    lags.sort()
    p95 = lags[max(0, round(0.95 * len(lags)) - 1)]
    print(f"database:        {connection.vendor} ({connection.settings_dict['NAME']})")
    print(f"documents:       {len(submissions):,}; edits: {len(lags)}")
    print(f"worker interval: {settings.KAYNAK_WORKER_INTERVAL} s")
    print(
        f"commit to index: p50 {statistics.median(lags) * 1000:.0f} ms, "
        f"p95 {p95 * 1000:.0f} ms, max {lags[-1] * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
