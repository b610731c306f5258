"""Fixtures for the documents tests: a submitted claim, its patient signed in, and a helper to
post files to the upload view. Objects written to the real S3 server are deleted afterwards."""

import hashlib
import socket
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import FakePayload
from django.urls import reverse
from django.utils import timezone

from documents import objects
from documents.models import Document
from documents.sniffing import sniff
from intake.models import ClaimStatus
from tests.factories import AdjusterFactory, ClaimFactory, CoverageFactory, UserFactory
from tests.portal.test_selectors import _signed_in


def submitted_claim(*, claimant=None, status: str = ClaimStatus.UNDER_REVIEW, adjuster=None):
    """A claim past submission, routed to an insurer and, if given, assigned to `adjuster`."""
    coverage = CoverageFactory()
    insurer = adjuster.insurer if adjuster else coverage.insurer
    return ClaimFactory(
        claimant=claimant or UserFactory(),
        status=status,
        provider=coverage.provider,
        insurer=insurer,
        assigned_adjuster=adjuster,
        submitted_at=timezone.now(),
    )


@pytest.fixture
def patient(db):
    return UserFactory()


@pytest.fixture
def adjuster(db):
    return AdjusterFactory()


@pytest.fixture
def claim(patient, adjuster):
    return submitted_claim(claimant=patient, adjuster=adjuster)


@pytest.fixture
def patient_client(patient):
    return _signed_in(patient)


@pytest.fixture(autouse=True)
def _delete_objects_afterwards():
    """Delete every object the test's documents point at (and their quarantine twins)."""
    yield
    try:
        keys = list(Document.objects.values_list("storage_key", flat=True))
    except Exception:  # the database is already gone for this test
        return
    for key in keys:
        uuid_part = key.split("/", 1)[1]
        objects.delete_quietly(f"quarantine/{uuid_part}")
        objects.delete_quietly(f"clean/{uuid_part}")


def upload(client, claim, files, *, categories=None, json=False, **extra):
    """Post `files` ([(name, bytes)]) to the claim's upload view, one row each."""
    data = {}
    for number, (name, content) in enumerate(files, start=1):
        data[f"file_{number}"] = SimpleUploadedFile(name, content)
        data[f"category_{number}"] = (categories or {}).get(number, "medical_records")
    if json:
        extra["HTTP_ACCEPT"] = "application/json"
    return client.post(reverse("documents:upload", args=[claim.pk]), data, **extra)


def object_exists(key: str) -> bool:
    try:
        objects.client().head_object(Bucket=settings.S3_BUCKET, Key=key)
    except objects.StorageErrors:
        return False
    return True


BOUNDARY = "----portal-test-boundary"


class CountingPayload(FakePayload):
    """The request body as the test client sends it, counting how much the server reads."""

    def __init__(self, content: bytes):
        super().__init__(content)
        self.bytes_read = 0

    def read(self, size=-1, /):
        chunk = super().read(size)
        self.bytes_read += len(chunk)
        return chunk

    def readline(self, size=-1, /):
        chunk = super().readline(size)
        self.bytes_read += len(chunk)
        return chunk


def multipart(files: list[tuple[str, bytes]], *, category: str = "medical_records") -> bytes:
    """The body a browser would send for `files`, each name given in RFC 5987 form so that any
    character (NUL, CR, LF, slashes) reaches the server as it is."""
    parts = []
    for number, (name, content) in enumerate(files, start=1):
        parts.append(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file_{number}"; '
            f"filename=\"upload\"; filename*=UTF-8''{quote(name, safe='')}\r\n"
            "Content-Type: application/octet-stream\r\n\r\n".encode()
            + content
            + b"\r\n"
        )
        parts.append(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="category_{number}"\r\n\r\n'
            f"{category}\r\n".encode()
        )
    parts.append(f"--{BOUNDARY}--\r\n".encode())
    return b"".join(parts)


def post_raw(client, claim, body: bytes, **extra):
    """Post a prepared multipart body; returns the response and how much of the body was read."""
    payload = CountingPayload(body)
    response = client.generic(
        "POST",
        reverse("documents:upload", args=[claim.pk]),
        body,
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
        **{"wsgi.input": payload},
        **extra,
    )
    return response, payload.bytes_read


@pytest.fixture
def issued_keys(monkeypatch) -> list[str]:
    """Every quarantine key the upload handler draws during the test, to check none survives
    a refusal (the bucket is shared with other runs, so listing it would not tell)."""
    issued = []
    real = objects.new_quarantine_key

    def recording() -> str:
        issued.append(real())
        return issued[-1]

    monkeypatch.setattr(objects, "new_quarantine_key", recording)
    return issued


def stored(claim, content: bytes, *, name="file.txt", key=None, **fields) -> Document:
    """A document whose bytes are in S3 already, as the upload handler leaves them."""
    key = key or objects.new_quarantine_key()
    writer = objects.ObjectWriter(key)
    writer.write(content)
    writer.close()
    return Document.objects.create(
        claim=claim,
        uploader=claim.claimant,
        category="other",
        original_name=name,
        storage_key=key,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content_type=getattr(sniff(content[:8192], complete=True), "content_type", "text/plain"),
        **fields,
    )


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
