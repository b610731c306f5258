"""Who may open the oversight dashboard and the learning pages, and whose figures they see.

Triage leads see their own insurer's book; administrators choose any insurer. Adjusters do not:
the pages compare colleagues' workloads and the whole insurer's results, which is the lead's
business, not a case handler's (issue 14 names leads and administrators). Patients and advocates
never see them.
"""

from django.db.models import QuerySet

from portal.models import Insurer, Role, User


def oversight_may_open(user: User) -> bool:
    """Triage leads of an insurer, and administrators."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.role == Role.TRIAGE_LEAD:
        return user.insurer_id is not None
    return user.role == Role.ADMINISTRATOR


def insurers_visible_to(user: User) -> QuerySet[Insurer]:
    """The insurers whose figures `user` may see: a lead's own, or every one for administrators."""
    if not oversight_may_open(user):
        return Insurer.objects.none()
    if user.role == Role.TRIAGE_LEAD:
        return Insurer.objects.filter(pk=user.insurer_id)
    return Insurer.objects.all()


def oversight_chooses_insurer(user: User) -> bool:
    """Administrators pick the insurer; a lead's is fixed."""
    return user.is_authenticated and user.role == Role.ADMINISTRATOR
