"""Kaynak: an archive of republished news articles with provenance and span annotations."""

__version__ = "0.1.0"
