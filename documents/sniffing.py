"""What a file is, judged by its first bytes (magic numbers), never by its name or the browser.

Only the types on the allow-list are accepted, and the file name's extension must agree with
the type found: an executable renamed to .pdf or a web page renamed to .jpg is refused.
"""

import struct
from dataclasses import dataclass

#: Enough of the start of a file to tell every allowed type apart.
SNIFF_BYTES = 8 * 1024


@dataclass(frozen=True)
class FileType:
    content_type: str
    #: What a file of this type is, with its article, for sentences: "not a JPEG image".
    label: str
    extensions: frozenset[str]


PDF = FileType("application/pdf", "a PDF", frozenset({"pdf"}))
JPEG = FileType("image/jpeg", "a JPEG image", frozenset({"jpg", "jpeg"}))
PNG = FileType("image/png", "a PNG image", frozenset({"png"}))
HEIC = FileType("image/heic", "a HEIC image", frozenset({"heic", "heif"}))
TIFF = FileType("image/tiff", "a TIFF image", frozenset({"tif", "tiff"}))
DOCX = FileType(
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "a Word document",
    frozenset({"docx"}),
)
ODT = FileType(
    "application/vnd.oasis.opendocument.text", "an OpenDocument text document", frozenset({"odt"})
)
TEXT = FileType("text/plain", "a plain text file", frozenset({"txt", "text"}))

ALLOWED_TYPES = (PDF, JPEG, PNG, HEIC, TIFF, DOCX, ODT, TEXT)
ALLOWED_EXTENSIONS = frozenset(ext for kind in ALLOWED_TYPES for ext in kind.extensions)

_HEIC_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
_ZIP_LOCAL_HEADER = b"PK\x03\x04"
_ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"
#: The part every Word document has; its name appears in the zip's local headers.
DOCX_MAIN_PART = b"word/document.xml"
# Markup that browsers would render: refused even as plain text, whatever the name says.
_MARKUP_STARTS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<script", b"<svg", b"<?xml")


def sniff(head: bytes, *, complete: bool = False) -> FileType | None:
    """The allowed type whose signature `head` (the first bytes of a file) carries, or None.

    `complete` says `head` is the whole file, so a short text is judged as it is.
    """
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return TIFF
    if len(head) >= 12 and head[4:8] == b"ftyp" and head[8:12] in _HEIC_BRANDS:
        return HEIC
    if head.startswith(_ZIP_LOCAL_HEADER):
        return _sniff_zip(head)
    if _looks_like_text(head, complete=complete):
        return TEXT
    return None


def _first_zip_entry(head: bytes) -> tuple[str, bytes]:
    """The name and the start of the stored data of a zip's first entry."""
    if len(head) < 30:
        return "", b""
    name_length, extra_length = struct.unpack("<HH", head[26:30])
    name = head[30 : 30 + name_length].decode("utf-8", errors="replace")
    data_start = 30 + name_length + extra_length
    return name, head[data_start : data_start + len(_ODT_MIMETYPE)]


def _sniff_zip(head: bytes) -> FileType | None:
    name, data = _first_zip_entry(head)
    # OpenDocument requires an uncompressed first entry "mimetype" holding the media type.
    if name == "mimetype":
        return ODT if data == _ODT_MIMETYPE else None
    # Office Open XML packages start with their content-types part or relationships (Word,
    # LibreOffice and Google Docs write one of these first). A spreadsheet starts the same way,
    # so the upload handler also requires DOCX_MAIN_PART somewhere in the stream.
    if name in ("[Content_Types].xml", "_rels/.rels") or name.startswith("word/"):
        return DOCX
    return None


def _looks_like_text(head: bytes, *, complete: bool) -> bool:
    if not head or b"\x00" in head:
        return False
    if head.lstrip().lower().startswith(_MARKUP_STARTS):
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut off by the end of the sample is still text.
        if complete or error.start < len(head) - 3:
            return False
    controls = sum(1 for byte in head if byte < 32 and byte not in (9, 10, 12, 13))
    return controls == 0


def type_for_extension(extension: str) -> FileType | None:
    """The allowed type a file name's extension claims, or None."""
    return next((kind for kind in ALLOWED_TYPES if extension in kind.extensions), None)


def extension_of(name: str) -> str:
    """The lower-cased extension of a file name, without the dot ('' when there is none)."""
    stem, dot, extension = name.rpartition(".")
    return extension.lower() if dot and stem else ""
