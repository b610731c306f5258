"""A look inside a Word or OpenDocument file (both are zip archives) before clamd scans it.

clamd skips, without a word, a packed file larger than its MaxFileSize, so a small DOCX that
unpacks to a gigabyte of zeros came back clean. The portal therefore reads the archive itself
first and refuses, as unscannable, one with too many files, too much unpacked, a packing ratio
no document has, archives nested too deeply inside it, compressed files of other kinds inside
it, or parts it cannot open.

It reads the zip central directory (the table of contents) the way Python's zipfile does, and
its size is checked before zipfile loads it. The sizes that table declares are then checked by
unpacking every part as a stream and counting what actually comes out, stopping as soon as a
limit is passed: a table can lie, and a part that is not the size it says is refused.

The object is read from S3 with ranged GETs: the end records, the central directory, each
part's local header and its packed bytes a chunk at a time. An archive stored inside the
document is read in place the same way; a compressed one through zipfile's own stream, bounded
by the unpacked total already checked. Nothing here holds more than a chunk of a part in memory.
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
#: How other compressed or archive formats begin. Word and OpenDocument files never carry one
#: (their pictures and embedded objects are zips or plain files), and clamd would unpack each
#: under limits the portal cannot check, so a part that begins like this is refused.
FOREIGN_ARCHIVE_MAGIC = (
    b"\x1f\x8b",  # gzip
    b"7z\xbc\xaf\x27\x1c",  # 7-Zip
    b"Rar!\x1a\x07",  # RAR
    b"\xfd7zXZ\x00",  # xz
    b"BZh",  # bzip2
    b"\x28\xb5\x2f\xfd",  # Zstandard
    b"MSCF",  # Microsoft cabinet
)
_HEAD_BYTES = 8
_END_RECORD = b"PK\x05\x06"
_END_RECORD_SIZE = 22
_ZIP64_LOCATOR = b"PK\x06\x07"
_ZIP64_LOCATOR_SIZE = 20
_ZIP64_END_RECORD = b"PK\x06\x06"
_ZIP64_END_RECORD_SIZE = 56
#: How far back from the end zipfile looks for the end record (a comment is at most 64 KiB).
_END_SEARCH_BYTES = (1 << 16) + _END_RECORD_SIZE
_LOCAL_HEADER_SIZE = 30
#: A central directory entry is 46 bytes plus its name; Office's names are short. A directory
#: larger than this per allowed entry is not an ordinary document's.
_DIRECTORY_BYTES_PER_ENTRY = 1024
#: A packing ratio matters only for entries this large: a small run of spaces packs tightly too.
RATIO_FLOOR_BYTES = 1024 * 1024
#: Packed bytes read from S3 at a time (one ranged GET each), and unpacked bytes let out of the
#: inflater at a time: deflate packs up to 1032:1, so an unbounded call could turn one read
#: into a gigabyte.
_READ_BYTES = 1024 * 1024
_INFLATE_BYTES = 64 * 1024
#: Some writers store a folder's entry as an empty deflate stream (2 to 5 bytes); any more
#: packed data under a folder's name is hidden content.
_EMPTY_STREAM_BYTES = 5
_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)


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
    #: What the central directories declare, checked before anything is unpacked.
    declared: int = 0
    #: What unpacking actually produced so far.
    unpacked: int = 0

    def add_entries(self, count: int) -> None:
        self.entries += count
        if self.entries > self.limits.max_entries:
            raise _Refused(UnscannableReason.TOO_MANY_FILES)

    def add_entry(self, info: zipfile.ZipInfo) -> None:
        """Check what the directory declares of one entry (a folder's entry counts too)."""
        if info.flag_bits & 0x1:
            raise _Refused(UnscannableReason.ENCRYPTED)
        if info.compress_type not in _METHODS:
            raise _Refused(UnscannableReason.UNKNOWN_METHOD)
        if info.is_dir() and (info.file_size or info.compress_size > _EMPTY_STREAM_BYTES):
            raise _Refused(UnscannableReason.DAMAGED)  # a folder holds no data of its own
        if info.compress_type == zipfile.ZIP_STORED and info.file_size != info.compress_size:
            raise _Refused(UnscannableReason.DAMAGED)
        self.declared += info.file_size
        if self.declared > self.limits.max_uncompressed_bytes:
            raise _Refused(UnscannableReason.TOO_LARGE_UNPACKED)
        self.check_ratio(info.file_size, info.compress_size)

    def add_unpacked(self, info: zipfile.ZipInfo, *, count: int, so_far: int) -> None:
        """Count `count` more bytes actually unpacked from `info` (`so_far` of it in all)."""
        self.unpacked += count
        if self.unpacked > self.limits.max_uncompressed_bytes:
            raise _Refused(UnscannableReason.TOO_LARGE_UNPACKED)
        self.check_ratio(so_far, info.compress_size)
        if so_far > info.file_size:  # more than the directory said: it lied about the size
            raise _Refused(UnscannableReason.DAMAGED)

    def check_ratio(self, unpacked: int, packed: int) -> None:
        if unpacked >= RATIO_FLOOR_BYTES and unpacked > self.limits.max_ratio * max(packed, 1):
            raise _Refused(UnscannableReason.COMPRESSION_RATIO)


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


#: What reading a broken zip raises, from zipfile, zlib, struct or a seek before the start.
_DAMAGED_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    struct.error,
    EOFError,
    ValueError,
)


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
    except _DAMAGED_ERRORS:
        return ArchiveCheck(UnscannableReason.DAMAGED, etag)
    except NotImplementedError:  # a compression method zipfile does not know: cannot look
        return ArchiveCheck(UnscannableReason.UNKNOWN_METHOD, etag)
    return ArchiveCheck(None, etag)


