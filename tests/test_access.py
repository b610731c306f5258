"""The access policy as a table: every check of every app's access.py, asked for every kind of
person in every relationship to the claims of one patient, against the answer written below.

The rules live in four apps (intake, documents, notifications, triage, with the generic ones in
portal), so their matrix lives here, beside them all. Any change to a rule changes an answer and
fails its row: change the row only when the rule is meant to change.

People (one column each, in this order):

    pat     the patient, whose claims these are (own)
    oth     another patient (none)
    adv     an advocate authorised over all the patient's claims with every scope, verified, who
            filed the submitted claim and the filed draft (authorised)
    -do     an advocate authorised with every scope but may_view_documents ("docs")
    -up     ... every scope but may_upload_documents ("upload")
    -me     ... every scope but may_message ("message")
    -ud     ... every scope but receives_updates ("updates")
    sta     an advocate authorised with no scope at all (the claim's status only)
    non     an advocate with no authority (none)
    adj     the adjuster of "our" insurer assigned to the submitted claim (assigned)
    ad=     another adjuster of our insurer (same insurer)
    ad≠     an adjuster of another insurer (other insurer)
    le✗     a deactivated triage lead of our insurer
    lea     a triage lead of our insurer (same insurer)
    le≠     a triage lead of another insurer (other insurer)
    adm     an administrator
    apr     an API client of our insurer that may only read (claims:read, documents:read)
    apw     an API client of our insurer with claims:write too
    ap≠     an API client of another insurer, with every scope

Claims, all the patient's:

    S   submitted, under review, our insurer's, assigned to adj, filed by adv, its authority form
        still to verify
    U   the claim with no insurer: needs triage, no insurer owns it
    D   the patient's own draft
    F   a draft adv is filing for the patient

In the table "x" is yes (or: the object is in the queryset) and "." is no; claim_actor_kind
answers C (claimant), A (advocate), I (insurer) or "." (none). Checks documented as asked only of
someone who may see the claim (claim_within_scope and those built on it) answer yes for anyone
who is not an advocate: the table shows that too.
"""

from dataclasses import dataclass

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import timezone

from api.scopes import SCOPES as SCOPES_OF_API
from api.services import api_client_create
from documents import access as documents_access
from documents.models import Document
from intake import access as intake_access
from intake.models import Authority, AuthorityStatus, Claim, ClaimStatus
from notifications import access as notifications_access
from notifications.models import Channel, Notification
from portal import access as portal_access
from portal.errors import NotFound, Refused
from portal.middleware import AccessRefusalMiddleware
from portal.models import AuditAction, AuditEvent, User
from tests.factories import (
    AdjusterFactory,
    AdministratorFactory,
    AdvocateFactory,
    AuthorityFactory,
    ClaimFactory,
    InsurerFactory,
    TriageLeadFactory,
    UserFactory,
)
from triage import access as triage_access

pytestmark = pytest.mark.django_db

S_ = ClaimStatus
SCOPES = ("may_view_documents", "may_upload_documents", "may_message", "receives_updates")


@dataclass
class World:
    people: dict[str, User]
    claims: dict[str, Claim]
    authority: Authority  # adv's
    documents: dict[str, Document]
    ours: object
    theirs: object
    adjuster_who_left: User  # "left": an adjuster of our insurer, deactivated


def _document(claim: Claim, uploader: User) -> Document:
    return Document.objects.create(
        claim=claim,
        uploader=uploader,
        category="other",
        original_name="letter.pdf",
        storage_key=f"clean/{claim.pk}",
        size=10,
        sha256="0" * 64,
        content_type="application/pdf",
    )


def _api_client(insurer, scopes: list[str]) -> User:
    """The service user of an API client (the API reaches the doors as it)."""
    return api_client_create(name="System", insurer=insurer, scopes=scopes, actor=None).service_user


