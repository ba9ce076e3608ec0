"""The W3C Web Annotation protocol (https://www.w3.org/TR/annotation-protocol/), ported from
the W3C server tests in web-platform-tests/wpt: `annotation-protocol/server/
server-musts-manual.html` (the MUSTs) and `server-shoulds-manual.html` (the SHOULDs). Each
test names the wpt assertion it ports.

Where Kaynak differs from the wpt script, on purpose:
- wpt posts an annotation on an arbitrary web page (`"target": "http://www.example.com/…"`)
  and moves it by PUT; a Kaynak container is one document's, so the tests annotate a passage
  of that document, and a PUT changes what is said of it (its target cannot change: 400).
- wpt sends PUT and DELETE without If-Match; Kaynak refuses a change that does not say which
  version it was made to (428, protocol §5.3 "SHOULD use If-Match"), so the tests send it.
- Kaynak's answers are read with the API's test client, not a browser: CORS is not tested.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotations.models import Annotation, AnnotationRevision
from annotations.w3c import ANNO_CONTEXT, MEDIA_TYPE
from tests.annotations.conftest import TEXT

pytestmark = pytest.mark.django_db

LDP = "http://www.w3.org/ns/ldp#"
CONSTRAINED_BY = f'<http://www.w3.org/TR/annotation-protocol/>; rel="{LDP}constrainedBy"'
BASIC_CONTAINER = f'<{LDP}BasicContainer>; rel="type"'
RESOURCE = f'<{LDP}Resource>; rel="type"'
MINIMAL = f'return=representation;include="{LDP}PreferMinimalContainer"'
IRIS = f'return=representation;include="{LDP}PreferContainedIRIs"'
DESCRIPTIONS = f'return=representation;include="{LDP}PreferContainedDescriptions"'
CONFORMANCE = Path(__file__).resolve().parents[3] / "shared" / "conformance"


@pytest.fixture
def api(client_for, owner):
    return client_for(owner)


@pytest.fixture
def container(document) -> str:
    return f"http://testserver/api/documents/{document.pk}/annotations/"


@pytest.fixture
def five(annotate) -> list[Annotation]:
    """Five annotations on the document, in the container's order."""
    quotes = ["The ferry", "Kadıköy", "Şükrü Öğütcü", "A spokesman", "port authority"]
    return [annotate(quote, comment=f"Note {number}.") for number, quote in enumerate(quotes)]


def allowed(response) -> set[str]:
    return {method.strip() for method in response["Allow"].split(",")}


def web_annotation(document, quote: str = "Şükrü Öğütcü", **extra) -> dict:
    start = TEXT.index(quote)
    return {
        "@context": ANNO_CONTEXT,
        "type": "Annotation",
        "body": {"type": "TextualBody", "value": "Named twice in the reprints."},
        "target": {
            "source": f"http://testserver/api/documents/{document.pk}/",
            "selector": {"type": "TextPositionSelector", "start": start, "end": start + len(quote)},
        },
        **extra,
    }


def post(api, url: str, payload: dict):
    # wpt: request("POST", container_url).set('Content-Type', 'application/ld+json')
    return api.post(url, json.dumps(payload), content_type="application/ld+json")


# --- The container: server-musts-manual.html ---------------------------------------------


def test_the_container_address_ends_in_a_slash(api, container) -> None:
    # wpt: 'Container MUST end in a "/" character'
    assert container.endswith("/")
    assert api.get(container).status_code == 200
    assert api.get(container.rstrip("/")).status_code in (301, 404)


def test_the_container_allows_get_head_and_options(api, container, five) -> None:
    # wpt: "Containers MUST support GET / HEAD / OPTIONS (check Allow on GET)"
    assert {"GET", "HEAD", "OPTIONS", "POST"} <= allowed(api.get(container))


def test_the_container_answers_json_ld_with_the_profile_by_default(api, container) -> None:
    # wpt: "Containers MUST have a Content-Type header with the application/ld+json media type",
    # "Containers MUST response with the JSON-LD representation (by default)"; the profile
    # is the protocol's SHOULD (§4). Browsers send `*/*`, other clients nothing.
    for accept in ({}, {"HTTP_ACCEPT": "*/*"}, {"HTTP_ACCEPT": MEDIA_TYPE}):
        response = api.get(container, **accept)
        assert response["Content-Type"] == MEDIA_TYPE, accept
        assert "AnnotationCollection" in response.json()["type"]
    plain = api.get(container, HTTP_ACCEPT="application/ld+json")
    assert plain["Content-Type"] == MEDIA_TYPE


