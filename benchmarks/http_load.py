"""The load generator of `make bench`: threads, each with one keep-alive HTTP/1.1 connection
(as a consumer's app or a proxy would hold), on loopback only.

`closed_loop` keeps `concurrency` requests in flight for a while and gives the rate and the
latencies; `open_loop` sends at a fixed rate, whatever the answers take (for latency under a
given ingest rate); `WebFiler` goes through the web form's steps as a browser would, with
its cookies and CSRF token; `OnePageFiler` does what a browser does on the one-page form. The generator shares the cores with the servers, which is why the
harness reports the servers' own CPU time per request beside the rates.
"""

import concurrent.futures
import http.client
import json
import re
import statistics
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

TIMEOUT = 30.0


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass
class Window:
    """What one timed stretch of requests gave."""

    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    answers: list[dict] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return len(self.latencies_ms) / self.seconds if self.seconds else 0.0

    @property
    def p50_ms(self) -> float:
        return percentile(self.latencies_ms, 50)

    @property
    def p95_ms(self) -> float:
        return percentile(self.latencies_ms, 95)

    def timed(self, send, conn, index: int, lock: threading.Lock, keep_answers: bool) -> None:
        """Send one request and count it: its latency when it succeeded, else an error."""
        started = time.perf_counter()
        try:
            ok, answer = send(conn, index)
        except (http.client.HTTPException, OSError):
            ok, answer = False, {}
        elapsed = (time.perf_counter() - started) * 1000
        with lock:
            if ok:
                self.latencies_ms.append(elapsed)
                if keep_answers:
                    self.answers.append(answer)
            else:
                self.errors += 1


class Connection:
    """One keep-alive connection that reconnects after the server closes it."""

    def __init__(self, port: int):
        self.port = port
        self.conn: http.client.HTTPConnection | None = None
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict | None = None
    ) -> tuple[int, dict, bytes]:
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
            except (http.client.HTTPException, OSError):
                self.close()
                if attempt == 2:
                    raise
                continue
            for value in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
            if response.headers.get("Connection", "").lower() == "close":
                self.close()
            return response.status, dict(response.headers), data
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def json_post(
    path: str, body_for: Callable[[int], dict], headers: dict | None = None
) -> Callable[[Connection, int], tuple[bool, dict]]:
    """A request maker: POST the JSON body built for the request's index; 201 counts."""

    def send(conn: Connection, index: int) -> tuple[bool, dict]:
        status, _, data = conn.request(
            "POST",
            path,
            json.dumps(body_for(index), ensure_ascii=False).encode(),
            {"Content-Type": "application/json", **(headers or {})},
        )
        return status == 201, (json.loads(data) if status == 201 else {"status": status})

    return send


def closed_loop(
    port: int,
    send: Callable[[Connection, int], tuple[bool, dict]],
    *,
    concurrency: int,
    seconds: float,
    keep_answers: bool = False,
) -> Window:
    """`concurrency` threads each sending its next request as soon as the last is answered."""
    lock = threading.Lock()
    counter = iter(range(10**9))
    window = Window(seconds=seconds)
    deadline = time.monotonic() + seconds

    def loop() -> None:
        conn = Connection(port)
        try:
            while time.monotonic() < deadline:
                with lock:
                    index = next(counter)
                window.timed(send, conn, index, lock, keep_answers)
        finally:
            conn.close()

    started = time.monotonic()
    threads = [threading.Thread(target=loop) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    window.seconds = time.monotonic() - started
    return window


def open_loop(
    port: int,
    send: Callable[[Connection, int], tuple[bool, dict]],
    *,
    rate: float,
    seconds: float,
) -> Window:
    """Requests sent at `rate` per second for `seconds`, each on a pooled connection, whether
    or not earlier ones have been answered (up to 64 in flight)."""
    local = threading.local()
    window = Window(seconds=seconds)
    lock = threading.Lock()
    connections: list[Connection] = []

    def one(index: int) -> None:
        if not hasattr(local, "conn"):
            local.conn = Connection(port)
            with lock:
                connections.append(local.conn)
        window.timed(send, local.conn, index, lock, keep_answers=True)

    count = max(1, round(rate * seconds))
    t0 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=64) as pool:
        for index in range(count):
            delay = t0 + index / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            pool.submit(one, index)
    window.seconds = time.monotonic() - t0
    for conn in connections:
        conn.close()
    return window


CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class WebFiler:
    """Files one complaint through the web form's five steps (which app, what happened,
    evidence, contact and consent, check and send), following each redirect as a browser
    does, and returns the tracking number of the done page."""

    def __init__(self, app_id: int, describe: Callable[[int], str]):
        self.app_id, self.describe = app_id, describe

    def __call__(self, conn: Connection, index: int) -> tuple[bool, dict]:
        conn.cookies.clear()  # a new visitor: a new session for every filing
        status, _, page = conn.request("GET", "/file/app/")
        steps = [
            ("app", {"app": str(self.app_id)}),
            ("what", {"description": self.describe(index), "kind": ""}),
            ("evidence", {"action": "continue"}),
            ("contact", {}),
            ("review", {}),
        ]
        for name, fields in steps:
            if status != 200:
                return False, {"status": status, "step": name}
            token = CSRF_INPUT.search(page.decode("utf-8", "replace"))
            body = urllib.parse.urlencode(
                {"csrfmiddlewaretoken": token.group(1) if token else "", **fields}
            ).encode()
            status, headers, page = conn.request(
                "POST",
                f"/file/{name}/",
                body,
                {"Content-Type": "application/x-www-form-urlencoded"},
            )
            if status != 302:
                return False, {"status": status, "step": name}
            location = urllib.parse.urlsplit(headers.get("Location", "")).path
            status, _, page = conn.request("GET", location)
            if name == "review":
                done = location.rstrip("/").rsplit("/", 1)[-1]
                return status == 200 and location.startswith("/file/done/"), {
                    "tracking_number": done
                }
        return False, {}


class OnePageFiler:
    """Files one complaint as a browser does on the one-page form (/file/quick/, static/js/
    filing.js): the page, then the app search for the name typed unless the page offered
    that name already (the apps complaints named most lately: the script then knows its
    registry app without asking), then one JSON request to the filing API with the fields a
    consumer typed, the registry app offered by that name when exactly one bears it, the web
    channel and a new Idempotency-Key; returns the tracking number, and counts the filings
    and the searches. The consumer of filing `index` names `names[index % len(names)]`. The
    script and style sheet are cached by browsers after the first visit, so not fetched."""

    NAMED_MOST = re.compile(rb'<script id="apps-named-most" type="application/json">(.*?)</script>')

    def __init__(self, names: list[str], describe: Callable[[int], str]):
        self.names, self.describe = names, describe
        self.filed = self.searched = 0  # since the last reset
        self._counting = threading.Lock()

    def reset(self) -> None:
        with self._counting:
            self.filed = self.searched = 0

    @classmethod
    def offered(cls, page: bytes) -> list[dict] | None:
        """The apps a one-page form page offers before anything is typed; None if it is not
        one."""
        found = cls.NAMED_MOST.search(page)
        return None if found is None else json.loads(found.group(1))

    def __call__(self, conn: Connection, index: int) -> tuple[bool, dict]:
        conn.cookies.clear()  # a new visitor, as WebFiler's
        app_name = self.names[index % len(self.names)]
        status, _, page = conn.request("GET", "/file/quick/")
        offered = self.offered(page) if status == 200 else None
        if offered is None or b'data-api="/api/v1/complaints/"' not in page:
            return False, {"status": status, "step": "page"}
        searched = not any(app["name"] == app_name for app in offered)
        if searched:
            status, _, found = conn.request(
                "GET",
                "/api/v1/public/apps/?q=" + urllib.parse.quote(app_name),
                None,
                {"Accept": "application/json"},
            )
            if status != 200:
                return False, {"status": status, "step": "search"}
            offered = json.loads(found)["results"]
        same = [app for app in offered if app["name"] == app_name]
        body = {
            "channel": "web",
            "app_name": app_name,
            "description": self.describe(index),
            "consent_share_with_operator": False,
            "consent_publish": False,
        }
        if len(same) == 1:
            body["app"] = same[0]["id"]
        status, _, data = conn.request(
            "POST",
            "/api/v1/complaints/",
            json.dumps(body, ensure_ascii=False).encode(),
            {"Content-Type": "application/json", "Idempotency-Key": str(uuid.uuid4())},
        )
        if status != 201:
            return False, {"status": status, "step": "send"}
        with self._counting:
            self.filed += 1
            self.searched += searched
        return True, {"tracking_number": json.loads(data)["tracking_number"]}


def spread(values: list[float]) -> dict:
    """Median, minimum and maximum of the repetitions."""
    return {
        "median": statistics.median(values) if values else float("nan"),
        "min": min(values) if values else float("nan"),
        "max": max(values) if values else float("nan"),
        "runs": [round(v, 3) for v in values],
    }
