"""The documents' objects in S3: streamed writes, streamed reads, promotion and deletion.

Writes go straight from the request to S3 in parts of PART_BYTES (a multipart upload once a file
outgrows one part), so a web process holds at most PARTS_IN_FLIGHT + 1 parts of one file in memory
and nothing touches its local disk. Every object is written private with server-side encryption
requested.
"""

import contextlib
import functools
import uuid
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import BinaryIO

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.files.storage import default_storage

from documents.models import CLEAN_PREFIX, QUARANTINE_PREFIX
from documents.storage import s3_client

#: S3's smallest allowed part (except the last) is 5 MiB.
PART_BYTES = 5 * 1024 * 1024
#: Parts of one object sent at once while the next one fills. Sent one at a time, each part's
#: request left the store idle between parts and a 25 MB upload took half as long again as one
#: PUT of it; two keep the store busy. A file holds (PARTS_IN_FLIGHT + 1) * PART_BYTES at most.
PARTS_IN_FLIGHT = 2
#: What the object store can raise when it is down, slow or refuses a request.
StorageErrors = (BotoCoreError, ClientError)


@functools.lru_cache(maxsize=4)
def _client_for(endpoint: str | None, region: str, access_key: str | None):
    return s3_client()


def client():
    """A shared boto3 client (they are thread-safe) for the configured endpoint."""
    return _client_for(settings.S3_ENDPOINT_URL, settings.S3_REGION, settings.S3_ACCESS_KEY_ID)


def _encryption() -> dict:
    return {"ServerSideEncryption": settings.S3_SERVER_SIDE_ENCRYPTION}


def new_quarantine_key() -> str:
    """A random key carrying no personal data; the clean copy keeps the same uuid."""
    return f"{QUARANTINE_PREFIX}{uuid.uuid4()}"


def clean_key_for(quarantine_key: str) -> str:
    return CLEAN_PREFIX + quarantine_key.removeprefix(QUARANTINE_PREFIX)


class ObjectWriter:
    """Streams one object to S3: a single PUT when it fits in one part, else a multipart upload.

    Full parts are sent from background threads, up to PARTS_IN_FLIGHT at once, while the next
    one fills, so reading the request and writing to S3 overlap. A part's buffer is handed to
    its sender as it is and, once sent, filled again with a later part: a file never holds more
    than PARTS_IN_FLIGHT + 1 part buffers.
    """

    def __init__(self, key: str, content_type: str = "application/octet-stream"):
        self.key = key
        self.content_type = content_type
        #: The part being filled. The first grows as bytes come (most files never fill it);
        #: later ones are whole-part buffers written in place.
        self._part: bytearray | None = bytearray()
        self._filled = 0
        self._spare: list[bytearray] = []
        self._upload_id: str | None = None
        self._parts: list[dict] = []
        self._sending: deque[tuple[Future, bytearray]] = deque()
        self._sender: ThreadPoolExecutor | None = None

    def write(self, data: bytes) -> None:
        data = memoryview(data)
        while data:
            if self._part is None:
                self._part = self._spare.pop() if self._spare else bytearray(PART_BYTES)
            taken = min(len(data), PART_BYTES - self._filled)
            if self._upload_id is None:
                self._part += data[:taken]
            else:
                self._part[self._filled : self._filled + taken] = data[:taken]
            self._filled += taken
            data = data[taken:]
            if self._filled == PART_BYTES:
                self._flush_part()

    def _flush_part(self) -> None:
        if self._upload_id is None:
            self._upload_id = client().create_multipart_upload(
                Bucket=settings.S3_BUCKET,
                Key=self.key,
                ContentType=self.content_type,
                **_encryption(),
            )["UploadId"]
            self._sender = ThreadPoolExecutor(
                max_workers=PARTS_IN_FLIGHT, thread_name_prefix="s3-part"
            )
        if len(self._sending) >= PARTS_IN_FLIGHT:
            self._wait_for_oldest_part()
        body, self._part = self._part, None
        del body[self._filled :]  # the last part holds less: send only that
        self._filled = 0
        number = len(self._parts) + len(self._sending) + 1
        self._sending.append((self._sender.submit(self._send_part, number, body), body))

    def _send_part(self, number: int, body: bytearray) -> dict:
        reply = client().upload_part(
            Bucket=settings.S3_BUCKET,
            Key=self.key,
            UploadId=self._upload_id,
            PartNumber=number,
            Body=body,
        )
        return {"PartNumber": number, "ETag": reply["ETag"]}

    def _wait_for_oldest_part(self) -> None:
        """Wait for the oldest part in flight; its failure (a storage error) is raised here.
        Its buffer, no longer read by the sender, is kept for a later part."""
        sending, body = self._sending.popleft()
        self._parts.append(sending.result())
        if len(body) == PART_BYTES:
            self._spare.append(body)

    def _stop_sender(self) -> None:
        if self._sender is not None:
            self._sender.shutdown(wait=True)
            self._sender = None

    def _release(self) -> None:
        self._part, self._filled, self._spare = None, 0, []

    def close(self) -> None:
        """Finish the object; after this it exists in S3 whole, or an exception was raised."""
        if self._upload_id is None:
            client().put_object(
                Bucket=settings.S3_BUCKET,
                Key=self.key,
                Body=self._part or b"",
                ContentType=self.content_type,
                **_encryption(),
            )
            self._release()
            return
        try:
            if self._filled:
                self._flush_part()
            while self._sending:
                self._wait_for_oldest_part()
        finally:
            self._stop_sender()
            self._release()
        client().complete_multipart_upload(
            Bucket=settings.S3_BUCKET,
            Key=self.key,
            UploadId=self._upload_id,
            MultipartUpload={"Parts": self._parts},
        )

    def abort(self) -> None:
        """Give up on the object: nothing is left (best effort; the reaper does the rest)."""
        while self._sending:
            with contextlib.suppress(*StorageErrors):
                self._wait_for_oldest_part()
        self._stop_sender()
        self._release()
        if self._upload_id is not None:
            with contextlib.suppress(*StorageErrors):
                client().abort_multipart_upload(
                    Bucket=settings.S3_BUCKET, Key=self.key, UploadId=self._upload_id
                )