def test_kaynak_json_is_still_answered_when_asked_for(api, container, five) -> None:
    listing = api.get(container, HTTP_ACCEPT="application/json")
    assert listing["Content-Type"] == "application/json"
    assert listing.json()["count"] == len(five)


def test_the_container_describes_itself_as_a_basic_container_and_collection(api, container) -> None:
    # wpt: "Containers MUST return a description of the container with BasicContainer",
    # "… with AnnotationCollection"
    body = api.get(container).json()
    assert {"BasicContainer", "AnnotationCollection"} <= set(body["type"])


def test_the_container_links_its_type_and_constraints_on_every_answer(
    api, container, document
) -> None:
    # wpt: "Containers MUST return a Link header (rfc5988) on all responses", "Containers MUST
    # advertise its type by including a link where the rel parameter value is type and the
    # target IRI is the appropriate Container Type", "Containers MUST advertise that it imposes
    # Annotation protocol specific constraints … ldp#constrainedBy"
    answers = [
        api.get(container),
        api.head(container),
        api.options(container),
        post(api, container, web_annotation(document)),
        post(api, container, {"type": "Annotation"}),  # refused: still linked
    ]
    for response in answers:
        links = {link.strip() for link in response["Link"].split(",")}
        assert {BASIC_CONTAINER, CONSTRAINED_BY} <= links, response.status_code


