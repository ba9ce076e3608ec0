"""The search page's Annotations tab and the saved-search pages, with the Django client, by
persona: what a colleague wrote privately never shows, and only an owner edits."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from annotations.models import Visibility
from annotations.services import annotation_create, tag_create
from search.models import SavedSearch, SavedSearchEvent
from search.services import saved_search_create
from tests.factories import DocumentFactory

pytestmark = pytest.mark.django_db

TEXT = (
    "The lighthouse keepers' union asked for a second boat. "
    "The ministry said the old boat would serve <until> spring."
)


@pytest.fixture
def owner(owner):
    """The tests' owner (tests/conftest.py) with a name, which shared searches show."""
    owner.first_name, owner.last_name = "Ayla", "Deniz"
    owner.save(update_fields=["first_name", "last_name"])
    return owner


def browser_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def document(committed):
    with committed():
        return DocumentFactory(
            title="LIGHTHOUSE BOAT REQUEST",
            body=TEXT,
            outlet_line="Coastal Herald, March 3 2019",
            reprint_date="05.03.2019",
        )


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def annotate(document, user, quote: str, **kwargs):
    start = TEXT.index(quote)
    return annotation_create(
        document=document, creator=user, start=start, end=start + len(quote), **kwargs
    )


@pytest.fixture
def annotations(document, owner, colleague, team):
    tag_create(name="Staffing", actor=owner)
    public = annotate(
        document,
        owner,
        "old boat would serve <until> spring",
        comment="The boat is forty years old; <b>ask</b> the harbour master.",
        visibility=Visibility.PUBLIC,
        tags=["Staffing"],
    )
    private = annotate(
        document,
        colleague,
        "second boat",
        comment="Zeppelin rumour, unconfirmed.",
        visibility=Visibility.PRIVATE,
    )
    return public, private


def hits(html: str) -> int:
    return html.count('class="hit annotation-hit"')


def test_the_tabs_are_links_with_the_current_one_marked(owner) -> None:
    html = browser_for(owner).get("/?q=boat").content.decode()
    assert '<a href="/?q=boat" id="tab-documents" aria-current="page">Documents</a>' in html
    assert '<a href="/?kind=annotations&amp;q=boat" id="tab-annotations">Annotations</a>' in html
    html = browser_for(owner).get("/?kind=annotations&q=boat").content.decode()
    assert 'id="tab-annotations" aria-current="page"' in html


def test_annotation_hit_shows_quote_in_context_comment_and_links_to_the_reader(
    owner, outsider, document, annotations
) -> None:
    public, _ = annotations
    response = browser_for(outsider).get("/?kind=annotations&q=boat")
    html = response.content.decode()
    assert response.status_code == 200
    assert hits(html) == 1
    assert f'href="/documents/{document.pk}/#annotation-{public.pk}"' in html
    assert "Lighthouse Boat Request" in html  # listed_title
    assert "Coastal Herald" in html and 'datetime="2019-03-03"' in html
    # The context cut at 32 code points is shown from its first whole word.
    assert '<span class="context">…<mark>boat</mark>. The ministry said the </span>' in html
    # Escaped, with the query's words marked.
    assert "old <mark>boat</mark> would serve &lt;until&gt; spring" in html
    assert "The <mark>boat</mark> is forty years old; &lt;b&gt;ask&lt;/b&gt;" in html
    assert '<li class="tag">Staffing</li>' in html
    assert "by Ayla Deniz" in html


@pytest.mark.parametrize(("persona", "found"), [("colleague", 1), ("owner", 0), ("outsider", 0)])
def test_a_private_comment_word_finds_nothing_for_anyone_else(
    request, annotations, persona, found
) -> None:
    html = browser_for(request.getfixturevalue(persona)).get("/?kind=annotations&q=zeppelin")
    assert hits(html.content.decode()) == found
    assert ("Zeppelin" in html.content.decode()) == bool(found)


def test_facets_filter_and_a_bad_query_says_why(owner, annotations) -> None:
    client = browser_for(owner)
    html = client.get("/?kind=annotations").content.decode()
    assert hits(html) == 1
    assert 'href="/?kind=annotations&amp;tag=staffing"' in html
    assert hits(client.get("/?kind=annotations&tag=staffing").content.decode()) == 1
    response = client.get("/?kind=annotations&q=title:boat")
    assert response.status_code == 400
    assert "unknown field" in response.content.decode()


def test_annotation_tab_pages(owner, document) -> None:
    for number in range(21):
        annotate(document, owner, "boat", comment=f"note {number}", visibility=Visibility.PRIVATE)
    client = browser_for(owner)
    first = client.get("/?kind=annotations&q=note").content.decode()
    assert hits(first) == 20 and "Page 1 of 2" in first
    second = client.get("/?kind=annotations&q=note&page=2").content.decode()
    assert hits(second) == 1


