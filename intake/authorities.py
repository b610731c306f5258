"""Advocates' authorities: a patient invites an advocate, the advocate accepts, the patient
changes the scope or ends it; a verified advocate files a claim for a patient and the insurer
checks the signed authority form. Every change is audited and tells the people concerned.

Who may do each of these is decided in portal.access; this module holds the writes. It is
intake's second services module, kept apart from intake/services.py (the claim's own answers and
lifecycle) so that each concern has one obvious home.
"""

import datetime
import logging

from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress
from allauth.account.utils import user_pk_to_url_str
from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from intake.emails import send_intake_email
from intake.invitations import INVITATION_DAYS, invitation_url
from intake.models import AUTHORITY_SCOPES, Authority, AuthorityStatus, Claim
from notifications.services import notification_create_for_event
from portal import access
from portal.models import AuditAction, Role, User
from portal.services import audit_event_record

logger = logging.getLogger(__name__)


class AuthorityError(Exception):
    """An authority change that cannot be made; the message is shown to the person as it is."""


def _scope_detail(authority: Authority) -> dict:
    """What an audit row records of an authority: its scope and end date, no health details."""
    return {
        "scopes": [field for field in AUTHORITY_SCOPES if getattr(authority, field)],
        "expires_on": authority.expires_on.isoformat() if authority.expires_on else None,
        "claim": str(authority.claim_id) if authority.claim_id else "all",
    }


def _email_after_commit(task_name: str, **kwargs) -> None:
    """Queue one of intake's email tasks once the change is committed. A broker that is down
    costs the email, not the change: the person sees the saved change and can act again."""
    from intake import tasks  # the tasks call this module's services

    def queue() -> None:
        try:
            getattr(tasks, task_name).delay(**kwargs)
        except Exception:  # noqa: BLE001 - any publishing failure; the change is already saved
            logger.warning("Could not queue %s; the email was not sent.", task_name, exc_info=True)

    transaction.on_commit(queue)


def _check_expiry(expires_on: datetime.date | None) -> None:
    if expires_on is not None and expires_on < timezone.localdate():
        raise AuthorityError(_("The end date must be today or later."))


# --- Invitations --------------------------------------------------------------------------------


def authority_invite(
    *,
    patient: User,
    email: str,
    claim: Claim | None,
    scopes: dict[str, bool],
    expires_on: datetime.date | None,
) -> Authority:
    """Invite the advocate at `email` to act for `patient` on `claim` (None: all their claims)
    within `scopes`; the invitation email goes out once the invitation is saved."""
    if not access.authorities_may_manage(patient):
        access.forbid(user=patient, object_type="intake.authority", reason="not a patient")
    if claim is not None and claim.claimant_id != patient.pk:
        access.refuse(user=patient, object_type="intake.claim", object_id=claim.pk, reason="invite")
    if email.strip().lower() == patient.email.lower():
        raise AuthorityError(_("Enter the email address of the person who will act for you."))
    _check_expiry(expires_on)
    with transaction.atomic():
        authority = Authority.objects.create(
            patient=patient,
            claim=claim,
            invited_email=email.strip(),
            expires_on=expires_on,
            invitation_expires_at=timezone.now() + datetime.timedelta(days=INVITATION_DAYS),
            **{field: bool(scopes.get(field)) for field in AUTHORITY_SCOPES},
        )
        audit_event_record(
            action=AuditAction.CREATE, actor=patient, obj=authority, detail=_scope_detail(authority)
        )
        _email_after_commit("authority_invitation_send_task", authority_id=str(authority.pk))
    return authority


def authority_invitation_send(*, authority_id) -> bool:
    """Email the invitation link, if the invitation is still open; returns whether it was sent.
    The email says who invites and nothing of the claim: the advocate reads that once signed in."""
    authority = Authority.objects.invitations_open().filter(pk=authority_id).first()
    if authority is None:
        return False
    send_intake_email(
        template="authority_invitation",
        to=authority.invited_email,
        context={
            "patient_name": authority.patient.get_full_name(),
            "accept_url": invitation_url(authority),
            "days": INVITATION_DAYS,
        },
    )
    return True


