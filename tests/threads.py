"""Two database sessions at once in one test: a second "worker" in a thread, and a way to see
that it is blocked on a lock held by the test."""

import threading

from django.db import connection


def in_thread(work):
    """Run `work` in a thread with its own database connection, closed when it ends; returns the
    thread and a dict that receives its "result" or "error"."""
    outcome = {}

    def run():
        try:
            outcome["result"] = work()
        except Exception as error:  # reported to the test thread
            outcome["error"] = error
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def sessions_waiting_on_a_lock() -> int:
    """How many other sessions of this database are blocked waiting for a lock."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]
