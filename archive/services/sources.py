from __future__ import annotations

from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import Q

from archive.ingest import SourceName
from archive.models import Document, Source, SourceAlias, SourceKind
from archive.search import schedule_index_update
from archive.text import normalize_name
from kaynak.errors import KaynakError
from kaynak.slugs import unique_slug


def _clean(name: str) -> str:
    return " ".join(name.split())


def check_source_names_free(names: Iterable[str], *, source: Source | None = None) -> None:
    """Refuse names that are empty or already a name of a source other than `source`."""
    keys = {normalize_name(name): name for name in names}
    if "" in keys:
        raise KaynakError("a source name must contain letters or digits", code="bad_name")
    taken = SourceAlias.objects.filter(normalized_name__in=keys).select_related("source")
    for alias in taken:
        if alias.source_id != getattr(source, "pk", None):
            raise KaynakError(
                f"{keys[alias.normalized_name]!r} is already a name of the source "
                f"{alias.source.name!r} (as {alias.name!r})",
                code="name_taken",
                source=alias.source.slug,
            )


@transaction.atomic
def source_create(
    *,
    name: str,
    kind: str = SourceKind.OTHER,
    aliases: Iterable[str] = (),
    description: str = "",
    url: str = "",
) -> Source:
    """A new source, its name and `aliases` all registered as aliases. A name that matches an
    existing alias (case- and diacritic-insensitively) is refused."""
    names = [_clean(name), *(_clean(alias) for alias in aliases)]
    check_source_names_free(names)
    source = Source.objects.create(
        name=names[0],
        slug=unique_slug(names[0], Source.objects.all(), fallback="source"),
        kind=kind,
        description=description,
        url=url,
    )
    keys = {normalize_name(alias_name): alias_name for alias_name in reversed(names)}
    SourceAlias.objects.bulk_create(
        SourceAlias(source=source, name=alias_name, normalized_name=key)
        for key, alias_name in keys.items()
    )
    return source


@transaction.atomic
def source_update(
    *, source: Source, name: str, kind: str, description: str = "", url: str = ""
) -> Source:
    """Change a source's fields. A new name becomes an alias; the old one stays one, so
    documents that spell it the old way still resolve here."""
    name = _clean(name)
    check_source_names_free([name], source=source)
    source.name, source.kind, source.description, source.url = name, kind, description, url
    source.save(update_fields=["name", "kind", "description", "url"])
    source_alias_add(source=source, name=name)
    _reindex_documents_of(source)
    return source


@transaction.atomic
def source_alias_add(*, source: Source, name: str) -> SourceAlias:
    name = _clean(name)
    check_source_names_free([name], source=source)
    alias, created = SourceAlias.objects.get_or_create(
        normalized_name=normalize_name(name), defaults={"source": source, "name": name}
    )
    if created:
        _reindex_documents_of(source)
    return alias


@transaction.atomic
def source_alias_remove(*, alias: SourceAlias) -> None:
    if alias.normalized_name == normalize_name(alias.source.name):
        raise KaynakError(
            f"{alias.name!r} is the source's own name; rename the source first",
            code="alias_is_name",
        )
    alias.delete()
    _reindex_documents_of(alias.source)


def _reindex_documents_of(source: Source) -> None:
    """A source's names are indexed with the documents it published or reprinted
    (`outlet:`, `reprinter:`) and those whose annotations attribute passages to it
    (`source:`)."""
    schedule_index_update(
        Document.objects.filter(
            Q(original_outlet=source)
            | Q(reprinter=source)
            | Q(annotations__source_tags__source=source)
        )
        .values_list("pk", flat=True)
        .distinct()
    )


def sources_resolve(references: Iterable[SourceName]) -> dict[SourceName, Source]:
    """The sources documents name, found through the aliases in one query, or created (of
    the kind the layout implies) when none of a reference's names matches."""
    keys = {
        reference: [normalize_name(name) for name in (reference.name, *reference.aliases)]
        for reference in set(references)
    }
    known = {
        alias.normalized_name: alias.source
        for alias in SourceAlias.objects.filter(
            normalized_name__in={key for names in keys.values() for key in names}
        ).select_related("source")
    }
    resolved = {}
    # In a fixed order, so that two processes creating the same sources take the database's
    # locks in the same order and wait for each other instead of deadlocking.
    for reference, names in sorted(keys.items(), key=lambda item: item[1]):
        source = next((known[key] for key in names if key in known), None)
        if source is None:
            source = _source_create_once(reference, names)
            known.update(dict.fromkeys(names, source))
        resolved[reference] = source
    return resolved


def _source_create_once(reference: SourceName, keys: list[str]) -> Source:
    try:
        with transaction.atomic():
            return source_create(
                name=reference.name, kind=reference.kind, aliases=reference.aliases
            )
    except (IntegrityError, KaynakError):
        # Another process created it between our look-up and our insert (its uncommitted
        # row made ours fail, or its committed alias made the name taken).
        alias = (
            SourceAlias.objects.select_related("source").filter(normalized_name__in=keys).first()
        )
        if alias is None:
            raise
        return alias.source
