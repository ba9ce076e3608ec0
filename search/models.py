"""The search app's tables: saved searches (a document or annotation search kept under a name,
private to its owner or shared with one of the owner's groups), and the PostgreSQL backend's
index (`search.backends.postgres`; the tables exist on every database so that migrations run
anywhere, and only the postgres backend writes them)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from django.utils import timezone

NAME_MAX_LENGTH = 120


class SearchKind(models.TextChoices):
    DOCUMENTS = "documents", "Documents"
    ANNOTATIONS = "annotations", "Annotations"


class SavedSearchQuerySet(models.QuerySet["SavedSearch"]):
    def live(self) -> SavedSearchQuerySet:
        return self.filter(deleted_at__isnull=True)


class SavedSearch(models.Model):
    """A search kept under a name. Deleting one marks it deleted: its events keep the record
    of what it was."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="saved_searches"
    )
    name = models.CharField(max_length=NAME_MAX_LENGTH)
    kind = models.CharField(max_length=12, choices=SearchKind.choices)
    query = models.TextField(blank=True, help_text="The query text, as typed.")
    filters = models.JSONField(
        default=dict,
        blank=True,
        help_text="Filter parameters of the search, name: list of values (as in its URL).",
    )
    sort = models.CharField(max_length=20, blank=True, help_text="Empty: the search's default.")
    shared_with_group = models.ForeignKey(
        Group,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="A group of the owner whose members may see and run it; empty: private.",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    deleted_at = models.DateTimeField(null=True, blank=True)

    objects = SavedSearchQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "name"],
                condition=Q(deleted_at__isnull=True),
                name="%(app_label)s_%(class)s_unique_live_name",
            ),
            models.CheckConstraint(condition=~Q(name=""), name="%(app_label)s_%(class)s_has_name"),
            models.CheckConstraint(
                condition=Q(kind__in=SearchKind.values), name="%(app_label)s_%(class)s_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_shared(self) -> bool:
        return self.shared_with_group_id is not None


class SavedSearchAction(models.TextChoices):
    CREATED = "created", "Created"
    UPDATED = "updated", "Updated"
    DELETED = "deleted", "Deleted"


class SavedSearchEvent(models.Model):
    """One change of a saved search: append-only, enforced by database triggers."""

    saved_search = models.ForeignKey(SavedSearch, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(max_length=10, choices=SavedSearchAction.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    occurred_at = models.DateTimeField(default=timezone.now)
    changes = models.JSONField(default=dict, help_text="Field: {before, after}.")

    class Meta:
        ordering = ["saved_search_id", "occurred_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=SavedSearchAction.values),
                name="%(app_label)s_%(class)s_action_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.action} saved search {self.saved_search_id}"


class SavedSearchSeen(models.Model):
    """When a user last opened a saved search and how many results it had then: each person
    who runs a shared search has a marker of their own."""

    saved_search = models.ForeignKey(SavedSearch, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    seen_at = models.DateTimeField()
    seen_total = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["saved_search", "user"], name="%(app_label)s_%(class)s_one_per_user"
            ),
        ]

    def __str__(self) -> str:
        return f"saved search {self.saved_search_id} seen by {self.user_id}"


class SearchEntry(models.Model):
    """One document's index entry: its terms as a tsvector (built in Python by the same
    analysers as Whoosh's, see `search.backends.postgres`) and the columns filters, facets and
    sorting read. Not a foreign key: like a Whoosh entry it outlives a document deleted behind
    the index's back, and `search_index check` reports it as orphaned."""

    document_id = models.BigIntegerField(primary_key=True)
    fingerprint = models.CharField(max_length=64, help_text="Digest of the indexed values.")
    vector = SearchVectorField()
    language = models.CharField(max_length=16, blank=True)
    published = models.IntegerField(null=True, help_text="Original publication as YYYYMMDD.")
    reprinted = models.IntegerField(null=True, help_text="Reprint date as YYYYMMDD.")
    year = models.IntegerField(null=True)
    outlet_id = models.BigIntegerField(null=True)
    reprinter_id = models.BigIntegerField(null=True)
    tag_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    source_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)

    def __str__(self) -> str:
        return f"index entry of document {self.document_id}"


class SearchTerm(models.Model):
    """The index's vocabulary by field with each term's document frequency, for fuzzy words,
    wildcards, "did you mean" and similar documents. Kept by the same index writes as the
    entries (in their transaction); a rebuild counts it afresh from the entries."""

    field = models.CharField(max_length=16)
    term = models.CharField(max_length=200)
    documents = models.IntegerField(default=0, help_text="Entries holding the term.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["field", "term"], name="%(app_label)s_%(class)s_unique")
        ]

    def __str__(self) -> str:
        return f"{self.field}:{self.term}"


class SearchIndexState(models.Model):
    """One row per backend: when its index was last repaired or rebuilt."""

    backend = models.CharField(max_length=16, primary_key=True)
    repaired_at = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return f"{self.backend} index, repaired {self.repaired_at}"
