"""What happens next on a claim, and by when: every date the insurer works to and every date the
patient has, with whose turn it is and whether it was kept, in the words of whoever reads it.

The insurer's dates are the claim's own (set by triage from the insurer's rule, capped by the
jurisdiction's profile), or the profile's when triage has set none yet. A claim's dates are read
in a fixed number of queries, however many offers, requests or reviews it has had.
"""

import datetime
import enum
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from intake.models import (
    DECISION_PENDING,
    Claim,
    ClaimStatus,
    ClaimStatusChange,
    InformationRequest,
)
from intake.selectors import claim_jurisdiction_profile
from portal.models import JurisdictionProfile
from resolution.models import Offer, OfferState, Review
from resolution.reviews import DECISIONS, review_window
from triage.services import breach_key, patient_told_key

S = ClaimStatus
#: Before these the insurer has not acknowledged the claim.
NOT_YET_ACKNOWLEDGED = (S.SUBMITTED, S.NEEDS_TRIAGE, S.ASSIGNED)
#: Before these the insurer owes its reasoned response.
NOT_YET_DECIDED = (S.SUBMITTED, S.NEEDS_TRIAGE, *DECISION_PENDING)
#: The moves that are a reasoned response: an offer, or a refusal with its reasons.
RESPONSES = (S.OFFER_MADE, S.DENIED)


class Voice(enum.StrEnum):
    """Who reads the dates: the patient ("you"), an advocate ("your client") or the insurer."""

    PATIENT = "patient"
    ADVOCATE = "advocate"
    STAFF = "staff"


class Turn(enum.StrEnum):
    INSURER = "insurer"
    PATIENT = "patient"


class State(enum.StrEnum):
    DONE = "done"
    DUE = "due"
    MISSED = "missed"
    #: The date has gone by and the portal does not record whether it was kept (records).
    PASSED = "passed"


@dataclass(frozen=True)
class DateItem:
    """One date: what happens, by when, whose turn, and where it stands, in one voice."""

    kind: str
    due: datetime.date
    whose: Turn
    state: State
    #: What happens, as a short heading.
    what: str
    #: Where it stands, in a sentence or three (a missed date is said plainly here).
    says: str
    whose_words: str
    state_words: str
    done_on: datetime.date | None = None
    #: Staff only: the latest date the jurisdiction allows, when it is not the date itself.
    limit: datetime.date | None = None

    @property
    def missed(self) -> bool:
        return self.state == State.MISSED


@dataclass(frozen=True)
class ClaimDates:
    profile: JurisdictionProfile
    items: list[DateItem]


@dataclass(frozen=True)
class _Fact:
    """A date before it is put into words."""

    kind: str
    due: datetime.date
    whose: Turn
    state: State
    done_on: datetime.date | None = None
    limit: datetime.date | None = None
    #: For an insurer's missed date: the patient was told, the triage leads were alerted.
    patient_told: bool = False
    leads_alerted: bool = False
    offer_round: int | None = None


def claim_dates(
    claim: Claim, *, today: datetime.date | None = None, voice: Voice = Voice.PATIENT
) -> list[DateItem]:
    """What happens next on `claim` and by when, earliest first, in `voice`'s words. The caller
    has checked that the reader may see the claim."""
    return claim_dates_read(claim, today=today, voice=voice).items


def claim_dates_read(
    claim: Claim, *, today: datetime.date | None = None, voice: Voice = Voice.PATIENT
) -> ClaimDates:
    """The claim's dates (see claim_dates) and the jurisdiction profile they come from, in five
    queries whatever the claim's history."""
    today = today or timezone.localdate()
    profile = claim_jurisdiction_profile(claim)
    changes = list(ClaimStatusChange.objects.filter(claim=claim).order_by("occurred_at", "pk"))
    requests = list(
        InformationRequest.objects.filter(claim=claim, answered_at__isnull=True).order_by(
            "due_date"
        )
    )
    offers = list(Offer.objects.filter(claim=claim, state=OfferState.OPEN).order_by("round"))
    reviews = list(Review.objects.filter(claim=claim).only("requested_at", "decide_by", "outcome"))
    facts = [
        *_insurer_facts(claim, profile=profile, changes=changes, today=today),
        *(_dated(r.due_date, Turn.PATIENT, "information", today) for r in requests),
        *(
            _Fact(
                "offer",
                o.respond_by,
                Turn.PATIENT,
                _due_or(State.MISSED, o.respond_by, today),
                offer_round=o.round,
            )
            for o in offers
        ),
        *(_dated(r.decide_by, Turn.INSURER, "review", today) for r in reviews if not r.outcome),
        *_review_window_facts(
            claim, profile=profile, changes=changes, reviews=reviews, today=today
        ),
    ]
    facts.sort(key=lambda fact: (fact.due, KIND_ORDER.index(fact.kind)))
    return ClaimDates(profile, [_in_words(fact, voice=voice, today=today) for fact in facts])


