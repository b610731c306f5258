"""A real webhook receiver for the tests: an HTTP server in a thread on 127.0.0.1 that records
every request and answers as told (200 unless a test queues other answers)."""

import threading
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def verifies_with(self, secret: str) -> bool:
        """Whether the standardwebhooks package accepts this request with `secret`."""
        try:
            Webhook(secret).verify(self.body, self.headers)
        except WebhookVerificationError:
            return False
        return True

    def payload(self, secret: str) -> dict:
        """The verified payload (raises if the signature does not verify)."""
        return Webhook(secret).verify(self.body, self.headers)


@dataclass
class Receiver:
    port: int
    requests: list[Received] = field(default_factory=list)
    #: Answers to give, in order, as (status, headers); 200 once they run out.
    answers: deque = field(default_factory=deque)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def answer(self, status: int, headers: dict | None = None, times: int = 1) -> None:
        for _ in range(times):
            self.answers.append((status, headers or {}))

    def wait_for(self, count: int, timeout_s: float = 60) -> list[Received]:
        """Returns once `count` requests have arrived, or fails saying how many did."""
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.requests) >= count, timeout=timeout_s)
        assert len(self.requests) >= count, (
            f"{len(self.requests)} of {count} deliveries arrived in {timeout_s} s."
        )
        return list(self.requests)


@contextmanager
def running_receiver():
    receiver_ref: list[Receiver] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as a real receiver would

        def do_POST(self):  # noqa: N802 - http.server's name
            receiver = receiver_ref[0]
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            status, headers = receiver.answers.popleft() if receiver.answers else (200, {})
            with receiver.arrived:
                receiver.requests.append(
                    Received(path=self.path, headers=dict(self.headers.items()), body=body)
                )
                receiver.arrived.notify_all()
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format, *args):  # noqa: A002 - http.server's signature
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver_ref.append(Receiver(port=server.server_address[1]))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver_ref[0]
    finally:
        server.shutdown()
        server.server_close()