def _check_archive(file, totals: _Totals, *, depth: int) -> None:
    if depth > totals.limits.max_depth:
        raise _Refused(UnscannableReason.NESTED_TOO_DEEP)
    # The count and directory size zipfile will use come first, so that a directory of a
    # million entries is refused before zipfile reads it into memory.
    entries, directory_bytes = _directory_size(file)
    totals.add_entries(entries)
    if directory_bytes > max(entries, 1) * _DIRECTORY_BYTES_PER_ENTRY:
        raise _Refused(UnscannableReason.TOO_MANY_FILES)
    with zipfile.ZipFile(file) as archive:
        infos = sorted(archive.infolist(), key=lambda info: info.header_offset)
        if len(infos) != entries:  # the directory holds other than its end record says
            raise _Refused(UnscannableReason.DAMAGED)
        for info in infos:
            totals.add_entry(info)
        nested = []
        for info, start in _data_starts(file, infos, directory_at=archive.start_dir):
            head = _unpack(file, info, start, totals)
            if head.startswith(FOREIGN_ARCHIVE_MAGIC):
                raise _Refused(UnscannableReason.ARCHIVE_INSIDE)
            # By name, or by its first bytes: a zip named image1.png is still a zip.
            if info.filename.lower().endswith(ARCHIVE_SUFFIXES) or head.startswith(ZIP_MAGIC):
                nested.append((info, start))
        for info, start in nested:
            with _open_entry(file, archive, info, start) as inner:
                _check_archive(inner, totals, depth=depth + 1)


def _directory_size(file) -> tuple[int, int]:
    """The entry count and central directory size that zipfile will read.

    zipfile (CPython 3.11, _EndRecData) takes them from the zip64 end record whenever a zip64
    locator sits just before the end record, whatever the classic record says. So does this;
    and where the classic record's fields are not saturated (0xFFFF...) they must agree with
    the zip64 ones, or the archive says two things about itself and is refused as damaged.
    """
    at, record = _end_record(file)
    (_sig, _disk, _disk_cd, on_disk, entries, directory_bytes, offset, _comment) = struct.unpack(
        "<4s4H2LH", record
    )
    if at < _ZIP64_LOCATOR_SIZE:
        return entries, directory_bytes
    file.seek(at - _ZIP64_LOCATOR_SIZE)
    if not file.read(_ZIP64_LOCATOR_SIZE).startswith(_ZIP64_LOCATOR):
        return entries, directory_bytes
    # Where zipfile reads it: right before the locator (it assumes no extensible data).
    file.seek(at - _ZIP64_LOCATOR_SIZE - _ZIP64_END_RECORD_SIZE)
    zip64 = file.read(_ZIP64_END_RECORD_SIZE)
    if len(zip64) < _ZIP64_END_RECORD_SIZE or not zip64.startswith(_ZIP64_END_RECORD):
        raise zipfile.BadZipFile("a zip64 locator without its end record")
    wide = struct.unpack("<4Q", zip64[24:56])
    for narrow, value, saturated in zip(
        (on_disk, entries, directory_bytes, offset),
        wide,
        (0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF),
        strict=True,
    ):
        if narrow not in (saturated, value):
            raise zipfile.BadZipFile("the classic and zip64 end records disagree")
    return wide[1], wide[2]


