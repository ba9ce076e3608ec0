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
(d) the raw Whoosh searcher on the same queries, parsed the same way, with the same facets
    (Whoosh's own), sorting and highlights, reading texts from memory instead of the database.

With `--backend postgres` (or `both`), each on a throwaway PostgreSQL database of its own:
(e) raw PostgreSQL full-text search, no Django: the corpus loaded with COPY into a table with a
    stored, weighted `to_tsvector('english', …)` column, then a GIN index: the floor;
(f) Kaynak's bulk ingest with KAYNAK_SEARCH_BACKEND=postgres (as (b), the index included);
(g) GET /api/search/ with the postgres backend (as (c));
(h) the raw PostgreSQL queries equivalent to the query set (`to_tsquery`, the same facets
    counted with GROUP BY over the whole match, `ts_headline` on the page shown).

    make bench-search BENCH_ARGS="--backend both"        # Whoosh and PostgreSQL side by side
    make bench-search-x20 BENCH_ARGS="--backend postgres"

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
from collections.abc import Iterator
from contextlib import contextmanager
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
# The same questions in PostgreSQL's own terms, for (h): a tsquery, SQL conditions, an order.
# Raw PostgreSQL has no fuzzy term: `minstry~` is asked as the word it means (a floor that
# skips the correction Kaynak does).
RAW_PG_QUERIES = {
    "government": ("government", "", "rank"),
    '"prime minister"': ("prime <-> minister", "", "rank"),
    "election AND labour": ("election & labour", "", "rank"),
    "economy OR inflation NOT china": ("(economy | inflation) & !china", "", "rank"),
    "technolog*": ("technolog:*", "", "rank"),
    "minstry~": ("ministry", "", "rank"),
    "title:film": ("film:A", "", "rank"),
    "published:2004": (
        None,
        "published BETWEEN '2004-01-01' AND '2004-12-31'",
        "published DESC",
    ),
    "reprinted:[2005-01-01 TO 2005-06-30] music": (
        "music",
        "reprinted BETWEEN '2005-01-01' AND '2005-06-30'",
        "rank",
    ),
    'outlet:"BBC News" football': ("football", "outlet = 'BBC News'", "rank"),
    "(oil OR gas) AND prices": ("(oil | gas) & prices", "", "rank"),
    "broadband": ("broadband", "", "reprinted DESC"),
}
RUNS = 20
PAGE_SIZE = 20
ADMIN_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/postgres"


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


def setup_kaynak(args: argparse.Namespace) -> None:
    """Django with the search backend asked for: Whoosh on SQLite (the embedded default), the
    postgres backend on this run's throwaway PostgreSQL database."""
    os.environ["KAYNAK_SEARCH_BACKEND"] = args.backend
    setup_django(Path(args.workdir), args.database if args.backend == "postgres" else None)


def phase_ingest(args: argparse.Namespace) -> dict:
    setup_kaynak(args)
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
    setup_kaynak(args)
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
    from whoosh import highlight, index, sorting

    from search.query import expand_multiterms, parse_query
    from search.searching import FACETS, SORTS

    class MarkFormatter(highlight.HtmlFormatter):
        template = "<mark>%(t)s</mark>"

    texts = {str(n): article["body"] for n, article in enumerate(load_articles(args.copies))}
    ix = index.open_dir(str(Path(args.workdir) / "raw-index"))
    searcher = ix.searcher()  # kept open, as the API keeps its own
    # Whoosh's own facets (Kaynak counts them from segment values it keeps: search.facets),
    # for the fields that hold any value.
    multi_valued = {"tag_ids", "source_ids"}
    facets = {
        name: sorting.FieldFacet(
            fieldname, allow_overlap=fieldname in multi_valued, maptype=sorting.Count
        )
        for name, fieldname in FACETS.items()
        if fieldname not in multi_valued
        or next(searcher.reader().lexicon(fieldname), None) is not None
    }
    timings, totals = [], {}
    for query, sort in QUERIES:
        sortedby, reverse = SORTS[sort]
        for run in range(RUNS + 1):
            started = time.perf_counter()
            parsed = expand_multiterms(parse_query(query, ix.schema), searcher)
            results = searcher.search(
                parsed,
                limit=PAGE_SIZE,
                groupedby=facets,
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


RAW_PG_TABLE = """
CREATE TABLE raw_documents (
    id integer PRIMARY KEY,
    title text NOT NULL,
    body text NOT NULL,
    outlet text NOT NULL,
    reprinter text NOT NULL,
    published date NOT NULL,
    reprinted date NOT NULL,
    year integer NOT NULL,
    vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', title), 'A')
        || setweight(to_tsvector('english', body), 'B')
        || setweight(to_tsvector('simple', outlet || ' ' || reprinter), 'C')
    ) STORED
)
"""


def phase_raw_pg_index(args: argparse.Namespace) -> dict:
    """(e): COPY into a table whose weighted tsvector PostgreSQL computes, then the GIN index."""
    import psycopg

    rows = []
    for number, article in enumerate(load_articles(args.copies)):
        published, reprinted = dates_of(article)
        rows.append(
            (
                number,
                reprint_title(article),
                article["body"].strip(),
                "BBC News",
                "Center for Eurasian Studies (AVİM)",
                published,
                reprinted,
                published.year,
            )
        )
    with psycopg.connect(args.database, autocommit=True) as connection:
        connection.execute(RAW_PG_TABLE)
        started = time.perf_counter()
        with connection.cursor() as cursor:
            columns = "id, title, body, outlet, reprinter, published, reprinted, year"
            with cursor.copy(f"COPY raw_documents ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cursor.execute("CREATE INDEX raw_documents_vector ON raw_documents USING gin (vector)")
            cursor.execute("ANALYZE raw_documents")
        elapsed = time.perf_counter() - started
    return {"documents": len(rows), "seconds": elapsed, "rss": peak_rss_mib()}


def phase_raw_pg_search(args: argparse.Namespace) -> dict:
    """(h): per query, the page of hits ranked (ts_rank_cd) or sorted, the total, the facets
    by GROUP BY over the whole match, and ts_headline (three fragments, <mark>) on the page."""
    import psycopg

    timings, totals = [], {}
    with psycopg.connect(args.database, autocommit=True) as connection:
        for query, _sort in QUERIES:
            tsquery, condition, order = RAW_PG_QUERIES[query]
            where = ["vector @@ q"] if tsquery else []
            where += [condition] if condition else []
            matching = (
                f"FROM raw_documents, to_tsquery('english', %(q)s) q WHERE {' AND '.join(where)}"
                if tsquery
                else f"FROM raw_documents WHERE {condition}"
            )
            rank = "ts_rank_cd(vector, q)" if tsquery else "0"
            ordering = f"{rank} DESC" if order == "rank" else order
            page = (
                f"SELECT id, ts_headline('english', body, {'q' if tsquery else 'NULL'}, "
                "'StartSel=<mark>, StopSel=</mark>, MaxFragments=3, MaxWords=30, MinWords=10') "
                f"FROM (SELECT id, body{', q' if tsquery else ''} {matching} "
                f"ORDER BY {ordering} LIMIT {PAGE_SIZE}) AS shown"
            )
            if not tsquery:
                page = (
                    f"SELECT id, left(body, 200) FROM (SELECT id, body {matching} "
                    f"ORDER BY {ordering} LIMIT {PAGE_SIZE}) AS shown"
                )
            # The total and every facet in one pass over the match (GROUPING SETS).
            counts = (
                "SELECT GROUPING(year, outlet, reprinter), year, outlet, reprinter, count(*) "
                f"{matching} GROUP BY GROUPING SETS ((year), (outlet), (reprinter), ())"
            )
            statements = [page, counts]
            for run in range(RUNS + 1):
                started = time.perf_counter()
                results = [connection.execute(sql, {"q": tsquery}).fetchall() for sql in statements]
                if run:  # the first run is the warm-up
                    timings.append(time.perf_counter() - started)
            totals[query] = next((row[4] for row in results[1] if row[0] == 7), 0)
    return {"timings": timings, "totals": totals, "rss": peak_rss_mib()}


PHASES = {
    "raw-index": phase_raw_index,
    "ingest": phase_ingest,
    "api": phase_api,
    "raw-search": phase_raw_search,
    "raw-pg-index": phase_raw_pg_index,
    "raw-pg-search": phase_raw_pg_search,
}


def run_phase(name: str, args: argparse.Namespace, *, backend: str, database: str = "") -> dict:
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
        backend,
        "--database",
        database,
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=False)
    if output.returncode:
        sys.exit(f"phase {name} ({backend}) failed:\n{output.stderr[-3000:]}")
    return json.loads(output.stdout.strip().splitlines()[-1])


@contextmanager
def throwaway_database(admin_url: str) -> Iterator[str]:
    """A PostgreSQL database of its own for one side of the comparison, dropped afterwards."""
    import psycopg

    name = f"kaynak_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def report_rate(label: str, result: dict, floor: dict | None = None) -> None:
    rate = result["documents"] / result["seconds"]
    line = (
        f"{label}: {rate:8.1f} documents/s  ({result['seconds']:.1f} s, "
        f"peak RSS {result['rss']:.0f} MiB)"
    )
    if floor is not None:
        line += f" = {rate / (floor['documents'] / floor['seconds']):.2f} x the raw floor"
    print(line, flush=True)


def report_latency(label: str, result: dict) -> None:
    timings = [seconds * 1000 for seconds in result["timings"]]
    print(
        f"{label}: p50 {statistics.median(timings):6.1f} ms  "
        f"p95 {percentile(timings, 0.95):6.1f} ms  over {len(timings)} requests "
        f"({len(QUERIES)} queries x {RUNS}), peak RSS {result['rss']:.0f} MiB",
        flush=True,
    )


def bench_whoosh(args: argparse.Namespace) -> None:
    raw = run_phase("raw-index", args, backend="whoosh")
    report_rate("(a) raw Whoosh indexing        ", raw)
    report_rate("(b) Kaynak ingest, Whoosh      ", run_phase("ingest", args, backend="whoosh"), raw)
    api = run_phase("api", args, backend="whoosh")
    raw_search = run_phase("raw-search", args, backend="whoosh")
    report_latency("(c) API GET /api/search/, Whoosh", api)
    report_latency("(d) raw Whoosh searcher        ", raw_search)
    ratio = percentile(api["timings"], 0.95) / percentile(raw_search["timings"], 0.95)
    print(f"    Whoosh: API p95 / raw p95 = {ratio:.2f}")
    print("    hits per query: " + ", ".join(f"{q!r}: {n}" for q, n in api["totals"].items()))
    if api["totals"] != raw_search["totals"]:
        print(f"    note: totals differ: raw {raw_search['totals']}")


def bench_postgres(args: argparse.Namespace) -> None:
    with (
        throwaway_database(args.pg_url) as raw_database,
        throwaway_database(args.pg_url) as kaynak_database,
    ):
        raw = run_phase("raw-pg-index", args, backend="postgres", database=raw_database)
        report_rate("(e) raw PostgreSQL COPY + GIN  ", raw)
        ingest = run_phase("ingest", args, backend="postgres", database=kaynak_database)
        report_rate("(f) Kaynak ingest, postgres    ", ingest, raw)
        api = run_phase("api", args, backend="postgres", database=kaynak_database)
        raw_search = run_phase("raw-pg-search", args, backend="postgres", database=raw_database)
    report_latency("(g) API GET /api/search/, postgres", api)
    report_latency("(h) raw PostgreSQL + ts_headline", raw_search)
    api_p95 = percentile(api["timings"], 0.95)
    ratio = api_p95 / percentile(raw_search["timings"], 0.95)
    print(f"    postgres: API p95 / raw PostgreSQL p95 = {ratio:.2f}")
    print("    hits per query: " + ", ".join(f"{q!r}: {n}" for q, n in api["totals"].items()))
    raw_totals = raw_search["totals"].items()
    print("    raw PostgreSQL: " + ", ".join(f"{q!r}: {n}" for q, n in raw_totals))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--backend", choices=["whoosh", "postgres", "both"], default="whoosh")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("BENCH_PG_URL", ADMIN_DATABASE_URL),
        help="a PostgreSQL server (any database on it) where the postgres runs make their own",
    )
    parser.add_argument("--phase", choices=PHASES)
    parser.add_argument("--workdir")
    parser.add_argument("--database", default="")
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(PHASES[args.phase](args)))
        return

    args.workdir = tempfile.mkdtemp(prefix="kaynak-bench-search-")
    print(f"corpus x{args.copies}; work folder {args.workdir}", flush=True)
    if args.backend in ("whoosh", "both"):
        bench_whoosh(args)
    if args.backend in ("postgres", "both"):
        bench_postgres(args)


if __name__ == "__main__":
    main()
