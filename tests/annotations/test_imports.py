"""Importing W3C Web Annotations (issue 15 §4): exports of Kaynak, Hypothesis and Recogito
anchored exactly onto documents of the archive or reported, never placed approximately."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from annotations.imports import ImportRefused, PayloadTooLarge, annotations_import, payload_from
from annotations.models import Annotation, AnnotationRevision, Reply, Tag
from annotations.services import SourceTagInput, annotation_create, annotation_delete, reply_create
from archive.services.documents import document_withdraw
from tests.annotations.conftest import TEXT

pytestmark = pytest.mark.django_db

ANNO = "http://www.w3.org/ns/anno.jsonld"
HOSTS = {"testserver"}
REPEATED = "the fare would double"


def page_url(document) -> str:
    return f"http://testserver/documents/{document.pk}/"


def quote_target(document, exact: str, *, prefix: str = "", suffix: str = "", **position):
    selectors: list[dict] = [
        {"type": "TextQuoteSelector", "exact": exact, "prefix": prefix, "suffix": suffix}
    ]
    if position:
        selectors.append({"type": "TextPositionSelector", **position})
    return {"source": f"http://testserver/api/documents/{document.pk}/", "selector": selectors}


def annotation_json(target, **extra) -> dict:
    return {"@context": ANNO, "type": "Annotation", "target": target, **extra}


def import_as(person, payload, **options):
    return annotations_import(payload, person=person, hosts=HOSTS, **options)


def statuses(report) -> list[str]:
    return [item.status for item in report.items]


# --- Round trip ------------------------------------------------------------------------------


def test_an_export_deleted_and_imported_back_gives_the_same_spans_bodies_and_replies(
    owner, client_for, document, outlet, tag
) -> None:
    second = TEXT.rindex(REPEATED)
    originals = [
        annotation_create(
            document=document,
            creator=owner,
            start=second,
            end=second + len(REPEATED),
            comment="The denial repeats the claim word for word.",
            tags=[tag.name],
            source_tags=[SourceTagInput(outlet.slug, "denied_by")],
        ),
        annotation_create(document=document, creator=owner, quote="Kadıköy"),
        annotation_create(document=document, creator=owner, page_note=True, comment="Whole piece."),
    ]
    reply_create(annotation=originals[0], author=owner, body="Checked against the wire copy.")
    client = client_for(owner)
    exported = client.get(f"/api/documents/{document.pk}/annotations/export/?as=jsonld")
    payload = b"".join(exported.streaming_content)

    def shape(annotation: Annotation) -> tuple:
        return (
            annotation.start,
            annotation.end,
            annotation.quote,
            annotation.prefix,
            annotation.suffix,
            annotation.comment,
            sorted(tag.name for tag in annotation.tags.all()),
            sorted((item.source.slug, item.role) for item in annotation.source_tags.all()),
            [reply.body for reply in annotation.replies.live()],
        )

    before = sorted((shape(annotation) for annotation in originals), key=repr)
    for annotation in originals:
        annotation_delete(annotation=annotation, actor=owner, expected_version=annotation.version)

    response = client.post("/api/annotations/import/", payload, content_type="application/ld+json")

    assert response.status_code == 200, response.json()
    assert response.json()["counts"] == {
        "created": 4,
        "would_create": 0,
        "skipped": 0,
        "failed": 0,
    }
    assert response.json()["problems"] == []  # every page of the export was in it
    imported = list(Annotation.objects.live().filter(document=document))
    assert sorted((shape(annotation) for annotation in imported), key=repr) == before
    assert {annotation.creator for annotation in imported} == {owner}
    assert all(annotation.imported_from for annotation in imported)


def test_importing_the_same_export_again_reports_already_imported(owner, document) -> None:
    payload = annotation_json(
        quote_target(document, "Kadıköy"), id="https://annotations.invalid/a/1", creator="kim"
    )
    first = import_as(owner, payload)
    again = import_as(owner, payload)

    assert statuses(first) == ["created"]
    assert statuses(again) == ["skipped"]
    assert again.items[0].reason == f"already imported (annotation {first.items[0].annotation})"
    assert Annotation.objects.count() == 1


def test_an_annotation_still_in_the_archive_is_not_imported_twice_from_its_own_export(
    owner, client_for, document
) -> None:
    annotation_create(document=document, creator=owner, quote="Kadıköy")
    client = client_for(owner)
    exported = client.get(f"/api/documents/{document.pk}/annotations/export/?as=jsonld")

    response = client.post(
        "/api/annotations/import/",
        b"".join(exported.streaming_content),
        content_type="application/ld+json",
    )

    assert response.json()["counts"]["skipped"] == 1
    assert Annotation.objects.count() == 1


# --- Other tools' shapes ---------------------------------------------------------------------


def test_a_hypothesis_export_is_anchored_with_its_tags_and_provenance(owner, document) -> None:
    start = TEXT.index("Şükrü Öğütcü")
    # Hypothesis' JSON-LD form: targets and selectors as lists (a RangeSelector among them,
    # which cannot anchor on plain text and is passed over), the comment in Markdown, each
    # tag a tagging body, the creator an account IRI.
    hypothesis = {
        "@context": ANNO,
        "type": "Annotation",
        "id": "https://hypothes.is/a/Xq9invented01",
        "created": "2026-03-02T10:00:00.000000+00:00",
        "modified": "2026-03-02T10:00:00.000000+00:00",
        "creator": "acct:harbourwatch@hypothes.is",
        "body": [
            {"type": "TextualBody", "value": "Who is **Şükrü Öğütcü**?", "format": "text/markdown"},
            {"type": "TextualBody", "purpose": "tagging", "value": "people"},
            {"type": "TextualBody", "purpose": "tagging", "value": "to verify"},
        ],
        "target": [
            {
                "source": page_url(document),
                "selector": [
                    {
                        "type": "RangeSelector",
                        "startContainer": "/main[1]/p[1]",
                        "startOffset": 33,
                        "endContainer": "/main[1]/p[1]",
                        "endOffset": 45,
                    },
                    {"type": "TextPositionSelector", "start": start, "end": start + 12},
                    {
                        "type": "TextQuoteSelector",
                        "exact": "Şükrü Öğütcü",
                        "prefix": "Kadıköy at dawn. ",
                        "suffix": " said the fare",
                    },
                ],
            }
        ],
    }

    report = import_as(owner, hypothesis)

    assert statuses(report) == ["created"], report.items[0].reason
    annotation = Annotation.objects.get()
    assert (annotation.start, annotation.end) == (start, start + 12)
    assert annotation.comment == "Who is **Şükrü Öğütcü**?"
    assert sorted(tag.name for tag in annotation.tags.all()) == ["people", "to verify"]
    assert annotation.imported_from == "https://hypothes.is/a/Xq9invented01"
    assert annotation.imported_creator == "acct:harbourwatch@hypothes.is"
    assert annotation.via == ["https://hypothes.is/a/Xq9invented01"]
    assert "tag 'people' created" in report.items[0].notes
    assert Tag.objects.get(name="people").created_by == owner


def test_a_recogito_export_brings_its_comment_tag_and_reply_and_reports_an_unknown_place(
    owner, document
) -> None:
    # Recogito's form: one target object, one selector object, the comment, tags and
    # replies as bodies with their own creators, a place identified by a gazetteer IRI.
    recogito = [
        {
            "@context": "http://www.w3.org/ns/anno.jsonld",
            "id": "#3f1c1b7e-invented",
            "type": "Annotation",
            "body": [
                {
                    "type": "TextualBody",
                    "value": "The ferry pier, not the district.",
                    "purpose": "commenting",
                    "creator": {"id": "https://recogito.invalid/ayla", "name": "Ayla"},
                },
                {"type": "TextualBody", "value": "place", "purpose": "tagging"},
                {
                    "type": "SpecificResource",
                    "purpose": "identifying",
                    "source": "https://gazetteer.invalid/places/kadikoy",
                },
                {
                    "type": "TextualBody",
                    "value": "Agreed: the pier.",
                    "purpose": "replying",
                    "creator": {"id": "https://recogito.invalid/deniz", "name": "Deniz"},
                },
            ],
            "target": {
                "source": f"/documents/{document.pk}/",
                "selector": {"type": "TextQuoteSelector", "exact": "Kadıköy"},
            },
        }
    ]

    report = import_as(owner, recogito)

    assert statuses(report) == ["created", "created"]
    annotation = Annotation.objects.get()
    assert annotation.quote == "Kadıköy"
    assert annotation.comment == "The ferry pier, not the district."
    assert [tag.name for tag in annotation.tags.all()] == ["place"]
    assert annotation.imported_from == "#3f1c1b7e-invented"
    assert annotation.via == []  # a relative id is no address to copy from
    assert any("gazetteer.invalid" in note for note in report.items[0].notes)
    assert [reply.body for reply in annotation.replies.all()] == ["Agreed: the pier."]
    assert "written by Deniz there" in report.items[1].notes[0]


def test_a_source_tag_body_naming_an_archive_source_becomes_a_source_tag_with_its_role(
    owner, document, outlet
) -> None:
    body = {
        "type": "SpecificResource",
        "purpose": "identifying",
        "source": f"http://testserver/api/sources/{outlet.slug}/",
        "role": "claimed_by",
    }
    import_as(owner, annotation_json(quote_target(document, "Kadıköy"), body=[body]))

    [source_tag] = Annotation.objects.get().source_tags.all()
    assert (source_tag.source, source_tag.role) == (outlet, "claimed_by")


def test_a_reply_listed_before_its_annotation_is_attached_to_it(owner, document) -> None:
    payload = {
        "@context": ANNO,
        "type": "AnnotationPage",
        "items": [
            {
                "type": "Annotation",
                "motivation": "replying",
                "target": "https://annotations.invalid/a/parent",
                "body": {"type": "TextualBody", "value": "Seen."},
            },
            annotation_json(
                quote_target(document, "Kadıköy"), id="https://annotations.invalid/a/parent"
            ),
        ],
    }

    report = import_as(owner, payload)

    assert statuses(report) == ["created", "created"]
    assert [reply.body for reply in Annotation.objects.get().replies.all()] == ["Seen."]


def test_an_annotation_on_the_whole_document_becomes_a_page_note(owner, document) -> None:
    payload = annotation_json(page_url(document), bodyValue="Read with the follow-up piece.")

    import_as(owner, payload)

    annotation = Annotation.objects.get()
    assert annotation.is_page_note
    assert annotation.comment == "Read with the follow-up piece."


# --- Anchoring exactly or not at all ---------------------------------------------------------


def test_what_cannot_be_kept_is_left_out_and_noted_and_the_annotation_imported(
    owner, document
) -> None:
    payload = annotation_json(
        quote_target(document, "Kadıköy"),
        canonical="not an IRI",
        via=["relative/copy", "https://annotations.invalid/copy"],
        body=[
            {"type": "TextualBody", "purpose": "tagging", "value": "x" * 101},
            {"type": "TextualBody", "purpose": "assessing", "value": "Five stars."},
            "https://annotations.invalid/bodies/1",
        ],
    )

    report = import_as(owner, payload)

    assert statuses(report) == ["created"]
    annotation = Annotation.objects.get()
    assert (annotation.canonical, annotation.via) == ("", ["https://annotations.invalid/copy"])
    assert not annotation.tags.exists()
    assert len(report.items[0].notes) == 5


def test_prefix_and_suffix_decide_between_repeats_of_the_quote(owner, document) -> None:
    said = annotation_json(quote_target(document, REPEATED, prefix="Öğütcü said "))
    denied = annotation_json(quote_target(document, REPEATED, prefix="denied that "))

    import_as(owner, [said, denied])

    assert sorted(annotation.start for annotation in Annotation.objects.all()) == [
        TEXT.index(REPEATED),
        TEXT.rindex(REPEATED),
    ]


def test_a_repeated_quote_without_context_is_reported_and_nothing_is_written(
    owner, document
) -> None:
    report = import_as(owner, annotation_json(quote_target(document, REPEATED), bodyValue="?"))

    assert statuses(report) == ["failed"]
    assert "occurs 2 times" in report.items[0].reason
    assert not Annotation.objects.exists()
    assert not AnnotationRevision.objects.exists()


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ({"exact": "a quote not in the text"}, "does not occur"),
        ({"exact": REPEATED, "start": 0, "end": len(REPEATED)}, "disagree"),
        # The quote is right at this place, but its context says the other one.
        (
            {
                "exact": REPEATED,
                "prefix": "denied that ",
                "start": TEXT.index(REPEATED),
                "end": TEXT.index(REPEATED) + len(REPEATED),
            },
            "prefix and suffix",
        ),
    ],
)
def test_an_annotation_that_cannot_be_anchored_exactly_is_reported_with_the_reason(
    target, reason, owner, document, tag
) -> None:
    exact = target.pop("exact")
    prefix = target.pop("prefix", "")
    body = [{"type": "TextualBody", "purpose": "tagging", "value": "brand new tag"}]
    report = import_as(
        owner, annotation_json(quote_target(document, exact, prefix=prefix, **target), body=body)
    )

    assert statuses(report) == ["failed"]
    assert reason in report.items[0].reason
    assert not Annotation.objects.exists()
    assert not Tag.objects.filter(name="brand new tag").exists()


def test_a_failed_item_leaves_the_others_imported(owner, document) -> None:
    good = annotation_json(quote_target(document, "Kadıköy"))
    bad = annotation_json(quote_target(document, "nowhere in the text"))

    report = import_as(owner, [bad, good])

    assert statuses(report) == ["failed", "created"]
    assert report.counts == {"created": 1, "would_create": 0, "skipped": 0, "failed": 1}
    assert Annotation.objects.get().quote == "Kadıköy"


def test_a_target_elsewhere_is_reported_as_not_in_this_archive(owner, document) -> None:
    elsewhere = {
        "source": f"https://other-archive.invalid/documents/{document.pk}/",
        "selector": {"type": "TextQuoteSelector", "exact": "Kadıköy"},
    }

    report = import_as(owner, annotation_json(elsewhere))

    assert statuses(report) == ["failed"]
    assert report.items[0].reason.startswith("target source not in this archive")


# --- Dry run ---------------------------------------------------------------------------------


def test_a_dry_run_reports_what_would_happen_and_writes_nothing(owner, document) -> None:
    payload = [
        annotation_json(
            quote_target(document, "Kadıköy"),
            id="https://annotations.invalid/a/2",
            body={"type": "TextualBody", "purpose": "tagging", "value": "dry tag"},
        ),
        {
            "type": "Annotation",
            "motivation": "replying",
            "target": "https://annotations.invalid/a/2",
            "bodyValue": "A reply.",
        },
        annotation_json(quote_target(document, REPEATED)),
    ]

    report = import_as(owner, payload, dry_run=True)

    assert statuses(report) == ["would_create", "would_create", "failed"]
    assert report.counts["would_create"] == 2
    assert not Annotation.objects.exists()
    assert not Reply.objects.exists()
    assert not AnnotationRevision.objects.exists()
    assert not Tag.objects.filter(name="dry tag").exists()


def test_a_dry_run_through_the_api_writes_nothing(owner, client_for, document) -> None:
    response = client_for(owner).post(
        "/api/annotations/import/?dry_run=1",
        annotation_json(quote_target(document, "Kadıköy")),
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["dry_run"] is True
    assert response.json()["items"][0]["status"] == "would_create"
    assert not Annotation.objects.exists()


# --- Who may import, and onto what -----------------------------------------------------------


def test_an_anonymous_client_may_not_import(anonymous_client, document) -> None:
    response = anonymous_client.post(
        "/api/annotations/import/",
        annotation_json(quote_target(document, "Kadıköy")),
        format="json",
    )

    assert response.status_code in (401, 403)
    assert not Annotation.objects.exists()


def test_a_withdrawn_document_is_out_of_a_researchers_sight_and_refused_to_a_curator(
    outsider, curator, document
) -> None:
    document_withdraw(document=document, actor=curator, agent="test", reason="Duplicate copy.")
    payload = annotation_json(quote_target(document, "Kadıköy"))

    researcher_report = import_as(outsider, payload)
    curator_report = import_as(curator, payload)

    assert researcher_report.items[0].reason.startswith("target source not in this archive")
    assert "withdrawn" in curator_report.items[0].reason
    assert not Annotation.objects.exists()


def test_imported_annotations_are_private_unless_another_visibility_is_asked_for(
    owner, colleague, client_for, document, team
) -> None:
    client = client_for(owner)
    client.post(
        "/api/annotations/import/",
        annotation_json(quote_target(document, "Kadıköy")),
        format="json",
    )
    client.post(
        f"/api/annotations/import/?visibility=group&group={team.pk}",
        annotation_json(page_url(document)),
        format="json",
    )

    visibilities = sorted(Annotation.objects.values_list("visibility", flat=True))
    assert visibilities == ["group", "private"]
    seen = client_for(colleague).get(f"/api/documents/{document.pk}/annotations/?format=json")
    assert [item["page_note"] for item in seen.json()["results"]] == [True]


def test_group_visibility_with_a_group_one_is_not_in_is_refused(outsider, document, team) -> None:
    with pytest.raises(ImportRefused):
        import_as(
            outsider,
            annotation_json(quote_target(document, "Kadıköy")),
            visibility="group",
            group=team.pk,
        )


# --- The payload -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"{not json", "invalid_json"),
        (b'{"type": "Person", "name": "not an annotation"}', "not_an_annotation"),
        (b'"a string"', "not_an_annotation"),
    ],
)
def test_a_payload_that_is_not_json_or_not_an_annotation_answers_400(
    body, code, owner, client_for
) -> None:
    response = client_for(owner).post(
        "/api/annotations/import/", body, content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == code


def test_a_payload_over_the_upload_limit_is_refused(owner, client_for, document, settings) -> None:
    settings.KAYNAK_MAX_UPLOAD_BYTES = 100
    payload = json.dumps(annotation_json(quote_target(document, "Kadıköy"), bodyValue="x" * 200))

    response = client_for(owner).post(
        "/api/annotations/import/", payload, content_type="application/json"
    )

    assert response.status_code == 413
    assert not Annotation.objects.exists()


def test_an_oversized_payload_gets_the_same_refusal_from_the_api_the_page_and_the_command(
    owner, client_for, client, document, settings, tmp_path
) -> None:
    settings.KAYNAK_MAX_UPLOAD_BYTES = 100
    payload = json.dumps(annotation_json(quote_target(document, "Kadıköy"), bodyValue="x" * 200))
    reason = "the payload is larger than the upload limit (100 bytes)"

    through_api = client_for(owner).post(
        "/api/annotations/import/", payload, content_type="application/json"
    )
    client.force_login(owner)
    through_page = client.post(
        "/annotations/import/",
        {"file": SimpleUploadedFile("big.jsonld", payload.encode()), "visibility": "private"},
    )
    path = tmp_path / "big.jsonld"
    path.write_text(payload)
    with pytest.raises(CommandError) as through_command:
        call_command("annotations_import", str(path), "--user", "owner", "--host", "testserver")

    assert (through_api.status_code, through_api.json()["detail"]) == (413, reason)
    assert through_page.status_code == 413 and reason in through_page.content.decode()
    assert reason in str(through_command.value)
    assert not Annotation.objects.exists()


class Unreadable:
    def read(self, size: int = -1, /) -> bytes:
        raise AssertionError("read although its size was known to be over the limit")


class Stream:
    """A body of unknown length."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def read(self, size: int = -1, /) -> bytes:
        return self.data[:size]


