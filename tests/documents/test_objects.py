"""Writing objects to the real S3 server: a file of several parts arrives whole and in order, with
its parts sent a few at a time and a bounded number of part buffers; a failure or an abort leaves
nothing behind."""

import hashlib
import tracemalloc

import pytest
from django.conf import settings

from documents import objects
from tests.documents.conftest import object_exists

MB = 1024 * 1024
#: Writes as the upload handler makes them, a size that does not divide a part evenly, so that
#: parts fill across writes.
WRITE_BYTES = 64 * 1024 + 7


@pytest.fixture
def key():
    key = objects.new_quarantine_key()
    yield key
    objects.delete_quietly(key)
    for unfinished, upload_id, _initiated in objects.iter_unfinished_uploads(key):
        objects.abort_upload(unfinished, upload_id)


def _content(size: int) -> bytes:
    """`size` bytes in which every part's position shows (a misordered part changes the hash)."""
    counter = b"".join(f"{n:08d}".encode() for n in range(size // 8 + 1))
    return counter[:size]


def _write(writer: objects.ObjectWriter, content: bytes) -> None:
    view = memoryview(content)
    for start in range(0, len(content), WRITE_BYTES):
        writer.write(bytes(view[start : start + WRITE_BYTES]))


def _stored(key: str) -> bytes:
    body, _etag = objects.open_stream(key)
    try:
        return body.read()
    finally:
        body.close()


def test_a_file_of_several_parts_is_stored_whole_in_order_with_its_type(key):
    content = _content(3 * objects.PART_BYTES + MB // 2)  # three whole parts and a short one
    writer = objects.ObjectWriter(key, content_type="text/plain")

    _write(writer, content)
    writer.close()

    assert hashlib.sha256(_stored(key)).hexdigest() == hashlib.sha256(content).hexdigest()
    head = objects.client().head_object(Bucket=settings.S3_BUCKET, Key=key)
    assert head["ContentLength"] == len(content)
    assert head["ContentType"] == "text/plain"
    assert head["ServerSideEncryption"] == "AES256"
    assert head["ETag"].strip('"').endswith("-4")  # a multipart upload of four parts


def test_a_file_of_exactly_one_part_is_one_put(key):
    content = _content(objects.PART_BYTES - 1)
    writer = objects.ObjectWriter(key)

    _write(writer, content)
    writer.close()

    assert _stored(key) == content
    etag = objects.client().head_object(Bucket=settings.S3_BUCKET, Key=key)["ETag"]
    assert "-" not in etag


def test_a_writer_holds_no_more_than_its_parts_in_flight_and_the_one_filling(key):
    parts = 8
    chunk = b"x" * WRITE_BYTES
    writer = objects.ObjectWriter(key)

    tracemalloc.start()
    try:
        for _ in range(parts * objects.PART_BYTES // WRITE_BYTES):
            writer.write(chunk)
        writer.close()
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    part_buffers = objects.PARTS_IN_FLIGHT + 1
    assert peak < part_buffers * objects.PART_BYTES + 2 * MB
    assert objects.etag_of(key).strip('"').endswith(f"-{parts}")


def test_an_aborted_writer_leaves_no_object_and_no_unfinished_upload(key):
    writer = objects.ObjectWriter(key)
    _write(writer, _content(2 * objects.PART_BYTES + MB))  # parts sent or in flight

    writer.abort()

    assert not object_exists(key)
    assert list(objects.iter_unfinished_uploads(key)) == []


def test_a_part_the_store_refuses_fails_the_close_and_abort_cleans_up(key):
    writer = objects.ObjectWriter(key)
    _write(writer, _content(objects.PART_BYTES))  # the upload has begun
    [(_key, upload_id, _initiated)] = objects.iter_unfinished_uploads(key)
    objects.abort_upload(key, upload_id)  # the store forgets it: every later part is refused

    with pytest.raises(objects.StorageErrors):
        _write(writer, _content(3 * objects.PART_BYTES))
        writer.close()
    writer.abort()

    assert not object_exists(key)
    assert list(objects.iter_unfinished_uploads(key)) == []
