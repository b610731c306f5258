"""Writing a claim's letters when it moves: the receivers of intake's signals."""

from intake.signals import claim_moved
from resolution import letters_services


def letter_on_move(sender, *, claim, from_status, to_status, actor, change_id, **kwargs) -> None:
    """Record the letter the move calls for in the move's own transaction, so it is owed exactly
    when the move holds; a worker draws it after commit, never the request."""
    letters_services.letter_request_for_move(
        claim=claim, from_status=from_status, to_status=to_status, actor=actor, change_id=change_id
    )


def connect() -> None:
    """Connect the receivers (called once, from ResolutionConfig.ready)."""
    claim_moved.connect(letter_on_move, dispatch_uid="resolution-letter-on-move")