@pytest.fixture
def world() -> World:
    ours, theirs = InsurerFactory(), InsurerFactory()
    patient = UserFactory()
    advocates = {name: AdvocateFactory() for name in ("-do", "-up", "-me", "-ud", "sta", "non")}
    advocates["adv"] = AdvocateFactory(advocate_verified_at=timezone.now())
    people = {
        "pat": patient,
        "oth": UserFactory(),
        **advocates,
        "adj": AdjusterFactory(insurer=ours),
        "ad=": AdjusterFactory(insurer=ours),
        "ad≠": AdjusterFactory(insurer=theirs),
        "le✗": TriageLeadFactory(insurer=ours, is_active=False),
        "lea": TriageLeadFactory(insurer=ours),
        "le≠": TriageLeadFactory(insurer=theirs),
        "adm": AdministratorFactory(),
        "apr": _api_client(ours, ["claims:read", "documents:read"]),
        "apw": _api_client(ours, SCOPES_OF_API),
        "ap≠": _api_client(theirs, SCOPES_OF_API),
    }
    assert set(people) == set(PEOPLE)
    # The four scopes each have an advocate without them; answering offers is held by all four.
    every_scope = dict.fromkeys((*SCOPES, "may_answer_offers"), True)
    authority = AuthorityFactory(patient=patient, advocate=people["adv"], **every_scope)
    for name, scope in zip(("-do", "-up", "-me", "-ud"), SCOPES, strict=True):
        AuthorityFactory(patient=patient, advocate=people[name], **{**every_scope, scope: False})
    AuthorityFactory(
        patient=patient,
        advocate=people["sta"],
        **dict.fromkeys((*SCOPES, "may_answer_offers"), False),
    )
    claims = {
        "S": ClaimFactory(
            claimant=patient,
            status=S_.UNDER_REVIEW,
            insurer=ours,
            assigned_adjuster=people["adj"],
            filed_by=people["adv"],
            authority_status=AuthorityStatus.TO_VERIFY,
        ),
        "U": ClaimFactory(claimant=patient, status=S_.NEEDS_TRIAGE, insurer=None),
        "D": ClaimFactory(claimant=patient),
        "F": ClaimFactory(claimant=patient, filed_by=people["adv"]),
    }
    documents = {
        "S": _document(claims["S"], patient),
        "F": _document(claims["F"], people["adv"]),
    }
    return World(
        people=people,
        claims=claims,
        authority=authority,
        documents=documents,
        ours=ours,
        theirs=theirs,
        adjuster_who_left=AdjusterFactory(insurer=ours, is_active=False),
    )


def _yes(answer: bool) -> str:
    return "x" if answer else "."


def _kind(answer) -> str:
    return {None: ".", "claimant": "C", "advocate": "A", "insurer": "I"}[answer]


def _in(queryset, obj) -> str:
    return _yes(queryset.filter(pk=obj.pk).exists())


ia, da, na, ta, pa = (
    intake_access,
    documents_access,
    notifications_access,
    triage_access,
    portal_access,
)

