"""Source curation and document withdrawal, through the services the admin and API share."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from annotations.services import SourceTagInput, annotation_create
from archive.models import Document, EventType, Source, SourceEvent, SourceEventType
from archive.selectors import document_list, source_lookup
from archive.services import (
    document_restore,
    document_withdraw,
    source_alias_add,
    source_alias_remove,
    source_merge,
    source_unmerge,
    source_update,
)
from archive.text import normalize_name
from kaynak.errors import KaynakError
from tests.factories import DocumentFactory, SourceFactory

pytestmark = pytest.mark.django_db


def names_of(source: Source) -> set[str]:
    return set(source.aliases.values_list("normalized_name", flat=True))


@pytest.fixture
def spellings(researcher):
    """One outlet entered three ways, with documents and a source tag each."""
    main = SourceFactory(name="Hürriyet Daily News")
    copy = SourceFactory(name="Hurriyet Daily", aliases=["HDN"])
    third = SourceFactory(name="Hurriyet Gazetesi English")
    as_outlet = DocumentFactory(outlet_line="Hurriyet Daily, March 3 2017")
    as_reprinter = DocumentFactory()
    Document.objects.filter(pk=as_reprinter.pk).update(reprinter=copy)
    annotation = annotation_create(
        document=as_outlet,
        creator=researcher,
        quote="bridge",
        source_tags=[SourceTagInput(copy.slug, "claimed_by"), SourceTagInput(third.slug, "quoted")],
    )
    return main, copy, third, as_outlet, as_reprinter, annotation


# --- events for every change --------------------------------------------------------------


def test_rename_records_who_when_and_before_after(curator) -> None:
    source = SourceFactory(name="Northern Ledger", kind="outlet")
    source_update(source=source, actor=curator, name="Northern Ledger Weekly", kind="agency")
    event = SourceEvent.objects.get(source=source, event_type=SourceEventType.CHANGE)
    assert event.actor == curator
    assert event.detail["changes"] == {
        "name": {"before": "Northern Ledger", "after": "Northern Ledger Weekly"},
        "kind": {"before": "outlet", "after": "agency"},
    }
    assert {"northern ledger", "northern ledger weekly"} <= names_of(source)


def test_alias_add_and_remove_are_each_recorded(curator) -> None:
    source = SourceFactory(name="Northern Ledger")
    alias = source_alias_add(source=source, name="The Ledger", actor=curator)
    source_alias_remove(alias=alias, actor=curator)
    types = list(SourceEvent.objects.filter(source=source).values_list("event_type", flat=True))
    assert types == ["creation", "alias_added", "alias_removed"]
    assert SourceEvent.objects.filter(source=source).last().detail["alias"]["name"] == "The Ledger"


def test_source_events_are_append_only(curator) -> None:
    source = SourceFactory()
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        SourceEvent.objects.filter(source=source).update(reason="rewritten")
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        SourceEvent.objects.filter(source=source).delete()


def test_an_unchanged_update_records_nothing(curator) -> None:
    source = SourceFactory(name="Northern Ledger", kind="outlet")
    source_update(source=source, actor=curator, name="Northern Ledger", kind="outlet")
    assert SourceEvent.objects.filter(source=source).count() == 1  # the creation


# --- merge ----------------------------------------------------------------------------------


def test_merge_repoints_documents_and_tags_and_moves_names(spellings, curator) -> None:
    main, copy, third, as_outlet, as_reprinter, annotation = spellings
    event = source_merge(sources=[copy, third], into=main, actor=curator, reason="one outlet")

    as_outlet.refresh_from_db()
    as_reprinter.refresh_from_db()
    assert as_outlet.original_outlet == main
    assert as_reprinter.reprinter == main
    assert set(annotation.source_tags.values_list("source_id", "role")) == {
        (main.pk, "claimed_by"),
        (main.pk, "quoted"),
    }
    assert {"hurriyet daily", "hdn", "hurriyet gazetesi english"} <= names_of(main)
    for tombstone in (copy, third):
        tombstone.refresh_from_db()
        assert tombstone.merged_into == main
        assert not tombstone.aliases.exists()
    assert event.event_type == SourceEventType.MERGE
    assert (event.actor, event.reason) == (curator, "one outlet")


def test_a_tombstone_slug_resolves_to_the_target(spellings, curator) -> None:
    main, copy, *_ = spellings
    source_merge(sources=[copy], into=main, actor=curator, reason="same outlet")
    assert source_lookup(copy.slug) == (main, Source.objects.get(pk=copy.pk))


def test_merge_collapses_duplicate_tags_and_unmerge_restores_them(researcher, curator) -> None:
    main, copy = SourceFactory(name="Port Authority"), SourceFactory(name="Harbour Authority")
    annotation = annotation_create(
        document=DocumentFactory(),
        creator=researcher,
        quote="bridge",
        source_tags=[
            SourceTagInput(main.slug, "claimed_by"),
            SourceTagInput(copy.slug, "claimed_by"),
        ],
    )
    event = source_merge(sources=[copy], into=main, actor=curator, reason="same body")
    assert list(annotation.source_tags.values_list("source_id", "role")) == [
        (main.pk, "claimed_by")
    ]
    source_unmerge(event=event, actor=curator, reason="they differ")
    assert set(annotation.source_tags.values_list("source_id", "role")) == {
        (main.pk, "claimed_by"),
        (copy.pk, "claimed_by"),
    }


def test_merge_into_itself_is_refused(curator) -> None:
    source = SourceFactory()
    with pytest.raises(KaynakError, match="into itself"):
        source_merge(sources=[source], into=source, actor=curator, reason="x")


def test_merge_into_a_tombstone_is_refused(curator) -> None:
    first, second, third = SourceFactory(), SourceFactory(), SourceFactory()
    source_merge(sources=[first], into=second, actor=curator, reason="x")
    with pytest.raises(KaynakError, match="was itself merged into") as refusal:
        source_merge(sources=[third], into=first, actor=curator, reason="x")
    assert refusal.value.code == "merge_into_tombstone"


def test_merge_that_would_make_a_cycle_is_refused(curator) -> None:
    first, second = SourceFactory(name="First Outlet"), SourceFactory(name="Second Outlet")
    source_merge(sources=[first], into=second, actor=curator, reason="x")
    with pytest.raises(KaynakError, match="cycle"):
        source_merge(sources=[second], into=first, actor=curator, reason="x")
    second.refresh_from_db()
    assert second.is_live


def test_merge_of_an_already_merged_source_is_refused(curator) -> None:
    first, second, third = SourceFactory(), SourceFactory(), SourceFactory()
    source_merge(sources=[first], into=second, actor=curator, reason="x")
    with pytest.raises(KaynakError, match="already merged"):
        source_merge(sources=[first], into=third, actor=curator, reason="x")


def test_merge_without_a_reason_is_refused_and_changes_nothing(spellings, curator) -> None:
    main, copy, *_ = spellings
    with pytest.raises(KaynakError, match="say why"):
        source_merge(sources=[copy], into=main, actor=curator, reason="  ")
    copy.refresh_from_db()
    assert copy.is_live and "hdn" in names_of(copy)


def test_earlier_tombstones_point_straight_to_the_new_target(curator) -> None:
    old, middle, final = SourceFactory(), SourceFactory(), SourceFactory()
    source_merge(sources=[old], into=middle, actor=curator, reason="x")
    source_merge(sources=[middle], into=final, actor=curator, reason="x")
    old.refresh_from_db()
    assert old.merged_into == final


def test_a_tombstone_cannot_be_renamed(curator) -> None:
    first, second = SourceFactory(), SourceFactory()
    source_merge(sources=[first], into=second, actor=curator, reason="x")
    with pytest.raises(KaynakError, match="was merged into"):
        source_update(source=first, actor=curator, name="Something Else")


# --- unmerge --------------------------------------------------------------------------------


def test_unmerge_restores_exactly_what_the_merge_moved(spellings, curator) -> None:
    main, copy, third, as_outlet, as_reprinter, annotation = spellings
    before = {
        "names": {source.pk: names_of(source) for source in (main, copy, third)},
        "tags": set(annotation.source_tags.values_list("pk", "source_id", "role")),
    }
    merge = source_merge(sources=[copy, third], into=main, actor=curator, reason="one outlet")
    unmerge = source_unmerge(event=merge, actor=curator, reason="they are distinct")

    assert {source.pk: names_of(source) for source in (main, copy, third)} == before["names"]
    assert set(annotation.source_tags.values_list("pk", "source_id", "role")) == before["tags"]
    as_outlet.refresh_from_db()
    as_reprinter.refresh_from_db()
    assert (as_outlet.original_outlet, as_reprinter.reprinter) == (copy, copy)
    assert all(Source.objects.get(pk=source.pk).is_live for source in (copy, third))
    assert unmerge.undoes == merge and unmerge.event_type == SourceEventType.UNMERGE


def test_a_merge_can_be_undone_only_once(spellings, curator) -> None:
    main, copy, *_ = spellings
    merge = source_merge(sources=[copy], into=main, actor=curator, reason="x")
    source_unmerge(event=merge, actor=curator, reason="y")
    with pytest.raises(KaynakError, match="already undone"):
        source_unmerge(event=merge, actor=curator, reason="y")


def test_unmerge_refuses_when_a_moved_document_was_edited_since(spellings, curator) -> None:
    main, copy, _, as_outlet, *_ = spellings
    other = SourceFactory(name="Some Other Outlet")
    merge = source_merge(sources=[copy], into=main, actor=curator, reason="x")
    Document.objects.filter(pk=as_outlet.pk).update(original_outlet=other)
    with pytest.raises(KaynakError, match=f"document {as_outlet.pk}'s original outlet") as refusal:
        source_unmerge(event=merge, actor=curator, reason="y")
    assert refusal.value.code == "unmerge_conflict"
    assert Source.objects.get(pk=copy.pk).merged_into == main  # nothing half-undone


def test_unmerge_refuses_when_a_moved_alias_was_removed_since(spellings, curator) -> None:
    main, copy, *_ = spellings
    merge = source_merge(sources=[copy], into=main, actor=curator, reason="x")
    source_alias_remove(
        alias=main.aliases.get(normalized_name=normalize_name("HDN")), actor=curator
    )
    with pytest.raises(KaynakError, match=r"alias \d+ was removed or moved"):
        source_unmerge(event=merge, actor=curator, reason="y")


def test_unmerge_refuses_when_the_target_was_merged_on(spellings, curator) -> None:
    main, copy, third, *_ = spellings
    merge = source_merge(sources=[copy], into=main, actor=curator, reason="x")
    source_merge(sources=[main], into=third, actor=curator, reason="x")
    with pytest.raises(KaynakError, match="undo that first"):
        source_unmerge(event=merge, actor=curator, reason="y")


def test_only_a_merge_event_can_be_unmerged(curator) -> None:
    source = SourceFactory()
    creation = SourceEvent.objects.get(source=source)
    with pytest.raises(KaynakError, match="not a merge"):
        source_unmerge(event=creation, actor=curator, reason="y")


# --- withdraw / restore -----------------------------------------------------------------------


def test_withdrawal_hides_the_document_from_researchers_not_curators(researcher, curator) -> None:
    document = DocumentFactory()
    document_withdraw(document=document, actor=curator, agent="test", reason="duplicate scan")
    assert document.pk not in document_list(user=researcher).values_list("pk", flat=True)
    assert document.pk in document_list(user=curator).values_list("pk", flat=True)


def test_withdraw_and_restore_each_record_an_event_and_keep_everything(researcher, curator):
    document = DocumentFactory()
    annotation = annotation_create(document=document, creator=researcher, quote="bridge")
    document_withdraw(document=document, actor=curator, agent="test", reason="wrong outlet")
    document_restore(document=document, actor=curator, agent="test")
    events = list(document.events.order_by("sequence").values_list("event_type", "actor_id"))
    assert events[-2:] == [(EventType.WITHDRAWAL, curator.pk), (EventType.RESTORATION, curator.pk)]
    withdrawal = document.events.get(event_type=EventType.WITHDRAWAL).detail
    assert withdrawal["reason"] == "wrong outlet"
    assert withdrawal["changes"]["withdrawal_reason"] == {"before": "", "after": "wrong outlet"}
    restoration = document.events.get(event_type=EventType.RESTORATION).detail
    assert restoration["changes"]["withdrawn_at"]["after"] is None
    document.refresh_from_db()
    assert not document.is_withdrawn
    assert document.annotations.filter(pk=annotation.pk).exists()


def test_withdrawal_needs_a_reason(curator) -> None:
    document = DocumentFactory()
    with pytest.raises(KaynakError, match="say why"):
        document_withdraw(document=document, actor=curator, agent="test", reason="")
    assert not Document.objects.get(pk=document.pk).is_withdrawn


def test_withdrawing_twice_and_restoring_a_current_document_are_refused(curator) -> None:
    document = DocumentFactory()
    with pytest.raises(KaynakError, match="is not withdrawn"):
        document_restore(document=document, actor=curator, agent="test")
    document_withdraw(document=document, actor=curator, agent="test", reason="x")
    with pytest.raises(KaynakError, match="already withdrawn"):
        document_withdraw(document=document, actor=curator, agent="test", reason="x")


def test_the_database_refuses_a_withdrawal_without_a_reason() -> None:
    document = DocumentFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Document.objects.filter(pk=document.pk).update(withdrawn_at="2020-01-01T00:00:00Z")