def authority_accept(*, authority: Authority, advocate: User) -> Authority:
    """The invited advocate accepts: the authority is in force from now. Accepting twice changes
    nothing; a withdrawn, lapsed or someone else's invitation is refused with the reason."""
    if advocate.role != Role.ADVOCATE:
        raise AuthorityError(
            _(
                "Only an advocate account can accept this invitation. Sign out and sign in, or "
                "sign up, as an advocate with the address the invitation was sent to."
            )
        )
    if advocate.email.lower() != authority.invited_email.lower():
        access.audit_refusal(
            user=advocate, object_type="intake.authority", object_id=authority.pk, reason="accept"
        )
        raise AuthorityError(
            _(
                "This invitation was sent to another email address. Sign in with the account "
                "for that address to accept it."
            )
        )
    with transaction.atomic():
        locked = Authority.objects.select_for_update().get(pk=authority.pk)
        if locked.accepted_at and locked.advocate_id == advocate.pk:
            return locked  # a repeated acceptance
        if not Authority.objects.invitations_open().filter(pk=locked.pk).exists():
            raise AuthorityError(
                _(
                    "This invitation has ended: it was withdrawn, used or has lapsed. Ask the "
                    "patient to invite you again."
                )
            )
        locked.advocate = advocate
        locked.accepted_at = timezone.now()
        locked.save(update_fields=["advocate", "accepted_at"])
        audit_event_record(
            action=AuditAction.CHANGE,
            actor=advocate,
            obj=locked,
            detail={"change": "accepted", **_scope_detail(locked)},
        )
        _tell_advocate(locked, kind="authority_granted")
    return locked


def _tell_advocate(authority: Authority, *, kind: str) -> None:
    """A notification to the advocate about their authority (no claim named: a revoked
    advocate may no longer see it)."""
    notification_create_for_event(
        kind=kind,
        recipients=[authority.advocate],
        # Each grant, change or end is its own occurrence (a patient may change scope twice);
        # the row's lock in the caller keeps one occurrence from being told twice.
        event_key=f"authority:{authority.pk}:{kind}:{timezone.now().isoformat()}",
    )


# --- The patient's changes ----------------------------------------------------------------------


def authority_change(
    *, authority: Authority, patient: User, scopes: dict[str, bool], expires_on
) -> Authority:
    """The patient changes what an authority (or an open invitation) allows, or its end date."""
    _check_own(authority, patient)
    _check_expiry(expires_on)
    with transaction.atomic():
        locked = Authority.objects.select_for_update().get(pk=authority.pk)
        if locked.revoked_at:
            raise AuthorityError(_("This authority has already ended, so it cannot change."))
        before = _scope_detail(locked)
        for field in AUTHORITY_SCOPES:
            setattr(locked, field, bool(scopes.get(field)))
        locked.expires_on = expires_on
        locked.save(update_fields=[*AUTHORITY_SCOPES, "expires_on"])
        audit_event_record(
            action=AuditAction.CHANGE,
            actor=patient,
            obj=locked,
            detail={"change": "scope", "before": before, "after": _scope_detail(locked)},
        )
        if locked.accepted_at:
            _tell_advocate(locked, kind="authority_changed")
    return locked


def authority_end(*, authority: Authority, patient: User) -> Authority:
    """The patient revokes an authority, or withdraws an invitation: access ends at the
    advocate's next request, and an advocate who had accepted is told. Ending twice is a no-op."""
    _check_own(authority, patient)
    return _end(authority, actor=patient, reason="revoked by the patient")


def _end(authority: Authority, *, actor: User, reason: str) -> Authority:
    with transaction.atomic():
        locked = Authority.objects.select_for_update().get(pk=authority.pk)
        if locked.revoked_at:
            return locked
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
        audit_event_record(
            action=AuditAction.CHANGE, actor=actor, obj=locked, detail={"change": reason}
        )
        if locked.accepted_at:
            _tell_advocate(locked, kind="authority_revoked")
    return locked


def _check_own(authority: Authority, patient: User) -> None:
    if authority.patient_id != patient.pk or not access.authorities_may_manage(patient):
        access.refuse(
            user=patient, object_type="intake.authority", object_id=authority.pk, reason="change"
        )


# --- Filing on a patient's behalf ---------------------------------------------------------------


def check_may_file_on_behalf(user: User) -> None:
    """Refuse (403, audited, with the reason) anyone but a verified advocate."""
    if not access.advocate_may_file_on_behalf(user):
        access.forbid(
            user=user,
            object_type="intake.claim",
            reason="file on behalf",
            message=_(
                "Only a verified advocate can file a claim for a patient. An administrator checks "
                "every advocate account; you can file once yours is verified."
            ),
        )


