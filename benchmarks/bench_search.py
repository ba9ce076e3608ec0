"""Search benchmark: indexing and query latency, Kaynak against the bare engine, measured in
one run on one machine.

    make bench-search                      # the shared corpus x1 (2,225 documents)
    make bench-search BENCH_ARGS="--copies 20"   # x20 (44,500 documents; slow)

(a) raw Whoosh: the corpus indexed with Kaynak's schema and analyzers by one writer, no Django
    in the loop: the engine floor.
(b) Kaynak: the same articles, wrapped in the AVİM layout, through the bulk ingest path
    (parsing, provenance, stored originals, database, and the index after each commit).
(c) GET /api/search/ through Django (in-process test client, signed in; facets and
    highlights on) over a fixed set of queries.
(d) the raw Whoosh searcher on the same queries, parsed the same way, with the same facets,
    sorting and highlights, reading texts from memory instead of the database.

With `--backend postgres` (or `both`), on a PostgreSQL server (`--pg-url`, a database of its
own made and dropped per run):

(e) raw PostgreSQL full-text search: the same articles COPY'd into a table whose weighted
    tsvector (`to_tsvector('english', …)`, title A, text B) is a generated column with a GIN
    index, no Django; then the same queries through `websearch_to_tsquery`, ranked by
    `ts_rank_cd`, with facet counts (year) over the whole result set and `ts_headline` on the
    page's texts.
(b) and (c) again with KAYNAK_SEARCH_BACKEND=postgres on that database.

Each phase runs in its own process, so each peak-memory figure is that phase's own.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import (
    as_reprint,
    dates_of,
    load_articles,
    peak_rss_mib,
    reprint_title,
    setup_django,
)

QUERIES = [
    ("government", "relevance"),
    ('"prime minister"', "relevance"),
    ("election AND labour", "relevance"),
    ("economy OR inflation NOT china", "relevance"),
    ("technolog*", "relevance"),
    ("minstry~", "relevance"),
    ("title:film", "relevance"),
    ("published:2004", "-published"),
    ("reprinted:[2005-01-01 TO 2005-06-30] music", "relevance"),
    ('outlet:"BBC News" football', "relevance"),
    ("(oil OR gas) AND prices", "relevance"),
    ("broadband", "-reprinted"),
]
RUNS = 20
PAGE_SIZE = 20


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def raw_fields(article: dict, number: int) -> dict:
    """What document_fields gives for this article's reprint, built without Django."""
    from search.schema import date_number

    published, reprinted = dates_of(article)
    title = reprint_title(article)
    text = article["body"].strip()
    return {
        "id": str(number),
        "title": title,
        "body": text,
        "stem_en": f"{title}\n{text}",
        "language": "en",
        "outlet": "BBC News",
        "reprinter": "Center for Eurasian Studies (AVİM) | AVİM | Avrasya İncelemeleri Merkezi"
        " | Center for Eurasian Studies",
        "published": date_number(published),
        "reprinted": date_number(reprinted),
        "year": str(published.year),
        "outlet_id": "1",
        "reprinter_id": "2",
    }


def phase_raw_index(args: argparse.Namespace) -> dict:
    setup_django(Path(args.workdir), None)  # settings only: the loop below uses none
    from whoosh import index

    from search.schema import build_schema

    documents = [raw_fields(article, n) for n, article in enumerate(load_articles(args.copies))]
    folder = Path(args.workdir) / "raw-index"
    folder.mkdir()
    started = time.perf_counter()
    writer = index.create_in(str(folder), build_schema()).writer()
    for fields in documents:
        writer.add_document(**fields)
    writer.commit()
    elapsed = time.perf_counter() - started
    return {"documents": len(documents), "seconds": elapsed, "rss": peak_rss_mib()}


def _setup(args: argparse.Namespace) -> None:
    os.environ["KAYNAK_SEARCH_BACKEND"] = args.backend
    setup_django(Path(args.workdir), args.database_url)


