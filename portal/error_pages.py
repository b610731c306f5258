"""The portal's own error pages, even with DEBUG on.

`make run` keeps DEBUG on for its demo accounts, yet a debug page shows settings, code and the
request to whoever is looking. With DEBUG on, settings also set DEBUG_PROPAGATE_EXCEPTIONS, so
an uncaught error rises out of Django's handler to this middleware, the outermost, which logs it
(the developer reads the traceback in the console) and answers with 500.html. Errors Django
turns into a page itself (a bad Host header, a request too big, an unknown address) are found by
the debug page's own mark and answered with the portal's page for their status.
"""

import logging

from django.conf import settings
from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.views.defaults import bad_request, page_not_found, permission_denied, server_error

logger = logging.getLogger("portal.errors")

#: In the <head> of every page django.views.debug renders (its 404, 500 and 400 pages).
DEBUG_PAGE_MARK = b'<meta name="robots" content="NONE,NOARCHIVE">'


class OwnErrorPagesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not settings.DEBUG:
            return self.get_response(request)  # Django's handlers render the same pages
        try:
            response = self.get_response(request)
        except Exception:
            logger.exception("Unhandled error answering %s %s", request.method, request.path)
            return server_error(request)
        if _is_debug_page(response):
            return _own_page(request, response.status_code)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception):
        """A view's refusal gets the portal's page; anything else propagates to __call__."""
        if not settings.DEBUG:
            return None
        if isinstance(exception, Http404):
            return page_not_found(request, exception)
        if isinstance(exception, SuspiciousOperation | BadRequest):
            return bad_request(request, exception)
        return None


def _is_debug_page(response: HttpResponse) -> bool:
    return (
        response.status_code >= 400
        and not response.streaming
        and DEBUG_PAGE_MARK in response.content[:2000]
    )


def _own_page(request: HttpRequest, status: int) -> HttpResponse:
    if status == 404:
        return page_not_found(request, Http404())
    if status == 403:
        return permission_denied(request, PermissionDenied())
    if status < 500:
        return bad_request(request, BadRequest())
    return server_error(request)
