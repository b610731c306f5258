"""The streaming upload handler: every limit is enforced while the request body is being read.

Django hands the handler each file of a multipart request chunk by chunk. The handler counts
files and bytes, sniffs the type from the first bytes, hashes, and streams the bytes on to S3
under a random quarantine key. The moment a limit is crossed it stops reading the request
(StopUpload with connection_reset), so an oversize body is never read whole; everything it had
already stored for that request is deleted, so a refused request leaves nothing behind.
"""

import hashlib
from dataclasses import dataclass

from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile, StopUpload
from django.utils.translation import gettext as _

from documents import objects
from documents.names import clean_file_name
from documents.sniffing import (
    DOCX,
    DOCX_MAIN_PART,
    SNIFF_BYTES,
    FileType,
    extension_of,
    sniff,
    type_for_extension,
)

MB = 1024 * 1024
ACCEPTED_TYPES_SENTENCE = _(
    "We accept PDF files, JPEG, PNG, HEIC and TIFF images, Word (.docx) and OpenDocument (.odt) "
    "documents, and plain text (.txt)."
)


@dataclass(frozen=True)
class UploadLimits:
    max_file_bytes: int
    max_files: int
    #: What the claim can still take, across every file of this request.
    claim_bytes_left: int
    claim_total_bytes: int

    @property
    def max_request_bytes(self) -> int:
        """The most a well-formed request can carry: the files plus room for the form fields."""
        return self.max_files * self.max_file_bytes + MB


class StoredUpload(UploadedFile):
    """A file already streamed to S3: its key, size, SHA-256 and sniffed type; no content here."""

    def __init__(self, *, key: str, name: str, size: int, sha256: str, file_type: FileType):
        super().__init__(file=None, name=name, content_type=file_type.content_type, size=size)
        self.storage_key = key
        self.sha256 = sha256
        self.file_type = file_type

    def open(self, mode=None):
        raise ValueError("A stored upload is read from S3, never from the web process.")

    def close(self):
        pass


