"""The PostgreSQL backend's index (`search.backends.postgres`). The tables exist on every
database so that migrations run anywhere; only the postgres backend writes them."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.search import SearchVectorField
from django.db import models


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
