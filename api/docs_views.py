"""The API's documentation pages, Swagger UI and Redoc, from drf-spectacular-sidecar's copies (no
CDN). Both draw with inline styles (Redoc's styled-components, Swagger UI's style attributes) and
Redoc runs a web worker from a blob, so these two pages, and only these, relax the portal's CSP
(portal.middleware.ContentSecurityPolicyMiddleware keeps a header a view set) for those: scripts
stay 'self' only. The pages hold no data; the schema they read is public."""

from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerSplitView

DOCS_POLICY = (
    "default-src 'self'; img-src 'self' data:; script-src 'self'; "
    "style-src 'self' 'unsafe-inline'; worker-src 'self' blob:; connect-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


class _DocsPolicy:
    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response.headers["Content-Security-Policy"] = DOCS_POLICY
        return response


class SwaggerView(_DocsPolicy, SpectacularSwaggerSplitView):
    """Swagger UI, its start-up script served from the portal (the split view), not inline."""


class RedocView(_DocsPolicy, SpectacularRedocView):
    template_name = "api/redoc.html"
