"""What a lower layer hands to the layer above it, by plain function registration.

Services announce what they changed: `documents_changed(ids)` (archive) and
`annotations_changed(ids)` (annotations), called in the service's transaction; the search app
subscribes in SearchConfig.ready() and queues its index updates there. Plain functions rather
than model signals, so every announcement is an explicit, grep-able call in a service.

`archive` merges sources; passages attributed to those sources belong to `annotations`,
which `archive` must not import. So a merge hands the source tags over through here: the
annotations app registers its handler in AnnotationsConfig.ready(), and the merge calls it
(without it installed, there are no source tags to move).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

from kaynak.users import Person

# A source tag moved by a merge: [tag id, the source it named before].
TagMove = list[int]
# A source tag a merge removed because the target already had the same one:
# {"id", "annotation", "source", "role"}.
TagRemoval = dict[str, Any]


class SourceTagHandler(Protocol):
    def merge_plan(
        self, *, source_ids: Sequence[int], into_id: int
    ) -> tuple[list[TagMove], list[TagRemoval]]:
        """Which tags of `source_ids` move to `into_id`, and which collapse into a tag the
        annotation has already."""
        ...

    def merge_apply(
        self,
        *,
        moves: Sequence[TagMove],
        removals: Sequence[TagRemoval],
        into_id: int,
        actor: Person | None,
        reason: str,
    ) -> None:
        """Carry out a plan, recording a revision on every annotation it changes."""
        ...

    def unmerge_conflicts(self, *, moves: Sequence[TagMove], into_id: int) -> list[str]:
        """What stops the moves being undone (tags changed or removed since)."""
        ...

    def unmerge_apply(
        self,
        *,
        moves: Sequence[TagMove],
        removals: Sequence[TagRemoval],
        actor: Person | None,
        reason: str,
    ) -> None:
        """Put back what a merge moved and removed, recording a revision on every annotation
        it changes."""
        ...


class _NoSourceTags:
    def merge_plan(
        self, *, source_ids: Sequence[int], into_id: int
    ) -> tuple[list[TagMove], list[TagRemoval]]:
        return [], []

    def merge_apply(self, **kwargs: Any) -> None:
        pass

    def unmerge_conflicts(self, **kwargs: Any) -> list[str]:
        return []

    def unmerge_apply(self, **kwargs: Any) -> None:
        pass


_source_tags: SourceTagHandler = _NoSourceTags()


def register_source_tags(handler: SourceTagHandler) -> None:
    global _source_tags
    _source_tags = handler


def source_tags() -> SourceTagHandler:
    return _source_tags


# --- Bags: parts of an archival package that belong to the layers above `archive` ------------


class BagPart(Protocol):
    """What an app above `archive` puts into a bag and takes back out (annotations and tags
    belong to `annotations`). `name` is the file the part is written to under data/."""

    name: str
    optional: bool  # written only when asked for (`export_bag --with-annotations`)

    def export_records(self, *, document_ids: Sequence[int] | None) -> Any:
        """An iterable of JSON-ready records: everything of the part that concerns those
        documents (all when None)."""
        ...

    def known_fields(self) -> dict[str, set[str]]:
        """{model label: the field names a record of it may carry}: a bag from a newer
        Kaynak with fields this one does not know is refused."""
        ...

    def records_of(self, record: Any) -> list[Any]:
        """The model rows ({model, pk, fields}) one record of the part carries."""
        ...

    def chain_problems(self, records: Sequence[Any]) -> list[str]:
        """Each broken chain among the records, named."""
        ...

    def chain_hashes(self, records: Sequence[Any]) -> list[tuple[str, int, dict[int, str]]]:
        """(chain name, owner id, {sequence: hash}) for each chain the records carry."""
        ...

    def restore_records(
        self,
        *,
        records: Sequence[Any],
        users: dict[int, int],
        groups: dict[int, int],
        document_ids: set[int],
        merge: bool,
    ) -> list[str]:
        """Insert the records exactly (ids, hashes), for the documents in `document_ids`;
        `users` and `groups` map the bag's ids to this archive's. Returns the conflicts
        found (with `merge`, records already here are left as they are)."""
        ...


_bag_parts: dict[str, BagPart] = {}


def register_bag_part(part: BagPart) -> None:
    _bag_parts[part.name] = part


def bag_parts() -> list[BagPart]:
    """The parts in the order they were registered (a part may refer to an earlier one:
    annotations to tags)."""
    return list(_bag_parts.values())


# --- The search index, rebuilt after a restore -----------------------------------------------

_index_rebuild: list[Any] = []


def register_index_rebuild(rebuild: Any) -> None:
    """`rebuild()` rebuilds the whole search index from the database (the search layer
    registers it; `import_bag` calls it once its transaction has committed)."""
    _index_rebuild[:] = [rebuild]


def rebuild_search_index() -> bool:
    """Rebuild the index if a search layer registered how; False when none did."""
    for rebuild in _index_rebuild:
        rebuild()
        return True
    return False


# --- What changed ----------------------------------------------------------------------------

# Called with the sorted, distinct ids of what changed, inside the changing transaction.
ChangeListener = Callable[[list[int]], None]

_documents_changed: list[ChangeListener] = []
_documents_resent: list[ChangeListener] = []
_annotations_changed: list[ChangeListener] = []


def _subscribe(listeners: list[ChangeListener], listener: ChangeListener) -> None:
    if listener not in listeners:  # ready() may run again (tests); announce once each
        listeners.append(listener)


def _announce(listeners: list[ChangeListener], ids: Iterable[int]) -> None:
    distinct = sorted(set(ids))
    if distinct:
        for listener in listeners:
            listener(distinct)


def on_documents_changed(listener: ChangeListener) -> None:
    _subscribe(_documents_changed, listener)


def on_documents_resent(listener: ChangeListener) -> None:
    _subscribe(_documents_resent, listener)


def on_annotations_changed(listener: ChangeListener) -> None:
    _subscribe(_annotations_changed, listener)


def documents_changed(ids: Iterable[int]) -> None:
    """These documents were added, edited, withdrawn or restored, or a source they name was."""
    _announce(_documents_changed, ids)


def documents_resent(ids: Iterable[int]) -> None:
    """These documents, already in the archive, were sent again (a duplicate upload): a
    listener may take it as a request to put right what it derived from them."""
    _announce(_documents_resent, ids)


def annotations_changed(ids: Iterable[int]) -> None:
    """These annotations were created, edited, hidden or deleted in a way readers can see."""
    _announce(_annotations_changed, ids)
