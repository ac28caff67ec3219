"""The throttles hold across web processes, as `make run` and production serve: gunicorn with
two workers that are replaced after every request (`--max-requests 1`), so a counter kept in
one process's memory would be forgotten at once. Counted in the embedded default's file cache
and, when CACHE_URL or the broker names Redis, in Redis.

The requests are refused by validation (400) after the throttle has counted them, so the
processes never touch a database.
"""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from django.conf import settings

pytestmark = [pytest.mark.slow]
LIMIT = 3
THROTTLE_PREFIX = "appwatch-throttle"  # config/settings.py, CACHES["throttle"]["KEY_PREFIX"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _post(port: int, path: str, forwarded_for: str) -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=json.dumps({}).encode(),
        headers={"Content-Type": "application/json", "X-Forwarded-For": forwarded_for},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def _serve(tmp_path, port: int, extra_env: dict):
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if k not in {"CACHE_URL", "DATABASE_URL", "CELERY_BROKER_URL"}
        },
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "APPWATCH_VAR_DIR": str(tmp_path / "var"),
        "ANON_SUBMIT_RATE": f"{LIMIT}/hour",
        "TRACK_RATE": "1000/hour",
        **extra_env,
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--max-requests",
            "1",
        ],  # fmt: skip
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_until_up(process, port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn stopped:\n{process.stderr.read()[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.3)
    pytest.fail("gunicorn did not start within 60 s")


def _throttle_counts_clear(url: str) -> None:
    """The throttles' counters only (their cache's key prefix): the rest of the database
    belongs to the suite's other tests."""
    import redis

    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(match=f"{THROTTLE_PREFIX}:*"))
    if keys:
        client.delete(*keys)


@pytest.mark.parametrize(
    "cache",
    [
        pytest.param("files", id="embedded-default"),
        pytest.param("redis", id="redis", marks=pytest.mark.redis),
        pytest.param("broker", id="the-broker-redis", marks=pytest.mark.redis),
    ],
)
def test_anonymous_filing_limit_holds_across_processes_and_forged_addresses(tmp_path, cache):
    extra = {}
    if cache in ("redis", "broker"):
        # The suite's own Redis database (each run and helper is given its own), named as the
        # cache, or only as the broker (whose Redis then keeps the counts).
        url = os.environ["CELERY_BROKER_URL"]
        extra["CACHE_URL" if cache == "redis" else "CELERY_BROKER_URL"] = url
        _throttle_counts_clear(url)
    port = _free_port()
    process = _serve(tmp_path, port, extra)
    try:
        _wait_until_up(process, port)
        # A new forged address on every request, as a client dodging a per-address limit would.
        codes = [_post(port, "/api/v1/complaints/", f"203.0.113.{n}") for n in range(LIMIT + 3)]
    finally:
        process.terminate()
        process.wait(timeout=30)
        if cache in ("redis", "broker"):
            _throttle_counts_clear(url)
    assert codes[:LIMIT] == [400] * LIMIT  # counted, then refused by validation
    assert codes[LIMIT:] == [429] * 3, codes
