"""Running work on another thread with its own database connection, for the race tests."""

import threading

from django.db import connection


def in_thread(work, failures: list) -> threading.Thread:
    """Start `work` on a thread; an exception it raises goes into `failures` for the test to
    report. The thread's own database connection is closed when it ends."""

    def run():
        try:
            work()
        except Exception as error:  # noqa: BLE001 — the test reports it
            failures.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread
