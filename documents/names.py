"""File names from browsers: cleaned for display, and encoded safely into download headers.

A name is never used to build a storage key or a path; it is only ever shown (escaped by the
templates) and offered back as the suggested name of a download.
"""

import unicodedata
from urllib.parse import quote

MAX_NAME_LENGTH = 200
FALLBACK_NAME = "document"


def clean_file_name(raw: str) -> str:
    """A display name: no path, no control or bidirectional-override characters, at most
    MAX_NAME_LENGTH characters with the extension kept."""
    name = unicodedata.normalize("NFC", raw or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    # Cc: control characters (NUL, CR, LF...); Cf: format characters, among them the
    # right-to-left override that makes "exe.pdf" read as "fdp.exe".
    name = "".join(
        " " if char.isspace() else char
        for char in name
        if unicodedata.category(char) not in ("Cc", "Cf") or char in "\t\n\r"
    )
    name = " ".join(name.split()).strip(" .")
    if not name:
        return FALLBACK_NAME
    if len(name) > MAX_NAME_LENGTH:
        stem, dot, extension = name.rpartition(".")
        if dot and stem and len(extension) <= 10:
            name = f"{stem[: MAX_NAME_LENGTH - len(extension) - 1].rstrip()}.{extension}"
        else:
            name = name[:MAX_NAME_LENGTH]
    return name


def content_disposition(name: str) -> str:
    """An attachment header value for `name`: an ASCII fallback plus the RFC 5987 UTF-8 form."""
    name = clean_file_name(name)
    ascii_name = (
        unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
        or FALLBACK_NAME
    )
    ascii_name = "".join(char if char.isalnum() or char in " ._-()" else "_" for char in ascii_name)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"
