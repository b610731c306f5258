"""A look inside a Word or OpenDocument file (both are zip archives) before clamd scans it.

clamd skips, without a word, a packed file larger than its MaxFileSize, so a small DOCX that
unpacks to a gigabyte of zeros came back clean. The portal therefore reads the archive's own
table of contents (the zip central directory) first and refuses, as unscannable, one with too
many files, too much unpacked, a packing ratio no document has, archives nested too deeply
inside it, or parts it cannot open.

The object is read from S3 with ranged GETs, a block at a time: the end record, the central
directory and, for each entry, its local header and first bytes (to find zips hidden under
other names). An archive stored inside the document is read in place the same way; a
compressed one is unpacked as a stream, bounded by the unpacked total already checked. Nothing
here ever holds the whole file in memory.
"""

import io
import struct
import zipfile
import zlib
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings

from documents import objects
from documents.models import UnscannableReason
from documents.sniffing import DOCX, ODT

#: The uploads the sniffer accepts that are zip archives.
ZIP_BASED_TYPES = frozenset({DOCX.content_type, ODT.content_type})
#: Names of entries that are archives themselves (Office and OpenDocument files are zips).
ARCHIVE_SUFFIXES = (
    ".zip", ".jar", ".epub",
    ".docx", ".docm", ".dotx", ".xlsx", ".xlsm", ".pptx", ".pptm",
    ".odt", ".ods", ".odp", ".odg", ".ott",
)  # fmt: skip
ZIP_MAGIC = b"PK\x03\x04"
_END_RECORD = b"PK\x05\x06"
_END_RECORD_SIZE = 22
_ZIP64_LOCATOR = b"PK\x06\x07"
_ZIP64_LOCATOR_SIZE = 20
_ZIP64_END_RECORD = b"PK\x06\x06"
_MAX_COMMENT = 0xFFFF
#: A central directory entry is 46 bytes plus its name; Office's names are short. A directory
#: larger than this per allowed entry is not an ordinary document's.
_DIRECTORY_BYTES_PER_ENTRY = 1024
#: A packing ratio matters only for entries this large: a small run of spaces packs tightly too.
RATIO_FLOOR_BYTES = 1024 * 1024


@dataclass(frozen=True)
class ArchiveLimits:
    max_entries: int
    max_uncompressed_bytes: int
    max_ratio: int
    max_depth: int

    @classmethod
    def from_settings(cls) -> "ArchiveLimits":
        return cls(
            max_entries=settings.DOCUMENT_ARCHIVE_MAX_ENTRIES,
            max_uncompressed_bytes=settings.DOCUMENT_ARCHIVE_MAX_UNCOMPRESSED_MB * 1024 * 1024,
            max_ratio=settings.DOCUMENT_ARCHIVE_MAX_RATIO,
            max_depth=settings.DOCUMENT_ARCHIVE_MAX_DEPTH,
        )


@dataclass(frozen=True)
class ArchiveCheck:
    #: None when the archive is within every limit.
    problem: UnscannableReason | None
    #: The version of the object that was read; the scan must read the same one.
    etag: str


class _Refused(Exception):
    def __init__(self, reason: UnscannableReason):
        super().__init__(reason.value)
        self.reason = reason


@dataclass
class _Totals:
    """Counted across every level: clamd unpacks nested archives into the same scan."""

    limits: ArchiveLimits
    entries: int = 0
    uncompressed: int = 0

    def add_entries(self, count: int) -> None:
        self.entries += count
        if self.entries > self.limits.max_entries:
            raise _Refused(UnscannableReason.TOO_MANY_FILES)

    def add_entry(self, info: zipfile.ZipInfo) -> None:
        self.uncompressed += info.file_size
        if self.uncompressed > self.limits.max_uncompressed_bytes:
            raise _Refused(UnscannableReason.TOO_LARGE_UNPACKED)
        if info.file_size >= RATIO_FLOOR_BYTES and info.file_size > self.limits.max_ratio * max(
            info.compress_size, 1
        ):
            raise _Refused(UnscannableReason.COMPRESSION_RATIO)
        if info.flag_bits & 0x1:
            raise _Refused(UnscannableReason.ENCRYPTED)


class _SeekableBytes(io.RawIOBase):
    """A read-only, seekable file of `_length` bytes, which is what zipfile needs of what it
    reads. Subclasses set `_length` and `_position` and implement read()."""

    _length: int
    _position: int

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._length}[whence]
        if base + offset < 0:
            raise ValueError("negative seek position")
        self._position = base + offset
        return self._position

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


class RangedReader(_SeekableBytes):
    """A seekable, read-only view of an object, read by ranged GETs of BLOCK_BYTES, keeping the
    last few blocks (zipfile reads the end record, then the directory, then each header)."""

    BLOCK_BYTES = 64 * 1024
    KEPT_BLOCKS = 4

    def __init__(self, fetch: Callable[[int, int], bytes], size: int):
        super().__init__()
        self._fetch = fetch  # (start, end inclusive) -> bytes
        self._length = size
        self._position = 0
        self._blocks: OrderedDict[int, bytes] = OrderedDict()

    def read(self, size: int = -1) -> bytes:
        end = self._length if size is None or size < 0 else min(self._length, self._position + size)
        if end <= self._position:
            return b""
        if end - self._position > self.BLOCK_BYTES:
            data = self._fetch(self._position, end - 1)  # one large read (the directory)
        else:
            data = b"".join(self._block_parts(self._position, end))
        self._position += len(data)
        return data

    def _block_parts(self, start: int, end: int):
        while start < end:
            number, offset = divmod(start, self.BLOCK_BYTES)
            block = self._block(number)
            piece = block[offset : offset + (end - start)]
            if not piece:
                return
            yield piece
            start += len(piece)

    def _block(self, number: int) -> bytes:
        if number in self._blocks:
            self._blocks.move_to_end(number)
            return self._blocks[number]
        start = number * self.BLOCK_BYTES
        block = self._fetch(start, min(start + self.BLOCK_BYTES, self._length) - 1)
        self._blocks[number] = block
        if len(self._blocks) > self.KEPT_BLOCKS:
            self._blocks.popitem(last=False)
        return block


