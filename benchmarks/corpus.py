"""The shared benchmark corpus, read from ../shared/corpus at run time (never copied here)."""

from __future__ import annotations

import gzip
import json
import os
import resource
import sys
import zlib
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "bbc_news_2225.jsonl.gz"
BANNER = "AVRASYA İNCELEMELERİ MERKEZİ CENTER FOR EURASIAN STUDIES"
MONTHS = "January February March April May June July August September October November December"


def load_articles(copies: int = 1) -> list[dict]:
    """The corpus, `copies` times; each copy's ids and titles suffixed so checksums differ."""
    if not CORPUS.exists():
        sys.exit(f"No corpus at {CORPUS}; see ../shared/corpus/README.md.")
    with gzip.open(CORPUS, "rt", encoding="utf-8") as handle:
        articles = [json.loads(line) for line in handle]
    return [
        {**article, "id": f"{article['id']}-{copy}", "copy": copy}
        for copy in range(copies)
        for article in articles
    ]


def dates_of(article: dict) -> tuple[date, date]:
    """Original and reprint dates, derived from the article id, deterministically."""
    seed = zlib.crc32(article["id"].rsplit("-", 1)[0].encode())
    published = date(2004, 1, 1) + timedelta(days=seed % 700)
    return published, published + timedelta(days=1 + seed % 5)


def reprint_title(article: dict) -> str:
    copy = article.get("copy", 0)
    return article["title"].upper() + (f" ({copy})" if copy else "")


def as_reprint(article: dict) -> tuple[str, bytes]:
    """The article wrapped in the AVİM reprint layout, in memory."""
    published, reprinted = dates_of(article)
    month = MONTHS.split()[published.month - 1]
    text = "\n\n".join(
        [
            BANNER,
            reprint_title(article),
            reprinted.strftime("%d.%m.%Y"),
            f"BBC News, {month} {published.day} {published.year}",
            article["body"].strip(),
            "Kaynak/Source:",
        ]
    )
    return f"{article['id']}.txt", ("\n\n" + text).encode()


def setup_django(workdir: Path, database_url: str | None) -> None:
    os.environ["DATABASE_URL"] = database_url or f"sqlite:///{workdir}/bench.sqlite3"
    os.environ["KAYNAK_DATA_DIR"] = str(workdir / "data")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kaynak.settings")
    os.environ.setdefault("SECRET_KEY", "kaynak-bench-only")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


class QueryCount:
    """Count the queries a block runs, without Django's debug cursor: that one formats and
    keeps every statement, which would add its own cost to the times measured."""

    def __init__(self) -> None:
        self.count = 0

    def _count(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)

    def __enter__(self) -> QueryCount:
        from django.db import connection

        self._wrapper = connection.execute_wrapper(self._count)
        self._wrapper.__enter__()
        return self

    def __exit__(self, *exc_info) -> None:
        self._wrapper.__exit__(*exc_info)

    def __len__(self) -> int:
        return self.count


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
