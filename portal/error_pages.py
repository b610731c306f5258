"""The portal's own error pages, even with DEBUG on.

`make run` keeps DEBUG on for its demo accounts, yet a debug page shows settings, code and the
request to whoever is looking. With DEBUG on, settings also set DEBUG_PROPAGATE_EXCEPTIONS, so
an uncaught error rises out of Django's handler to this middleware, the outermost, which logs it
(the developer reads the traceback in the console) and answers with 500.html.
"""

import logging

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.defaults import page_not_found, server_error

logger = logging.getLogger("portal.errors")


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
        if response.status_code == 404 and getattr(request, "resolver_match", None) is None:
            # No URL matched: Django answered with its debug page listing every URL pattern.
            return page_not_found(request, Http404())
        return response

    def process_exception(self, request: HttpRequest, exception: Exception):
        """A view's Http404 gets the portal's page; anything else propagates to __call__."""
        if settings.DEBUG and isinstance(exception, Http404):
            return page_not_found(request, exception)
        return None
