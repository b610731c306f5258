"""Deleting a document's bytes for good: every version of both its keys (quarantine/<uuid> and
clean/<uuid>), delete markers included, since a bucket with versioning keeps a deleted object's
old versions readable. On a bucket without versioning the listing gives the one current version
(version id "null"), and deleting it is an ordinary delete."""

from django.conf import settings

from documents import objects
from documents.models import CLEAN_PREFIX, QUARANTINE_PREFIX

#: S3's DeleteObjects takes at most 1,000 keys a request.
DELETE_BATCH = 1000


def keys_of_document(storage_key: str) -> tuple[str, str]:
    """Both keys a document's bytes have lived under (the clean copy keeps the uuid)."""
    uuid_part = storage_key.split("/", 1)[1]
    return f"{QUARANTINE_PREFIX}{uuid_part}", f"{CLEAN_PREFIX}{uuid_part}"


def _versions_of(key: str) -> list[dict]:
    """Every version and delete marker stored under exactly `key`."""
    found: list[dict] = []
    paginator = objects.client().get_paginator("list_object_versions")
    for page in paginator.paginate(Bucket=settings.S3_BUCKET, Prefix=key):
        for item in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]:
            # A prefix matches longer keys too; uuids are of one length, but be exact.
            if item["Key"] == key:
                found.append({"Key": key, "VersionId": item["VersionId"]})
    return found


def object_versions_delete(storage_keys: list[str]) -> int:
    """Delete every stored version of the documents' objects; returns how many went. Raises a
    storage error (objects.StorageErrors) if the store refuses, so the caller keeps its rows."""
    versions = [
        version
        for storage_key in storage_keys
        for key in keys_of_document(storage_key)
        for version in _versions_of(key)
    ]
    for start in range(0, len(versions), DELETE_BATCH):
        batch = versions[start : start + DELETE_BATCH]
        reply = objects.client().delete_objects(
            Bucket=settings.S3_BUCKET, Delete={"Objects": batch, "Quiet": True}
        )
        if reply.get("Errors"):
            # Keys only: they are random and carry nothing about the person.
            failed = ", ".join(error["Key"] for error in reply["Errors"][:5])
            raise RuntimeError(f"The object store kept some versions: {failed}")
    return len(versions)


def object_versions_count(storage_key: str) -> int:
    """How many versions of a document's objects are still stored (for tests and checks)."""
    return sum(len(_versions_of(key)) for key in keys_of_document(storage_key))
