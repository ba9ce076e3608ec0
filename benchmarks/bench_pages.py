"""Page benchmark: the reader of a document with 500 annotations, and the search page over the
shared corpus, on a fresh SQLite database (or --database-url).

    make bench-pages

The shared corpus (x1, 2,225 articles in the AVİM layout) goes in through the bulk ingest
path, as in bench_search.py. The longest article then gets 500 annotations through the
annotation service: overlapping spans of 2 to 20 words, private, group and public, some with
tags and source tags, all readable by the signed-in user, so the reader draws all 500.

(a) GET /documents/<id>/, the reader page: server time, Django's in-process test client.
(b) the annotation list the reader's script then loads, GET /api/documents/<id>/annotations/
    ?page_size=100 and every following page, as one load: server time.
(c) in Debian's Chromium against `manage.py runserver --insecure` (debug off): from the start of
    navigation until the text is drawn (data-ready) with a highlight for every annotation,
    read with performance.now() in the page on an animation frame.
(d) GET /?q=…, the search page, over a set of queries (words, phrases, fields, dates, facet
    filters, sorts, page 2): server time.

Each figure comes after one warm-up request. Targets: reader p95 ≤ 200 ms on SQLite.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import ROOT, QueryCount, as_reprint, load_articles, peak_rss_mib, setup_django

ANNOTATIONS = 500
RUNS = 20
BROWSER_LOADS = 5
SEARCH_RUNS = 3
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
SEARCHES = [
    {"q": "government"},
    {"q": '"prime minister"'},
    {"q": "election AND labour"},
    {"q": "economy OR inflation NOT china"},
    {"q": "technolog*"},
    {"q": "title:film"},
    {"q": "minstry~"},
    {"q": "published:2004", "sort": "-published"},
    {"q": "music", "year": "2005"},
    {"q": "football", "outlet": "bbc-news"},
    {"q": "(oil OR gas) AND prices", "sort": "reprinted"},
    {"q": "government", "page": "2"},
    {"q": ""},
]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def describe(label: str, timings: list[float], queries: list[int] | None = None) -> str:
    ms = [seconds * 1000 for seconds in timings]
    line = (
        f"{label:40} p50 {statistics.median(ms):7.1f} ms  p95 {percentile(ms, 0.95):7.1f} ms"
        f"  ({len(ms)} requests"
    )
    if queries:
        line += (
            f"; queries per request: median {statistics.median(queries):.0f}, max {max(queries)}"
        )
    return line + ")"


def ingest_corpus() -> None:
    from archive.ingest import Submission
    from archive.services import IngestMethod, documents_ingest_many
    from kaynak.tasks import run_pending_tasks

    submissions = [
        Submission(data=data, filename=name, label=name)
        for name, data in map(as_reprint, load_articles())
    ]
    started = time.perf_counter()
    statuses: dict[str, int] = {}
    for report in documents_ingest_many(items=submissions, actor=None, method=IngestMethod.COMMAND):
        statuses[report.status] = statuses.get(report.status, 0) + 1
    run_pending_tasks()
    print(f"corpus ingested and indexed: {statuses} in {time.perf_counter() - started:.0f} s")


def annotate(document, reader, colleague, group) -> None:
    """500 annotations that overlap, each readable by `reader`."""
    from annotations.models import SourceRole, Visibility
    from annotations.services import SourceTagInput, annotation_create, tag_create
    from archive.services import source_create
    from kaynak.tasks import run_pending_tasks

    tags = [tag_create(name=f"Bench tag {n}", actor=reader).name for n in range(6)]
    sources = [source_create(name=f"Bench Ministry {n}", kind="government").slug for n in range(4)]
    roles = list(SourceRole.values)
    words = [match.span() for match in re.finditer(r"\w+", document.text)]
    step = len(words) // ANNOTATIONS
    if step < 2:
        sys.exit("the longest corpus article has too few words for the spans")
    started = time.perf_counter()
    for number in range(ANNOTATIONS):
        first = number * step
        last = min(len(words) - 1, first + 1 + number * 7 % 19)  # 2 to 20 words: overlaps
        kind = number % 3
        creator = colleague if kind == 2 else reader
        visibility = [Visibility.PRIVATE, Visibility.PUBLIC, Visibility.GROUP][kind]
        annotation_create(
            document=document,
            creator=creator,
            start=words[first][0],
            end=words[last][1],
            comment=f"Note {number} on this passage." if number % 4 else "",
            visibility=visibility,
            group=group.pk if visibility == Visibility.GROUP else None,
            tags=[tags[number % len(tags)]] if number % 5 == 0 else [],
            source_tags=(
                [SourceTagInput(source=sources[number % 4], role=roles[number % len(roles)])]
                if number % 7 == 0
                else []
            ),
        )
    run_pending_tasks()
    print(f"{ANNOTATIONS} annotations created in {time.perf_counter() - started:.0f} s")


def timed_gets(client, requests: list[tuple[str, dict]], runs: int):
    """(seconds, queries) per request: each request once to warm up, then `runs` times."""

    timings, queries = [], []
    for path, params in requests:
        response = client.get(path, params)
        if response.status_code != 200:
            sys.exit(f"GET {path} {params}: {response.status_code} {response.content[:300]!r}")
        for _ in range(runs):
            with QueryCount() as captured:
                started = time.perf_counter()
                client.get(path, params)
                timings.append(time.perf_counter() - started)
            queries.append(len(captured))
    return timings, queries


def annotation_loads(client, url: str) -> tuple[list[float], list[int], int]:
    """The reader script's loop: the first page of 100, then each `next`, as one load."""

    timings, queries, count = [], [], 0
    for run in range(RUNS + 1):
        with QueryCount() as captured:
            started = time.perf_counter()
            next_url, count = f"{url}?page_size=100", 0
            while next_url:
                data = client.get(next_url, HTTP_ACCEPT="application/json").json()
                count += len(data["results"])
                next_url = data["next"]
            elapsed = time.perf_counter() - started
        if run:
            timings.append(elapsed)
            queries.append(len(captured))
    return timings, queries, count


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def browser_paint(session_cookie: str, document_id: int) -> list[float]:
    from playwright.sync_api import sync_playwright

    port = free_port()
    # Debug off, as in production; --insecure lets runserver serve the static files anyway.
    environment = {**os.environ, "KAYNAK_DEBUG": "0", "KAYNAK_LOG_LEVEL": "ERROR"}
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", "--insecure", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"{base}/accounts/login/", timeout=2)
                break
            except OSError:
                time.sleep(0.3)
        else:
            sys.exit("runserver did not answer")
        done = f"""() => document.querySelector("#document-text[data-ready='true']")
            && document.querySelectorAll("mark.hl[id^='annotation-']").length === {ANNOTATIONS}
            && performance.now()"""
        timings = []
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS
            )
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            context.add_cookies([{"name": "sessionid", "value": session_cookie, "url": base}])
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            for load in range(BROWSER_LOADS + 1):
                page.goto(f"{base}/documents/{document_id}/", wait_until="commit")
                painted = page.wait_for_function(done, polling="raf", timeout=60_000)
                if load:  # the first load warms the server and the browser's cache
                    timings.append(painted.json_value() / 1000)
            browser.close()
        if errors:
            sys.exit(f"script errors in the reader: {errors}")
        return timings
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--no-browser", action="store_true", help="skip the Chromium figure")
    args = parser.parse_args()
    setup_django(Path(tempfile.mkdtemp(prefix="kaynak-bench-pages-")), args.database_url)

    from django.conf import settings
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from archive.models import Document
    from tests.factories import UserFactory

    call_command("migrate", verbosity=0)
    ingest_corpus()
    document = max(Document.objects.all(), key=lambda item: len(item.text))
    reader, colleague = UserFactory(username="bench"), UserFactory(username="colleague")
    group = Group.objects.create(name="Bench desk")
    reader.groups.add(group)
    colleague.groups.add(group)
    annotate(document, reader, colleague, group)

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(reader)
    page_url = f"/documents/{document.pk}/"
    api_url = f"/api/documents/{document.pk}/annotations/"
    reader_times, reader_queries = timed_gets(client, [(page_url, {})], RUNS)
    api_times, api_queries, loaded = annotation_loads(client, api_url)
    if loaded != ANNOTATIONS:
        sys.exit(f"the reader's user reads {loaded} annotations, not {ANNOTATIONS}")
    search_times, search_queries = timed_gets(
        client, [("/", params) for params in SEARCHES], SEARCH_RUNS
    )
    paint = (
        []
        if args.no_browser
        else browser_paint(client.cookies[settings.SESSION_COOKIE_NAME].value, document.pk)
    )

    print(
        f"database: {connection.vendor}; reader document of {len(document.text):,} characters"
        f" with {ANNOTATIONS} annotations; corpus {Document.objects.count():,} documents"
    )
    print(describe("(a) reader page GET /documents/<id>/", reader_times, reader_queries))
    print(describe("(b) its annotations, 5 API pages of 100", api_times, api_queries))
    if paint:
        ms = [seconds * 1000 for seconds in paint]
        print(
            f"{'(c) Chromium: all highlights drawn':40} p50 {statistics.median(ms):7.1f} ms  "
            f"max {max(ms):7.1f} ms  ({len(ms)} loads, from navigation start)"
        )
    print(describe("(d) search page GET /?q=…", search_times, search_queries))
    reader_p95 = percentile(reader_times, 0.95) * 1000
    verdict = "meets" if reader_p95 <= 200 else "MISSES"
    print(f"reader p95 {reader_p95:.1f} ms {verdict} the 200 ms target; ", end="")
    print(f"peak RSS: {peak_rss_mib():.0f} MiB")


if __name__ == "__main__":
    main()
