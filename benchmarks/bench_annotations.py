"""Annotation benchmark: 1,000 annotations created on one document through the API, then
listed in pages of 100, on a fresh SQLite database (or --database-url).

    make bench-annotations

Every tenth annotation is public with a tag and a source tag, so its creation also updates
the search index after commit (reported separately); the others are private comments.
Requests go through Django's in-process test client, signed in, so the figures are server
time without network.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import QueryCount, as_reprint, load_articles, peak_rss_mib, setup_django

CREATES = 1000
PAGE_SIZE = 100


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def describe(label: str, timings: list[float], queries: list[int]) -> str:
    ms = [seconds * 1000 for seconds in timings]
    return (
        f"{label:34} p50 {statistics.median(ms):6.1f} ms  p95 {percentile(ms, 0.95):6.1f} ms"
        f"  ({len(ms)} requests; queries per request: median {statistics.median(queries):.0f},"
        f" max {max(queries)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    args = parser.parse_args()
    setup_django(Path(tempfile.mkdtemp(prefix="kaynak-bench-annotations-")), args.database_url)

    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from annotations.services import tag_create
    from archive.services import IngestMethod, document_ingest, source_create
    from kaynak.tasks import run_pending_tasks
    from tests.factories import UserFactory

    call_command("migrate", verbosity=0)
    article = max(load_articles(), key=lambda item: len(item["body"]))
    name, data = as_reprint(article)
    document = document_ingest(
        data=data, filename=name, actor=None, method=IngestMethod.COMMAND
    ).document
    user = UserFactory(username="bench")
    tag_create(name="Benchmark tag", actor=user)
    source = source_create(name="Benchmark Ministry", kind="government")
    words = [match.span() for match in re.finditer(r"\w+(?: \w+)?", document.text)]
    if len(words) < CREATES:
        sys.exit("the longest corpus article has too few words for the spans")

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    url = f"/api/documents/{document.pk}/annotations/"
    plain, indexed, plain_queries, indexed_queries = [], [], [], []
    for number in range(CREATES):
        start, end = words[number * len(words) // CREATES]
        body = {"start": start, "end": end, "comment": f"Note {number} on this passage."}
        if number % 10 == 0:
            body.update(
                visibility="public",
                tags=["Benchmark tag"],
                source_tags=[{"source": source.slug, "role": "quoted"}],
            )
        with QueryCount() as captured:
            started = time.perf_counter()
            response = client.post(url, body, content_type="application/json")
            elapsed = time.perf_counter() - started
        if response.status_code != 201:
            sys.exit(f"create {number}: {response.status_code} {response.content[:300]!r}")
        (indexed if number % 10 == 0 else plain).append(elapsed)
        (indexed_queries if number % 10 == 0 else plain_queries).append(len(captured))

    run_pending_tasks()
    pages, page_queries = [], []
    for _ in range(3):
        for page in range(1, CREATES // PAGE_SIZE + 1):
            with QueryCount() as captured:
                started = time.perf_counter()
                response = client.get(url, {"page": page, "page_size": PAGE_SIZE})
                pages.append(time.perf_counter() - started)
            page_queries.append(len(captured))
            if len(response.json()["results"]) != PAGE_SIZE:
                sys.exit(f"page {page} is short")

    print(f"database: {connection.vendor}; document of {len(document.text):,} characters")
    print(describe("create (all 1,000)", plain + indexed, plain_queries + indexed_queries))
    print(describe("create, private comment", plain, plain_queries))
    print(describe("create, public + tags (reindex)", indexed, indexed_queries))
    print(describe(f"list, pages of {PAGE_SIZE}", pages, page_queries))
    print(f"peak RSS: {peak_rss_mib():.0f} MiB")


if __name__ == "__main__":
    main()
