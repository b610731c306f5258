"""The privacy lifecycle's records; each area keeps its models in its own module, imported
here so Django finds them."""

from privacy.export_models import ExportRequest  # noqa: F401
from privacy.retention_models import AnonymisedClaim, ContactCorrection, LegalHold  # noqa: F401