def claim_start_on_behalf(*, advocate: User, full_name: str, email: str) -> Claim | None:
    """A verified advocate starts a draft for the patient at `email`, new to the portal: an
    account is made for them, the advocate holds full authority over the draft, and the patient
    is emailed to take over their account. The insurer checks the authority form before working
    the claim.

    An address that has an account gets no claim (nothing is put in someone's account without
    them): a patient there is emailed to invite the advocate instead, and None is returned. The
    caller answers the advocate the same either way, so they learn nothing of who has one."""
    check_may_file_on_behalf(advocate)
    email = email.strip()
    existing = User.objects.filter(email__iexact=email).first()
    if existing is not None:
        _ask_to_invite(advocate=advocate, holder=existing)
        return None
    with transaction.atomic():
        patient = _new_patient(full_name=full_name, email=email)
        if patient is None:
            return None  # another filing for the same new address won the race
        claim = Claim.objects.create(
            claimant=patient, filed_by=advocate, authority_status=AuthorityStatus.TO_VERIFY
        )
        authority = Authority.objects.create(
            patient=patient,
            advocate=advocate,
            claim=claim,
            invited_email=advocate.email,
            accepted_at=timezone.now(),
            **dict.fromkeys(AUTHORITY_SCOPES, True),
        )
        audit_event_record(
            action=AuditAction.CREATE,
            actor=advocate,
            obj=claim,
            detail={"filed_on_behalf": True},
        )
        audit_event_record(
            action=AuditAction.CREATE,
            actor=advocate,
            obj=authority,
            detail=_scope_detail(authority),
        )
        _email_after_commit("patient_takeover_send_task", claim_id=str(claim.pk))
    return claim


def _new_patient(*, full_name: str, email: str) -> User | None:
    """An account for a patient new to the portal, or None if the address was taken meanwhile."""
    patient = User(email=email, full_name=full_name.strip(), role=Role.PATIENT)
    patient.set_unusable_password()  # the patient chooses one through the emailed link
    try:
        with transaction.atomic():
            patient.save()
    except IntegrityError:
        return None
    EmailAddress.objects.create(user=patient, email=email, primary=True, verified=False)
    return patient


def _ask_to_invite(*, advocate: User, holder: User) -> None:
    """Record the attempt, and email a patient holding the address to invite the advocate if
    they want them to act (only a patient can; staff and advocates are sent nothing)."""
    access.audit_refusal(
        user=advocate,
        object_type="portal.user",
        object_id=holder.pk,
        reason="file on behalf: the address has an account",
    )
    if holder.role == Role.PATIENT and holder.is_active:
        _email_after_commit(
            "advocate_invite_request_send_task",
            patient_id=str(holder.pk),
            advocate_id=str(advocate.pk),
        )


def advocate_invite_request_send(*, patient_id, advocate_id) -> None:
    """Tell a patient that an advocate tried to start a claim for them, and how to invite them
    from their account if they want them to act. Nothing of any claim is named."""
    patient = User.objects.get(pk=patient_id)
    advocate = User.objects.get(pk=advocate_id)
    send_intake_email(
        template="advocate_invite_request",
        to=patient.email,
        context={
            "name": patient.get_short_name(),
            "advocate_name": advocate.get_full_name(),
            "advocate_email": advocate.email,
            "link": settings.SITE_URL.rstrip("/") + reverse("intake:authorities"),
        },
    )


def patient_takeover_send(*, claim_id) -> None:
    """Email the patient an advocate filed for a link to choose their password and take over
    their account, where they see the claim and the advocate's authority."""
    claim = Claim.objects.select_related("claimant", "filed_by").get(pk=claim_id)
    patient = claim.claimant
    link = settings.SITE_URL.rstrip("/") + reverse(
        "account_reset_password_from_key",
        kwargs={
            "uidb36": user_pk_to_url_str(patient),
            "key": default_token_generator.make_token(patient),
        },
    )
    send_intake_email(
        template="patient_takeover",
        to=patient.email,
        context={
            "name": patient.get_short_name(),
            "advocate_name": claim.filed_by.get_full_name(),
            "link": link,
        },
    )


def claim_authority_decide(*, claim: Claim, user: User, verified: bool, reason: str = "") -> Claim:
    """The insurer's staff on the claim accept or reject the signed authority form of a claim an
    advocate filed; the reason stays on the claim (not in the audit log: it is free text). A
    rejected form ends the advocate's authority over the claim, which goes on with the patient."""
    if not access.claim_may_verify_authority(user, claim):
        access.forbid(
            user=user,
            object_type="intake.claim",
            object_id=claim.pk,
            reason="verify authority",
            message=_("This claim has no authority waiting for your check."),
        )
    with transaction.atomic():
        locked = Claim.objects.select_for_update().get(pk=claim.pk)
        if not locked.authority_to_verify:
            return locked  # decided already: a repeated form
        locked.authority_status = AuthorityStatus.VERIFIED if verified else AuthorityStatus.REJECTED
        locked.authority_decision_reason = reason.strip()
        locked.save(update_fields=["authority_status", "authority_decision_reason", "updated_at"])
        audit_event_record(
            action=AuditAction.CHANGE,
            actor=user,
            obj=locked,
            detail={"authority": locked.authority_status},
        )
        if not verified:
            for authority in Authority.objects.filter(claim=locked, advocate=locked.filed_by_id):
                _end(authority, actor=user, reason="authority form rejected by the insurer")
    return locked
