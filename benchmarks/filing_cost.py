"""What one filing costs the web process (issue 16, "Making filing cheap" and cold start).

Runs the platform as in production on loopback (benchmarks/stack.py: its own Redis, a scratch
PostgreSQL database, gunicorn, a Celery worker and beat) and measures, in the same run: CPU-ms
per filing in the gunicorn worker over the API and over a minimal view that stores a similar row
with one ORM create (benchmarks/baselines.py, bench-only), their ratio, and the first filing on
a fresh web worker. `figures()` returns them for `make bench`; `main()` prints them.
"""

import contextlib
import http.client
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import psycopg

from benchmarks.scratch import ROOT
from benchmarks.stack import Stack

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
TEXTS = [
    "不给通讯录权限就不让用，每次打开都弹窗要求开启定位和相机权限。我的电话 138 1234 5678。",
    "开通会员后被自动续费，扣款前没有任何提醒，取消入口藏得很深。",
    "The app uploads my contact list to its servers without asking me first.",
    "同一张机票我用老账号看比新账号贵了两百元，这是大数据杀熟。",
]


class Figure(NamedTuple):
    name: str
    value: float
    unit: str


def cpu_ms(pids: list[int]) -> float:
    """User + system CPU of these processes (all their threads) so far, in ms."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
            total += int(fields[11]) + int(fields[12])
    return total * 1000 / CLOCK_TICKS


# The platform these measurements run on: benchmarks/stack.py's, the one starter.
Served = Stack


@contextlib.contextmanager
def platform(
    *,
    web_workers: int = 1,
    threads: int = Stack.WEB_THREADS,
    worker: bool = True,
    extra_env: dict | None = None,
    code: Path | None = None,
) -> Iterator[Stack]:
    """gunicorn, a Celery worker and beat on a scratch database and a Redis of their own,
    stopped and dropped on exit. `code`: serve the application from another checkout of the
    code (an earlier revision, for a before/after)."""
    with Stack(
        web_workers=web_workers, threads=threads, worker=worker, beat=worker,
        extra_env=extra_env, code=code, access_log=True,
    ) as served:  # fmt: skip
        yield served


def app_names(served: Served) -> list[str]:
    with psycopg.connect(served.database_url) as conn:
        return [r[0] for r in conn.execute("SELECT name FROM complaints_app ORDER BY id LIMIT 20")]


def filing_body(index: int, apps: list[str]) -> dict:
    """A consumer's filing: an app of the registry, a text (some with a phone number to
    mask), and on every other one an e-mail address for the receipt."""
    body = {
        "app_name": apps[index % len(apps)],
        "description": f"{TEXTS[index % len(TEXTS)]} #{index}",
    }
    if index % 2:
        body["contact_email"] = f"consumer{index}@example.com"
    return body


def evidence_photo() -> bytes:
    """The screenshot `make loadtest` attaches to one filing in seven: a 320 x 240 PNG."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (320, 240), "teal").save(out, "PNG")
    return out.getvalue()


def multipart(body: dict, photo: bytes) -> tuple[bytes, str]:
    """`body`'s fields and `photo` as the `evidence` file, multipart/form-data; and its
    Content-Type."""
    boundary = "appwatch-filing-cost"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in body.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="evidence"; '
        'filename="screenshot.png"\r\nContent-Type: image/png\r\n\r\n'.encode()
        + photo
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class Connection:
    """One keep-alive HTTP connection; each filing comes from its own client address."""

    def __init__(self, port: int):
        self.port = port
        self.http = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def post(
        self, path: str, body: dict, client: int = 0, photo: bytes | None = None
    ) -> tuple[int, dict, float]:
        """POST `body` as JSON, or with `photo` as multipart with the photo as evidence."""
        if photo is None:
            data, content_type = json.dumps(body).encode(), "application/json"
        else:
            data, content_type = multipart(body, photo)
        headers = {
            "Content-Type": content_type,
            "X-Forwarded-For": f"10.{client >> 16 & 255}.{client >> 8 & 255}.{client & 255}",
        }
        started = time.perf_counter()
        try:
            self.http.request("POST", path, body=data, headers=headers)
            response = self.http.getresponse()
        except (http.client.HTTPException, OSError):
            self.http.close()
            self.http = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            self.http.request("POST", path, body=data, headers=headers)
            response = self.http.getresponse()
        raw = response.read()
        seconds = time.perf_counter() - started
        try:
            answer = json.loads(raw)
        except ValueError:
            answer = {}
        return response.status, answer, seconds


