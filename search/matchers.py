"""Whoosh queries of our own, matched faster than Whoosh matches its own, with the same
documents and scores. `whoosh_matchers` puts them in a parsed query.

Phrases. Whoosh matches a phrase (`"prime minister"`) with `SpanNear2`: in every document
holding all its words, it makes a `Span` object for each position of each word and compares
them pair by pair in Python. An unfielded phrase is asked of the title, the text and the
stemmed text, so at 44,500 documents `"prime minister"` spent 90 to 100 ms there. An exact
phrase (slop 1, the words in order, one position apart) holds at a position p when its k-th
word is at p + k: one set intersection per word. The documents matched, their scores (those
of the intersection of the words, as Whoosh's) and the spans reported are Whoosh's own; a
phrase with a slop (`"a b"~3`) is left to Whoosh.

Date ranges. Whoosh matches a numeric range (`published:2004`) by the union of the terms of
the range at several precisions (30-odd term matchers merged in Python), then lists every
document of the union. The documents' values are kept per segment already, for the facets
(`search.facets.segment_values`): a range is a pass over them.
"""

from __future__ import annotations

from array import array
from typing import Any

from whoosh import matching
from whoosh import query as whoosh_query
from whoosh.query.spans import Span, SpanNear2
from whoosh.searching import SearchContext, Searcher

from search.facets import segment_values


class AdjacentWordsMatcher(SpanNear2.SpanNear2Matcher):
    """SpanNear2's matcher for slop 1, ordered, minimum distance 1: the same documents and
    spans (one from the first word's position to the last's, for each place the phrase
    occurs), found from each word's positions as integers."""

    def _get_spans(self) -> list[Span]:
        words = self.ms
        starts = set(words[0].value_as("positions"))
        for offset, word in enumerate(words[1:], 1):
            if not starts:
                break
            starts.intersection_update(
                [position - offset for position in word.value_as("positions")]
            )
        last = len(words) - 1
        return [Span(start, start + last) for start in sorted(starts)]


class AdjacentPhrase(whoosh_query.Phrase):
    """A Phrase whose exact form (slop 1) is matched by `AdjacentWordsMatcher`."""

    def matcher(self, searcher: Searcher, context: Any = None) -> matching.Matcher:
        # A phrase with a slop, or of a field without positions (Whoosh's error), is Whoosh's.
        schema = searcher.schema
        if (
            self.slop != 1
            or self.fieldname not in schema
            or not schema[self.fieldname].format
            or not schema[self.fieldname].format.supports("positions")
        ):
            return super().matcher(searcher, context)
        field = schema[self.fieldname]
        reader = searcher.reader()
        # As Phrase.matcher: nothing to match when the field lacks one of the words.
        words = []
        for word in self.words:
            try:
                text = field.to_bytes(word)
            except ValueError:
                return matching.NullMatcher()
            if (self.fieldname, text) not in reader:
                return matching.NullMatcher()
            words.append(whoosh_query.Term(self.fieldname, text).matcher(searcher, context))
        found = AdjacentWordsMatcher(words, slop=1, ordered=True, mindist=1)
        return matching.WrappingMatcher(found, boost=self.boost) if self.boost != 1.0 else found


class KeptValuesRange(whoosh_query.NumericRange):
    """A NumericRange matched from its segment's kept values (`segment_values`): the
    documents whose value lies in the range, each with the range's constant score (its
    boost), as Whoosh's constant-score range gives them."""

    def matcher(self, searcher: Searcher, context: Any = None) -> matching.Matcher:
        context = context or SearchContext()
        # Whoosh gives a range scored term by term, or asked for its current terms, its union.
        if not self.constantscore or context.needs_current:
            return super().matcher(searcher, context)
        reader = searcher.reader()
        field = reader.schema[self.fieldname]
        low = None if self.start is None else field.unprepare_number(self.start)
        high = None if self.end is None else field.unprepare_number(self.end)
        values = segment_values(reader, self.fieldname, multi_valued=False)
        found = array(
            "I",
            (
                docnum
                for docnum, value in enumerate(values)
                if value is not None
                and (low is None or (value > low if self.startexcl else value >= low))
                and (high is None or (value < high if self.endexcl else value <= high))
            ),
        )
        # Values are read once per segment; documents deleted since match nothing.
        if reader.has_deletions():
            found = array("I", (docnum for docnum in found if not reader.is_deleted(docnum)))
        if not found:
            return matching.NullMatcher()
        return matching.ListMatcher(found, all_weights=self.boost)


def whoosh_matchers(parsed: whoosh_query.Query) -> whoosh_query.Query:
    """`parsed` with each Phrase an AdjacentPhrase and each NumericRange a KeptValuesRange
    (the same query for Whoosh)."""

    def replace(node: whoosh_query.Query) -> whoosh_query.Query:
        if type(node) is whoosh_query.Phrase:
            return AdjacentPhrase(
                node.fieldname,
                node.words,
                slop=node.slop,
                boost=node.boost,
                char_ranges=node.char_ranges,
            )
        if type(node) is whoosh_query.NumericRange:
            return KeptValuesRange(
                node.fieldname,
                node.start,
                node.end,
                startexcl=node.startexcl,
                endexcl=node.endexcl,
                boost=node.boost,
                constantscore=node.constantscore,
            )
        return node

    return parsed.accept(replace)
