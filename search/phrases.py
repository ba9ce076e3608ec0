"""Phrases of adjacent words matched by position arithmetic instead of Whoosh's span objects.

Whoosh matches a phrase (`"prime minister"`) with `SpanNear2`: in every document holding all
its words, it makes a `Span` object for each position of each word and compares them pair by
pair in Python. An unfielded phrase is asked of the title, the text and the stemmed text, so
at 44,500 documents `"prime minister"` spent 90 to 100 ms there. An exact phrase (slop 1, the
words in order, one position apart) holds at a position p when its k-th word is at p + k: one
set intersection per word. The documents matched, their scores (those of the intersection of
the words, as Whoosh's) and the spans reported are Whoosh's own; a phrase with a slop
(`"a b"~3`) is left to Whoosh.
"""

from __future__ import annotations

from typing import Any

from whoosh import matching
from whoosh import query as whoosh_query
from whoosh.query.spans import Span, SpanNear2
from whoosh.searching import Searcher


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
        if self.slop != 1:
            return super().matcher(searcher, context)
        # As Phrase.matcher: nothing to match when the field has no positions (an error
        # there) or lacks one of the words.
        if self.fieldname not in searcher.schema:
            return super().matcher(searcher, context)
        field = searcher.schema[self.fieldname]
        if not field.format or not field.format.supports("positions"):
            return super().matcher(searcher, context)
        reader = searcher.reader()
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


def adjacent_phrases(parsed: whoosh_query.Query) -> whoosh_query.Query:
    """`parsed` with each Phrase an AdjacentPhrase (the same query for Whoosh)."""

    def replace(node: whoosh_query.Query) -> whoosh_query.Query:
        if type(node) is whoosh_query.Phrase:
            return AdjacentPhrase(
                node.fieldname,
                node.words,
                slop=node.slop,
                boost=node.boost,
                char_ranges=node.char_ranges,
            )
        return node

    return parsed.accept(replace)
