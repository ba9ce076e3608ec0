"""Archival packages: the archive as BagIt bags (RFC 8493) with PREMIS 3 provenance, their
verification, and their restore.

A bag's payload (under data/):
- originals/<sha256[:2]>/<sha256>: every stored original and facsimile original, as received;
- documents/<id>.json: a document's row and text, its events, its facsimiles;
- documents/<id>.premis.xml: the same events as PREMIS 3 (object with fixity, events, agents);
- sources.jsonl: one source a line, with its aliases and curation events;
- agents.json: the people events name (id and username only: no passwords leave), and the
  groups by name;
- <part>.jsonl: what the apps above `archive` add (kaynak.hooks.register_bag_part);
- checkpoint.json: the newest provenance checkpoint, heads included.

Rows are kept exactly (ids, hashes, moments to the microsecond), so the chains a bag carries
recompute to the same hashes in any database.
"""

# Raised when a bag's layout or records change in a way an older Kaynak cannot read; the
# version is in bag-info.txt, and a bag newer than this is refused.
BAG_FORMAT_VERSION = 1
