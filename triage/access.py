"""Who may lead triage, manage adjusters and edit routing rules (see portal.access for the shape
of the names; the rules about claims themselves are intake's, in intake/access.py)."""

from django.db.models import QuerySet

from portal.models import Role, User


def triage_may_lead(user: User) -> bool:
    """The triage lead's workspace and routing rules are for triage leads."""
    return user.is_authenticated and user.role == Role.TRIAGE_LEAD


def routing_rules_may_edit(user: User, insurer_id) -> bool:
    """Triage leads edit their own insurer's routing rules."""
    return (
        user.role == Role.TRIAGE_LEAD
        and user.insurer_id is not None
        and (user.insurer_id == insurer_id)
    )


def adjusters_visible_to(user: User) -> QuerySet[User]:
    """Triage leads see their own insurer's adjusters; nobody else sees staff lists."""
    if user.is_authenticated and user.role == Role.TRIAGE_LEAD and user.insurer_id:
        return User.objects.filter(role=Role.ADJUSTER, insurer_id=user.insurer_id)
    return User.objects.none()


def adjuster_may_manage(user: User, adjuster: User) -> bool:
    """A triage lead manages (leave, staff page) their own insurer's adjusters."""
    return adjusters_visible_to(user).filter(pk=adjuster.pk).exists()


def adjuster_may_assign(user: User, adjuster: User) -> bool:
    """A triage lead assigns claims only to an active adjuster of their own insurer."""
    return adjusters_visible_to(user).filter(pk=adjuster.pk, is_active=True).exists()
