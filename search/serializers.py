"""What the search API reads and answers."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.urls import reverse
from rest_framework import serializers

from annotations.serializers import AnnotationFilterSerializer, AnnotationSerializer
from archive.serializers import DocumentSummarySerializer
from search.annotation_search import QUERY_FIELDS, SORTS
from search.models import NAME_MAX_LENGTH, SavedSearch, SearchKind
from search.permissions import can_change_saved_search
from search.query import MAX_QUERY_LENGTH


class SearchParamsSerializer(serializers.Serializer):
    q = serializers.CharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        help_text=(
            "The query. Words are ANDed; also `AND`, `OR`, `NOT`, parentheses, "
            '`"phrases"`, `prefix*` (two letters at least), `fuzzy~` (one edit for up to five '
            "letters, two beyond) / `fuzzy~1` / `fuzzy~2`, fields "
            "`title:`, `outlet:`, `reprinter:`, `tag:`, `source:`, `language:`, and dates "
            "`published:2017`, `published:2017-09`, `published:[2017-01-01 TO 2017-09-30]`, "
            "`reprinted:>2018-01-01` (also `>=`, `<`, `<=`). Hyphenated and apostrophised "
            "words are searched as written (`al-Ani`, `Iraq's` also finds `Iraqs`). Case, "
            "Turkish dotted/dotless i and diacritics are ignored (`AVİM` = `avim`). Empty: "
            "every document."
        ),
    )
    outlet = serializers.ListField(
        child=serializers.SlugField(), required=False, help_text="Outlet slugs (any of)."
    )
    reprinter = serializers.ListField(child=serializers.SlugField(), required=False)
    source = serializers.ListField(  # type: ignore[assignment]  # a field named like Field.source (the stubs type fields as that attribute)
        child=serializers.SlugField(), required=False, help_text="Source-tag slugs (any of)."
    )
    tag = serializers.ListField(
        child=serializers.SlugField(), required=False, help_text="Tag slugs (any of)."
    )
    year = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=9999), required=False
    )
    language = serializers.CharField(
        required=False,
        max_length=16,
        help_text="Documents in this language only (`en`, `tr`: the values of facets.language).",
    )
    published_from = serializers.DateField(
        required=False, help_text="Originals published on or after this day (YYYY-MM-DD)."
    )
    published_to = serializers.DateField(
        required=False, help_text="Originals published on or before this day."
    )
    reprinted_from = serializers.DateField(
        required=False, help_text="Reprinted on or after this day (YYYY-MM-DD)."
    )
    reprinted_to = serializers.DateField(
        required=False, help_text="Reprinted on or before this day."
    )
    sort = serializers.ChoiceField(
        choices=["relevance", "published", "-published", "reprinted", "-reprinted"],
        default="relevance",
        help_text="Relevance, or original (`published`) or reprint date; `-` for newest first.",
    )
    page = serializers.IntegerField(min_value=1, default=1)
    page_size = serializers.IntegerField(min_value=1, max_value=100, default=20)

    def validate(self, attrs: dict) -> dict:
        for name in ("published", "reprinted"):
            start, end = attrs.get(f"{name}_from"), attrs.get(f"{name}_to")
            if start and end and start > end:
                raise serializers.ValidationError(
                    {f"{name}_to": f"{name}_to ({end}) is before {name}_from ({start})"}
                )
        return attrs


class FacetValueSerializer(serializers.Serializer):
    value = serializers.CharField(help_text="What to pass as the filter parameter.")
    label = serializers.CharField()  # type: ignore[assignment]  # a field named like Field.label (the stubs type fields as that attribute)
    count = serializers.IntegerField()


class FacetsSerializer(serializers.Serializer):
    outlet = FacetValueSerializer(many=True)
    reprinter = FacetValueSerializer(many=True)
    year = FacetValueSerializer(many=True)
    tag = FacetValueSerializer(many=True)
    source = FacetValueSerializer(many=True)  # type: ignore[assignment]  # a field named like Field.source
    language = FacetValueSerializer(
        many=True, help_text="Document languages (BCP 47 codes), for the `language` filter."
    )


class SearchHitSerializer(serializers.Serializer):
    document = DocumentSummarySerializer()
    score = serializers.FloatField(
        allow_null=True, help_text="Relevance; null when sorted by date."
    )
    snippets = serializers.ListField(
        child=serializers.CharField(),
        help_text="HTML: escaped text, with matches in <mark> elements (the only markup).",
    )


class SearchResultsSerializer(serializers.Serializer):
    query = serializers.CharField()
    total = serializers.IntegerField()
    page = serializers.IntegerField()
    page_size = serializers.IntegerField()
    pages = serializers.IntegerField()
    sort = serializers.CharField()
    results = SearchHitSerializer(many=True)
    facets = FacetsSerializer(help_text="Counts over the whole result set.")
    suggestion = serializers.CharField(
        allow_null=True, help_text="A corrected query when nothing matched and one exists."
    )


class SimilarDocumentSerializer(serializers.Serializer):
    document = DocumentSummarySerializer()
    score = serializers.FloatField(
        help_text=(
            "Similarity from 0 to 1 (the document's own score against its key terms is 1); "
            "at least KAYNAK_SIMILAR_MIN_SIMILARITY."
        )
    )


class AnnotationSearchParamsSerializer(AnnotationFilterSerializer):
    q = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=MAX_QUERY_LENGTH,
        help_text=(
            "The query language of document search, over quotes, comments, replies, tag names "
            "and source names and aliases; fields: " + ", ".join(QUERY_FIELDS) + "."
        ),
    )
    sort = serializers.ChoiceField(
        choices=SORTS,
        required=False,
        help_text="relevance (the default with q), newest, oldest, document (the default without).",
    )


class AnnotationFacetsSerializer(serializers.Serializer):
    tag = FacetValueSerializer(many=True)
    source = FacetValueSerializer(many=True)  # type: ignore[assignment]  # a field named like Field.source
    author = FacetValueSerializer(many=True, help_text="Usernames, for the `creator` filter.")
    visibility = FacetValueSerializer(many=True)


class AnnotationSearchResultsSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    query = serializers.CharField(allow_blank=True)
    sort = serializers.CharField()
    results = AnnotationSerializer(many=True)
    facets = AnnotationFacetsSerializer(help_text="Counts over the whole result set.")


class SavedSearchSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.username", help_text="The owner's username.")
    owner_name = serializers.SerializerMethodField(help_text="The owner's name, as shown.")
    shared_with_group = serializers.CharField(
        source="shared_with_group.name",
        allow_null=True,
        help_text="The group it is shared with (its members may see and run it); null: private.",
    )
    filters = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Filter parameters of the search: name → values, as in the search's URL.",
    )
    can_edit = serializers.SerializerMethodField(
        help_text="Whether the requesting user may change or delete it (its owner only)."
    )
    results_url = serializers.SerializerMethodField(help_text="Run it: its results.")

    class Meta:
        model = SavedSearch
        fields = [
            "id",
            "name",
            "kind",
            "query",
            "filters",
            "sort",
            "owner",
            "owner_name",
            "shared_with_group",
            "can_edit",
            "created_at",
            "updated_at",
            "results_url",
        ]

    def get_owner_name(self, saved_search: SavedSearch) -> str:
        return saved_search.owner.get_full_name() or saved_search.owner.get_username()

    def get_can_edit(self, saved_search: SavedSearch) -> bool:
        return can_change_saved_search(self.context["request"].user, saved_search)

    def get_results_url(self, saved_search: SavedSearch) -> str:
        return self.context["request"].build_absolute_uri(
            reverse("api:saved-search-results", kwargs={"pk": saved_search.pk})
        )


class SavedSearchInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=NAME_MAX_LENGTH)
    kind = serializers.ChoiceField(
        choices=SearchKind.choices,
        default=SearchKind.DOCUMENTS,
        help_text="What it searches; fixed once saved.",
    )
    query = serializers.CharField(
        required=False, allow_blank=True, trim_whitespace=False, max_length=2_000, default=""
    )
    filters = serializers.DictField(
        required=False,
        default=dict,
        help_text=(
            "Filter parameters of the search (as GET /api/search/ or /api/annotations/ take "
            "them), name → a value or a list of values."
        ),
    )
    sort = serializers.CharField(required=False, allow_blank=True, max_length=20, default="")
    shared_with_group = serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        default=None,
        max_length=150,
        help_text="The name of one of your groups to share it with; null or empty: private.",
    )

    def validate_shared_with_group(self, name: str | None) -> Group | None:
        if not name:
            return None
        group = Group.objects.filter(name=name).first()
        if group is None:
            raise serializers.ValidationError(f"no group named {name!r}")
        return group


class SavedSearchUpdateSerializer(SavedSearchInputSerializer):
    """As SavedSearchInputSerializer, every field optional; the kind cannot change."""

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields.pop("kind")
        for field in self.fields.values():
            field.required = False
            field.default = serializers.empty


class SavedSearchResultsSerializer(serializers.Serializer):
    saved_search = SavedSearchSerializer()
    kind = serializers.CharField()
    total = serializers.IntegerField()
    new_since_last_seen = serializers.IntegerField(
        allow_null=True,
        help_text=(
            "How many more results than when you last opened it (never below 0); null the "
            "first time you open it."
        ),
    )
    last_seen_at = serializers.DateTimeField(
        allow_null=True, help_text="When you last opened it before now."
    )
    page = serializers.IntegerField()
    page_size = serializers.IntegerField()
    pages = serializers.IntegerField()
    documents = SearchHitSerializer(many=True, help_text="A search of documents: its hits.")
    annotations = AnnotationSerializer(many=True, help_text="A search of annotations: its hits.")


class SavedSearchRunParamsSerializer(serializers.Serializer):
    page = serializers.IntegerField(min_value=1, default=1)
    page_size = serializers.IntegerField(min_value=1, max_value=100, default=20)