# The answers: one row per check (and the claim or other object it is asked about), one column
# per person; "# ..." lines name the sections.
TABLE = """
                                    pat oth adv -do -up -me -ud sta non adj ad= ad≠ le✗ lea le≠ adm apr apw ap≠
# who may do what at all
claims_may_start                    x   x   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .
claims_may_file_on_behalf           .   .   x   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .
authorities_may_manage              x   x   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .
claims_may_work                     .   .   .   .   .   .   .   .   .   x   x   x   x   x   x   .   .   .   .
triage_may_lead                     .   .   .   .   .   .   .   .   .   .   .   .   x   x   x   .   .   .   .
admin_site_may_use                  .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   x   .   .   .
# seeing claims
claims_visible_to ∋ S               x   .   x   x   x   x   x   x   .   x   .   .   .   x   .   .   x   x   .
claims_visible_to ∋ U               x   .   x   x   x   x   x   x   .   .   .   .   .   .   .   .   .   .   .
claims_visible_to ∋ D               x   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .
claims_visible_to ∋ F               x   .   x   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .
claim_may_view S                    x   .   x   x   x   x   x   x   .   x   .   .   .   x   .   .   x   x   .
claim_may_view U                    x   .   x   x   x   x   x   x   .   .   .   .   .   .   .   .   .   .   .
authorised_claims ∋ S               .   .   x   x   x   x   x   x   .   .   .   .   .   .   .   .   .   .   .
# how each stands to a claim (C, A, I or none)
claim_actor_kind S                  C   .   A   A   A   A   A   A   .   I   .   .   .   I   .   .   .   I   .
claim_actor_kind U                  C   .   A   A   A   A   A   A   .   .   .   .   .   .   .   .   .   .   .
claim_actor_kind D                  C   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .
claim_actor_kind F                  C   .   A   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .
# the advocate's scopes
claim_advocate_may S docs           .   .   x   .   x   x   x   .   .   .   .   .   .   .   .   .   .   .   .
claim_advocate_may S upload         .   .   x   x   .   x   x   .   .   .   .   .   .   .   .   .   .   .   .
claim_advocate_may S message        .   .   x   x   x   .   x   .   .   .   .   .   .   .   .   .   .   .   .
claim_advocate_may S updates        .   .   x   x   x   x   .   .   .   .   .   .   .   .   .   .   .   .   .
claim_advocate_may D docs           .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .
claim_advocate_may F docs           .   .   x   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .
advocates_receiving_updates S ∋     .   .   x   x   x   x   .   .   .   .   .   .   .   .   .   .   .   .   .
authorities_visible_to ∋ adv's      x   .   x   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .
claim_within_scope S docs           x   x   x   .   x   x   x   .   .   x   x   x   x   x   x   x   x   x   x
# reading and writing on the claim
claim_may_read_answers S            x   x   x   .   x   x   x   .   .   x   x   x   x   x   x   x   x   x   x
claim_may_read_answers F            x   x   x   .   .   .   .   .   .   x   x   x   x   x   x   x   x   x   x
claim_may_read_thread S             x   x   x   x   x   .   x   .   .   x   x   x   x   x   x   x   x   x   x
claim_may_message S                 x   .   x   x   x   .   x   .   .   x   .   .   .   x   .   .   .   x   .
claim_may_message U                 x   .   x   x   x   .   x   .   .   .   .   .   .   .   .   .   .   .   .
claim_may_message F                 .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .
claim_may_answer S                  x   .   x   x   x   .   x   .   .   .   .   .   .   .   .   .   .   .   .
claim_may_answer_for_patient S      x   .   x   x   x   x   x   .   .   .   .   .   .   .   .   .   .   .   .
claim_may_submit S                  x   .   x   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .
claim_may_edit_draft S              .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .
claim_may_edit_draft D              x   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .
claim_may_edit_draft F              x   .   x   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .
# the insurer's side
claim_may_work S                    .   .   .   .   .   .   .   .   .   x   .   .   .   x   .   .   .   x   .
claim_may_work U                    .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .
claim_may_read_notes S              .   .   .   .   .   .   .   .   .   x   .   .   .   x   .   .   x   x   .
claim_may_route S                   .   .   .   .   .   .   .   .   .   .   .   .   .   x   .   .   .   x   .
claim_may_route U                   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .
claim_may_verify_authority S        .   .   .   .   .   .   .   .   .   x   .   .   .   x   .   .   .   x   .
claim_may_choose_insurer S          .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .
claim_may_choose_insurer U          .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   x   .   .   .
# moves of the lifecycle
claim_may_transition S → offer made .   .   .   .   .   .   .   .   .   x   .   .   .   x   .   .   .   x   .
claim_may_transition S → withdrawn  x   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .
claim_may_transition S → settled    .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .
claim_may_transition U → assigned   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .
claim_may_transition D → submitted  x   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .
claim_may_transition F → submitted  x   .   x   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .
# documents
documents_visible_to ∋ S's          x   .   x   .   x   x   x   .   .   x   .   .   .   x   .   .   x   x   .
documents_visible_to ∋ F's          x   .   x   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .
documents_may_view S                x   x   x   .   x   x   x   .   .   x   x   x   x   x   x   x   x   x   x
document_may_upload S               x   .   x   x   .   x   x   .   .   .   .   .   .   .   .   .   .   .   .
document_may_upload U               x   .   x   x   .   x   x   .   .   .   .   .   .   .   .   .   .   .   .
document_may_upload D               .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .
document_may_upload F               .   .   x   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .
document_may_see_problems S         .   .   .   .   .   .   .   .   .   .   .   .   x   x   .   .   .   .   .
document_may_see_problems U         .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .
# notifications: each person's own about S and about nothing
notifications_visible_to ∋ own S    x   .   x   x   x   x   x   x   .   x   .   .   .   x   .   .   x   x   .
notifications_visible_to ∋ own -    x   x   x   x   x   x   x   x   x   x   x   x   .   x   x   x   x   x   x
notifications_visible_to ∋ pat's S  x   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .
# insurers, adjusters, routing rules
insurers_visible_to ∋ ours          .   .   .   .   .   .   .   .   .   x   x   .   .   x   .   x   x   x   .
adjusters_visible_to ∋ adj          .   .   .   .   .   .   .   .   .   .   .   .   x   x   .   .   .   .   .
adjuster_may_manage adj             .   .   .   .   .   .   .   .   .   .   .   .   x   x   .   .   .   .   .
adjuster_may_manage left            .   .   .   .   .   .   .   .   .   .   .   .   x   x   .   .   .   .   .
adjuster_may_assign adj             .   .   .   .   .   .   .   .   .   .   .   .   x   x   .   .   .   .   .
adjuster_may_assign left            .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .
routing_rules_may_edit ours         .   .   .   .   .   .   .   .   .   .   .   .   x   x   .   .   .   .   .
routing_rules_may_edit theirs       .   .   .   .   .   .   .   .   .   .   .   .   .   .   x   .   .   .   .
"""  # noqa: E501 - one column per person, as wide as the people are many

