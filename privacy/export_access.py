"""Who may reach subject access exports (see portal.access for the shape of the names).

A copy of a patient's data is for that patient alone: anyone else asking for it, an
administrator included, is answered "not found" (audited), as if it did not exist. The patient's
own copy past its download days, or not yet ready, is refused with what to do instead.
Administrators manage requests (the open list, one on a patient's behalf, an extension) from
the admin site, behind its second factor.
"""

import uuid

from django.utils.translation import gettext as _

from portal.access import forbid, refuse
from portal.models import Role, User
from privacy.export_models import ExportRequest, ExportState

OBJECT_TYPE = "privacy.exportrequest"


def your_data_may_open(user: User) -> bool:
    """The "Your data" page is for patients: the people whose claims the portal holds."""
    return user.is_authenticated and user.is_active and user.role == Role.PATIENT


def exports_may_manage(user: User) -> bool:
    """Administrators (who reach the admin site only after their second factor)."""
    return (
        user.is_authenticated
        and user.is_active
        and user.is_staff
        and user.role == Role.ADMINISTRATOR
    )


def export_get_for_download(*, user: User, export_id: uuid.UUID) -> ExportRequest:
    """The export, if it is `user`'s own and may be downloaded now; else NotFound (anyone
    else) or Refused with the reason (the patient's own, expired or not ready), audited."""
    export = None
    if user.is_authenticated:
        export = ExportRequest.objects.filter(pk=export_id, patient_id=user.pk).first()
    if export is None:
        refuse(user=user, object_type=OBJECT_TYPE, object_id=export_id, reason="not their export")
    if export.is_downloadable():
        return export
    if export.state in (ExportState.READY, ExportState.EXPIRED):
        forbid(
            user=user,
            object_type=OBJECT_TYPE,
            object_id=export_id,
            reason="export expired",
            message=_(
                "This copy of your data could be downloaded for a limited time only, and it has "
                "now been deleted. You can ask for a new copy on your \u201cYour data\u201d page."
            ),
        )
    forbid(
        user=user,
        object_type=OBJECT_TYPE,
        object_id=export_id,
        reason="export not ready",
        message=_(
            "This copy of your data is not ready yet. We will email you as soon as it is; then "
            "download it from your \u201cYour data\u201d page."
        ),
    )