def phase_raw_pg(args: argparse.Namespace) -> dict:
    """(e): PostgreSQL's own full-text search, no Django."""
    import psycopg

    articles = load_articles(args.copies)
    with psycopg.connect(args.database_url, autocommit=True) as connection:
        connection.execute(
            "CREATE TABLE raw_docs (id bigint PRIMARY KEY, title text, body text, year int, "
            "vector tsvector GENERATED ALWAYS AS (setweight(to_tsvector('english', title), 'A')"
            " || setweight(to_tsvector('english', body), 'B')) STORED)"
        )
        connection.execute("CREATE INDEX raw_docs_vector ON raw_docs USING gin (vector)")
        started = time.perf_counter()
        with (
            connection.cursor() as cursor,
            cursor.copy("COPY raw_docs (id, title, body, year) FROM STDIN") as copy,
        ):
            for number, article in enumerate(articles):
                published, _ = dates_of(article)
                copy.write_row((number, reprint_title(article), article["body"], published.year))
        ingest_seconds = time.perf_counter() - started
        timings, totals = [], {}
        for query, _sort in QUERIES:
            for run in range(RUNS + 1):
                started = time.perf_counter()
                rows = connection.execute(
                    "WITH q AS (SELECT websearch_to_tsquery('english', %s) AS q), "
                    "m AS MATERIALIZED (SELECT id, year, ts_rank_cd(vector, q.q) AS rank "
                    "FROM raw_docs, q WHERE vector @@ q.q) "
                    "SELECT 'hit', d.id, ts_headline('english', d.body, q.q, "
                    "'StartSel=<mark>, StopSel=</mark>, MaxFragments=3'), 0 "
                    "FROM (SELECT id FROM m ORDER BY rank DESC, id LIMIT %s) AS page "
                    "JOIN raw_docs AS d USING (id), q "
                    "UNION ALL SELECT 'year', year, NULL, count(*) FROM m GROUP BY year "
                    "UNION ALL SELECT 'total', NULL, NULL, count(*) FROM m",
                    [query, PAGE_SIZE],
                ).fetchall()
                if run:
                    timings.append(time.perf_counter() - started)
            totals[query] = next(int(row[3]) for row in rows if row[0] == "total")
    return {
        "documents": len(articles),
        "seconds": ingest_seconds,
        "timings": timings,
        "totals": totals,
        "rss": peak_rss_mib(),
    }


def phase_ingest(args: argparse.Namespace) -> dict:
    _setup(args)
    from django.core.management import call_command

    from archive.ingest import Submission
    from archive.services import IngestMethod, documents_ingest_many
    from kaynak.tasks import run_pending_tasks

    call_command("migrate", verbosity=0)
    submissions = [
        Submission(data=data, filename=name, label=name)
        for name, data in map(as_reprint, load_articles(args.copies))
    ]
    started = time.perf_counter()
    statuses: dict[str, int] = {}
    for report in documents_ingest_many(
        items=submissions, actor=None, method=IngestMethod.COMMAND, batch_size=args.batch_size
    ):
        statuses[report.status] = statuses.get(report.status, 0) + 1
    run_pending_tasks()  # the index is part of the work measured
    elapsed = time.perf_counter() - started
    if statuses != {"ingested": len(submissions)}:
        sys.exit(f"ingest outcomes {statuses}: the figures would not be comparable")
    return {"documents": len(submissions), "seconds": elapsed, "rss": peak_rss_mib()}


def phase_api(args: argparse.Namespace) -> dict:
    _setup(args)
    from django.contrib.auth import get_user_model
    from django.test import Client

    user, _ = get_user_model().objects.get_or_create(username="bench")
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    timings, totals = [], {}
    for query, sort in QUERIES:
        params = {"q": query, "sort": sort, "page_size": PAGE_SIZE}
        response = client.get("/api/search/", params)  # warm-up
        if response.status_code != 200:
            sys.exit(f"{query!r}: {response.status_code} {response.content[:300]!r}")
        totals[query] = response.json()["total"]
        for _ in range(RUNS):
            started = time.perf_counter()
            client.get("/api/search/", params)
            timings.append(time.perf_counter() - started)
    return {"timings": timings, "totals": totals, "rss": peak_rss_mib()}


def phase_raw_search(args: argparse.Namespace) -> dict:
    setup_django(Path(args.workdir), None)  # for the query parser's settings only
    from whoosh import highlight, index

    from search.query import expand_multiterms, parse_query
    from search.searching import SORTS, _facets

    class MarkFormatter(highlight.HtmlFormatter):
        template = "<mark>%(t)s</mark>"

    texts = {str(n): article["body"] for n, article in enumerate(load_articles(args.copies))}
    ix = index.open_dir(str(Path(args.workdir) / "raw-index"))
    searcher = ix.searcher()  # kept open, as the API keeps its own
    timings, totals = [], {}
    for query, sort in QUERIES:
        sortedby, reverse = SORTS[sort]
        for run in range(RUNS + 1):
            started = time.perf_counter()
            parsed = expand_multiterms(parse_query(query, ix.schema), searcher)
            results = searcher.search(
                parsed,
                limit=PAGE_SIZE,
                groupedby=_facets(searcher),
                sortedby=sortedby,
                reverse=reverse,
                terms=True,
            )
            results.formatter = MarkFormatter(between=" … ")
            results.fragmenter = highlight.ContextFragmenter(maxchars=240, surround=60)
            for hit in results[:PAGE_SIZE]:
                hit.highlights("body", text=texts[hit["id"]], top=3)
            for name in results.facet_names():
                results.groups(name)
            total = len(results)
            if run:  # the first run is the warm-up
                timings.append(time.perf_counter() - started)
        totals[query] = total
    return {"timings": timings, "totals": totals, "rss": peak_rss_mib()}


PHASES = {
    "raw-pg": phase_raw_pg,
    "raw-index": phase_raw_index,
    "ingest": phase_ingest,
    "api": phase_api,
    "raw-search": phase_raw_search,
}