#: The columns, in the order of the table's header.
PEOPLE = TABLE.strip().splitlines()[0].split()

# How each row's check is asked of a person `u` in the world `w`.
ASK = {
    "claims_may_start": lambda w, u: _yes(ia.claims_may_start(u)),
    "claims_may_file_on_behalf": lambda w, u: _yes(ia.claims_may_file_on_behalf(u)),
    "authorities_may_manage": lambda w, u: _yes(ia.authorities_may_manage(u)),
    "claims_may_work": lambda w, u: _yes(ia.claims_may_work(u)),
    "triage_may_lead": lambda w, u: _yes(ta.triage_may_lead(u)),
    "admin_site_may_use": lambda w, u: _yes(pa.admin_site_may_use(u)),
    "claims_visible_to ∋ S": lambda w, u: _in(ia.claims_visible_to(u), w.claims["S"]),
    "claims_visible_to ∋ U": lambda w, u: _in(ia.claims_visible_to(u), w.claims["U"]),
    "claims_visible_to ∋ D": lambda w, u: _in(ia.claims_visible_to(u), w.claims["D"]),
    "claims_visible_to ∋ F": lambda w, u: _in(ia.claims_visible_to(u), w.claims["F"]),
    "claim_may_view S": lambda w, u: _yes(ia.claim_may_view(u, w.claims["S"])),
    "claim_may_view U": lambda w, u: _yes(ia.claim_may_view(u, w.claims["U"])),
    "authorised_claims ∋ S": lambda w, u: _in(ia.authorised_claims(u), w.claims["S"]),
    "claim_actor_kind S": lambda w, u: _kind(ia.claim_actor_kind(u, w.claims["S"])),
    "claim_actor_kind U": lambda w, u: _kind(ia.claim_actor_kind(u, w.claims["U"])),
    "claim_actor_kind D": lambda w, u: _kind(ia.claim_actor_kind(u, w.claims["D"])),
    "claim_actor_kind F": lambda w, u: _kind(ia.claim_actor_kind(u, w.claims["F"])),
    "claim_advocate_may S docs": (
        lambda w, u: _yes(ia.claim_advocate_may(u, w.claims["S"], "may_view_documents"))
    ),
    "claim_advocate_may S upload": (
        lambda w, u: _yes(ia.claim_advocate_may(u, w.claims["S"], "may_upload_documents"))
    ),
    "claim_advocate_may S message": (
        lambda w, u: _yes(ia.claim_advocate_may(u, w.claims["S"], "may_message"))
    ),
    "claim_advocate_may S updates": (
        lambda w, u: _yes(ia.claim_advocate_may(u, w.claims["S"], "receives_updates"))
    ),
    "claim_advocate_may D docs": (
        lambda w, u: _yes(ia.claim_advocate_may(u, w.claims["D"], "may_view_documents"))
    ),
    "claim_advocate_may F docs": (
        lambda w, u: _yes(ia.claim_advocate_may(u, w.claims["F"], "may_view_documents"))
    ),
    "advocates_receiving_updates S ∋": (
        lambda w, u: _in(ia.advocates_receiving_updates(w.claims["S"]), u)
    ),
    "authorities_visible_to ∋ adv's": lambda w, u: _in(ia.authorities_visible_to(u), w.authority),
    "claim_within_scope S docs": (
        lambda w, u: _yes(ia.claim_within_scope(u, w.claims["S"], "may_view_documents"))
    ),
    "claim_may_read_answers S": lambda w, u: _yes(ia.claim_may_read_answers(u, w.claims["S"])),
    "claim_may_read_answers F": lambda w, u: _yes(ia.claim_may_read_answers(u, w.claims["F"])),
    "claim_may_read_thread S": lambda w, u: _yes(ia.claim_may_read_thread(u, w.claims["S"])),
    "claim_may_message S": lambda w, u: _yes(ia.claim_may_message(u, w.claims["S"])),
    "claim_may_message U": lambda w, u: _yes(ia.claim_may_message(u, w.claims["U"])),
    "claim_may_message F": lambda w, u: _yes(ia.claim_may_message(u, w.claims["F"])),
    "claim_may_answer S": lambda w, u: _yes(ia.claim_may_answer(u, w.claims["S"])),
    "claim_may_answer_for_patient S": (
        lambda w, u: _yes(ia.claim_may_answer_for_patient(u, w.claims["S"]))
    ),
    "claim_may_submit S": lambda w, u: _yes(ia.claim_may_submit(u, w.claims["S"])),
    "claim_may_edit_draft S": lambda w, u: _yes(ia.claim_may_edit_draft(u, w.claims["S"])),
    "claim_may_edit_draft D": lambda w, u: _yes(ia.claim_may_edit_draft(u, w.claims["D"])),
    "claim_may_edit_draft F": lambda w, u: _yes(ia.claim_may_edit_draft(u, w.claims["F"])),
    "claim_may_work S": lambda w, u: _yes(ia.claim_may_work(u, w.claims["S"])),
    "claim_may_work U": lambda w, u: _yes(ia.claim_may_work(u, w.claims["U"])),
    "claim_may_read_notes S": lambda w, u: _yes(ia.claim_may_read_notes(u, w.claims["S"])),
    "claim_may_route S": lambda w, u: _yes(ia.claim_may_route(u, w.claims["S"])),
    "claim_may_route U": lambda w, u: _yes(ia.claim_may_route(u, w.claims["U"])),
    "claim_may_verify_authority S": (
        lambda w, u: _yes(ia.claim_may_verify_authority(u, w.claims["S"]))
    ),
    "claim_may_choose_insurer S": lambda w, u: _yes(ia.claim_may_choose_insurer(u, w.claims["S"])),
    "claim_may_choose_insurer U": lambda w, u: _yes(ia.claim_may_choose_insurer(u, w.claims["U"])),
    "claim_may_transition S → offer made": (
        lambda w, u: _yes(ia.claim_may_transition(u, w.claims["S"], S_.OFFER_MADE))
    ),
    "claim_may_transition S → withdrawn": (
        lambda w, u: _yes(ia.claim_may_transition(u, w.claims["S"], S_.WITHDRAWN))
    ),
    "claim_may_transition S → settled": (
        lambda w, u: _yes(ia.claim_may_transition(u, w.claims["S"], S_.SETTLED))
    ),
    "claim_may_transition U → assigned": (
        lambda w, u: _yes(ia.claim_may_transition(u, w.claims["U"], S_.ASSIGNED))
    ),
    "claim_may_transition D → submitted": (
        lambda w, u: _yes(ia.claim_may_transition(u, w.claims["D"], S_.SUBMITTED))
    ),
    "claim_may_transition F → submitted": (
        lambda w, u: _yes(ia.claim_may_transition(u, w.claims["F"], S_.SUBMITTED))
    ),
    "documents_visible_to ∋ S's": lambda w, u: _in(da.documents_visible_to(u), w.documents["S"]),
    "documents_visible_to ∋ F's": lambda w, u: _in(da.documents_visible_to(u), w.documents["F"]),
    "documents_may_view S": lambda w, u: _yes(da.documents_may_view(u, w.claims["S"])),
    "document_may_upload S": lambda w, u: _yes(da.document_may_upload(u, w.claims["S"])),
    "document_may_upload U": lambda w, u: _yes(da.document_may_upload(u, w.claims["U"])),
    "document_may_upload D": lambda w, u: _yes(da.document_may_upload(u, w.claims["D"])),
    "document_may_upload F": lambda w, u: _yes(da.document_may_upload(u, w.claims["F"])),
    "document_may_see_problems S": (
        lambda w, u: _yes(da.document_may_see_problems(u, w.claims["S"]))
    ),
    "document_may_see_problems U": (
        lambda w, u: _yes(da.document_may_see_problems(u, w.claims["U"]))
    ),
    "notifications_visible_to ∋ own S": (
        lambda w, u: _in(na.notifications_visible_to(u), _notification(u, w.claims["S"]))
    ),
    "notifications_visible_to ∋ own -": (
        lambda w, u: _in(na.notifications_visible_to(u), _notification(u, None))
    ),
    "notifications_visible_to ∋ pat's S": (
        lambda w, u: _in(
            na.notifications_visible_to(u), _notification(w.people["pat"], w.claims["S"])
        )
    ),
    "insurers_visible_to ∋ ours": lambda w, u: _in(pa.insurers_visible_to(u), w.ours),
    "adjusters_visible_to ∋ adj": lambda w, u: _in(ta.adjusters_visible_to(u), w.people["adj"]),
    "adjuster_may_manage adj": lambda w, u: _yes(ta.adjuster_may_manage(u, w.people["adj"])),
    "adjuster_may_manage left": lambda w, u: _yes(ta.adjuster_may_manage(u, w.adjuster_who_left)),
    "adjuster_may_assign adj": lambda w, u: _yes(ta.adjuster_may_assign(u, w.people["adj"])),
    "adjuster_may_assign left": lambda w, u: _yes(ta.adjuster_may_assign(u, w.adjuster_who_left)),
    "routing_rules_may_edit ours": lambda w, u: _yes(ta.routing_rules_may_edit(u, w.ours.pk)),
    "routing_rules_may_edit theirs": lambda w, u: _yes(ta.routing_rules_may_edit(u, w.theirs.pk)),
}