class _Window(_SeekableBytes):
    """Bytes [start, start + length) of another seekable file: an archive stored, unpacked, as
    an entry of its parent, read in place."""

    def __init__(self, parent, start: int, length: int):
        super().__init__()
        self._parent, self._start, self._length, self._position = parent, start, length, 0

    def read(self, size: int = -1) -> bytes:
        left = max(self._length - self._position, 0)
        size = left if size is None or size < 0 else min(size, left)
        self._parent.seek(self._start + self._position)
        data = self._parent.read(size)
        self._position += len(data)
        return data


def is_zip_based(content_type: str) -> bool:
    return content_type in ZIP_BASED_TYPES


def archive_check(*, key: str, limits: ArchiveLimits | None = None) -> ArchiveCheck:
    """Read the archive at `key` and say which limit, if any, it passes.

    Raises objects.StorageErrors when S3 is unavailable or the object changed while read (the
    caller tries again later); a file the portal cannot read as a zip is DAMAGED.
    """
    size, etag = objects.size_and_etag(key)

    def fetch(start: int, end: int) -> bytes:
        return objects.read_range(key, start=start, end=end, etag=etag)

    totals = _Totals(limits or ArchiveLimits.from_settings())
    try:
        _check_archive(RangedReader(fetch, size), totals, depth=0)
    except _Refused as refused:
        return ArchiveCheck(refused.reason, etag)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, ValueError):
        return ArchiveCheck(UnscannableReason.DAMAGED, etag)
    except NotImplementedError:  # a compression method Python does not know: cannot look
        return ArchiveCheck(UnscannableReason.DAMAGED, etag)
    return ArchiveCheck(None, etag)


def _check_archive(file, totals: _Totals, *, depth: int) -> None:
    if depth > totals.limits.max_depth:
        raise _Refused(UnscannableReason.NESTED_TOO_DEEP)
    # The end record's count and directory size come first, so that a directory of a million
    # entries is refused before zipfile reads it into memory.
    entries, directory_bytes = _directory_size(file)
    totals.add_entries(entries)
    if directory_bytes > max(entries, 1) * _DIRECTORY_BYTES_PER_ENTRY:
        raise _Refused(UnscannableReason.TOO_MANY_FILES)
    with zipfile.ZipFile(file) as archive:
        infos = [info for info in archive.infolist() if not info.is_dir()]
        if len(infos) > entries:  # the directory holds more than its end record says
            raise _Refused(UnscannableReason.DAMAGED)
        for info in infos:
            totals.add_entry(info)
        for info in infos:
            if _is_archive(archive, info):
                with _open_entry(file, archive, info) as inner:
                    _check_archive(inner, totals, depth=depth + 1)


def _directory_size(file) -> tuple[int, int]:
    """The entry count and central directory size from the zip's end record (or its zip64 one)."""
    size = file.seek(0, io.SEEK_END)
    tail_start = max(size - _END_RECORD_SIZE - _MAX_COMMENT, 0)
    file.seek(tail_start)
    tail = file.read(size - tail_start)
    at = tail.rfind(_END_RECORD)
    if at < 0 or len(tail) - at < _END_RECORD_SIZE:
        raise zipfile.BadZipFile("no end of central directory record")
    entries, directory_bytes = struct.unpack("<HI", tail[at + 10 : at + 16])
    if entries != 0xFFFF and directory_bytes != 0xFFFFFFFF:
        return entries, directory_bytes
    locator = tail[at - _ZIP64_LOCATOR_SIZE : at] if at >= _ZIP64_LOCATOR_SIZE else b""
    if not locator.startswith(_ZIP64_LOCATOR):
        raise zipfile.BadZipFile("zip64 end record missing")
    (record_at,) = struct.unpack("<Q", locator[8:16])
    file.seek(record_at)
    record = file.read(56)
    if not record.startswith(_ZIP64_END_RECORD):
        raise zipfile.BadZipFile("zip64 end record missing")
    entries, directory_bytes = struct.unpack("<QQ", record[32:48])
    return entries, directory_bytes


def _is_archive(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    """By name, or by its first bytes: a zip named image1.png is still a zip."""
    if info.filename.lower().endswith(ARCHIVE_SUFFIXES):
        return True
    if info.file_size < _END_RECORD_SIZE:
        return False
    with archive.open(info) as entry:
        return entry.read(len(ZIP_MAGIC)) == ZIP_MAGIC


def _open_entry(file, archive: zipfile.ZipFile, info: zipfile.ZipInfo):
    """A seekable reader of the entry's unpacked bytes: in place when stored, else a stream."""
    if info.compress_type != zipfile.ZIP_STORED:
        return archive.open(info)
    file.seek(info.header_offset)
    header = file.read(30)
    if len(header) < 30 or not header.startswith(ZIP_MAGIC):
        raise zipfile.BadZipFile("bad local file header")
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    start = info.header_offset + 30 + name_length + extra_length
    return _Window(file, start, info.compress_size)
