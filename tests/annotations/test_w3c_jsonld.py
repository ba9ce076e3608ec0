"""Kaynak's Web Annotations read by a JSON-LD processor (pyld), offline: the Web Annotation
context is served from ../shared/conformance/anno.jsonld by a local document loader, and any
other remote document fails the test. A source tag is one body, so expansion keeps each source
paired with its role, whatever order the bodies come in."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from pyld import jsonld

from annotations.models import Annotation
from annotations.w3c import ANNO_CONTEXT, EXTENDED_CONTEXT, MEDIA_TYPE
from tests.factories import SourceFactory

pytestmark = pytest.mark.django_db

ANNO_JSONLD = Path(__file__).resolve().parents[3] / "shared" / "conformance" / "anno.jsonld"
OA = "http://www.w3.org/ns/oa#"
ROLE = "https://kaynak.invalid/ns#sourceRole"
LDP = "http://www.w3.org/ns/ldp#"


def local_loader(url: str, options: dict | None = None) -> dict:
    if url != ANNO_CONTEXT:
        raise AssertionError(f"the processor tried to fetch {url}: nothing is fetched")
    return {
        "contentType": "application/ld+json",
        "contextUrl": None,
        "documentUrl": url,
        "document": json.loads(ANNO_JSONLD.read_text()),
    }


OPTIONS = {"documentLoader": local_loader}


@pytest.fixture
def api(client_for, owner):
    return client_for(owner)


@pytest.fixture
def tagged(annotate, outlet) -> Annotation:
    front = SourceFactory(name="Northern Valley Front", kind="armed_group")
    return annotate(
        "denied that the fare would double",
        comment="Denied, then repeated.",
        source_tags=[(outlet.slug, "denied_by"), (front.slug, "quoted"), (outlet.slug, "quoted")],
    )


def pairs_in_expanded(expanded: list[dict]) -> set[tuple[str, str]]:
    """(source IRI, role) of every body that names a source, read from the expanded graph."""
    (annotation,) = expanded
    found = set()
    for body in annotation[f"{OA}hasBody"]:
        if f"{OA}hasSource" in body:
            (source,) = body[f"{OA}hasSource"]
            (role,) = body[ROLE]
            found.add((source["@id"], role["@value"]))
    return found


def test_expansion_keeps_each_source_paired_with_its_role(api, tagged, outlet) -> None:
    body = api.get(f"/api/annotations/{tagged.pk}/", HTTP_ACCEPT=MEDIA_TYPE).json()
    expanded = jsonld.expand(body, OPTIONS)
    sources = "http://testserver/api/sources/"
    assert pairs_in_expanded(expanded) == {
        (f"{sources}{outlet.slug}/", "denied_by"),
        (f"{sources}northern-valley-front/", "quoted"),
        (f"{sources}{outlet.slug}/", "quoted"),
    }
    (annotation,) = expanded
    assert annotation["@type"] == [f"{OA}Annotation"]
    purposes = {
        purpose["@id"] for item in annotation[f"{OA}hasBody"] for purpose in item[f"{OA}hasPurpose"]
    }
    assert purposes == {f"{OA}commenting", f"{OA}identifying"}


def test_a_round_trip_through_pyld_posts_back_the_same_source_tags(api, tagged, document) -> None:
    body = api.get(f"/api/annotations/{tagged.pk}/", HTTP_ACCEPT=MEDIA_TYPE).json()
    expanded = jsonld.expand(body, OPTIONS)
    # A processor owes no order to a set of bodies: shuffled, the pairs must hold.
    random.Random(7).shuffle(expanded[0][f"{OA}hasBody"])
    compacted = jsonld.compact(expanded, {"@context": EXTENDED_CONTEXT}, OPTIONS)
    assert pairs_in_expanded(jsonld.expand(compacted, OPTIONS)) == pairs_in_expanded(
        jsonld.expand(body, OPTIONS)
    )

    response = api.post(
        f"/api/documents/{document.pk}/annotations/",
        json.dumps(compacted),
        content_type="application/ld+json",
    )
    assert response.status_code == 201, response.content
    copy = Annotation.objects.exclude(pk=tagged.pk).get()
    pairs = {(item.source.slug, item.role) for item in copy.source_tags.all()}
    assert pairs == {(item.source.slug, item.role) for item in tagged.source_tags.all()}
    assert (copy.start, copy.end, copy.comment) == (tagged.start, tagged.end, tagged.comment)


def test_the_container_and_its_pages_expand_offline(api, tagged, document) -> None:
    url = f"/api/documents/{document.pk}/annotations/"
    (container,) = jsonld.expand(api.get(url).json(), OPTIONS)
    assert set(container["@type"]) == {
        f"{LDP}BasicContainer",
        "http://www.w3.org/ns/activitystreams#OrderedCollection",
    }
    (page,) = jsonld.expand(api.get(f"{url}?page=1").json(), OPTIONS)
    assert page["@type"] == ["http://www.w3.org/ns/activitystreams#OrderedCollectionPage"]