def _rows() -> list[tuple[str, list[str]]]:
    rows = []
    for line in TABLE.strip().splitlines()[1:]:
        if not line.startswith("#"):
            rows.append((line[:36].rstrip(), line[36:].split()))
    return rows


ROWS = _rows()


def _notification(user: User, claim: Claim | None) -> Notification:
    notification, _created = Notification.objects.get_or_create(
        idempotency_key=f"matrix:{user.pk}:{claim.pk if claim else '-'}",
        defaults={
            "recipient": user,
            "channel": Channel.IN_APP,
            "kind": "message_received",
            "title": "A new message",
            "claim": claim,
        },
    )
    return notification


def test_the_table_asks_every_row_and_only_those():
    assert [label for label, _answers in ROWS] == list(ASK)


@pytest.mark.parametrize(("check", "expected"), ROWS, ids=[label for label, _answers in ROWS])
def test_the_access_matrix(world, check, expected):
    expected = dict(zip(PEOPLE, expected, strict=True))
    answers = {name: ASK[check](world, world.people[name]) for name in PEOPLE}
    wrong = {
        name: (answers[name], expected[name]) for name in PEOPLE if answers[name] != expected[name]
    }
    assert not wrong, f"{check}: (answer, table) for {wrong}"


def test_every_check_of_every_access_module_has_a_row():
    """A new rule without a row in the matrix fails here."""
    not_checks = {"refuse", "forbid", "audit_error", "audit_refusal", "claim_is_unowned"}
    checks = {
        name
        for module in (ia, da, na, ta, pa)
        for name, value in vars(module).items()
        if callable(value)
        and getattr(value, "__module__", "") == module.__name__
        and not name.startswith("_")
        and name not in not_checks
    }
    asked = {label.split()[0] for label, _answers in ROWS}
    assert checks - asked == set()