def _end_record(file) -> tuple[int, bytes]:
    """The end record where zipfile finds it: the last 22 bytes when the archive has no
    comment, else the last signature within the final 64 KiB."""
    size = file.seek(0, io.SEEK_END)
    if size >= _END_RECORD_SIZE:
        file.seek(size - _END_RECORD_SIZE)
        record = file.read(_END_RECORD_SIZE)
        if record.startswith(_END_RECORD) and record.endswith(b"\0\0"):
            return size - _END_RECORD_SIZE, record
    tail_start = max(size - _END_SEARCH_BYTES, 0)
    file.seek(tail_start)
    tail = file.read(size - tail_start)
    at = tail.rfind(_END_RECORD)
    if at < 0 or len(tail) - at < _END_RECORD_SIZE:
        raise zipfile.BadZipFile("no end of central directory record")
    return tail_start + at, tail[at : at + _END_RECORD_SIZE]


def _data_starts(file, infos: list[zipfile.ZipInfo], *, directory_at: int):
    """Each entry (in file order) with where its packed bytes start, after its local header.

    The local header must name the same file and method as the directory, and no entry's bytes
    may run into the next entry or the directory: entries sharing bytes are how a small zip
    makes clamd unpack the same data over and over.
    """
    for index, info in enumerate(infos):
        file.seek(info.header_offset)
        header = file.read(_LOCAL_HEADER_SIZE)
        if len(header) < _LOCAL_HEADER_SIZE or not header.startswith(ZIP_MAGIC):
            raise zipfile.BadZipFile("bad local file header")
        flags, method = struct.unpack("<HH", header[6:10])
        name_length, extra_length = struct.unpack("<HH", header[26:30])
        name = file.read(name_length).decode("utf-8" if flags & 0x800 else "cp437")
        if name != info.orig_filename or method != info.compress_type:
            raise zipfile.BadZipFile("the local header differs from the directory")
        start = info.header_offset + _LOCAL_HEADER_SIZE + name_length + extra_length
        limit = infos[index + 1].header_offset if index + 1 < len(infos) else directory_at
        if start + info.compress_size > limit:
            raise zipfile.BadZipFile("entries overlap")
        yield info, start


def _unpack(file, info: zipfile.ZipInfo, start: int, totals: _Totals) -> bytes:
    """Check the entry's real unpacked size against its declared one and the limits, and
    return its first bytes. A stored entry is as large as its packed bytes; a deflated one is
    inflated a chunk at a time and only counted, stopping as soon as a limit is passed."""
    file.seek(start)
    if info.compress_type == zipfile.ZIP_STORED:
        return file.read(min(info.compress_size, _HEAD_BYTES))
    if info.compress_size == info.file_size == 0:  # an empty file, as zipfile reads it too
        return b""
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    packed_left, pending = info.compress_size, b""
    produced, crc, head = 0, 0, b""
    while not inflater.eof:
        if not pending:
            pending = file.read(min(_READ_BYTES, packed_left))
            if not pending:
                raise zipfile.BadZipFile("the packed data ends early")
            packed_left -= len(pending)
        chunk = inflater.decompress(pending, _INFLATE_BYTES)
        pending = inflater.unconsumed_tail
        produced += len(chunk)
        totals.add_unpacked(info, count=len(chunk), so_far=produced)
        crc = zlib.crc32(chunk, crc)
        if len(head) < _HEAD_BYTES:
            head += chunk[: _HEAD_BYTES - len(head)]
    if packed_left or pending or inflater.unused_data:
        raise zipfile.BadZipFile("packed data past the end of the stream")
    if produced != info.file_size or crc != info.CRC:
        raise zipfile.BadZipFile("the entry is not what its directory entry says")
    return head


def _open_entry(file, archive: zipfile.ZipFile, info: zipfile.ZipInfo, start: int):
    """A seekable reader of the entry's unpacked bytes: in place when stored, else a stream."""
    if info.compress_type != zipfile.ZIP_STORED:
        return archive.open(info)
    return _Window(file, start, info.compress_size)
