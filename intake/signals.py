"""Announcements other apps react to (triage routes submitted claims; notifications tell people).

Intake sits below both, so it announces and they connect receivers in their AppConfig.ready().
Two kinds: after commit, for work queued to a worker; inside the transaction, for receivers that
must write in it (the notifications outbox), so a change and the rows announcing it are committed
or rolled back together. Arguments are the saved objects or their ids, never free text.
"""

from django.dispatch import Signal

# --- Sent once the change has been committed ----------------------------------------------------

#: kwargs: claim_id
claim_submitted = Signal()
#: For code outside the portal (an integration, a future webhook): nothing in the portal listens,
#: since its own reactions run inside the transaction on claim_moved. kwargs: claim_id,
#: from_status, to_status, actor_id (None when the portal itself moved it)
claim_status_changed = Signal()

# --- Sent inside the transaction of the change ---------------------------------------------------

#: A move of the claim's lifecycle was recorded. kwargs: claim, from_status, to_status, actor
#: (None when the portal itself moved it), change_id (the history row's id)
claim_moved = Signal()
#: A message was added to a claim's thread, for the other side to hear of. kwargs: message
claim_message_posted = Signal()
#: A patient invited an advocate by email address. kwargs: authority
advocate_invited = Signal()
#: An advocate's authority began, changed scope or ended. kwargs: authority, change ("granted",
#: "changed" or "revoked")
authority_changed = Signal()
#: An advocate filed a claim for a patient new to the portal, who is to take over their account.
#: kwargs: claim, advocate
claim_filed_on_behalf = Signal()
#: An advocate tried to file for a patient who has an account; the patient may invite them.
#: kwargs: patient, advocate
advocate_invite_requested = Signal()
#: A stale draft is about to be deleted: what receivers delete with it (its documents) commits or
#: rolls back with the draft. kwargs: claim. A receiver returns how many documents it deleted,
#: for the draft's audit row; one that raises keeps the draft.
claim_draft_purging = Signal()
#: A draft untouched for DRAFT_REMINDER_DAYS was marked reminded: its patient is to be told the
#: date it will be deleted. kwargs: claim, deleted_on (a date)
draft_reminder_due = Signal()
#: A stale draft was deleted, after claim_draft_purging: its patient is to be told. The row is gone
#: by then, so receivers keep nothing that points at it. kwargs: claim_id, patient, started_at
claim_draft_purged = Signal()
#: A complete draft is about to be submitted. kwargs: claim (locked), user. A receiver raises
#: ClaimError, with a message the person can act on, to keep it a draft (documents refuses an
#: advocate's claim that carries no usable authority form).
claim_submitting = Signal()
