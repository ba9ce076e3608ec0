"""Stored files in an S3-compatible bucket (KAYNAK_STORAGE=s3), through django-storages.

django-storages owns the configuration (bucket, endpoint, region, boto3's credential chain)
and the presigned URLs; the writes go to boto3's client directly, because the archive needs
two things Django's Storage API cannot express: a put that never overwrites (`If-None-Match:
*`) and one the store itself checks against the bytes' SHA-256 (`x-amz-checksum-sha256`).
Only `archive.storage` uses this module.
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import BinaryIO

from botocore.config import Config
from botocore.exceptions import ClientError
from django.conf import settings
from storages.backends.s3 import S3Storage

from kaynak.errors import KaynakError

# A found object's last sighting, written as a tag: an object is never rewritten, so its
# LastModified cannot be refreshed the way a local file's mtime is (see `put_original`).
SEEN_TAG = "kaynak-seen"
_MISSING = {"404", "NoSuchKey", "NotFound"}
# What a store says when an object exists under an `If-None-Match: *` put (412), or when a
# concurrent conditional put of the same key is in flight (409 on AWS).
_EXISTS = {"PreconditionFailed", "ConditionalRequestConflict"}
# Connections the shared client keeps: more than a bulk ingest's puts in flight
# (`archive.storage._S3_CONCURRENCY`), with room for the request threads of a server.
POOL_CONNECTIONS = 32


class StoredBytesDiffer(KaynakError):
    """Other bytes than the name's are stored under it: damage behind the app's back, for
    `fixity_check` to report and an operator to repair. Nothing may refer to them, so the
    write that found them is refused; the fault is the store's, not the sender's (500, with
    a message that says what to run)."""

    code = "stored_file_damaged"
    status_code = 500

    def __init__(self, name: str) -> None:
        super().__init__(
            f"{name} holds other bytes than its name says: the stored copy is damaged, and "
            "nothing was recorded. An operator should run `manage.py fixity_check` and "
            "`manage.py storage_check`."
        )


@dataclass(frozen=True)
class S3Settings:
    bucket: str
    prefix: str
    endpoint_url: str
    region: str


class S3Store:
    """One bucket and key prefix. Names are the layout shared with the local folders
    ("originals/ab/<sha256>"); keys are the prefix followed by the name."""

    def __init__(self, config: S3Settings) -> None:
        self.config = config
        self.prefix = config.prefix.strip("/") + "/" if config.prefix.strip("/") else ""
        self.storage = S3Storage(
            bucket_name=config.bucket,
            endpoint_url=config.endpoint_url or None,
            region_name=config.region,
            querystring_auth=True,
            signature_version="s3v4",
            file_overwrite=False,
            # One client for the process, shared by its threads (a bulk ingest's puts):
            # its pool keeps a connection per thread alive rather than opening one per
            # request, as long as the store keeps connections open.
            client_config=Config(
                signature_version="s3v4",
                max_pool_connections=POOL_CONNECTIONS,
                tcp_keepalive=True,
            ),
        )
        self.client = self.storage.connection.meta.client
        # Cleared on the first store that answers 501 to conditional puts; a HEAD first then.
        self.conditional_puts = True

    def key(self, name: str) -> str:
        return self.prefix + name

    def put(
        self, name: str, data: bytes, *, overwrite: bool = False, sha256: str | None = None
    ) -> bool:
        """Write `data` under `name` with its SHA-256 checksum, which the store verifies
        before accepting the object (a corrupted upload is refused, not stored). `sha256`
        (hex) is the checksum the caller has already computed and recorded: then the store
        checks the bytes against that, and they are not hashed again here. Unless
        `overwrite`, an existing object is left as it is: returns False then."""
        raw = bytes.fromhex(sha256) if sha256 is not None else hashlib.sha256(data).digest()
        digest = base64.b64encode(raw).decode()
        arguments = {
            "Bucket": self.config.bucket,
            "Key": self.key(name),
            "Body": data,
            "ChecksumSHA256": digest,
        }
        if not overwrite:
            if not self.conditional_puts:
                # Not atomic: two servers may both find it missing and both put. The bytes
                # are the same (the name is their checksum), so the second put changes
                # nothing but the date; with object lock it is refused, which is as good.
                if self.size(name) is not None:
                    return False
            else:
                arguments["IfNoneMatch"] = "*"
        try:
            self.client.put_object(**arguments)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if code in _EXISTS or status == 412:
                return False
            if status == 501 and "IfNoneMatch" in arguments:
                self.conditional_puts = False
                return self.put(name, data, overwrite=overwrite, sha256=sha256)
            raise
        return True

    def put_original(self, data: bytes, sha256: str) -> bool:
        """Store an original; False if it was there already. An object found under the name
        is checked first: its size, and its SHA-256 where the store kept the one it was put
        with; other bytes under the name raise StoredBytesDiffer (it is damaged, and never
        overwritten). A found object is then tagged as seen now, which keeps it clear of
        orphan collection until the row that is about to refer to it commits (the local
        backend refreshes the file's mtime instead)."""
        name = f"originals/{sha256[:2]}/{sha256}"
        if self.put(name, data, sha256=sha256):
            return True
        try:
            head = self.client.head_object(
                Bucket=self.config.bucket, Key=self.key(name), ChecksumMode="ENABLED"
            )
            recorded = head.get("ChecksumSHA256")
            if head["ContentLength"] != len(data) or (
                recorded is not None
                and "-" not in recorded  # a multipart upload's checksum of checksums
                and recorded != base64.b64encode(bytes.fromhex(sha256)).decode()
            ):
                raise StoredBytesDiffer(name)
            self.client.put_object_tagging(
                Bucket=self.config.bucket,
                Key=self.key(name),
                Tagging={"TagSet": [{"Key": SEEN_TAG, "Value": str(int(time.time()))}]},
            )
        except ClientError as error:
            if not _missing(error):
                raise
            # Collected as an orphan after our put was refused: put ours in its place.
            return self.put_original(data, sha256)
        return False

    def open(self, name: str) -> BinaryIO:
        """A stream of the object's bytes (with its `size`); FileNotFoundError if missing."""
        try:
            response = self.client.get_object(Bucket=self.config.bucket, Key=self.key(name))
        except ClientError as error:
            if _missing(error):
                raise FileNotFoundError(name) from None
            raise
        body = response["Body"]
        body.size = response["ContentLength"]
        return body

    def size(self, name: str) -> int | None:
        try:
            head = self.client.head_object(Bucket=self.config.bucket, Key=self.key(name))
        except ClientError as error:
            if _missing(error):
                return None
            raise
        return head["ContentLength"]

    def list_pages(self, under: str = "") -> Iterator[list[tuple[str, float]]]:
        """(name, last modified) of every object under the prefix, a listing page at a time."""
        paginator = self.client.get_paginator("list_objects_v2")
        pages = paginator.paginate(Bucket=self.config.bucket, Prefix=self.key(under))
        for page in pages:
            yield [
                (item["Key"][len(self.prefix) :], item["LastModified"].timestamp())
                for item in page.get("Contents", [])
            ]

    def remove_orphan(
        self, name: str, *, older_than: float, referenced: Callable[[], bool]
    ) -> bool:
        """Delete the object `name` if the database says no row refers to it and no request
        has found it since `older_than` (its seen tag). Asked in that order, the last
        question just before the delete; a bucket cannot rename an object aside as a folder
        can, so a request finding the object in the milliseconds between that question and
        the delete is not excluded. Versioning (README "Storage") keeps even that
        recoverable."""
        if referenced():
            return False
        try:
            tags = self.client.get_object_tagging(Bucket=self.config.bucket, Key=self.key(name))
        except ClientError as error:
            if _missing(error):
                return False
            raise
        seen = {tag["Key"]: tag["Value"] for tag in tags.get("TagSet", [])}.get(SEEN_TAG)
        if seen is not None and float(seen) >= older_than:
            return False
        self.client.delete_object(Bucket=self.config.bucket, Key=self.key(name))
        return True

    def presigned_url(self, name: str, *, filename: str, content_type: str, expires: int) -> str:
        """A GET URL valid `expires` seconds, answering as the app would: an attachment of
        the recorded type (the bucket's own headers are not trusted for that)."""
        quoted = filename.replace("\\", "_").replace('"', "_")
        return self.storage.url(
            self.key(name),
            parameters={
                "ResponseContentDisposition": f'attachment; filename="{quoted}"',
                "ResponseContentType": content_type,
            },
            expire=expires,
        )


def _missing(error: ClientError) -> bool:
    return str(error.response.get("Error", {}).get("Code", "")) in _MISSING


def s3_store() -> S3Store:
    """The bucket the settings name (one client per configuration, shared by threads)."""
    return _store(
        S3Settings(
            bucket=settings.KAYNAK_S3_BUCKET,
            prefix=settings.KAYNAK_S3_PREFIX,
            endpoint_url=settings.KAYNAK_S3_ENDPOINT_URL,
            region=settings.KAYNAK_S3_REGION,
        )
    )


@cache
def _store(config: S3Settings) -> S3Store:
    return S3Store(config)