def test_the_portal_itself_acts_only_where_the_lifecycle_lets_the_system_act(world):
    submitted, unowned = world.claims["S"], world.claims["U"]

    assert ia.claim_actor_kind(None, submitted) == ia.SYSTEM
    assert ia.claim_may_transition(None, unowned, S_.ASSIGNED)
    assert not ia.claim_may_transition(None, submitted, S_.OFFER_MADE)


def test_only_the_claim_with_no_insurer_waiting_for_triage_is_unowned(world):
    assert {name: ia.claim_is_unowned(claim) for name, claim in world.claims.items()} == {
        "S": False,
        "U": True,
        "D": False,
        "F": False,
    }


def test_an_ended_authority_ends_the_advocates_access_at_once(world):
    submitted, advocate = world.claims["S"], world.people["adv"]
    world.authority.revoked_at = timezone.now()
    world.authority.save(update_fields=["revoked_at"])

    assert not ia.claim_may_view(advocate, submitted)
    assert ia.claim_actor_kind(advocate, submitted) is None
    assert not da.document_may_upload(advocate, submitted)


# --- The refusals and the one place that answers them -------------------------------------------


def _refusals(user: User) -> list[tuple[str, str, dict]]:
    return list(
        AuditEvent.objects.filter(action=AuditAction.ACCESS_REFUSED, actor=user).values_list(
            "object_type", "object_id", "detail"
        )
    )


