"""Word and OpenDocument files (zips) checked against the archive limits before clamd sees them,
through the real document_scan_run against the real S3 server and clamd."""

import gzip
import io
import os
import struct
import zipfile

import pytest
from django.urls import reverse

from documents import archives, objects, services
from documents.models import Document, ScanStatus, UnscannableReason
from documents.services import ScanOutcome
from tests.documents import samples
from tests.documents.conftest import stored

pytestmark = pytest.mark.django_db

MB = 1024 * 1024
GIB = 1024 * MB


@pytest.fixture
def ranged_bytes(monkeypatch) -> list[int]:
    """How many bytes each ranged read took from S3 (the real reads, counted on their way)."""
    taken = []
    real = objects.read_range

    def counting(key, *, start, end, etag):
        data = real(key, start=start, end=end, etag=etag)
        taken.append(len(data))
        return data

    monkeypatch.setattr(objects, "read_range", counting)
    return taken


def _scan(document: Document) -> Document:
    outcome = services.document_scan_run(document_id=document.pk)
    document.refresh_from_db()
    assert outcome == ScanOutcome(document.scan_status)
    return document


def _assert_refused(document: Document, reason: UnscannableReason) -> None:
    assert document.scan_status == ScanStatus.UNSCANNABLE
    assert document.signature == reason.value
    assert not document.is_downloadable
    assert document.storage_key.startswith("quarantine/")


def test_a_zip_bomb_in_a_docx_is_unscannable_read_by_ranges_and_never_downloadable(
    claim, patient_client, tmp_path, ranged_bytes
):
    path = tmp_path / "bomb.docx"
    samples.write_docx_bomb(path, unpacked_bytes=GIB)
    content = path.read_bytes()
    assert len(content) < 2 * MB  # about 1 MB on disk, 1 GiB unpacked
    document = stored(claim, content, name="report.docx")

    _assert_refused(_scan(document), UnscannableReason.TOO_LARGE_UNPACKED)
    # Only the end of the file, its directory and each part's first bytes were read.
    assert sum(ranged_bytes) < len(content) / 4
    response = patient_client.get(reverse("documents:download", args=[document.pk]))
    assert response.status_code == 409
    page = patient_client.get(reverse("intake:claim_detail", args=[claim.pk])).content.decode()
    assert "once unpacked it would take more than 200 MB" in page


def test_a_docx_packed_far_more_tightly_than_a_document_is_unscannable(claim, tmp_path):
    path = tmp_path / "dense.docx"
    samples.write_docx_bomb(path, unpacked_bytes=150 * MB)  # under the unpacked limit

    document = _scan(stored(claim, path.read_bytes(), name="report.docx"))

    _assert_refused(document, UnscannableReason.COMPRESSION_RATIO)
    assert "unpacks to far more than its own size" in document.status_message


def test_a_docx_nested_ten_deep_is_unscannable(claim, patient_client):
    document = _scan(stored(claim, samples.docx_nested(10), name="letter.docx"))

    _assert_refused(document, UnscannableReason.NESTED_TOO_DEEP)
    page = patient_client.get(reverse("intake:claim_detail", args=[claim.pk])).content.decode()
    assert "packed files inside packed files more than 3 levels deep" in page
    assert patient_client.get(reverse("documents:download", args=[document.pk])).status_code == 409


def test_a_zip_hidden_under_an_image_name_still_counts_as_nesting(claim):
    deep = samples.docx_nested(5, inner_name="word/media/image1.png")

    _assert_refused(
        _scan(stored(claim, deep, name="letter.docx")), UnscannableReason.NESTED_TOO_DEEP
    )


def test_an_odt_over_the_unpacked_limit_is_unscannable(claim, settings):
    settings.DOCUMENT_ARCHIVE_MAX_UNCOMPRESSED_MB = 1
    odt = samples.odt_with([("Pictures/scan.jpg", os.urandom(2 * MB))])  # packs no smaller

    document = _scan(stored(claim, odt, name="statement.odt"))

    _assert_refused(document, UnscannableReason.TOO_LARGE_UNPACKED)
    assert "more than 1 MB" in document.status_message


def test_a_docx_with_more_files_inside_than_the_limit_is_unscannable(claim, settings):
    settings.DOCUMENT_ARCHIVE_MAX_ENTRIES = 10
    crowded = samples.docx([(f"word/media/image{n}.png", b"x") for n in range(20)])

    _assert_refused(_scan(stored(claim, crowded)), UnscannableReason.TOO_MANY_FILES)


