"""The real S3 server (SeaweedFS) through django-storages: private objects, presigned reads."""

import urllib.error
import urllib.request
import uuid

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from documents.storage import s3_client

pytestmark = pytest.mark.integration


@pytest.fixture
def stored_key():
    key = f"test/{uuid.uuid4()}"
    yield key
    default_storage.delete(key)


def test_an_object_is_put_and_read_back(stored_key):
    saved = default_storage.save(stored_key, ContentFile(b"receipt for physiotherapy"))

    assert saved == stored_key
    with default_storage.open(stored_key) as handle:
        assert handle.read() == b"receipt for physiotherapy"
    assert default_storage.size(stored_key) == len(b"receipt for physiotherapy")


def test_a_presigned_url_fetches_the_object_and_expires_within_a_minute(stored_key):
    default_storage.save(stored_key, ContentFile(b"x-ray report"))

    url = default_storage.url(stored_key)

    assert "X-Amz-Expires=60" in url
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback S3
        assert response.read() == b"x-ray report"


def test_objects_are_private_without_a_signature(stored_key):
    default_storage.save(stored_key, ContentFile(b"private"))
    unsigned = f"{settings.S3_ENDPOINT_URL}/{settings.S3_BUCKET}/{stored_key}"

    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(unsigned, timeout=10)  # noqa: S310 - loopback S3

    assert refused.value.code in (401, 403)


def test_objects_are_stored_with_server_side_encryption(stored_key):
    default_storage.save(stored_key, ContentFile(b"encrypted at rest"))

    head = s3_client().head_object(Bucket=settings.S3_BUCKET, Key=stored_key)

    assert head["ServerSideEncryption"] == "AES256"