KIND_ORDER = ("acknowledge", "records", "information", "decide", "offer", "review", "ask_review")


def _due_or(late: State, due: datetime.date, today: datetime.date) -> State:
    """DUE until the day itself has gone by (the last day still counts), then `late`."""
    return State.DUE if due >= today else late


def _dated(due: datetime.date, whose: Turn, kind: str, today: datetime.date) -> _Fact:
    return _Fact(kind, due, whose, _due_or(State.MISSED, due, today))


def _sent_on(claim: Claim) -> datetime.date | None:
    return timezone.localdate(claim.submitted_at) if claim.submitted_at else None


def _first(changes: list[ClaimStatusChange], *, from_in, to_in) -> ClaimStatusChange | None:
    return next((c for c in changes if c.from_status in from_in and c.to_status in to_in), None)


def _insurer_facts(
    claim: Claim, *, profile: JurisdictionProfile, changes: list, today: datetime.date
) -> list[_Fact]:
    """Acknowledgement, the reasoned response and copies of health records."""
    sent = _sent_on(claim)
    if sent is None:
        return []  # a draft: nothing runs yet
    acknowledged = _first(changes, from_in=(S.ASSIGNED,), to_in=(S.UNDER_REVIEW,))
    responded = _first(changes, from_in=DECISION_PENDING, to_in=RESPONSES)
    facts = [
        _insurer_fact(
            claim,
            kind="acknowledge",
            due=claim.acknowledge_by,
            limit=sent + datetime.timedelta(days=profile.days_to_acknowledge),
            done=acknowledged,
            pending=claim.status in NOT_YET_ACKNOWLEDGED,
            today=today,
        ),
        _insurer_fact(
            claim,
            kind="decide",
            due=claim.decide_by,
            limit=sent + relativedelta(months=profile.months_to_respond),
            done=responded,
            pending=claim.status in NOT_YET_DECIDED,
            today=today,
        ),
    ]
    if claim.consent_to_records and claim.status != S.WITHDRAWN:
        due = sent + datetime.timedelta(days=profile.days_for_records)
        facts.append(_Fact("records", due, Turn.INSURER, _due_or(State.PASSED, due, today)))
    return [fact for fact in facts if fact is not None]


def _insurer_fact(
    claim: Claim,
    *,
    kind: str,
    due: datetime.date | None,
    limit: datetime.date,
    done: ClaimStatusChange | None,
    pending: bool,
    today: datetime.date,
) -> _Fact | None:
    """One of the insurer's own dates: the claim's (triage keeps it within the profile's limit,
    and the overdue sweep alerts on it), or the limit itself before triage has set one. None
    when it no longer runs (a claim withdrawn before it was kept)."""
    due = due or limit
    shown_limit = limit if limit != due else None
    if done is not None:
        done_on = timezone.localdate(done.occurred_at)
        return _Fact(kind, due, Turn.INSURER, State.DONE, done_on=done_on, limit=shown_limit)
    if not pending:
        # Kept, though the history does not say when (a claim moved on by other means), or
        # no longer owed (withdrawn).
        if claim.status == S.WITHDRAWN:
            return None
        return _Fact(kind, due, Turn.INSURER, State.DONE, limit=shown_limit)
    breach = breach_key(kind, due)
    return _Fact(
        kind,
        due,
        Turn.INSURER,
        _due_or(State.MISSED, due, today),
        limit=shown_limit,
        patient_told=patient_told_key(breach) in claim.overdue_alerts,
        leads_alerted=breach in claim.overdue_alerts,
    )