API = "/api/v1/complaints/"
BASELINE = "/bench/orm/"


def cold_start(
    served: Served, apps: list[str], repeats: int = 3
) -> tuple[list[float], list[float]]:
    """For each of `repeats` fresh web workers: its boot (fork to ready, ms) and its first
    filing (ms), by the one cold-start measurement (`Stack.cold_starts`)."""

    def first_filing(port: int) -> None:
        status, answer, _ = Connection(port).post(API, filing_body(0, apps), client=60000)
        if status != 201:
            raise RuntimeError(f"first filing answered {status}: {answer}")

    runs = served.cold_starts({"api": first_filing}, repeats)["api"]
    return [boot for boot, _ in runs], [first for _, first in runs]


def cpu_per_request(
    served: Served,
    path: str,
    apps: list[str],
    count: int,
    start: int,
    photo: bytes | None = None,
) -> tuple[float, float]:
    """CPU-ms in the web workers per request and the median latency (ms), `count` requests
    one after another (each with `photo` as evidence, if given)."""
    connection = Connection(served.port)
    pids = served.web_workers()
    before = cpu_ms(pids)
    latencies = []
    for index in range(start, start + count):
        status, answer, seconds = connection.post(
            path, filing_body(index, apps), client=index, photo=photo
        )
        if status != 201:
            raise RuntimeError(f"{path} answered {status}: {answer}")
        latencies.append(seconds * 1000)
    return (cpu_ms(pids) - before) / count, statistics.median(latencies)


