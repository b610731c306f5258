"""The OpenAPI schema's conventions for every operation: the API-key scheme, and the problem+json
answers each may give (so a client, and schemathesis, know every status the API can return)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from api.problems import CONTENT_TYPE

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description="A new random value (a UUID) per change; the same value when retrying it. A "
    "repeat returns the first answer and changes nothing.",
)


def if_match(what: str) -> OpenApiParameter:
    """The If-Match header of an update of `what` (the claim, the endpoint)."""
    return OpenApiParameter(
        "If-Match",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        required=True,
        description=f"The {what}'s ETag from its last GET; a stale one gets 412.",
    )


PROBLEM = {
    "type": "object",
    "description": "RFC 9457 problem details.",
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
                "required": ["field", "message"],
            },
        },
    },
    "required": ["type", "title", "status", "detail"],
}

ERRORS_ALWAYS = {
    "400": "The request has errors (see errors).",
    "401": "No API key, or one that is unknown, revoked or expired.",
    "403": "The client lacks the scope, or may not do this to the claim.",
    "404": "No such object among your insurer's.",
    "406": "Only application/json is offered.",
    "429": "Over the client's rate limit (a courtesy; see Retry-After).",
}
ERRORS_OF_POST = {
    "409": "The claim's state does not allow this.",
    "412": "If-Match is stale: the claim changed since you read it.",
    "415": "Send application/json.",
    "422": "The change cannot be carried out (the detail says why), or the Idempotency-Key was "
    "used for a different request.",
    "428": "Idempotency-Key (or, for updates, If-Match) is missing.",
}

ERRORS_OF_PATCH = {
    "412": "If-Match is stale: the object changed since you read it.",
    "415": "Send application/json.",
    "428": "If-Match is missing.",
}


class ProblemAutoSchema(AutoSchema):
    """drf-spectacular's schema, with the problem+json errors every operation can answer."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        component = ResolvedComponent(
            name="Problem", type=ResolvedComponent.SCHEMA, schema=PROBLEM, object="Problem"
        )
        self.registry.register_on_missing(component)
        errors = dict(ERRORS_ALWAYS)
        if self.method == "POST":
            errors.update(ERRORS_OF_POST)
        if self.method == "PATCH":
            errors.update(ERRORS_OF_PATCH)
        if self.method == "GET" and self._is_list_view():
            errors["404"] = "An invalid cursor."
        for code, description in errors.items():
            responses.setdefault(
                code,
                {"description": description, "content": {CONTENT_TYPE: {"schema": component.ref}}},
            )
        return responses


class ClientKeyScheme(OpenApiAuthenticationExtension):
    target_class = "api.auth.ClientKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Api-Key <key>`: the key an administrator issued to your client.",
        }