def run_phase(name: str, args: argparse.Namespace) -> dict:
    command = [
        sys.executable,
        __file__,
        "--phase",
        name,
        "--workdir",
        args.workdir,
        "--copies",
        str(args.copies),
        "--batch-size",
        str(args.batch_size),
        "--backend",
        args.backend,
    ]
    if args.database_url:
        command += ["--database-url", args.database_url]
    output = subprocess.run(command, capture_output=True, text=True, check=False)
    if output.returncode:
        sys.exit(f"phase {name} failed:\n{output.stderr[-3000:]}")
    return json.loads(output.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--phase", choices=PHASES)
    parser.add_argument("--workdir")
    parser.add_argument("--backend", choices=["whoosh", "postgres", "both"], default="whoosh")
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
        help="a PostgreSQL server (any database on it) where the postgres runs make their own",
    )
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(PHASES[args.phase](args)))
        return

    args.workdir = tempfile.mkdtemp(prefix="kaynak-bench-search-")
    print(f"corpus x{args.copies}; work folder {args.workdir}", flush=True)
    if args.backend in ("postgres", "both"):
        postgres_runs(args)
    if args.backend in ("whoosh", "both"):
        args.backend, args.database_url = "whoosh", None
        whoosh_runs(args)


def report_timings(label: str, result: dict) -> None:
    timings = [seconds * 1000 for seconds in result["timings"]]
    print(
        f"{label}: p50 {statistics.median(timings):6.1f} ms  "
        f"p95 {percentile(timings, 0.95):6.1f} ms  over {len(timings)} requests "
        f"({len(QUERIES)} queries x {RUNS}), peak RSS {result['rss']:.0f} MiB",
        flush=True,
    )


def postgres_runs(args: argparse.Namespace) -> None:
    import psycopg

    name = f"kaynak_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(args.pg_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    args.database_url = args.pg_url.rsplit("/", 1)[0] + f"/{name}"
    args.backend = "postgres"
    try:
        raw = run_phase("raw-pg", args)
        print(
            f"(e) raw PostgreSQL FTS ingest (COPY): {raw['documents'] / raw['seconds']:8.1f} "
            f"documents/s ({raw['seconds']:.1f} s)",
            flush=True,
        )
        ingest = run_phase("ingest", args)
        print(
            f"(b) Kaynak bulk ingest, postgres backend: "
            f"{ingest['documents'] / ingest['seconds']:8.1f} documents/s "
            f"({ingest['seconds']:.1f} s, peak RSS {ingest['rss']:.0f} MiB)",
            flush=True,
        )
        api = run_phase("api", args)
        report_timings("(c) API GET /api/search/, postgres backend", api)
        report_timings("(e) raw PostgreSQL FTS query + ts_headline", raw)
        api_p95, raw_p95 = percentile(api["timings"], 0.95), percentile(raw["timings"], 0.95)
        print(f"postgres backend API p95 / raw PostgreSQL p95 = {api_p95 / raw_p95:.2f}")
        print(
            "hits per query (postgres backend): "
            + ", ".join(f"{q!r}: {n}" for q, n in api["totals"].items())
        )
    finally:
        with psycopg.connect(args.pg_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def whoosh_runs(args: argparse.Namespace) -> None:
    raw = run_phase("raw-index", args)
    print(
        f"(a) raw Whoosh indexing:   {raw['documents'] / raw['seconds']:8.1f} documents/s  "
        f"({raw['seconds']:.1f} s, peak RSS {raw['rss']:.0f} MiB)",
        flush=True,
    )
    ingest = run_phase("ingest", args)
    ratio = (ingest["documents"] / ingest["seconds"]) / (raw["documents"] / raw["seconds"])
    print(
        f"(b) Kaynak bulk ingest:    {ingest['documents'] / ingest['seconds']:8.1f} documents/s  "
        f"({ingest['seconds']:.1f} s, peak RSS {ingest['rss']:.0f} MiB) = {ratio:.2f} x (a)",
        flush=True,
    )
    api = run_phase("api", args)
    raw_search = run_phase("raw-search", args)
    if api["totals"] != raw_search["totals"]:
        print(f"note: totals differ: API {api['totals']} raw {raw_search['totals']}")
    for label, result in (
        ("(c) API GET /api/search/", api),
        ("(d) raw Whoosh searcher", raw_search),
    ):
        timings = [seconds * 1000 for seconds in result["timings"]]
        print(
            f"{label}: p50 {statistics.median(timings):6.1f} ms  "
            f"p95 {percentile(timings, 0.95):6.1f} ms  over {len(timings)} requests "
            f"({len(QUERIES)} queries x {RUNS}), peak RSS {result['rss']:.0f} MiB"
        )
    api_p95 = percentile(api["timings"], 0.95)
    raw_p95 = percentile(raw_search["timings"], 0.95)
    print(f"API p95 / raw p95 = {api_p95 / raw_p95:.2f}")
    print("hits per query: " + ", ".join(f"{q!r}: {n}" for q, n in api["totals"].items()))


if __name__ == "__main__":
    main()