def test_a_payload_is_refused_by_its_known_size_unread_or_by_what_it_holds(settings) -> None:
    settings.KAYNAK_MAX_UPLOAD_BYTES = 10
    with pytest.raises(PayloadTooLarge):
        payload_from(Unreadable(), size=11)
    with pytest.raises(PayloadTooLarge):
        payload_from(Stream(b'["' + b"x" * 20 + b'"]'))
    assert payload_from(Stream(b'["xxxx"]'), size=None) == ["xxxx"]


@pytest.mark.parametrize(
    "item",
    [
        {"type": "Annotation", "target": "http://testserver/documents/99999999999999999999999/"},
        {"type": "Annotation", "target": "http://[unclosed/documents/1/"},
        {"type": "Annotation", "target": {"source": ["a", 1], "selector": {"start": "x"}}},
        {"type": "Annotation", "motivation": "replying", "target": "urn:x:\u0000"},
        {"type": "Annotation", "target": [], "body": [None, 3, {"purpose": ["tagging"]}]},
        "https://annotations.invalid/a/only-an-address",
        7,
    ],
)
def test_odd_items_are_reported_as_failed_never_a_server_error(
    item, owner, client_for, document
) -> None:
    response = client_for(owner).post("/api/annotations/import/", [item], format="json")

    assert response.status_code == 200
    assert response.json()["counts"]["failed"] == 1
    assert not Annotation.objects.exists()


