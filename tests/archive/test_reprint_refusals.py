"""The bad input of issue 13 §5: a 400 from the API and a refusal line from `ingest`, each
saying why, and nothing stored."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from archive.models import Document
from tests.archive.layouts.samples import article_html
from tests.conftest import stored_files

pytestmark = pytest.mark.django_db

BAD_INPUT = [
    pytest.param(
        b"<!doctype html><html><head><script src='a.js'></script></head><body></body></html>",
        "page.html",
        "no article text",
        id="html-without-article-text",
    ),
    pytest.param(
        "Kuzey Gazetesi\n31 Şubat 2017\n\nLiman sakindi.\n".encode(),
        "impossible.txt",
        "is not a calendar date",
        id="impossible-date",
    ),
    pytest.param(
        b"Harbour Notes\nMorning Ledger\n4 May 2999\n\nThe harbour was calm.\n",
        "future.txt",
        "is in the future",
        id="future-date",
    ),
    pytest.param(
        b"Harbour Notes\nMorning Ledger\n4 May 1399\n\nThe harbour was calm.\n",
        "early.txt",
        "before 1450",
        id="before-the-printing-press",
    ),
    pytest.param(
        b"Harbour Notes\nSource: | Date: 3 March 2016\n\nThe harbour was calm.\n",
        "pair.txt",
        "`Source:` pair without a value",
        id="source-pair-without-value",
    ),
]


@pytest.mark.parametrize(("data", "name", "message"), BAD_INPUT)
def test_the_api_refuses_with_the_reason_and_stores_nothing(
    researcher_client, data_dir, data, name, message
) -> None:
    response = researcher_client.post(
        "/api/documents/", {"file": SimpleUploadedFile(name, data)}, format="multipart"
    )
    assert response.status_code == 400
    assert message in response.json()["detail"]
    assert Document.objects.count() == 0
    assert stored_files(data_dir) == []


@pytest.mark.parametrize(("data", "name", "message"), BAD_INPUT)
def test_the_ingest_command_prints_a_refusal_line_and_stores_nothing(
    tmp_path: Path, data_dir, data, name, message
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / name).write_bytes(data)
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("ingest", str(folder), "--no-progress", stdout=StringIO(), stderr=err)
    assert f"refused {folder / name}: " in err.getvalue()
    assert message in err.getvalue()
    assert Document.objects.count() == 0
    assert stored_files(data_dir) == []


def test_html_over_the_size_limit_is_refused(researcher_client, settings, data_dir) -> None:
    data = article_html(paragraphs=40).encode()
    settings.KAYNAK_MAX_UPLOAD_BYTES = len(data) - 1
    response = researcher_client.post(
        "/api/documents/", {"file": SimpleUploadedFile("big.html", data)}, format="multipart"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "too_large"
    assert Document.objects.count() == 0
    assert stored_files(data_dir) == []