def test_a_damaged_docx_is_unscannable_never_clean(claim):
    whole = samples.docx()
    cut = whole[: len(whole) // 2]  # the central directory is gone

    _assert_refused(_scan(stored(claim, cut, name="cut.docx")), UnscannableReason.DAMAGED)


def test_an_ordinary_docx_with_an_embedded_spreadsheet_is_scanned_and_passes(
    claim, django_capture_on_commit_callbacks
):
    letter = samples.docx([("word/embeddings/Microsoft_Excel_Worksheet.xlsx", samples.xlsx())])
    document = stored(claim, letter, name="letter.docx")

    with django_capture_on_commit_callbacks(execute=True):
        document = _scan(document)

    assert document.scan_status == ScanStatus.CLEAN
    assert document.is_downloadable


def test_eicar_inside_a_docx_within_the_limits_is_still_found_by_clamd(claim):
    infected = samples.docx(
        [("word/embeddings/inner.docx", samples.docx([("a.txt", samples.EICAR)]))]
    )

    document = _scan(stored(claim, infected, name="letter.docx"))

    assert document.scan_status == ScanStatus.INFECTED


def test_the_limits_can_be_set_per_check():
    # The check itself, on a nested document, with a limit given rather than from settings.
    key = stored_key(samples.docx_nested(2))
    try:
        shallow = archives.ArchiveLimits(
            max_entries=100, max_uncompressed_bytes=MB, max_ratio=100, max_depth=1
        )
        assert archives.archive_check(key=key, limits=shallow).problem == (
            UnscannableReason.NESTED_TOO_DEEP
        )
        assert archives.archive_check(key=key).problem is None
    finally:
        objects.delete_quietly(key)


def stored_key(content: bytes) -> str:
    key = objects.new_quarantine_key()
    writer = objects.ObjectWriter(key)
    writer.write(content)
    writer.close()
    return key


def _with_encrypted_flag(content: bytes, name: str) -> bytes:
    """`content` with the entry `name` marked encrypted (zipfile writes no such entries)."""
    data = bytearray(content)
    encoded = name.encode()
    # The name comes first in the entry's local header, last in the central directory.
    local_header = data.rindex(b"PK\x03\x04", 0, data.index(encoded))
    directory_entry = data.rindex(b"PK\x01\x02", 0, data.rindex(encoded))
    for flag_at in (directory_entry + 8, local_header + 6):
        data[flag_at] |= 0x1
    return bytes(data)


def test_a_docx_with_a_password_protected_part_is_unscannable(claim):
    content = _with_encrypted_flag(
        samples.docx([("word/media/image1.png", bytes(64))]), "word/media/image1.png"
    )

    document = _scan(stored(claim, content, name="locked.docx"))

    _assert_refused(document, UnscannableReason.ENCRYPTED)
    assert "protected with a password" in document.status_message


def test_a_docx_whose_count_needs_a_zip64_end_record_is_read_and_refused(claim):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("[Content_Types].xml", b'<?xml version="1.0"?><Types/>')
        archive.writestr("word/document.xml", b'<?xml version="1.0"?><w:document/>')
        for number in range(0x10000):  # more than a plain end record can count
            archive.writestr(f"p/{number}", b"")

    document = _scan(stored(claim, buffer.getvalue(), name="many.docx"))

    _assert_refused(document, UnscannableReason.TOO_MANY_FILES)


def _with_a_lying_end_record(content: bytes) -> bytes:
    """`content` (a zip without zip64 records) given a zip64 end record and locator holding its
    true count and directory size, while the classic end record claims 1 entry of 46 bytes."""
    (_sig, _disk, _disk_cd, entries, _total, size, offset, _comment) = struct.unpack(
        "<4s4H2LH", content[-22:]
    )
    zip64 = struct.pack(
        "<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, entries, entries, size, offset
    )
    locator = struct.pack("<4sLQL", b"PK\x06\x07", 0, offset + size, 1)
    classic = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 1, 1, 46, offset, 0)
    return content[:-22] + zip64 + locator + classic


def test_a_docx_whose_end_records_disagree_is_refused_before_its_directory_is_read(
    claim, ranged_bytes
):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("[Content_Types].xml", b'<?xml version="1.0"?><Types/>')
        archive.writestr("word/document.xml", b'<?xml version="1.0"?><w:document/>')
        for number in range(20_000):
            archive.writestr(f"p/{number}", b"")
    honest = buffer.getvalue()
    (directory_bytes,) = struct.unpack("<L", honest[-10:-6])
    content = _with_a_lying_end_record(honest)
    # zipfile itself believes the zip64 record: all of these is what it would load.
    assert len(zipfile.ZipFile(io.BytesIO(content)).infolist()) == 20_002

    document = _scan(stored(claim, content, name="many.docx"))

    _assert_refused(document, UnscannableReason.DAMAGED)
    assert sum(ranged_bytes) < directory_bytes / 4  # the directory itself was never read