@contextlib.contextmanager
def revision_served(revision: str | None) -> Iterator[Served | None]:
    """The platform as it was at `revision` (git archive into a temporary folder), beside
    this one: its filing cost, measured in the same run. None: nothing.

    Its web tier only is the earlier code; it gets a Celery worker and beat of this code, as
    this one does: a filing publishes its classification run only when none is pending, and
    without a worker to take the run every filing but the first would skip that publish and
    look cheaper than it is."""
    if not revision:
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="appwatch-before-") as folder:
        archive = subprocess.run(
            ["git", "archive", revision], cwd=ROOT, capture_output=True, check=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", folder], input=archive, check=True)
        with platform(web_workers=1, worker=True, code=Path(folder)) as served:
            yield served


def figures(*, rounds: int = 5, count: int = 100, before: str | None = None) -> list[Figure]:
    """Cold start, then `rounds` alternating rounds of `count` API filings, `count` API
    filings with the loadtest's photo and `count` baseline creates, on one gunicorn worker;
    medians over the rounds. With `before` (a git revision), rounds of both API filings as
    served by that revision too, interleaved."""
    photo = evidence_photo()
    with platform(web_workers=1) as served, revision_served(before) as earlier:
        apps = app_names(served)
        boots, firsts = cold_start(served, apps)
        cpu_ms(served.web_workers())
        # Warm-up (not counted): every path, so imports and connections are in place.
        cpu_per_request(served, API, apps, 20, start=1_000_000)
        cpu_per_request(served, API, apps, 20, start=1_050_000, photo=photo)
        cpu_per_request(served, BASELINE, apps, 20, start=1_100_000)
        api, base, api_lat, base_lat, old, with_photo, old_photo = [], [], [], [], [], [], []
        if earlier is not None:
            cpu_per_request(earlier, API, apps, 20, start=1_200_000)
            cpu_per_request(earlier, API, apps, 20, start=1_250_000, photo=photo)
        for round_ in range(rounds):
            if earlier is not None:
                old.append(cpu_per_request(earlier, API, apps, count, start=round_ * count)[0])
                old_photo.append(
                    cpu_per_request(
                        earlier, API, apps, count, start=3_000_000 + round_ * count, photo=photo
                    )[0]
                )
            cost, latency = cpu_per_request(served, API, apps, count, start=round_ * count)
            api.append(cost)
            api_lat.append(latency)
            with_photo.append(
                cpu_per_request(
                    served, API, apps, count, start=2_000_000 + round_ * count, photo=photo
                )[0]
            )
            cost, latency = cpu_per_request(
                served, BASELINE, apps, count, start=500_000 + round_ * count
            )
            base.append(cost)
            base_lat.append(latency)
        throttles = throttle_costs(served)
    api_cpu, base_cpu = statistics.median(api), statistics.median(base)
    throttle_figures = [
        Figure(f"throttle_{name}_{kind}", value, "share" if kind == "refused_share" else "ms/check")
        for name, values in throttles.items()
        for kind, value in zip(("cpu", "wall", "refused_share"), values, strict=True)
    ]
    if old:
        throttle_figures += [
            Figure(f"api_filing_cpu_at_{before}", statistics.median(old), "CPU-ms/filing"),
            Figure(
                f"api_filing_cpu_ratio_at_{before}",
                base_cpu / statistics.median(old),
                "x baseline",
            ),
            Figure(
                f"api_photo_filing_cpu_at_{before}", statistics.median(old_photo), "CPU-ms/filing"
            ),
        ]
    return throttle_figures + [
        Figure("web_worker_boot", statistics.median(boots), "ms"),
        Figure("first_filing_fresh_worker", statistics.median(firsts), "ms"),
        Figure("first_filing_fresh_worker_max", max(firsts), "ms"),
        Figure("api_filing_cpu", api_cpu, "CPU-ms/filing"),
        Figure("baseline_orm_create_cpu", base_cpu, "CPU-ms/filing"),
        Figure("api_filing_cpu_ratio", base_cpu / api_cpu if api_cpu else 0.0, "x baseline"),
        Figure("api_photo_filing_cpu", statistics.median(with_photo), "CPU-ms/filing"),
        Figure("api_filing_c1_p50", statistics.median(api_lat), "ms"),
        Figure("baseline_orm_create_c1_p50", statistics.median(base_lat), "ms"),
        Figure("api_filing_cpu_spread", max(api) - min(api), "CPU-ms/filing"),
    ]


THROTTLE_SCRIPT = """
import json, tempfile, time
import django
django.setup()
from django.core.cache.backends.db import DatabaseCache
from django.core.cache.backends.filebased import FileBasedCache
from django.core.cache.backends.redis import RedisCache
from django.core.management import call_command
from django.test import RequestFactory, override_settings
from complaints.throttling import AnonymousSubmitThrottle
from django.contrib.auth.models import AnonymousUser

table = "bench_throttle_cache"
with override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": table}}):
    call_command("createcachetable")
backends = {
    "file": FileBasedCache(tempfile.mkdtemp(), {}),
    "database": DatabaseCache(table, {}),
    "redis": RedisCache(REDIS_URL, {}),
    "redis_script": None,  # the platform's own: one Lua call on the throttle cache's Redis
}
factory = RequestFactory()
out = {}
for name, cache in backends.items():
    checks = refused = 0
    cpu, wall = time.process_time(), time.perf_counter()
    for round_ in range(3):
        for client in range(CLIENTS):
            request = factory.post("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=f"10.1.{client >> 8}.{client & 255}")
            request.user = AnonymousUser()
            throttle = AnonymousSubmitThrottle()
            if cache is not None:
                throttle.cache, throttle.counter = cache, None
            refused += not throttle.allow_request(request, None)
            checks += 1
    out[name] = ((time.process_time() - cpu) * 1000 / checks, (time.perf_counter() - wall) * 1000 / checks, refused / CLIENTS)
print(json.dumps(out))
"""


def throttle_costs(served: Served, clients: int = 1000) -> dict[str, tuple[float, float, float]]:
    """For each shared cache Django offers (files, the database, Redis) and the platform's Redis
    script (`redis_script`, complaints/throttling.py): CPU-ms and wall-ms
    of one anonymous-filing throttle check, and the share of over-limit filings refused
    (correct: 1.0), with `clients` addresses filing three times each at a limit of two.
    The file cache lists its folder on every write and culls entries at random past
    MAX_ENTRIES, forgetting counts."""
    redis_url = served.env["CELERY_BROKER_URL"].rsplit("/", 1)[0] + "/1"
    script = THROTTLE_SCRIPT.replace("REDIS_URL", repr(redis_url)).replace("CLIENTS", str(clients))
    env = {**served.env, "ANON_SUBMIT_RATE": "2/hour"}
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True
    )
    if result.returncode:
        raise RuntimeError(result.stderr[-3000:])
    return {name: tuple(v) for name, v in json.loads(result.stdout.splitlines()[-1]).items()}