def test_refuse_raises_not_found_and_records_one_audit_row():
    user = UserFactory()

    with pytest.raises(NotFound) as refused:
        pa.refuse(user=user, object_type="intake.claim", object_id="c-1", reason="not visible")

    assert (refused.value.object_type, refused.value.object_id) == ("intake.claim", "c-1")
    assert _refusals(user) == [("intake.claim", "c-1", {"reason": "not visible"})]


def test_forbid_raises_refused_with_the_message_for_the_person():
    user = UserFactory()

    with pytest.raises(Refused) as refused:
        pa.forbid(user=user, object_type="intake.claim", reason="upload", message="Ask them.")

    assert str(refused.value) == "Ask them."
    assert _refusals(user) == [("intake.claim", "", {"reason": "upload"})]


def _answer(error: Exception, user: User) -> HttpResponse | None:
    request = RequestFactory().get("/claims/")
    request.user = user
    middleware = AccessRefusalMiddleware(lambda request: HttpResponse())
    return middleware.process_exception(request, error)


def test_the_middleware_answers_not_found_with_the_404_page_and_audits_it_once():
    user = UserFactory()
    error = NotFound(user=user, object_type="intake.claim", object_id="c-2", reason="guessed")

    response = _answer(error, user)
    again = _answer(error, user)

    assert (response.status_code, again.status_code) == (404, 404)
    assert _refusals(user) == [("intake.claim", "c-2", {"reason": "guessed"})]


def test_the_middleware_shows_a_refusals_message_on_the_403_page():
    user = UserFactory()
    with pytest.raises(Refused) as refused:
        pa.forbid(user=user, object_type="intake.claim", reason="message", message="Ask them.")

    response = _answer(refused.value, user)

    assert response.status_code == 403
    assert "Ask them." in response.content.decode()
    assert len(_refusals(user)) == 1, "a refusal already recorded is not recorded again"


def test_the_middleware_leaves_other_errors_alone():
    assert _answer(ValueError("a bug"), UserFactory()) is None