def _folder_entry_with_data(unpacked_bytes: int) -> bytes:
    """A Word document with a folder's entry, word/media/, holding `unpacked_bytes` zeros."""
    buffer = io.BytesIO()
    zeros = bytes(MB)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b'<?xml version="1.0"?><Types/>')
        archive.writestr("word/document.xml", b'<?xml version="1.0"?><w:document/>')
        with archive.open(zipfile.ZipInfo("word/media/"), "w") as folder:
            for _ in range(unpacked_bytes // MB):
                folder.write(zeros)
    return buffer.getvalue()


@pytest.mark.parametrize("declared", ["its size", "no size"])
def test_a_folder_entry_holding_data_is_refused(claim, declared):
    content = _folder_entry_with_data(20 * MB)  # the first hole carried 300 MB
    assert zipfile.ZipFile(io.BytesIO(content)).getinfo("word/media/").is_dir()
    if declared == "no size":  # the directory says the folder is empty; the data is still there
        data = bytearray(content)
        entry = samples.central_entry_at(content, "word/media/")
        data[entry + 24 : entry + 28] = bytes(4)
        content = bytes(data)

    document = _scan(stored(claim, content, name="report.docx"))

    _assert_refused(document, UnscannableReason.DAMAGED)


def test_a_part_larger_than_its_directory_says_is_refused(claim, tmp_path):
    path = tmp_path / "liar.docx"
    # The directory says 100 bytes; the part inflates to 1 GiB (which clamd passes as clean).
    samples.write_docx_bomb_declaring(path, unpacked_bytes=GIB, declared_bytes=100)
    assert zipfile.ZipFile(path).getinfo("word/media/image1.png").file_size == 100

    document = _scan(stored(claim, path.read_bytes(), name="report.docx"))

    _assert_refused(document, UnscannableReason.DAMAGED)
    assert "damaged or incomplete" in document.status_message


def test_a_part_smaller_than_its_directory_says_is_refused(claim):
    content = samples.docx([("word/media/image1.png", b"\x89PNG" + bytes(5000))])
    data = bytearray(content)
    entry = samples.central_entry_at(content, "word/media/image1.png")
    data[entry + 24 : entry + 28] = struct.pack("<L", 9000)

    _assert_refused(_scan(stored(claim, bytes(data))), UnscannableReason.DAMAGED)


@pytest.mark.parametrize(
    "packed",
    [
        pytest.param(gzip.compress(b"<w:document/>" * 100), id="gzip"),
        pytest.param(b"7z\xbc\xaf\x27\x1c\x00\x04" + bytes(200), id="7z"),
        pytest.param(b"Rar!\x1a\x07\x01\x00" + bytes(200), id="rar"),
    ],
)
def test_a_compressed_file_of_another_kind_inside_a_docx_is_unscannable(
    claim, patient_client, packed
):
    content = samples.docx([("word/media/image1.png", packed)])

    document = _scan(stored(claim, content, name="report.docx"))

    _assert_refused(document, UnscannableReason.ARCHIVE_INSIDE)
    page = patient_client.get(reverse("intake:claim_detail", args=[claim.pk])).content.decode()
    assert "it holds a compressed file (such as a .gz, .7z or .rar file)" in page


def test_a_docx_packed_with_another_method_than_deflate_is_unscannable(claim):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_BZIP2) as archive:
        archive.writestr("[Content_Types].xml", b'<?xml version="1.0"?><Types/>')
        archive.writestr("word/document.xml", b'<?xml version="1.0"?><w:document/>')

    document = _scan(stored(claim, buffer.getvalue(), name="report.docx"))

    _assert_refused(document, UnscannableReason.UNKNOWN_METHOD)
    assert "compressed in a way we cannot unpack" in document.status_message


def test_a_docx_whose_entries_share_their_bytes_is_refused(claim):
    # Two directory entries over one part: how a small zip makes a scanner unpack it twice.
    content = samples.docx([("word/media/image1.png", b"\x89PNG" + bytes(5000))])
    entry = samples.central_entry_at(content, "word/media/image1.png")
    end = len(content) - 22
    copy = content[entry:end]
    (_sig, _disk, _disk_cd, on_disk, entries, size, offset, comment) = struct.unpack(
        "<4s4H2LH", content[end:]
    )
    record = struct.pack(
        "<4s4H2LH", b"PK\x05\x06", 0, 0, on_disk + 1, entries + 1, size + len(copy), offset, 0
    )
    doubled = content[:end] + copy + record
    assert len(zipfile.ZipFile(io.BytesIO(doubled)).infolist()) == entries + 1

    _assert_refused(_scan(stored(claim, doubled)), UnscannableReason.DAMAGED)
