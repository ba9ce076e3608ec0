"""Tags and annotations in a bag (registered with kaynak.hooks in AnnotationsConfig.ready()).

An annotation is written as a W3C Web Annotation (JSON-LD) so that any reader can use it,
with a Kaynak extension, "kaynak:records", carrying the rows themselves (offsets, versions,
replies, revisions with their chain hashes): what a restore needs to give back exactly the
same annotation. Later kinds of record join as new parts or new fields under a new bag format
version (bag-info.txt), never by changing these."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import groupby
from typing import Any, cast

from django.db.models import QuerySet

from annotations.models import Annotation, AnnotationRevision, Reply, SourceTag, Tag
from archive.bags.records import built, field_names, insert_record, row
from kaynak.chain import Link, chain_break

ANNO_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
KAYNAK_CONTEXT = {"kaynak": "https://kaynak.invalid/ns/bag#"}
_CHUNK = 1000


class TagsPart:
    name = "tags"
    optional = False

    def export_records(self, *, document_ids: Sequence[int] | None) -> Iterator[Any]:
        for tag in Tag.objects.order_by("pk").iterator(chunk_size=_CHUNK):
            yield row(tag)

    def known_fields(self) -> dict[str, set[str]]:
        return {Tag._meta.label_lower: field_names(Tag)}

    def records_of(self, record: Any) -> list[Any]:
        return [record]

    def chain_problems(self, records: Sequence[Any]) -> list[str]:
        return []

    def chain_hashes(self, records: Sequence[Any]) -> list[tuple[str, int, dict[int, str]]]:
        return []

    def restore_records(
        self,
        *,
        records: Sequence[Any],
        users: dict[int, int],
        groups: dict[int, int],
        document_ids: set[int],
        merge: bool,
    ) -> list[str]:
        conflicts = []
        for record in records:
            here = Tag.objects.filter(pk=record["pk"]).first()
            if here is not None:
                if here.slug != record["fields"]["slug"]:
                    conflicts.append(
                        f"tag {record['pk']} is {record['fields']['slug']!r} in the bag but "
                        f"{here.slug!r} here; left as it is"
                    )
                continue
            if Tag.objects.filter(slug=record["fields"]["slug"]).exists():
                conflicts.append(f"tag {record['fields']['slug']!r} has another id here")
                continue
            insert_record(record)
        return conflicts


def _grouped(queryset: QuerySet[Any], key: str) -> Iterator[tuple[int, list[Any]]]:
    rows = queryset.iterator(chunk_size=_CHUNK)
    for owner, owned in groupby(rows, key=lambda item: getattr(item, key)):
        yield owner, list(owned)


def _w3c(annotation: Annotation, records: dict[str, Any]) -> dict[str, Any]:
    """The annotation as a W3C Web Annotation, its rows under kaynak:records."""
    body: list[dict[str, Any]] = []
    if annotation.comment:
        body.append({"type": "TextualBody", "purpose": "commenting", "value": annotation.comment})
    body += [
        {"type": "TextualBody", "purpose": "tagging", "value": tag.name}
        for tag in annotation.tags.all()
    ]
    return {
        "@context": [ANNO_CONTEXT, KAYNAK_CONTEXT],
        "id": f"urn:kaynak:annotation:{annotation.pk}",
        "type": "Annotation",
        "motivation": "commenting" if annotation.comment else "highlighting",
        "created": annotation.created_at.isoformat(timespec="microseconds"),
        "modified": annotation.modified_at.isoformat(timespec="microseconds"),
        "body": body,
        "target": {
            "source": f"urn:kaynak:document:{annotation.document_id}",
            "selector": [
                {
                    "type": "TextQuoteSelector",
                    "exact": annotation.quote,
                    "prefix": annotation.prefix,
                    "suffix": annotation.suffix,
                },
                {"type": "TextPositionSelector", "start": annotation.start, "end": annotation.end},
            ],
        },
        "kaynak:records": records,
    }


class AnnotationsPart:
    name = "annotations"
    optional = True

    def export_records(self, *, document_ids: Sequence[int] | None) -> Iterator[Any]:
        annotations = Annotation.objects.order_by("pk").prefetch_related("tags")
        if document_ids is not None:
            annotations = annotations.filter(document__in=document_ids)
        ids = annotations.values("pk")
        streams = {
            "source_tags": _grouped(
                SourceTag.objects.filter(annotation__in=ids).order_by("annotation_id", "pk"),
                "annotation_id",
            ),
            "replies": _grouped(
                Reply.objects.filter(annotation__in=ids).order_by("annotation_id", "pk"),
                "annotation_id",
            ),
            "revisions": _grouped(
                AnnotationRevision.objects.filter(annotation__in=ids).order_by(
                    "annotation_id", "version"
                ),
                "annotation_id",
            ),
        }
        pending = {name: next(stream, None) for name, stream in streams.items()}
        for annotation in annotations.iterator(chunk_size=_CHUNK):
            records: dict[str, Any] = {"annotation": row(annotation)}
            for name, stream in streams.items():
                owned: list[Any] = []
                while (head := pending[name]) is not None and head[0] < annotation.pk:
                    pending[name] = next(stream, None)
                if (head := pending[name]) is not None and head[0] == annotation.pk:
                    owned, pending[name] = head[1], next(stream, None)
                records[name] = [row(item) for item in owned]
            yield _w3c(annotation, records)

    def known_fields(self) -> dict[str, set[str]]:
        return {
            model._meta.label_lower: field_names(model)
            for model in (Annotation, SourceTag, Reply, AnnotationRevision)
        }

    def records_of(self, record: Any) -> list[Any]:
        records = record.get("kaynak:records") if isinstance(record, dict) else None
        if not isinstance(records, dict) or set(records) != {
            "annotation",
            "source_tags",
            "replies",
            "revisions",
        }:
            return [{"model": "kaynak:records", "fields": {}}]
        return [records["annotation"], *records["source_tags"], *records["replies"]] + records[
            "revisions"
        ]

    def _links(self, record: Any) -> list[Link]:
        links = []
        for revision in record["kaynak:records"]["revisions"]:
            instance = cast(AnnotationRevision, built(revision).object)
            links.append(
                Link(
                    instance.version,
                    instance.previous_hash,
                    instance.revision_hash,
                    instance.compute_hash(),
                    f"revision {instance.version} ({instance.action})",
                )
            )
        return links

    def chain_problems(self, records: Sequence[Any]) -> list[str]:
        problems = []
        for record in records:
            broken = chain_break(self._links(record), entry="revision")
            if broken:
                pk = record["kaynak:records"]["annotation"]["pk"]
                problems.append(f"annotation {pk}'s chain is broken: {broken}")
        return problems

    def chain_hashes(self, records: Sequence[Any]) -> list[tuple[str, int, dict[int, str]]]:
        return [
            (
                "annotation",
                record["kaynak:records"]["annotation"]["pk"],
                {
                    revision["fields"]["version"]: revision["fields"]["revision_hash"]
                    for revision in record["kaynak:records"]["revisions"]
                },
            )
            for record in records
        ]

    def restore_records(
        self,
        *,
        records: Sequence[Any],
        users: dict[int, int],
        groups: dict[int, int],
        document_ids: set[int],
        merge: bool,
    ) -> list[str]:
        conflicts = []
        for record in records:
            rows = record["kaynak:records"]
            annotation = rows["annotation"]
            if annotation["fields"]["document"] not in document_ids:
                continue  # its document was here already (merge): left as it is
            if Annotation.objects.filter(pk=annotation["pk"]).exists():
                conflicts.append(f"annotation {annotation['pk']} is another one here")
                continue
            group = annotation["fields"].get("group")
            insert_record(annotation, group_id=groups.get(group) if group is not None else None)
            for item in rows["source_tags"] + rows["replies"] + rows["revisions"]:
                insert_record(item)
        return conflicts
