"""A real SMTP server (aiosmtpd) for the notification tests, and the settings that send to it."""

import email
import email.policy
import socket
import threading
from collections.abc import Callable
from contextlib import contextmanager

from aiosmtpd.controller import Controller


class Handler:
    """Accepts messages, or answers every recipient with `refuse` (e.g. "550 ...")."""

    def __init__(self, refuse: str | None = None):
        self.refuse = refuse
        #: Refuse this one address only (550), accept the others.
        self.refuse_only: str | None = None
        #: Answer this one address "try again later" (451), accept the others.
        self.busy_only: str | None = None
        #: Called with each message once the server holds it, before it answers the client: what
        #: happens to the sender then happens after its email has been delivered.
        self.on_data: Callable[[email.message.EmailMessage], None] | None = None
        self.messages: list[email.message.EmailMessage] = []
        self.attempts = 0
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self.lock:
            self.attempts += 1
        if self.refuse:
            return self.refuse
        if address == self.refuse_only:
            return "550 5.1.1 No such mailbox"
        if address == self.busy_only:
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.SMTP)
        self.messages.append(message)
        if self.on_data:
            self.on_data(message)
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def smtp_server(settings=None):
    """A server on a free loopback port, yielding its handler (with `.port`); with pytest-django's
    `settings`, this process's emails are sent to it."""
    handler = Handler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    handler.port = controller.port
    if settings is not None:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = controller.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_TIMEOUT = 5
    try:
        yield handler
    finally:
        controller.stop()
