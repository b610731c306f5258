"""Announcements other apps react to (triage routes submitted claims; notifications tell people).

Sent only after the change has been committed.
"""

from django.dispatch import Signal

#: kwargs: claim_id
claim_submitted = Signal()
#: kwargs: claim_id, from_status, to_status, actor_id (None when the portal itself moved it)
claim_status_changed = Signal()
