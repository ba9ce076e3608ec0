"""The researcher's pages (search, reader, upload, facsimiles), their templates and static
files. They read the other apps through selectors and write through services."""
