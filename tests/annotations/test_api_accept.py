"""The list endpoints asked for HTML (a browser's Accept) answer JSON, or 406 in JSON when
only HTML will do: never a 500 from the browsable renderer."""

from __future__ import annotations

import pytest
from django.test import Client

from annotations.models import Annotation
from annotations.services import reply_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser_like(owner) -> Client:
    client = Client()
    client.force_login(owner)
    return client


@pytest.fixture
def annotation(annotate, owner) -> Annotation:
    """A public annotation with a reply and an edit, so every list has a row to render."""
    annotation = annotate(visibility="public")
    reply_create(annotation=annotation, author=owner, body="Seen in two other reprints.")
    return annotation


LIST_ENDPOINTS = [
    "/api/documents/",
    "/api/documents/{document}/annotations/",
    "/api/annotations/",
    "/api/annotations/{annotation}/replies/",
    "/api/annotations/{annotation}/history/",
    "/api/tags/",
    "/api/sources/",
    "/api/documents/{document}/facsimiles/",
]


@pytest.mark.parametrize("url", LIST_ENDPOINTS)
@pytest.mark.parametrize("accept", ["text/html", "text/html,application/xhtml+xml,*/*;q=0.8"])
def test_list_endpoints_asked_for_html_answer_the_browsable_page(
    browser_like: Client, annotation: Annotation, url: str, accept: str
) -> None:
    path = url.format(document=annotation.document_id, annotation=annotation.pk)
    response = browser_like.get(path, HTTP_ACCEPT=accept)
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("text/html")
    # The page shows the list itself: its rows' keys, escaped, in the response panel.
    page = response.content.decode()
    assert 'class="response-info"' in page
    assert "&quot;" in page.split('class="response-info"', 1)[1]
