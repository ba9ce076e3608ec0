"""Span annotations, tags and source tags arrive with their own issue."""
