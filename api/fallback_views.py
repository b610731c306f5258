"""The answer to an address under /api/ that names no resource (a mistyped path, an id that is
not a UUID): a problem+json 404, as every other error of the API, rather than the portal's HTML
page that a client's parser cannot read."""

from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.views import APIView


@extend_schema(exclude=True)
class UnknownPathView(APIView):
    # Nothing is read or shown, so no key is asked for: a wrong address is a 404 for anyone.
    authentication_classes = []
    permission_classes = []
    throttle_classes = []

    def _not_found(self, request, *args, **kwargs):
        raise NotFound("There is nothing at this address: check it against the API's schema.")

    get = post = put = patch = delete = head = options = _not_found
