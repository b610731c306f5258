"""Advocates' authorities: a patient invites an advocate, the advocate accepts, the patient
changes the scope or ends it; a verified advocate files a claim for a patient and the insurer
checks the signed authority form. Every change is audited and tells the people concerned.

Who may do each of these is decided in intake/access.py; this module holds the writes. It is
intake's second services module, kept in intake/advocates/ apart from intake/services.py (the
claim's own answers and lifecycle) so that each concern has one obvious home. The people
concerned are told through the notifications outbox: each change sends a signal of
intake/signals.py inside its transaction, and notifications writes the emails in it, so none is
lost when the broker is down.
"""

import datetime

from allauth.account.models import EmailAddress
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from intake import access, signals
from intake.advocates.invitations import INVITATION_DAYS
from intake.models import AUTHORITY_SCOPES, Authority, AuthorityStatus, Claim
from portal.access import audit_refusal, forbid, refuse
from portal.models import AuditAction, Role, User
from portal.services import audit_event_record


class AuthorityError(Exception):
    """An authority change that cannot be made; the message is shown to the person as it is."""


def _scope_detail(authority: Authority) -> dict:
    """What an audit row records of an authority: its scope and end date, no health details."""
    return {
        "scopes": [field for field in AUTHORITY_SCOPES if getattr(authority, field)],
        "expires_on": authority.expires_on.isoformat() if authority.expires_on else None,
        "claim": str(authority.claim_id) if authority.claim_id else "all",
    }


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
    within `scopes`; the invitation email is written to the outbox with it."""
    if not access.authorities_may_manage(patient):
        forbid(user=patient, object_type="intake.authority", reason="not a patient")
    if claim is not None and claim.claimant_id != patient.pk:
        refuse(user=patient, object_type="intake.claim", object_id=claim.pk, reason="invite")
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
        # The email says who invites and nothing of the claim: the advocate reads that once
        # signed in. Nothing is sent for an invitation withdrawn before its email goes.
        signals.advocate_invited.send(sender=Authority, authority=authority)
    return authority


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
        audit_refusal(
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
        _tell_advocate(locked, change="granted")
    return locked


def _tell_advocate(authority: Authority, *, change: str) -> None:
    """Tell the advocate of a change to their authority; the row's lock in the caller keeps one
    change from being told twice."""
    signals.authority_changed.send(sender=Authority, authority=authority, change=change)


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
            _tell_advocate(locked, change="changed")
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
            _tell_advocate(locked, change="revoked")
    return locked


def _check_own(authority: Authority, patient: User) -> None:
    if authority.patient_id != patient.pk or not access.authorities_may_manage(patient):
        refuse(
            user=patient, object_type="intake.authority", object_id=authority.pk, reason="change"
        )


# --- Filing on a patient's behalf ---------------------------------------------------------------


def check_may_file_on_behalf(user: User) -> None:
    """Refuse (403, audited, with the reason) anyone but a verified advocate."""
    if not access.claims_may_file_on_behalf(user):
        forbid(
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
        # The patient is emailed a link to choose their password and take over their account.
        signals.claim_filed_on_behalf.send(sender=Claim, claim=claim, advocate=advocate)
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
    with transaction.atomic():
        audit_refusal(
            user=advocate,
            object_type="portal.user",
            object_id=holder.pk,
            reason="file on behalf: the address has an account",
        )
        if holder.role == Role.PATIENT and holder.is_active:
            # The email names the advocate and how to invite them; nothing of any claim.
            signals.advocate_invite_requested.send(sender=User, patient=holder, advocate=advocate)


def claim_authority_decide(*, claim: Claim, user: User, verified: bool, reason: str = "") -> Claim:
    """The insurer's staff on the claim accept or reject the signed authority form of a claim an
    advocate filed; the reason stays on the claim (not in the audit log: it is free text). A
    rejected form ends the advocate's authority over the claim, which goes on with the patient."""
    if not access.claim_may_verify_authority(user, claim):
        forbid(
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