def test_the_container_has_an_etag_that_changes_with_its_annotations(
    api, container, annotate
) -> None:
    # wpt: "Containers MUST have an ETag header"
    before = api.get(container)
    assert before["ETag"].startswith('"')
    assert api.get(container, HTTP_IF_NONE_MATCH=before["ETag"]).status_code == 304
    annotate("ferry")
    after = api.get(container, HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200
    assert after["ETag"] != before["ETag"]


def test_the_container_varies_by_accept_and_by_prefer(api, container) -> None:
    # wpt: "Containers MUST have a Vary header with Accept in the value"; shoulds 4.1.3:
    # "SHOULD include Prefer in the Vary response header to assist with caching"
    vary = {name.strip() for name in api.get(container)["Vary"].split(",")}
    assert {"Accept", "Prefer"} <= vary


def test_head_and_options_on_the_container_answer_200(api, container, five) -> None:
    # wpt: "Containers MUST support HEAD method", "Containers MUST support OPTIONS method"
    head = api.head(container)
    assert head.status_code == 200
    assert head.content == b""
    assert head["ETag"] == api.get(container)["ETag"]
    assert api.options(container).status_code == 200


def test_the_containers_content_location_is_its_id(api, container, five) -> None:
    # wpt: "Containers MUST include a Content-Location header with the IRI as its value",
    # "Container's Content-Location and `id` MUST match"
    for prefer in ({}, {"HTTP_PREFER": MINIMAL}, {"HTTP_PREFER": IRIS}):
        response = api.get(container, **prefer)
        assert response["Content-Location"] == response.json()["id"], prefer
    assert api.get(container).json()["id"] == container


def test_pages_link_to_their_container_and_to_the_next_and_previous_page(
    api, container, five
) -> None:
    # wpt: "Annotation Pages must have a link to the container they are part of, using the
    # partOf property", "… MUST have a link to the previous page in the sequence, using the
    # prev property (if not the first page)", "… to the next page … using the next property
    # (if not the last page)"
    collection = api.get(f"{container}?page_size=2", HTTP_PREFER=MINIMAL).json()
    first = api.get(collection["first"]).json()
    last = api.get(collection["last"]).json()
    assert first["partOf"]["id"] == last["partOf"]["id"] == collection["id"]
    assert "prev" not in first and first["startIndex"] == 0
    assert "next" not in last and last["startIndex"] == 4
    middle = api.get(first["next"]).json()
    assert (middle["prev"], middle["next"]) == (collection["first"], last["id"])
    assert api.get(middle["next"]).json()["id"] == collection["last"]
    walked = [item["id"] for page in (first, middle, last) for item in page["items"]]
    assert walked == [f"{container}{item.pk}/" for item in five]


# --- The container: server-shoulds-manual.html ---------------------------------------------


def test_a_minimal_container_links_its_first_and_last_pages_without_annotations(
    api, container, five
) -> None:
    # shoulds 4.1.2: "SHOULD include links to the first and last AnnotationPages in the
    # Collection", "...and without either the ldp:contains predicate or the first page of
    # annotations embedded."
    response = api.get(container, HTTP_PREFER=MINIMAL)
    assert response.status_code == 200
    body = response.json()
    assert isinstance(body["first"], str) and isinstance(body["last"], str)
    assert "items" not in body and "ldp:contains" not in body and "contains" not in body
    assert response["Preference-Applied"] == "return=representation"


def test_without_a_preference_the_container_embeds_full_descriptions(api, container, five) -> None:
    # shoulds 4.1.1: "if the client has no preference, the server SHOULD return the full
    # annotation descriptions" (wpt skips it: a container holds no `items` itself; its
    # embedded first page does). 4.1.3: "SHOULD include the total property".
    for prefer in ({}, {"HTTP_PREFER": DESCRIPTIONS}):
        body = api.get(f"{container}?page_size=2", **prefer).json()
        assert body["total"] == len(five)
        first = body["first"]
        assert first["type"] == "AnnotationPage"
        assert [item["id"] for item in first["items"]] == [
            f"{container}{item.pk}/" for item in five[:2]
        ]
        assert first["items"][0]["body"][0]["value"] == "Note 0."
        assert first["next"] == f"{container}?page_size=2&page=2"
        assert body["last"] == f"{container}?page_size=2&page=3"


def test_a_container_asked_for_iris_lists_iris_on_every_page(api, container, five) -> None:
    # Protocol §4.1.1 PreferContainedIRIs; shoulds 4.1.3 "SHOULD NOT [receive] the Prefer
    # header when requesting the page": the preference is in the pages' IRIs.
    response = api.get(f"{container}?page_size=2", HTTP_PREFER=IRIS)
    body = response.json()
    assert body["id"] == response["Content-Location"] == f"{container}?iris=1&page_size=2"
    assert body["first"]["items"] == [f"{container}{item.pk}/" for item in five[:2]]
    second = api.get(body["first"]["next"]).json()  # no Prefer sent
    assert second["items"] == [f"{container}{item.pk}/" for item in five[2:4]]
    assert second["partOf"]["id"] == body["id"]


def test_filters_are_kept_in_the_pages_iris(api, container, annotate) -> None:
    for number in range(3):
        annotate("ferry", comment=f"Ferry note {number}.", visibility="public")
    annotate("Kadıköy")
    body = api.get(f"{container}?visibility=public&page_size=2").json()
    assert body["total"] == 3
    last = api.get(body["last"]).json()
    assert [item["body"][0]["value"] for item in last["items"]] == ["Ferry note 2."]


def test_an_empty_container_has_no_pages(api, container) -> None:
    body = api.get(container).json()
    assert body["total"] == 0
    assert "first" not in body and "last" not in body


# --- Annotations: server-musts-manual.html --------------------------------------------------


def test_an_annotation_answers_as_the_protocol_says(api, container, five) -> None:
    # wpt: "Annotations MUST support GET / HEAD / OPTIONS (check Allow on GET)", "… MUST have
    # a Content-Type header with the application/ld+json media type", "… MUST have a Link
    # header entry where the target IRI is http://www.w3.org/ns/ldp#Resource and the rel
    # parameter value is type", "… MUST have an ETag header", "… MUST have a Vary header with
    # Accept in the value"
    annotation = five[0]
    response = api.get(f"{container}{annotation.pk}/")
    assert response.status_code == 200
    assert {"GET", "HEAD", "OPTIONS", "PUT", "DELETE"} <= allowed(response)
    assert response["Content-Type"] == MEDIA_TYPE
    assert response["Link"] == RESOURCE
    assert response["ETag"] == annotation.etag
    assert "Accept" in response["Vary"]
    assert response.json()["id"] == f"{container}{annotation.pk}/"


def test_head_and_options_on_an_annotation_answer_200(api, container, five) -> None:
    # wpt: "Annotations MUST support HEAD method", "Annotations MUST support OPTIONS method"
    url = f"{container}{five[0].pk}/"
    head = api.head(url)
    assert (head.status_code, head.content, head["ETag"]) == (200, b"", five[0].etag)
    options = api.options(url)
    assert options.status_code == 200
    assert options["Link"] == RESOURCE


def test_the_old_address_of_an_annotation_still_answers(api, container, five) -> None:
    old = api.get(f"/api/annotations/{five[0].pk}/")
    assert old.status_code == 200
    assert old.json()["id"] == five[0].pk  # Kaynak's JSON there, as before
    w3c_form = api.get(f"/api/annotations/{five[0].pk}/", HTTP_ACCEPT=MEDIA_TYPE).json()
    assert w3c_form["id"] == f"{container}{five[0].pk}/"


def test_an_annotation_is_not_found_in_another_documents_container(api, five) -> None:
    from tests.factories import DocumentFactory

    other = DocumentFactory(body="Another invented reprint.")
    assert api.get(f"/api/documents/{other.pk}/annotations/{five[0].pk}/").status_code == 404


def test_a_created_annotation_has_its_iri_inside_the_container(api, container, document) -> None:
    # wpt: "Created Annotation MUST have an id property", "… MUST have an id that starts with
    # the Container IRI", "Annotation Server MUST respond with a 201 Created code if the
    # creation is successful", "Location header SHOULD match the id of the new Annotation"
    response = post(api, container, web_annotation(document))
    assert response.status_code == 201, response.content
    body = response.json()
    created = Annotation.objects.get()
    assert body["id"] == f"{container}{created.pk}/"
    assert body["id"].startswith(container)
    assert response["Location"] == body["id"]
    assert response["ETag"] == created.etag
    assert response["Content-Type"] == MEDIA_TYPE
    assert api.get(response["Location"]).json() == body


def test_a_created_annotation_keeps_its_canonical_iri_and_via(api, container, document) -> None:
    # wpt: "Created Annotation MUST preserve any canonical IRI"; protocol §5.1: an id it had
    # elsewhere is kept in `via`.
    canonical = "urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427"
    payload = web_annotation(
        document,
        canonical=canonical,
        id="https://elsewhere.example/anno/7",
        via="https://mirror.example/anno/7",
    )
    body = post(api, container, payload).json()
    assert body["canonical"] == canonical
    assert body["via"] == ["https://mirror.example/anno/7", "https://elsewhere.example/anno/7"]
    created = Annotation.objects.get()
    assert (created.canonical, created.via) == (canonical, body["via"])
    # The revision that created it records them.
    revision = AnnotationRevision.objects.get(annotation=created)
    assert revision.changes["canonical"] == {"before": None, "after": canonical}


def test_a_canonical_that_is_not_an_iri_is_refused(api, container, document) -> None:
    response = post(api, container, web_annotation(document, canonical="not an iri"))
    assert response.status_code == 400
    assert "canonical" in response.json()
    assert not Annotation.objects.exists()


def test_a_json_client_posting_to_the_container_is_answered_in_json(
    api, container, document
) -> None:
    start = TEXT.index("ferry")
    response = api.post(container, {"start": start, "end": start + 5}, format="json")
    assert response.status_code == 201
    assert response["Content-Type"] == "application/json"
    assert response["Location"] == f"{container}{response.json()['id']}/"


def test_an_annotation_is_updated_with_put(api, container, document) -> None:
    # wpt: "Annotation update must be done with the PUT method" (wpt moves the target; here
    # what is said of the passage changes, with If-Match: see the module docstring)
    created = post(api, container, web_annotation(document, canonical="urn:uuid:42"))
    annotation = created.json()
    annotation["body"] = {"type": "TextualBody", "value": "Named three times, in fact."}
    response = api.put(
        annotation["id"],
        json.dumps(annotation),
        content_type=MEDIA_TYPE,
        HTTP_IF_MATCH=created["ETag"],
    )
    assert response.status_code == 200, response.content
    assert response.json()["body"][0]["value"] == "Named three times, in fact."
    assert response.json()["canonical"] == "urn:uuid:42"
    assert response["ETag"] != created["ETag"]
    assert response["Link"] == RESOURCE


def test_a_put_that_moves_the_target_or_the_canonical_iri_is_refused(
    api, container, document
) -> None:
    created = post(api, container, web_annotation(document, canonical="urn:uuid:42"))
    moved = {**created.json(), "target": web_annotation(document, "ferry")["target"]}
    recanonical = {**created.json(), "canonical": "urn:uuid:43"}
    for payload, field in ((moved, "target"), (recanonical, "canonical")):
        response = api.put(
            payload["id"],
            json.dumps(payload),
            content_type=MEDIA_TYPE,
            HTTP_IF_MATCH=created["ETag"],
        )
        assert response.status_code == 400
        assert field in response.json()
    assert Annotation.objects.get().version == 1


def test_a_put_without_if_match_is_refused_as_kaynak_requires(api, container, document) -> None:
    created = post(api, container, web_annotation(document)).json()
    response = api.put(created["id"], json.dumps(created), content_type=MEDIA_TYPE)
    assert response.status_code == 428
    assert response["Link"] == RESOURCE


def test_deleting_an_annotation_answers_204(api, container, document) -> None:
    # wpt: "Annotation deletion with DELETE method MUST return a 204 status"
    created = post(api, container, web_annotation(document))
    response = api.delete(created.json()["id"], HTTP_IF_MATCH=created["ETag"])
    assert response.status_code == 204
    assert api.get(created.json()["id"]).status_code == 404
    assert api.get(container).json()["total"] == 0
