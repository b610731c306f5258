"""The OpenAPI schema's conventions for every operation: the problem+json answers each may give."""

from drf_spectacular.openapi import AutoSchema


class ProblemAutoSchema(AutoSchema):
    """drf-spectacular's schema, with the problem+json errors every operation can answer."""
