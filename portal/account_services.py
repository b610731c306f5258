"""Changes a person makes to their own account that allauth does not make for them."""

from django.db import transaction

from portal.models import AuditAction, User
from portal.services import audit_event_record


def account_name_change(*, user: User, full_name: str) -> User:
    """Set `user`'s name as shown to the people on their claims; audited, since an insurer's
    letters are addressed by it. The same name again changes nothing."""
    full_name = full_name.strip()
    if full_name == user.full_name:
        return user
    with transaction.atomic():
        user.full_name = full_name
        user.save(update_fields=["full_name"])
        audit_event_record(
            action=AuditAction.CHANGE, actor=user, obj=user, detail={"field": "full_name"}
        )
    return user