def _review_window_facts(
    claim: Claim,
    *,
    profile: JurisdictionProfile,
    changes: list,
    reviews: list,
    today: datetime.date,
) -> list[_Fact]:
    """The patient's last day to ask for a review of a decision, while they still may."""
    last_day = review_window(
        status=claim.status,
        changes=[c for c in changes if c.to_status in DECISIONS],
        reviews=reviews,
        profile=profile,
    )
    if last_day is None:
        return []
    return [_Fact("ask_review", last_day, Turn.PATIENT, _due_or(State.PASSED, last_day, today))]


# --- Words ---------------------------------------------------------------------------------------


def _long(day: datetime.date) -> str:
    return dateformat.format(day, "j F Y")


def _days(count: int) -> str:
    return ngettext("%(count)d day", "%(count)d days", count) % {"count": count}


def _in_words(fact: _Fact, *, voice: Voice, today: datetime.date) -> DateItem:
    patient = voice == Voice.PATIENT
    # The patient reads "you"; an advocate reads of "your client".
    words = {
        "date": _long(fact.due),
        "done": _long(fact.done_on) if fact.done_on else "",
        "days": _days(max((today - fact.due).days, 0)),
        "round": fact.offer_round or "",
        "claim": _("your claim") if patient else _("your client's claim"),
        "you": _("you") if patient else _("your client"),
        "your": _("your") if patient else _("your client's"),
        "review": _("your review") if patient else _("the review"),
    }
    what, says = WORDS[fact.kind](fact, voice)
    return DateItem(
        kind=fact.kind,
        due=fact.due,
        whose=fact.whose,
        state=fact.state,
        what=what % words,
        says=" ".join(part % words for part in says if part),
        whose_words=_whose_words(fact.whose, voice),
        state_words=_state_words(fact.state),
        done_on=fact.done_on,
        limit=fact.limit if voice == Voice.STAFF else None,
    )


def _whose_words(whose: Turn, voice: Voice) -> str:
    if whose == Turn.INSURER:
        return _("Insurer") if voice == Voice.STAFF else _("The insurer's")
    return {Voice.PATIENT: _("Yours"), Voice.ADVOCATE: _("Your client's")}.get(voice, _("Claimant"))


def _state_words(state: State) -> str:
    return {
        State.DONE: _("Done"),
        State.DUE: _("Due"),
        State.MISSED: _("Missed"),
        State.PASSED: _("Date passed"),
    }[state]


def _told_them(fact: _Fact) -> str:
    # Said only once the triage leads have really been alerted (the hourly sweep records it).
    return _("We have told them.") if fact.leads_alerted else ""


def _staff_told(fact: _Fact) -> str:
    told = [
        _("The claimant has been told.") if fact.patient_told else "",
        _("The triage leads have been alerted.") if fact.leads_alerted else "",
    ]
    return " ".join(part for part in told if part)


#: Each kind's words: (fact, voice) -> (what, the sentences of where it stands). Sentences are
#: filled in from _in_words' `words` (%(date)s, %(done)s, %(days)s, %(you)s...).
Words = tuple[str, list[str]]


def _acknowledge_words(fact: _Fact, voice: Voice) -> Words:
    done = _("Acknowledged on %(done)s.") if fact.done_on else _("Acknowledged.")
    if voice == Voice.STAFF:
        return _("Acknowledge the claim"), {
            State.DUE: [_("Acknowledge by %(date)s.")],
            State.DONE: [done],
            State.MISSED: [
                _("Not acknowledged by %(date)s: %(days)s overdue."),
                _staff_told(fact),
            ],
        }[fact.state]
    return _("The insurer acknowledges %(claim)s"), {
        State.DUE: [_("The insurer must acknowledge %(claim)s by %(date)s.")],
        State.DONE: [done],
        State.MISSED: [
            _("The insurer should have acknowledged %(claim)s by %(date)s."),
            _("It has not done so yet."),
            _told_them(fact),
        ],
    }[fact.state]


def _decide_words(fact: _Fact, voice: Voice) -> Words:
    if voice == Voice.STAFF:
        return _("Give a reasoned response: an offer, or a decision with its reasons"), {
            State.DUE: [_("Respond by %(date)s.")],
            State.DONE: [_("Responded on %(done)s.") if fact.done_on else _("Responded.")],
            State.MISSED: [
                _("No reasoned response by %(date)s: %(days)s overdue."),
                _staff_told(fact),
            ],
        }[fact.state]
    return _("The insurer gives %(you)s a reasoned response"), {
        State.DUE: [
            _(
                "The insurer must give %(you)s a reasoned response by %(date)s: an offer, or its "
                "decision and the reasons for it."
            )
        ],
        State.DONE: [
            _("The insurer responded on %(done)s.") if fact.done_on else _("The insurer responded.")
        ],
        State.MISSED: [
            _("The insurer should have given %(you)s a reasoned response by %(date)s."),
            _("It has not done so yet."),
            _told_them(fact),
        ],
    }[fact.state]