def open_stream(key: str, *, if_match: str = "") -> tuple[BinaryIO, str]:
    """A streaming reader of the object and its ETag; reading never loads it whole. With
    `if_match`, S3 refuses (PreconditionFailed) unless the object is still that version."""
    extra = {"IfMatch": if_match} if if_match else {}
    reply = client().get_object(Bucket=settings.S3_BUCKET, Key=key, **extra)
    return reply["Body"], reply["ETag"]


def size_and_etag(key: str) -> tuple[int, str]:
    reply = client().head_object(Bucket=settings.S3_BUCKET, Key=key)
    return reply["ContentLength"], reply["ETag"]


def read_range(key: str, *, start: int, end: int, etag: str) -> bytes:
    """Bytes start..end (inclusive) of the object, only from the version with `etag`."""
    reply = client().get_object(
        Bucket=settings.S3_BUCKET, Key=key, Range=f"bytes={start}-{end}", IfMatch=etag
    )
    return reply["Body"].read()


def copy_if_unchanged(
    *, source: str, target: str, etag: str, disposition: str, content_type: str
) -> None:
    """Copy `source` to `target` only if it is still the version with `etag` (the one scanned).

    The copy carries its own Content-Disposition and Content-Type, so a download link needs no
    response parameters: the file's name never travels in a URL (browser history, proxy and
    access logs), where a name like "HIV test results.pdf" would be health data.
    """
    client().copy_object(
        Bucket=settings.S3_BUCKET,
        Key=target,
        CopySource={"Bucket": settings.S3_BUCKET, "Key": source},
        CopySourceIfMatch=etag,
        MetadataDirective="REPLACE",
        ContentDisposition=disposition,
        ContentType=content_type,
        **_encryption(),
    )


def etag_of(key: str) -> str:
    return client().head_object(Bucket=settings.S3_BUCKET, Key=key)["ETag"]


def delete(key: str) -> None:
    client().delete_object(Bucket=settings.S3_BUCKET, Key=key)


def delete_quietly(key: str) -> None:
    """Delete, leaving any failure to the orphan reaper."""
    with contextlib.suppress(*StorageErrors):
        delete(key)


def iter_keys(prefix: str) -> Iterator[tuple[str, object]]:
    """Every (key, last modified) under `prefix`, page by page."""
    paginator = client().get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=settings.S3_BUCKET, Prefix=prefix):
        for item in page.get("Contents", []):
            yield item["Key"], item["LastModified"]


def iter_unfinished_uploads(prefix: str) -> Iterator[tuple[str, str, object]]:
    """Every multipart upload under `prefix` that was started and never completed."""
    reply = client().list_multipart_uploads(Bucket=settings.S3_BUCKET, Prefix=prefix)
    for upload in reply.get("Uploads", []):
        yield upload["Key"], upload["UploadId"], upload["Initiated"]


def abort_upload(key: str, upload_id: str) -> None:
    client().abort_multipart_upload(Bucket=settings.S3_BUCKET, Key=key, UploadId=upload_id)


def presigned_download_url(*, key: str) -> str:
    """A URL that reads the private object for S3_PRESIGNED_URL_SECONDS; the object's own
    headers (set at promotion) make it an attachment with its original name."""
    return default_storage.url(key, expire=settings.S3_PRESIGNED_URL_SECONDS)
