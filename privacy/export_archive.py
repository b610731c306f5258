"""The zip of a subject access export, streamed from S3 into S3 with zipstream-ng.

The records are made one file at a time as the zip reaches them (a claim's JSON when its entry
is written), each document's bytes are read from its object a chunk at a time, and the zip's
chunks go straight into a multipart upload (documents.objects.ObjectWriter, parts of 5 MiB sent
as they fill). So the worker holds a chunk of one document, one claim's records and at most
PARTS_IN_FLIGHT + 1 parts, whatever the export's size; nothing touches its local disk.

Every file's SHA-256 is computed as its bytes pass and listed in manifest.json, the zip's last
entry, so the patient (or anyone they give it to) can check each file is whole.
"""

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone
from zipstream import ZIP_DEFLATED, ZIP_STORED, ZipStream

from documents import objects
from portal.models import User
from privacy import export_records as records

#: Bytes read from a document's object at a time.
READ_BYTES = 1024 * 1024
MANIFEST_NAME = "manifest.json"
DISCLOSURES_NAME = "records/disclosures.csv"

README = """\
A copy of the data {site} holds about you
==========================================

Made on {made_on} (UTC) for {email}, at your request (UK GDPR Article 15).

What is in this zip
-------------------
records/account.json        Your account: name, email address, when you joined and signed in,
                            and the notifications you switched off.
records/claims/*.json       One file per claim (or unfinished draft): your answers, every change
                            of status with who made it and why, messages, requests for
                            information, offers and your answers to them, the settlement and
                            payments, your bank details (masked, as the portal shows them),
                            reviews, corrections of your contact details, and the list of the
                            claim's documents.
records/authorities.json    The advocates you invited or gave authority to, and what they may do.
records/notifications.json  The notifications the portal sent you, by email and in the portal.
records/disclosures.csv     Who viewed or downloaded your data, and when (the accounting of
                            disclosures): staff of the insurer and administrators, from the
                            portal's audit log. Your own visits are not listed.
documents/<claim>/          The documents sent on each claim that passed the virus check.
letters/<claim>/            The letters the portal wrote to you about each claim (PDF).
manifest.json               Every other file in this zip with its size and SHA-256 checksum.

Dates and times are in UTC, in ISO 8601 form (2026-03-01T14:05:00+00:00). Amounts are in pounds.
Files that did not pass the virus check are listed in their claim's record but not included.
Internal notes the insurer's staff keep on a claim are not in this copy; you may ask the data
protection officer about them.

Checking a file: sha256sum <file> (Linux), shasum -a 256 <file> (macOS) or
certutil -hashfile <file> SHA256 (Windows) prints the checksum manifest.json lists for it.
"""


@dataclass
class ZipSummary:
    """What was written: the zip's size and how many files it holds (the manifest included)."""

    size: int = 0
    files: int = 0
    manifest: list[dict] = field(default_factory=list)


def _hashed(arcname: str, chunks: Iterable[bytes], manifest: list[dict]) -> Iterator[bytes]:
    """Pass `chunks` through, then list the file with its size and SHA-256 in `manifest`."""
    digest, size = hashlib.sha256(), 0
    for chunk in chunks:
        digest.update(chunk)
        size += len(chunk)
        yield chunk
    manifest.append({"path": arcname, "bytes": size, "sha256": digest.hexdigest()})


def _later(make: Callable[[], bytes]) -> Iterator[bytes]:
    """The bytes of `make()`, made only when the zip reaches this entry."""
    yield make()


def _object_chunks(key: str) -> Iterator[bytes]:
    body, _etag = objects.open_stream(key)
    try:
        yield from body.iter_chunks(READ_BYTES)
    finally:
        body.close()


def export_zip_stream(*, patient: User, summary: ZipSummary) -> ZipStream:
    """The patient's zip as a stream; iterating it reads the records and objects as it goes
    and fills `summary.manifest`. Records are deflated; documents, mostly compressed already
    (PDF, JPEG, DOCX), are stored as they are."""
    claims = records.patient_claims(patient)
    stream = ZipStream(compress_type=ZIP_DEFLATED)  # zlib's default level

    def add(arcname: str, chunks: Iterable[bytes], *, compress: bool = True) -> None:
        stream.add(
            _hashed(arcname, chunks, summary.manifest),
            arcname,
            compress_type=None if compress else ZIP_STORED,
        )

    readme = README.format(
        site=settings.SITE_URL, made_on=timezone.now().isoformat(), email=patient.email
    )
    add("README.txt", [readme.encode()])
    add("records/account.json", _later(lambda: records.as_json(records.account_record(patient))))
    for claim in claims:
        add(
            f"records/claims/{records.claim_label(claim)}.json",
            _later(lambda claim=claim: records.as_json(records.claim_record(claim))),
        )
    add(
        "records/authorities.json",
        _later(lambda: records.as_json(records.authorities_record(patient))),
    )
    add(
        "records/notifications.json",
        _later(lambda: records.as_json(records.notifications_record(patient))),
    )
    add(
        DISCLOSURES_NAME,
        records.disclosures_csv(records.disclosures(patient=patient, claims=claims)),
    )
    for item in records.export_files(claims):
        add(item.arcname, _object_chunks(item.storage_key), compress=False)
    # Last, so that it lists every file before it (made once they have all been written).
    stream.add(
        _later(lambda: records.as_json({"files": summary.manifest})),
        MANIFEST_NAME,
    )
    return stream


def export_zip_write(*, patient: User, key: str) -> ZipSummary:
    """Write the patient's zip to the object `key` (private, server-side encrypted), streamed
    part by part. Raises objects.StorageErrors when S3 fails; nothing is then left at `key`."""
    summary = ZipSummary()
    writer = objects.ObjectWriter(key, content_type="application/zip")
    try:
        for chunk in export_zip_stream(patient=patient, summary=summary):
            writer.write(chunk)
            summary.size += len(chunk)
        writer.close()
    except BaseException:
        writer.abort()
        raise
    summary.files = len(summary.manifest) + 1
    return summary
