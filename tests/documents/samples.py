"""Small sample files of every kind the portal meets, built in memory for the tests."""

import gzip
import io
import struct
import zipfile
import zlib

import clamd

EICAR: bytes = clamd.EICAR


def pdf(text: str = "Discharge summary") -> bytes:
    body = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]/Contents 4 0 R>>endobj\n"
        + f"4 0 obj<</Length {len(body)}>>stream\n".encode()
        + body
        + b"\nendstream endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    )


def png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\x00"))
        + chunk(b"IEND", b"")
    )


def jpeg() -> bytes:
    return (
        b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
        + b"\x00" * 64
        + b"\xff\xd9"
    )


def tiff() -> bytes:
    return b"II*\x00\x08\x00\x00\x00" + b"\x00" * 32


def heic() -> bytes:
    return struct.pack(">I", 24) + b"ftypheic" + b"\x00\x00\x00\x00mif1heic" + b"\x00" * 32


def zip_of(entries: list[tuple[str, bytes]], *, stored_first: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for index, (name, data) in enumerate(entries):
            method = zipfile.ZIP_STORED if stored_first and index == 0 else zipfile.ZIP_DEFLATED
            archive.writestr(zipfile.ZipInfo(name), data, compress_type=method)
    return buffer.getvalue()


def docx(extra: list[tuple[str, bytes]] = ()) -> bytes:
    return zip_of(
        [
            ("[Content_Types].xml", b'<?xml version="1.0"?><Types/>'),
            ("_rels/.rels", b'<?xml version="1.0"?><Relationships/>'),
            ("word/document.xml", b'<?xml version="1.0"?><w:document/>'),
            *extra,
        ]
    )


def xlsx() -> bytes:
    return zip_of(
        [
            ("[Content_Types].xml", b'<?xml version="1.0"?><Types/>'),
            ("xl/workbook.xml", b'<?xml version="1.0"?><workbook/>'),
        ]
    )


def odt() -> bytes:
    return zip_of(
        [
            ("mimetype", b"application/vnd.oasis.opendocument.text"),
            ("content.xml", b'<?xml version="1.0"?><office:document-content/>'),
        ],
        stored_first=True,
    )


def eicar_zip() -> bytes:
    return zip_of([("eicar.com", EICAR)])


def eicar_nested_zip() -> bytes:
    return zip_of([("inner.zip", eicar_zip())])


def eicar_gzip() -> bytes:
    return gzip.compress(EICAR)


def executable() -> bytes:
    return (
        b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64 + b"PE\x00\x00"
    )


def html() -> bytes:
    return b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"


def docx_nested(depth: int, *, inner_name: str = "word/embeddings/inner.docx") -> bytes:
    """A Word document holding a Word document... `depth` levels down."""
    data = docx()
    for _ in range(depth):
        data = docx([(inner_name, data)])
    return data


def odt_with(entries: list[tuple[str, bytes]]) -> bytes:
    return zip_of(
        [
            ("mimetype", b"application/vnd.oasis.opendocument.text"),
            ("content.xml", b'<?xml version="1.0"?><office:document-content/>'),
            *entries,
        ],
        stored_first=True,
    )


def write_docx_bomb(path, *, unpacked_bytes: int) -> None:
    """Write to `path` a Word document with a part of `unpacked_bytes` zeros: 1 GiB packs into
    about 1 MB. Written a megabyte at a time, so the zeros never exist whole in memory."""
    zeros = bytes(1024 * 1024)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in [
            ("[Content_Types].xml", b'<?xml version="1.0"?><Types/>'),
            ("_rels/.rels", b'<?xml version="1.0"?><Relationships/>'),
            ("word/document.xml", b'<?xml version="1.0"?><w:document/>'),
        ]:
            archive.writestr(name, data)
        with archive.open("word/media/image1.png", "w", force_zip64=True) as part:
            for _ in range(unpacked_bytes // len(zeros)):
                part.write(zeros)


def central_entry_at(data: bytes, name: str) -> int:
    """Where the central directory entry of `name` starts in the zip `data`."""
    return data.rindex(b"PK\x01\x02", 0, data.rindex(name.encode()))


def write_docx_bomb_declaring(path, *, unpacked_bytes: int, declared_bytes: int) -> None:
    """A Word document whose part of `unpacked_bytes` zeros is declared, in the central
    directory, as `declared_bytes` with the checksum of that many zeros: a table of contents
    that lies about the size, and is right about the bytes it admits to."""
    zeros = bytes(1024 * 1024)
    name = "word/media/image1.png"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b'<?xml version="1.0"?><Types/>')
        archive.writestr("word/document.xml", b'<?xml version="1.0"?><w:document/>')
        with archive.open(name, "w") as part:  # under 2 GiB: plain 32-bit sizes
            for _ in range(unpacked_bytes // len(zeros)):
                part.write(zeros)
    data = bytearray(path.read_bytes())
    entry = central_entry_at(bytes(data), name)
    # Its CRC-32 and uncompressed size.
    data[entry + 16 : entry + 20] = struct.pack("<L", zlib.crc32(bytes(declared_bytes)))
    data[entry + 24 : entry + 28] = struct.pack("<L", declared_bytes)
    path.write_bytes(bytes(data))
