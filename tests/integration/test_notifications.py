"""Notifications through the real broker and a real worker, which writes the emails it sends to
files (tests/integration/conftest.py): delivery after a change, nothing lost or doubled when the
broker was down while the changes were made (an advocate's invitation too), and a worker killed
between its send and its record repeating that one email under the same Message-ID."""

import datetime
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from intake.advocates.invitations import authority_id_from_token, invitation_token
from intake.models import Authority, ClaimStatus
from intake.services import claim_transition
from notifications.delivery import notifications_sweep_undelivered
from notifications.models import Channel, Notification, State
from notifications.tasks import notification_dispatch
from portal.tasks import worker_echo
from tests.notifications.conftest import SECRETS, make_world
from tests.notifications.smtp import smtp_server
from tests.worker import REPO_ROOT, running_worker
from tests.worker import database_url as _database_url

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

CHANGES = 100


def _message_ids(mail_dir: Path) -> list[str]:
    text = "".join(path.read_text() for path in mail_dir.glob("*.log"))
    return re.findall(r"^Message-ID: (.+)$", text, flags=re.MULTILINE)


def _mail_text(mail_dir: Path) -> str:
    return "".join(path.read_text() for path in mail_dir.glob("*.log"))


def _messages(mail_dir: Path) -> list[str]:
    """Each email the worker wrote (the file backend separates them with a line of dashes)."""
    return re.split(r"^-{79}$", _mail_text(mail_dir), flags=re.MULTILINE)


def _wait_until_sent(count: int, timeout_s: float = 240) -> None:
    deadline = time.monotonic() + timeout_s
    sent = 0
    while time.monotonic() < deadline:
        sent = Notification.objects.filter(channel=Channel.EMAIL, state=State.SENT).count()
        if sent >= count:
            return
        time.sleep(0.25)
    pytest.fail(f"Only {sent} of {count} emails were sent in time.")


def _drain_notify_queue() -> None:
    """Returns once the workers have taken what was queued on notify before this call (modules
    that import the worker fixture may each have started one; both take from the queue)."""
    assert worker_echo.apply_async(args=["drained"], queue="notify").get(timeout=60) == "drained"
    time.sleep(2)  # the other worker's last task


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed again when the probe is


def _run_with_the_broker_down(script: str, *args: str) -> None:
    """Run `script` in a process of its own whose broker is a closed port: every publish fails."""
    with connection.cursor():
        database_url = _database_url(connection.settings_dict)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{_closed_port()}/0",
        "CELERY_RESULT_BACKEND": f"redis://127.0.0.1:{_closed_port()}/0",
        "PORTAL_IGNORE_DOTENV": "true",
    }
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]


def _wait_until(notification: Notification, state: str, timeout_s: float = 240) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        notification.refresh_from_db()
        if notification.state == state:
            return
        time.sleep(0.25)
    pytest.fail(f"The email is {notification.state}, not {state}, after {timeout_s} seconds.")


def test_a_worker_emails_the_patient_after_a_status_change(celery_worker):
    before = len(_message_ids(celery_worker.mail_dir))
    world = make_world(ClaimStatus.ASSIGNED)

    claim_transition(claim=world.claim, to_status=ClaimStatus.UNDER_REVIEW, actor=world.adjuster)

    _wait_until_sent(1)
    text = _mail_text(celery_worker.mail_dir)
    # One email of the move (its acknowledgement letter, written and scanned meanwhile, is told
    # of in an email of its own).
    subject = f"Subject: [Claim portal] {world.claim.reference}: Your claim has been acknowledged"
    assert text.count(subject) == 1
    assert len(_message_ids(celery_worker.mail_dir)) > before
    for words in SECRETS:
        assert words not in text


def test_changes_made_while_the_broker_is_down_are_all_delivered_once_after(celery_worker):
    mail_dir = celery_worker.mail_dir
    before = set(_message_ids(mail_dir))
    worlds = [make_world(ClaimStatus.ASSIGNED) for _ in range(CHANGES)]
    claim_ids = [str(world.claim.pk) for world in worlds]
    adjuster_ids = [world.adjuster.pk for world in worlds]

    # The changes are made by a process whose broker is a closed port: every publish fails.
    script = (
        "import django, sys; django.setup()\n"
        "from intake.models import Claim\n"
        "from intake.services import claim_transition\n"
        "from portal.models import User\n"
        "pairs = zip(sys.argv[1].split(','), sys.argv[2].split(','))\n"
        "for claim_id, adjuster_id in pairs:\n"
        "    claim_transition(claim=Claim.objects.get(pk=claim_id), to_status='under_review',\n"
        "                     actor=User.objects.get(pk=int(adjuster_id)))\n"
    )
    _run_with_the_broker_down(script, ",".join(claim_ids), ",".join(map(str, adjuster_ids)))

    # Every change holds, with its notification waiting; nothing was sent.
    assert (
        type(worlds[0].claim)
        .objects.filter(pk__in=claim_ids, status=ClaimStatus.UNDER_REVIEW)
        .count()
        == CHANGES
    )
    emails = Notification.objects.filter(channel=Channel.EMAIL, claim_id__in=claim_ids)
    assert emails.filter(state=State.PENDING).count() == CHANGES
    _drain_notify_queue()
    assert set(_message_ids(mail_dir)) == before

    # The broker is back (this process's); the sweeper, a beat later, queues them all.
    later = timezone.now() + datetime.timedelta(minutes=30)
    assert notifications_sweep_undelivered(now=later) == CHANGES
    _wait_until_sent(CHANGES)

    # A redelivery of every task (a worker lost before acknowledging, say) sends nothing more.
    for notification_id in emails.values_list("pk", flat=True):
        notification_dispatch.delay(notification_id)
    assert notifications_sweep_undelivered(now=later + datetime.timedelta(hours=1)) == 0
    _drain_notify_queue()

    new = [message_id for message_id in _message_ids(mail_dir) if message_id not in before]
    assert len(new) == CHANGES
    assert len(set(new)) == CHANGES
    assert emails.filter(state=State.SENT, attempts=1).count() == CHANGES
    recipients = set(re.findall(r"^To: (.+)$", _mail_text(mail_dir), flags=re.MULTILINE))
    assert {world.patient.email for world in worlds} <= recipients


