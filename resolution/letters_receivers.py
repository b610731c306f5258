"""Writing a claim's letters when it moves: the receivers of intake's signals."""


def connect() -> None:
    """Connect the receivers (called once, from ResolutionConfig.ready)."""