def test_save_this_search_from_the_page(owner, team) -> None:
    client = browser_for(owner)
    html = client.get("/?kind=annotations&q=boat&tag=staffing&page=2").content.decode()
    assert 'name="search" value="kind=annotations&amp;q=boat&amp;tag=staffing"' in html
    response = client.post(
        "/saved-searches/new/",
        {"search": "kind=annotations&q=boat&tag=staffing", "name": "Boats", "share": team.pk},
    )
    saved = SavedSearch.objects.get()
    assert (saved.kind, saved.query, saved.filters, saved.shared_with_group) == (
        "annotations",
        "boat",
        {"tag": ["staffing"]},
        team,
    )
    assert response.status_code == 302


def test_saving_needs_csrf(owner) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    response = client.post("/saved-searches/new/", {"search": "q=boat", "name": "Boats"})
    assert response.status_code == 403
    assert not SavedSearch.objects.exists()


def test_saving_a_search_that_will_not_run_says_why(owner) -> None:
    response = browser_for(owner).post(
        "/saved-searches/new/", {"search": "q=boat&colour=red", "name": "Boats"}, follow=True
    )
    assert "The search was not saved: unknown filter" in response.content.decode()
    assert not SavedSearch.objects.exists()


def test_the_list_shows_mine_and_shared_with_owner_names_and_edit_only_for_the_owner(
    owner, colleague, outsider, team, document
) -> None:
    saved = saved_search_create(
        owner=owner, name="Boats <shared>", kind="documents", query="boat", shared_with_group=team
    )
    mine = browser_for(owner).get("/saved-searches/").content.decode()
    theirs = browser_for(colleague).get("/saved-searches/").content.decode()
    nobody = browser_for(outsider).get("/saved-searches/").content.decode()
    assert "Boats &lt;shared&gt;" in mine and "Boats &lt;shared&gt;" in theirs
    assert "Boats" not in nobody
    assert f"/saved-searches/{saved.pk}/edit/" in mine
    assert f"/saved-searches/{saved.pk}/edit/" not in theirs
    assert "by Ayla Deniz" in theirs and "by Ayla Deniz" not in mine
    assert "1 result, not opened yet" in theirs


def test_opening_reruns_it_and_counts_new_results(owner, document, committed) -> None:
    saved = saved_search_create(owner=owner, name="Boats", kind="documents", query="boat")
    client = browser_for(owner)
    response = client.get(f"/saved-searches/{saved.pk}/")
    assert response.status_code == 302
    assert response["Location"] == f"/?q=boat&saved={saved.pk}"
    first = client.get(response["Location"]).content.decode()
    assert "opened for the first time" in first
    with committed():
        DocumentFactory(body="A new boat was promised for the lighthouse by autumn.")
    listed = client.get("/saved-searches/").content.decode()
    assert re.search(r'<span class="count new-count">1 new</span>', listed)
    again = client.get(response["Location"]).content.decode()
    assert '<span id="new-since">1 new result</span> since you last looked' in again
    assert (
        '<span class="count new-count">0 new</span>'
        in client.get("/saved-searches/").content.decode()
    )


@pytest.mark.parametrize("marker", ["x", "0", "-3", str(2**64), "99999"])
def test_a_page_opened_with_a_saved_marker_that_names_nothing_is_just_the_search(
    owner, marker
) -> None:
    for kind in ("", "annotations"):
        response = browser_for(owner).get(f"/?kind={kind}&q=boat&saved={marker}")
        assert response.status_code == 200
        assert 'id="saved-opened"' not in response.content.decode()


def test_only_the_owner_edits_and_deletes_from_the_page(owner, colleague, outsider, team) -> None:
    saved = saved_search_create(
        owner=owner, name="Boats", kind="documents", query="boat", shared_with_group=team
    )
    edit, delete = f"/saved-searches/{saved.pk}/edit/", f"/saved-searches/{saved.pk}/delete/"
    assert browser_for(colleague).post(edit, {"name": "Mine"}).status_code == 403
    assert browser_for(colleague).post(delete).status_code == 403
    assert browser_for(outsider).post(delete).status_code == 404
    assert browser_for(outsider).get(f"/saved-searches/{saved.pk}/").status_code == 404
    assert browser_for(owner).post(edit, {"name": "Boats, private", "share": ""}).status_code == 302
    saved.refresh_from_db()
    assert (saved.name, saved.shared_with_group) == ("Boats, private", None)
    assert browser_for(owner).post(delete).status_code == 302
    assert not SavedSearch.objects.live().exists()
    assert list(SavedSearchEvent.objects.values_list("action", flat=True)) == [
        "created",
        "updated",
        "deleted",
    ]


def test_anonymous_is_sent_to_sign_in(client, owner) -> None:
    saved = saved_search_create(owner=owner, name="Boats", kind="documents")
    for url in ("/saved-searches/", f"/saved-searches/{saved.pk}/", "/?kind=annotations"):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
