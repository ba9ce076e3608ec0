"""The several-servers test needs the search index in the database (the postgres backend):
on a SQLite run it is not a case at all, as the postgres search cases are not (see
`search_backends` in tests/conftest.py), rather than a skipped one."""

from __future__ import annotations

from tests.conftest import search_backends

collect_ignore = [] if "postgres" in search_backends() else ["test_several_servers.py"]