class DocumentUploadHandler(FileUploadHandler):
    """Stream each file of a request to S3 quarantine, refusing it the moment it breaks a rule.

    After parsing, `errors` lists what was refused (complete sentences) and `stored` what was
    written; the caller saves rows for `stored` or calls `discard()`.
    """

    chunk_size = 64 * 1024

    def __init__(self, request=None, *, limits: UploadLimits):
        super().__init__(request)
        self.limits = limits
        self.errors: list[str] = []
        self.stored: list[StoredUpload] = []
        self.request_bytes = 0
        self.files_seen = 0
        #: Whether a size limit (rather than a type or storage problem) refused the request.
        self.too_large = False
        self._writer: objects.ObjectWriter | None = None

    # --- Django's upload handler interface ---

    def new_file(self, field_name, file_name, content_type, content_length, *args, **kwargs):
        super().new_file(field_name, file_name, content_type, content_length, *args, **kwargs)
        self.display_name = clean_file_name(file_name)
        self.files_seen += 1
        if self.files_seen > self.limits.max_files:
            self._refuse(
                _("You can send up to %(count)d files at a time.")
                % {"count": self.limits.max_files}
            )
        if field_name not in self._file_fields():
            # Refused before a byte of it is stored: only the form's own rows carry files.
            self._refuse(
                _(
                    "This upload carried a file in a field the form does not have, so nothing "
                    "was saved. Reload the page and send your files again."
                )
            )
        self._size = 0
        self._sha256 = hashlib.sha256()
        self._head = bytearray()
        self._type: FileType | None = None
        self._docx_tail = b""
        self._docx_confirmed = False
        self._writer = objects.ObjectWriter(objects.new_quarantine_key())

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self._size += len(raw_data)
        self.request_bytes += len(raw_data)
        self._check_sizes()
        self._sha256.update(raw_data)
        if self._type is None:
            self._head += raw_data
            if len(self._head) >= SNIFF_BYTES:
                self._judge_type(complete=False)
                self._write(bytes(self._head))
                self._head.clear()
        else:
            self._write(raw_data)
        return None  # consumed: no later handler sees the bytes

    def file_complete(self, file_size: int) -> StoredUpload:
        if file_size == 0:
            self._refuse(_("“%(name)s” is empty.") % {"name": self.display_name})
        if self._type is None:
            self._judge_type(complete=True)
            self._write(bytes(self._head))
            self._head.clear()
        if self._type is DOCX and not self._docx_confirmed:
            self._refuse(self._not_what_its_name_says(DOCX))
        try:
            self._writer.close()
        except objects.StorageErrors:
            self._refuse_storage()
        stored = StoredUpload(
            key=self._writer.key,
            name=self.display_name,
            size=file_size,
            sha256=self._sha256.hexdigest(),
            file_type=self._type,
        )
        self._writer = None
        self.stored.append(stored)
        return stored

    def upload_interrupted(self) -> None:
        self._abort_current()

    # --- checks ---

    def _file_fields(self) -> set[str]:
        """The form's file fields (documents.forms.DocumentUploadForm): file_1 ... file_N."""
        return {f"file_{number}" for number in range(1, self.limits.max_files + 1)}

    def _check_sizes(self) -> None:
        if self._size > self.limits.max_file_bytes:
            self.too_large = True
            self._refuse(
                _("“%(name)s” is larger than %(limit)d MB, the largest file we accept.")
                % {"name": self.display_name, "limit": self.limits.max_file_bytes // MB}
            )
        if self.request_bytes > self.limits.claim_bytes_left:
            self.too_large = True
            self._refuse(
                _(
                    "A claim can hold %(limit)d MB of documents in all, and these files would "
                    "take this claim over that."
                )
                % {"limit": self.limits.claim_total_bytes // MB}
            )

    def _judge_type(self, *, complete: bool) -> None:
        found = sniff(bytes(self._head[:SNIFF_BYTES]), complete=complete)
        claimed = type_for_extension(extension_of(self.display_name))
        if found is None:
            # Named as a kind we take, the file is not one: say so rather than list the kinds.
            self._refuse(
                self._not_what_its_name_says(claimed) if claimed else self._not_accepted_message()
            )
        if found is not claimed:
            message = (
                _("“%(name)s” is not %(claimed)s: it is %(kind)s.")
                % {"name": self.display_name, "claimed": claimed.label, "kind": found.label}
                if claimed
                else _("“%(name)s” is %(kind)s.") % {"name": self.display_name, "kind": found.label}
            )
            self._refuse(
                message
                + " "
                + _("Send it with a name ending in %(expected)s.")
                % {"expected": " or ".join(f".{ext}" for ext in sorted(found.extensions))}
            )
        self._type = found
        self._writer.content_type = found.content_type

    def _not_what_its_name_says(self, claimed: FileType) -> str:
        return _(
            "“%(name)s” is not %(kind)s. Check that you chose the right file, or save it "
            "again as %(kind)s, and send it again."
        ) % {"name": self.display_name, "kind": claimed.label}

    def _not_accepted_message(self) -> str:
        return (
            _("“%(name)s” is not a kind of file we accept.") % {"name": self.display_name}
            + " "
            + ACCEPTED_TYPES_SENTENCE
        )

    # --- storage ---

    def _write(self, data: bytes) -> None:
        if not data:
            return
        if self._type is DOCX and not self._docx_confirmed:
            # A spreadsheet or any other zip starts like a Word document; its main part does not.
            window = self._docx_tail + data
            self._docx_confirmed = DOCX_MAIN_PART in window
            self._docx_tail = window[-len(DOCX_MAIN_PART) :]
        try:
            self._writer.write(data)
        except objects.StorageErrors:
            self._refuse_storage()

    def _refuse_storage(self) -> None:
        self._refuse(
            _(
                "We could not store your files just now, so nothing was saved. Please try "
                "again in a few minutes."
            )
        )

    def _refuse(self, message: str) -> None:
        """Record why, drop everything this request stored, and stop reading the request."""
        self.errors.append(message)
        self.discard()
        raise StopUpload(connection_reset=True)

    def _abort_current(self) -> None:
        if self._writer is not None:
            self._writer.abort()
            self._writer = None

    def discard(self) -> None:
        """Delete every object this request wrote; safe to call more than once."""
        self._abort_current()
        for upload in self.stored:
            objects.delete_quietly(upload.storage_key)
        self.stored = []


class NoFilesExpectedHandler(FileUploadHandler):
    """The project-wide default: only the document upload view accepts files (with its own
    handler). Anywhere else a file is skipped unread, so none is ever kept in a web process's
    memory or on its disk."""

    def new_file(self, *args, **kwargs):
        raise SkipFile

    def receive_data_chunk(self, raw_data, start):
        return None

    def file_complete(self, file_size):
        return None
