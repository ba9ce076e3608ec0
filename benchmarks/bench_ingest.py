"""Ingest benchmark: the shared corpus, each article wrapped in the AVİM reprint layout in
memory, through the bulk path the `ingest` command uses, into a fresh database.

    make bench-ingest                        # corpus x1 into a fresh SQLite file
    make bench-ingest BENCH_ARGS="--copies 5"
    make bench-ingest BENCH_ARGS="--database-url postgres://postgres@127.0.0.1:5432/kaynak_bench"
    make bench-ingest BENCH_ARGS="--no-index"   # database and stored files only

Reports documents/s and peak resident memory. Then two more figures, in the same run:

- plain text (title and body, no header): the full parser chain against the chain as it was
  before the header shapes (AVİM, JSON, plain text only), so their cost shows (parse only, and
  through the ingest path into the database);
- saved web pages: `--pages` generated pages of 50-500 KB (navigation, cookie notice, inline
  scripts, share buttons, comments and footer around an article), pages/s and p50/p95 per page.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import as_reprint, dates_of, load_articles, peak_rss_mib, setup_django


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=1, help="Replicate the corpus N times.")
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--database-url", help="Default: a fresh SQLite file in a temp folder.")
    parser.add_argument("--no-index", action="store_true", help="Leave the search index out.")
    parser.add_argument("--pages", type=int, default=120, help="Saved web pages to generate.")
    parser.add_argument("--plain", type=int, default=1000, help="Plain texts per parser chain.")
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
    bench_plain_text(load_articles(1)[: args.plain], args.batch_size)
    bench_web_pages(load_articles(1), args.pages)


# The parser chain as it was before the header shapes, digests and web pages.
CHAIN_BEFORE = ("avim_reprint", "json_record", "plain_text")


def bench_plain_text(articles: list[dict], batch_size: int) -> None:
    from archive.ingest import Submission, parse
    from archive.services import IngestMethod, documents_ingest_many

    def texts(tag: str) -> list[bytes]:
        return [f"{a['title']} {tag}\n\n{a['body'].strip()}\n".encode() for a in articles]

    for label, layouts in (("before (3 parsers)", CHAIN_BEFORE), ("now (all parsers)", None)):
        data = texts("parse")
        started = time.perf_counter()
        layouts_seen = {parse(item, layouts=layouts).layout for item in data}
        elapsed = time.perf_counter() - started
        print(
            f"plain text parse:  {label}: {len(data) / elapsed:,.0f} texts/s "
            f"({elapsed * 1e3 / len(data):.2f} ms each; layouts {sorted(layouts_seen)})"
        )
    # Through the ingest path, alternating rounds so the database's growth weighs on both.
    elapsed = {"before (3 parsers)": 0.0, "now (all parsers)": 0.0}
    counts = dict.fromkeys(elapsed, 0)
    for round_number in range(4):
        for label, layouts in (("before (3 parsers)", CHAIN_BEFORE), ("now (all parsers)", None)):
            tag = f"{'old' if layouts else 'new'}{round_number}"
            submissions = [
                Submission(data=data, filename=f"{tag}-{n}.txt", label=tag, layouts=layouts)
                for n, data in enumerate(texts(tag))
            ]
            started = time.perf_counter()
            reports = list(
                documents_ingest_many(
                    items=submissions,
                    actor=None,
                    method=IngestMethod.COMMAND,
                    batch_size=batch_size,
                )
            )
            elapsed[label] += time.perf_counter() - started
            counts[label] += sum(report.status == "ingested" for report in reports)
    for label in elapsed:
        print(
            f"plain text ingest: {label}: {counts[label] / elapsed[label]:,.0f} documents/s "
            f"({counts[label]} documents in 4 alternating rounds)"
        )


_NAV = "".join(f'<li><a href="/section/{n}">Section {n}</a></li>' for n in range(60))
_SCRIPT = "var analytics = {" + ",".join(f'"k{n}": {n}' for n in range(400)) + "};"


def web_page(article: dict, number: int, target_kb: int) -> bytes:
    """A saved news page around `article`, padded to about `target_kb` KB with the kind of
    markup real pages carry (menus, inline scripts and styles, related links, comments)."""
    published, _ = dates_of(article)
    paragraphs = "".join(f"<p>{p}</p>" for p in article["body"].split("\n") if p.strip())
    related = "".join(
        f'<li><a href="/news/{number}-{n}">Related story {n} about the region</a></li>'
        for n in range(40)
    )
    comments = "".join(
        f'<div class="comment"><b>reader{n}</b><p>Comment {n} on this story.</p></div>'
        for n in range(30)
    )
    head = f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>{article["title"]} ({number}) | The Evening Courier</title>
<meta property="og:site_name" content="The Evening Courier">
<meta property="article:published_time" content="{published.isoformat()}T09:00:00Z">
<link rel="canonical" href="https://courier.example.org/news/{number}">
<meta name="author" content="Desk {number % 7}"><style>body{{font:16px serif}}</style>"""
    body = f"""<body><header><nav><ul>{_NAV}</ul></nav></header>
<div class="cookie-banner">We use cookies. <button>Accept all</button></div>
<main><article><h1>{article["title"]} ({number})</h1><p class="byline">By Desk {number % 7}</p>
{paragraphs}</article>
<div class="share">Share on every network</div><aside><h3>Related</h3><ul>{related}</ul></aside>
<section id="comments">{comments}</section></main>
<footer><p>Subscribe to our newsletter</p><ul>{_NAV}</ul></footer>"""
    page = head + "</head>" + body
    padding = []
    while len(page) + sum(map(len, padding)) < target_kb * 1024:
        padding.append(f"<script>{_SCRIPT}</script>")
    return (page + "".join(padding) + "</body></html>").encode()


def bench_web_pages(articles: list[dict], count: int) -> None:
    from archive.ingest import Submission
    from archive.services import IngestMethod, documents_ingest_many

    # Sizes spread evenly over 50-500 KB.
    pages = [
        web_page(articles[n % len(articles)], n, 50 + (450 * n) // max(count - 1, 1))
        for n in range(count)
    ]
    timings, statuses = [], {}
    started = time.perf_counter()
    for n, data in enumerate(pages):
        item = Submission(data=data, filename=f"page-{n}.html", label=f"page-{n}")
        began = time.perf_counter()
        [report] = documents_ingest_many(items=[item], actor=None, method=IngestMethod.COMMAND)
        timings.append(time.perf_counter() - began)
        statuses[report.status] = statuses.get(report.status, 0) + 1
    elapsed = time.perf_counter() - started
    timings.sort()
    sizes = sorted(len(page) for page in pages)
    print(
        f"web pages:         {count} pages, {sizes[0] / 1024:.0f}-{sizes[-1] / 1024:.0f} KB, "
        f"outcomes {statuses}"
    )
    print(
        f"web page ingest:   {count / elapsed:.1f} pages/s, "
        f"p50 {timings[len(timings) // 2] * 1e3:.0f} ms, "
        f"p95 {timings[int(len(timings) * 0.95)] * 1e3:.0f} ms per page"
    )


if __name__ == "__main__":
    main()