def test_json_nested_too_deeply_to_read_answers_400(owner, client_for) -> None:
    response = client_for(owner).post(
        "/api/annotations/import/", b"[" * 100_000 + b"]" * 100_000, content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_json"


def test_pages_named_but_not_included_are_reported(owner, document) -> None:
    collection = {
        "@context": ANNO,
        "type": "AnnotationCollection",
        "id": "https://annotations.invalid/c/1",
        "first": {
            "type": "AnnotationPage",
            "id": "https://annotations.invalid/c/1?page=1",
            "next": "https://annotations.invalid/c/1?page=2",
            "items": [annotation_json(quote_target(document, "Kadıköy"))],
        },
    }

    report = import_as(owner, collection)

    assert statuses(report) == ["created"]
    assert report.problems == [
        "the page https://annotations.invalid/c/1?page=2 is not in the payload and was not "
        "fetched: import it separately"
    ]


# --- The command -----------------------------------------------------------------------------


def test_the_command_imports_a_file_and_its_dry_run_writes_nothing(
    owner, document, tmp_path, capsys
) -> None:
    path = tmp_path / "annotations.jsonld"
    path.write_text(json.dumps(annotation_json(quote_target(document, "Kadıköy"))))

    call_command(
        "annotations_import", str(path), "--user", "owner", "--dry-run", "--host", "testserver"
    )
    assert not Annotation.objects.exists()
    call_command("annotations_import", str(path), "--user", "owner", "--host", "testserver")

    output = capsys.readouterr().out
    assert "Dry run: nothing written. 0 created, 1 would create" in output
    assert "1 created, 0 would create, 0 skipped, 0 failed." in output
    assert Annotation.objects.get().creator == owner