def test_an_invitation_made_while_the_broker_is_down_reaches_the_advocate_once_it_is_back(
    celery_worker,
):
    mail_dir = celery_worker.mail_dir
    world = make_world(ClaimStatus.UNDER_REVIEW)
    address = f"advocate-{world.claim.pk}@example.org"
    script = (
        "import django, sys; django.setup()\n"
        "from intake.advocates.services import authority_invite\n"
        "from intake.models import Claim\n"
        "claim = Claim.objects.get(pk=sys.argv[1])\n"
        "authority_invite(patient=claim.claimant, email=sys.argv[2], claim=claim,\n"
        "                 scopes={'may_message': True}, expires_on=None)\n"
    )
    _run_with_the_broker_down(script, str(world.claim.pk), address)

    # The invitation holds, its email waits in the outbox for the address; nothing was sent,
    # and no working link is stored anywhere in the row.
    authority = Authority.objects.get(claim=world.claim, invited_email=address)
    invitation = Notification.objects.get(authority=authority)
    assert (invitation.state, invitation.channel) == (State.PENDING, Channel.EMAIL)
    assert invitation.recipient is None and invitation.recipient_email == address
    stored = " ".join(
        str(value)
        for value in Notification.objects.filter(pk=invitation.pk).values().get().values()
    )
    assert "/claims/invitations/" not in stored and invitation_token(authority)[:40] not in stored
    _drain_notify_queue()
    assert address not in _mail_text(mail_dir)

    # The broker is back; the sweeper, a beat later, queues it and the worker sends it once.
    later = timezone.now() + datetime.timedelta(minutes=30)
    assert notifications_sweep_undelivered(now=later) == 1
    _wait_until(invitation, State.SENT)
    assert notifications_sweep_undelivered(now=later + datetime.timedelta(hours=1)) == 0
    _drain_notify_queue()

    [message] = [text for text in _messages(mail_dir) if f"To: {address}" in text]
    assert f"{world.patient.get_full_name()} has asked you to act for them" in message
    token = re.search(r"/claims/invitations/([^/\s]+)/", message).group(1)
    assert authority_id_from_token(token) == str(authority.pk)
    assert world.claim.reference not in message
    for words in SECRETS:
        assert words not in message


def test_a_worker_killed_between_send_and_record_repeats_that_email_with_its_message_id(
    settings, tmp_path
):
    world = make_world(ClaimStatus.UNDER_REVIEW)
    notification = Notification.objects.create(
        recipient=world.patient,
        channel=Channel.EMAIL,
        kind="claim_acknowledged",
        title="Your claim has been acknowledged",
        claim=world.claim,
        state=State.PENDING,
        idempotency_key=f"killed-worker:{world.claim.pk}",
    )
    # A queue of this test's own, so no other worker of the session takes the task.
    queue = f"notify-killed-{os.getpid()}"
    with connection.cursor():
        database = _database_url(connection.settings_dict)
    with smtp_server(settings) as smtp:
        env = {"EMAIL_URL": f"smtp://127.0.0.1:{smtp.port}", "EMAIL_BACKEND": ""}
        with running_worker(
            database=database, log_dir=tmp_path, name="killed-worker", queues=queue, env=env
        ) as worker:
            # The server has the message; the worker dies before it hears so, let alone records.
            smtp.on_data = lambda _message: os.kill(worker.pid, signal.SIGKILL)
            notification_dispatch.apply_async(args=[notification.pk], queue=queue)
            assert worker.wait(timeout=120) == -signal.SIGKILL
        smtp.on_data = None
        [first] = smtp.messages
        notification.refresh_from_db()
        assert notification.state == State.SENDING  # taken, never reported on

        # The sweeper gives it back to pending one grace period after it was taken, and queues
        # it one more later; this process delivers it, to the same server.
        settings.NOTIFICATIONS_DELIVER_IN_PROCESS = True
        grace = datetime.timedelta(minutes=settings.NOTIFICATION_REQUEUE_MINUTES, seconds=1)
        later = timezone.now() + grace
        assert notifications_sweep_undelivered(now=later) == 0
        assert notifications_sweep_undelivered(now=later + grace) == 1

        first_again, repeat = smtp.messages
        assert first_again is first
        assert repeat["Message-ID"] == first["Message-ID"]
        assert repeat["To"] == first["To"] == world.patient.email
        notification.refresh_from_db()
        assert notification.state == State.SENT
        assert notifications_sweep_undelivered(now=later + 3 * grace) == 0
        assert len(smtp.messages) == 2
