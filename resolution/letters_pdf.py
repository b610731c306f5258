"""HTML to tagged PDF/UA-1 with WeasyPrint, fetching nothing.

WeasyPrint lays text out with Pango (Debian's libpango-1.0-0 and libpangoft2-1.0-0, installed by
scripts/bootstrap.sh) and draws a structure tree from the HTML: headings, paragraphs, lists and
tables become tags a screen reader follows; `<html lang>` becomes the catalogue's /Lang and
`<title>` the document title, shown in the reader's title bar (DisplayDocTitle). Only workers
import this module (resolution/letters.py imports it when it draws): importing WeasyPrint takes
most of a second and some 45 MB that web processes, which never draw, need not carry.
"""

import logging

# WeasyPrint logs every step of every drawing at INFO ("Step 5 - Creating layout"), from its own
# import on: noise in a worker's log, a screen per letter. Its warnings and errors still come
# through. Set before the import below, which already logs.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

from weasyprint import HTML  # noqa: E402
from weasyprint.urls import FatalURLFetchingError, URLFetcher  # noqa: E402

#: PDF/UA-1 (ISO 14289-1): tagged, with a language, a title and DisplayDocTitle.
PDF_VARIANT = "pdf/ua-1"


class PdfError(Exception):
    """The HTML could not be drawn; the message names no detail of what it holds."""


class RemoteFetchRefused(FatalURLFetchingError):
    """The HTML asked for a resource by URL: drawing stops, where WeasyPrint would otherwise skip
    the resource with a warning and a letter with a hole in it would go out."""


class NoFetching(URLFetcher):
    """Fetches nothing but inline data: URIs: no network, no file system."""

    def fetch(self, url: str, headers=None):
        if url.startswith("data:"):
            return super().fetch(url, headers)
        # The URL itself is not repeated: a stray link could carry anything.
        raise RemoteFetchRefused("A letter may not fetch resources by URL.")


def pdf_from_html(html: str) -> bytes:
    """Draw `html` as a tagged PDF/UA-1 with nothing fetched; raises PdfError when it asks for
    a resource by URL."""
    try:
        return HTML(string=html, url_fetcher=NoFetching()).write_pdf(pdf_variant=PDF_VARIANT)
    except RemoteFetchRefused as refused:
        # FatalURLFetchingError is a BaseException; callers (a task) must meet an ordinary one.
        raise PdfError(str(refused)) from None