def _records_words(fact: _Fact, voice: Voice) -> Words:
    if voice == Voice.STAFF:
        return _("Copies of the health records for the claimant"), {
            State.DUE: [_("By %(date)s: the claimant consented to their records being obtained.")],
            State.PASSED: [
                _("Were due by %(date)s. The portal does not record when copies were sent.")
            ],
        }[fact.state]
    return _("Copies of %(your)s health records"), {
        State.DUE: [_("The insurer should provide copies of %(your)s health records by %(date)s.")],
        State.PASSED: [
            _("Copies of %(your)s health records were due by %(date)s."),
            _("If they have not arrived, say so to the claims handler in a message."),
        ],
    }[fact.state]


def _information_words(fact: _Fact, voice: Voice) -> Words:
    if voice == Voice.STAFF:
        return _("The claimant replies to the request for information"), {
            State.DUE: [_("Reply due by %(date)s.")],
            State.MISSED: [_("No reply by %(date)s: %(days)s late.")],
        }[fact.state]
    if voice == Voice.ADVOCATE:
        return _("Reply to the insurer's request for information"), {
            State.DUE: [_("The insurer asked for a reply by %(date)s.")],
            State.MISSED: [
                _("The reply-by date, %(date)s, has passed."),
                _("A reply can still be sent; the insurer waits for it."),
            ],
        }[fact.state]
    return _("Reply to the insurer's request for information"), {
        State.DUE: [_("Please reply by %(date)s. You can answer under Messages below.")],
        State.MISSED: [
            _("The reply-by date, %(date)s, has passed."),
            _("You can still reply under Messages below; the insurer waits for your answer."),
        ],
    }[fact.state]


def _offer_words(fact: _Fact, voice: Voice) -> Words:
    if voice == Voice.STAFF:
        return _("The claimant answers offer %(round)s"), {
            State.DUE: [_("Answer due by %(date)s.")],
            State.MISSED: [_("Not answered by %(date)s.")],
        }[fact.state]
    due = (
        _("Please answer the offer by %(date)s: accept it, decline it or make a counter-proposal.")
        if voice == Voice.PATIENT
        else _("The offer must be answered by %(date)s.")
    )
    return _("Answer the insurer's offer"), {
        State.DUE: [due],
        State.MISSED: [_("The date to answer the offer, %(date)s, has passed.")],
    }[fact.state]


def _review_words(fact: _Fact, voice: Voice) -> Words:
    if voice == Voice.STAFF:
        return _("Decide the review"), {
            State.DUE: [_("Decide by %(date)s.")],
            State.MISSED: [_("Not decided by %(date)s: %(days)s overdue.")],
        }[fact.state]
    return _("The insurer decides %(review)s"), {
        State.DUE: [_("The insurer must decide %(review)s by %(date)s.")],
        State.MISSED: [
            _("The insurer should have decided %(review)s by %(date)s."),
            _("It has not done so yet."),
        ],
    }[fact.state]


def _ask_review_words(fact: _Fact, voice: Voice) -> Words:
    if voice == Voice.STAFF:
        return _("The claimant may ask for a review of the decision"), {
            State.DUE: [_("Until %(date)s.")],
            State.PASSED: [_("The time to ask ended on %(date)s.")],
        }[fact.state]
    due = (
        _("If you disagree with the decision, you can ask for a review until %(date)s.")
        if voice == Voice.PATIENT
        else _(
            "If your client disagrees with the decision, a review can be asked for until %(date)s."
        )
    )
    return _("Ask for a review of the decision"), {
        State.DUE: [due],
        State.PASSED: [_("The time to ask for a review ended on %(date)s.")],
    }[fact.state]


WORDS = {
    "acknowledge": _acknowledge_words,
    "decide": _decide_words,
    "records": _records_words,
    "information": _information_words,
    "offer": _offer_words,
    "review": _review_words,
    "ask_review": _ask_review_words,
}
