"""Ingest benchmark: the shared corpus, each article wrapped in the AVİM reprint layout in
memory, through the bulk path the `ingest` command uses, into a fresh database.

    make bench-ingest                        # corpus x1 into a fresh SQLite file
    make bench-ingest BENCH_ARGS="--copies 5"
    make bench-ingest BENCH_ARGS="--database-url postgres://postgres@127.0.0.1:5432/kaynak_bench"

Reports documents/s and peak resident memory. The corpus is read from ../shared/corpus and
never copied into the repository.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import sys
import tempfile
import time
import zlib
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "bbc_news_2225.jsonl.gz"
BANNER = "AVRASYA İNCELEMELERİ MERKEZİ CENTER FOR EURASIAN STUDIES"
MONTHS = "January February March April May June July August September October November December"


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def as_reprint(article: dict, copy: int) -> tuple[str, bytes]:
    """Wrap one article in the AVİM layout; dates are derived from its id, deterministically."""
    seed = zlib.crc32(article["id"].encode())
    published = date(2004, 1, 1) + timedelta(days=seed % 700)
    reprinted = published + timedelta(days=1 + seed % 5)
    month = MONTHS.split()[published.month - 1]
    title = article["title"].upper() + (f" ({copy})" if copy else "")
    text = "\n\n".join(
        [
            BANNER,
            title,
            reprinted.strftime("%d.%m.%Y"),
            f"BBC News, {month} {published.day} {published.year}",
            article["body"].strip(),
            "Kaynak/Source:",
        ]
    )
    return f"{article['id']}-{copy}.txt", ("\n\n" + text).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=1, help="Replicate the corpus N times.")
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument("--database-url", help="Default: a fresh SQLite file in a temp folder.")
    args = parser.parse_args()
    if not CORPUS.exists():
        sys.exit(f"No corpus at {CORPUS}; see ../shared/corpus/README.md.")

    workdir = Path(tempfile.mkdtemp(prefix="kaynak-bench-"))
    os.environ["DATABASE_URL"] = args.database_url or f"sqlite:///{workdir}/bench.sqlite3"
    os.environ["KAYNAK_DATA_DIR"] = str(workdir / "data")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kaynak.settings")
    sys.path.insert(0, str(ROOT))

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from archive.ingest import Submission
    from archive.models import Document
    from archive.services import IngestMethod, documents_ingest_many

    call_command("migrate", verbosity=0)
    if Document.objects.exists():
        sys.exit("The benchmark database is not empty; give it a fresh database.")

    with gzip.open(CORPUS, "rt", encoding="utf-8") as handle:
        articles = [json.loads(line) for line in handle]
    submissions = [
        Submission(data=data, filename=name, label=name)
        for copy in range(args.copies)
        for name, data in (as_reprint(article, copy) for article in articles)
    ]
    total_bytes = sum(len(item.data) for item in submissions)
    rss_before = peak_rss_mib()

    started = time.perf_counter()
    statuses: dict[str, int] = {}
    for report in documents_ingest_many(
        items=submissions, actor=None, method=IngestMethod.COMMAND, batch_size=args.batch_size
    ):
        statuses[report.status] = statuses.get(report.status, 0) + 1
    elapsed = time.perf_counter() - started

    ingested = statuses.get("ingested", 0)
    print(f"database:          {connection.vendor} ({connection.settings_dict['NAME']})")
    print(
        f"corpus:            {CORPUS.name} x{args.copies}: {len(submissions):,} documents, "
        f"{total_bytes / 1e6:.1f} MB"
    )
    print(f"outcomes:          {statuses}")
    print(f"elapsed:           {elapsed:.2f} s")
    print(f"throughput:        {ingested / elapsed:,.0f} documents/s (search index: none yet)")
    print(f"peak RSS:          {peak_rss_mib():.0f} MiB (before ingest: {rss_before:.0f} MiB)")
    if statuses.get("refused"):
        sys.exit("Some documents were refused; the figures are not comparable.")


if __name__ == "__main__":
    main()
