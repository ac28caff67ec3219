"""Circuit breakers for the services a web request may reach but must never wait on: the
broker (the after-commit publish, services/enqueue.py) and a Redis cache (the throttles).

One breaker per service and process. The first failure opens it; while it is open requests
skip the service at once (their work waits in the outbox; throttles let requests through).
Requests never probe: a thread of the breaker's own tries the service every `retry_seconds`
and closes the breaker when it answers, so during an outage no request touches it at all.
"""

import logging
import threading
from collections.abc import Callable

logger = logging.getLogger(__name__)


class Breaker:
    def __init__(self, name: str, probe: Callable[[], object], retry_seconds: Callable[[], float]):
        """`probe` raises while the service is down; `retry_seconds` is read at each wait, so
        settings (and tests) may change it."""
        self.name = name
        self._probe = probe
        self._retry_seconds = retry_seconds
        self._lock = threading.Lock()
        self._open = False
        self._stop = threading.Event()

    @property
    def is_open(self) -> bool:
        return self._open

    def trip(self) -> None:
        """A call failed: open the breaker and start probing (once per outage)."""
        with self._lock:
            if self._open:
                return
            self._open = True
            logger.warning("%s unavailable: requests leave it alone until it answers.", self.name)
            # Each outage has its own prober and stop signal, so a prober left over from an
            # earlier one cannot close this one.
            self._stop = stop = threading.Event()
            threading.Thread(
                target=self._probe_until_back,
                args=(stop,),
                name=f"breaker-{self.name}",
                daemon=True,
            ).start()

    def reset(self) -> None:
        """Close the breaker (the service answered; tests, after simulating an outage)."""
        with self._lock:
            was_open, self._open = self._open, False
            self._stop.set()
        if was_open:
            logger.info("%s available again.", self.name)

    def _probe_until_back(self, stop: threading.Event) -> None:
        while not stop.wait(self._retry_seconds()):
            try:
                self._probe()
            except Exception:  # noqa: BLE001, S112 — still down: try again later
                continue
            with self._lock:
                if stop.is_set():
                    return
            self.reset()
            return