def _web_filing(client, app_id: int, index: int, profiler) -> None:
    """The five-step web form with its own session; only the final POST is profiled."""
    from django.urls import reverse

    def post(step: str, data: dict):
        response = client.post(reverse("file_step", args=[step]), data)
        if response.status_code != 302:
            raise RuntimeError(f"web step {step} answered {response.status_code}")

    post("app", {"app": app_id})
    post("what", {"description": filing_body(index, ["-"])["description"], "kind": ""})
    post("evidence", {"action": "continue"})
    post("contact", {"contact_email": f"web{index}@example.com"} if index % 2 else {})
    with profiler:
        post("review", {})


def _profile_text(profiler, top: int = 30) -> str:
    """The call tree, then the `top` functions by total time (pyinstrument's flat view)."""
    flat = profiler.output_text(color=False, flat=True, flat_time="total")
    return profiler.output_text(color=False) + "\n".join(flat.splitlines()[: top + 6])


def profile(*, count: int = 200) -> dict[str, str]:
    """pyinstrument's text profile of `count` API filings and `count` web-form submissions,
    in this process (Django's test client) against the platform's database and Redis."""
    from pyinstrument import Profiler

    with platform(web_workers=1, worker=False) as served:
        os.environ.update(served.env)
        import django

        django.setup()
        from django.test import Client

        from complaints.models import App

        apps = app_names(served)
        app_id = App.objects.order_by("id").values_list("id", flat=True).first()
        for index in range(20):  # warm-up, not profiled
            Client(HTTP_X_FORWARDED_FOR=f"10.9.0.{index}").post(
                API, filing_body(index, apps), content_type="application/json"
            )
        profiles = {}
        profiler = Profiler(interval=0.0005)
        api = Client(HTTP_X_FORWARDED_FOR="10.8.0.1")
        with profiler:
            for index in range(count):
                api.post(
                    API,
                    filing_body(index, apps),
                    content_type="application/json",
                    HTTP_X_FORWARDED_FOR=f"10.8.{index >> 8}.{index & 255}",
                )
        profiles["api"] = _profile_text(profiler)
        profiler = Profiler(interval=0.0005)
        for index in range(count):
            client = Client(HTTP_X_FORWARDED_FOR=f"10.7.{index >> 8}.{index & 255}")
            _web_filing(client, app_id, index, profiler)
        profiles["web"] = _profile_text(profiler)
    return profiles


def main() -> None:
    if "--profile" in sys.argv:
        # The console e-mail backend would print every receipt.
        with contextlib.redirect_stdout(open(os.devnull, "w")):  # noqa: SIM115
            profiles = profile()
        for kind, text in profiles.items():
            print(f"## {kind}\n{text}")
        return
    started = time.strftime("%Y-%m-%d %H:%M %Z")
    # FILING_COST_BEFORE=<git revision>: measure that revision's filing in the same run.
    results = figures(before=os.environ.get("FILING_COST_BEFORE") or None)
    load = os.getloadavg()
    print(f"filing_cost, {started}, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    for figure in results:
        print(f"  {figure.name:32} {figure.value:10.2f} {figure.unit}")


if __name__ == "__main__":
    main()
    sys.exit(0)
