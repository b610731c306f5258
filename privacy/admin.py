"""The privacy app's admin pages; each area registers its own in privacy/<area>_admin.py."""

from privacy.export_admin import ExportRequestAdmin  # noqa: F401
from privacy.retention_admin import AnonymisedClaimAdmin, LegalHoldAdmin  # noqa: F401
