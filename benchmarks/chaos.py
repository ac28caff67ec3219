"""`make chaos`: filing under faults, as in production, on loopback only (issue 14, "Proof").

Starts its own redis-server on a spare port and a scratch PostgreSQL database (from a template
holding the schema, the demo registry and a trained model, built once and reused), then
gunicorn, a Celery worker and Celery beat as `make run` / production would. It files 2,000
complaints at 50/s over the API with an Idempotency-Key each (a request that fails or takes
longer than the client's 2 s is retried once with its key), kills the whole worker with
SIGKILL twice (a supervisor starts it again 2 s later), stops Redis for 15 s, and waits for
every stored complaint to be classified. The last line is the summary:

    chaos: sent=2000 accepted=… stored=… classified=… duplicates=… lost=… server_errors=… recovered_in_s=…

`lost` counts filings a client was told were accepted that are not stored, plus stored
complaints still unclassified when the wait ends. `recovered_in_s` is the time from Redis
starting again to the last complaint classified. Bounded: at most CHAOS_WAIT_SECONDS (180)
after the last filing. Not in CI (minutes long); tests/integration/test_faults.py is the quick
check. Options: --rate, --count, --outage, --keep (leave the database and the logs for
inspection).
"""

import argparse
import concurrent.futures
import json
import os
import statistics
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid

import psycopg

from benchmarks.stack import Stack

CLIENT_TIMEOUT = 2.0
WAIT_SECONDS = float(os.environ.get("CHAOS_WAIT_SECONDS", 180))
TEXTS = [
    "不给通讯录权限就不让用，每次打开都弹窗要求开启定位和相机权限。",
    "注销账号的入口找不到，客服说必须先绑定银行卡才能注销。",
    "同一张机票我用老账号看比新账号贵了两百元，这是大数据杀熟。",
    "开通会员后被自动续费，扣款前没有任何提醒，取消入口藏得很深。",
    "有人冒充平台客服说我的订单异常要退款，让我开屏幕共享，卡里的钱被转走了。",
    "The app uploads my contact list to its servers without asking me first.",
    "It keeps charging my card every month for a subscription I never agreed to.",
    "摇一摇广告一碰就跳转到别的应用下载页面，根本关不掉。",
]


class Client:
    """Files complaints as consumers' apps would: JSON, an Idempotency-Key, a 2 s timeout,
    one retry with the same key after a failure or a timeout."""

    def __init__(self, port: int):
        self.url = f"http://127.0.0.1:{port}/api/v1/complaints/"
        self.lock = threading.Lock()
        self.results: list[dict] = []

    def _post(self, body: bytes, key: str) -> tuple[int | None, dict, float]:
        request = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "Idempotency-Key": key},
        )
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=CLIENT_TIMEOUT) as response:
                return response.status, json.loads(response.read()), time.monotonic() - started
        except urllib.error.HTTPError as error:
            return error.code, {}, time.monotonic() - started
        except OSError:  # timeout, refused, reset
            return None, {}, time.monotonic() - started

    def file(self, index: int, apps: list[str]) -> None:
        key = f"chaos-{uuid.uuid4().hex}"
        body = json.dumps(
            {
                "app_name": apps[index % len(apps)],
                "description": f"{TEXTS[index % len(TEXTS)]} (#{index})",
            }
        ).encode()
        sent_at = time.monotonic()
        status, answer, seconds = self._post(body, key)
        attempts = [(sent_at, status, seconds)]
        if status is None or status >= 500:
            retry_at = time.monotonic()
            status, answer, seconds = self._post(body, key)
            attempts.append((retry_at, status, seconds))
        with self.lock:
            self.results.append(
                {
                    "index": index,
                    "key": key,
                    "attempts": attempts,
                    "accepted": status == 201,
                    "tracking_number": answer.get("tracking_number"),
                }
            )


def _warm_up(client: Client, apps: list[str]) -> None:
    """Until filings answer quickly: each web process's first filing loads what it needs
    (seconds), and the worker loads its model. Not counted."""
    deadline = time.monotonic() + 120
    warm = Client(int(client.url.split(":")[2].split("/")[0]))
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        while time.monotonic() < deadline:
            warm.results.clear()
            list(pool.map(lambda i: warm.file(-1 - i, apps), range(8)))
            slowest = max(a[2] for r in warm.results for a in r["attempts"])
            if all(r["accepted"] for r in warm.results) and slowest < 0.5:
                break
    time.sleep(2)


def _counts(database_url: str) -> dict:
    """The chaos run's complaints (descriptions end in "(#n)"; warm-up ones in "(#-n)")."""
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            r"""SELECT count(*),
                      count(*) FILTER (WHERE status <> 'submitted'),
                      count(*) - count(DISTINCT description)
               FROM complaints_complaint WHERE description ~ '\(#[0-9]+\)$'"""
        ).fetchone()
    return {"stored": row[0], "classified": row[1], "duplicates": row[2]}


def run(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--outage", type=float, default=15.0)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--web-workers", type=int, default=Stack.WEB_WORKERS)
    args = parser.parse_args(argv)

    print("chaos: starting the platform", flush=True)
    timeline: list[tuple[float, str]] = []
    redis_up_wall = None
    stack = Stack(
        web_workers=args.web_workers, worker=True, beat=True, access_log=True,
        prefix="appwatch_chaos",
    )  # fmt: skip
    with stack:
        apps = [name for _, name in stack.app_names()]
        print(f"chaos: database {stack.database}, redis :{stack.redis_port}, "
              f"web :{stack.web_port}, logs {stack.workdir}")  # fmt: skip
        client = Client(stack.web_port)
        _warm_up(client, apps)
        duration = args.count / args.rate
        # Faults, in seconds from the first filing: two kills while filings flow, then
        # the outage, ending before the last filing so recovery happens under load.
        kills = [0.12 * duration, 0.25 * duration]
        outage_start = 0.35 * duration
        outage_end = outage_start + args.outage
        events = sorted(
            [(t, "kill") for t in kills]
            + [(t + 2, "restart") for t in kills]
            + [(outage_start, "redis down"), (outage_end, "redis up")]
        )
        t0 = time.monotonic()
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=200)
        futures = []
        for index in range(args.count):
            due = t0 + index / args.rate
            while events and t0 + events[0][0] <= time.monotonic():
                at, what = events.pop(0)
                timeline.append((time.monotonic() - t0, what))
                if what == "kill":
                    stack.kill_worker()
                elif what == "restart":
                    stack.start_worker()
                elif what == "redis down":
                    stack.stop_redis()
                else:
                    stack.start_redis()
                    redis_up_wall = time.time()
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            futures.append(pool.submit(client.file, index, apps))
        for future in futures:
            future.result()
        pool.shutdown()
        sent_done = time.monotonic()
        timeline.append((sent_done - t0, "last answer"))

        # Until every stored complaint is classified and nothing new has been stored for 5 s
        # (requests whose client gave up may still be in the server).
        stable_since, last = time.monotonic(), None
        while time.monotonic() - sent_done < WAIT_SECONDS:
            counts = _counts(stack.database_url)
            if counts["stored"] != last:
                stable_since, last = time.monotonic(), counts["stored"]
            if counts["classified"] >= counts["stored"] and time.monotonic() - stable_since > 5:
                break
            time.sleep(0.5)
        counts = _counts(stack.database_url)
        stack.processes.stop_all()
        summary = _summary(stack, client.results, counts, t0, outage_start, outage_end)
        summary["recovered_in_s"] = _recovered(stack, counts, redis_up_wall)
        stack.keep = args.keep
    print("timeline (s from first filing): " + ", ".join(f"{w} {t:.1f}" for t, w in timeline))
    for line in summary.pop("details"):
        print(line)
    recovered = summary.pop("recovered_in_s")
    print(
        "chaos: " + " ".join(f"{k}={v}" for k, v in summary.items())
        + " recovered_in_s=" + (f"{recovered:.1f}" if recovered is not None else "never")
    )  # fmt: skip
    return 0


def _recovered(stack: Stack, counts: dict, redis_up_wall: float | None) -> float | None:
    """From Redis starting again to the last complaint classified (this process's clock
    against the database's, both this machine's)."""
    last_classified = stack.sql(
        r"SELECT extract(epoch FROM max(classified_at)) FROM complaints_complaint"
        r" WHERE description ~ '\(#[0-9]+\)$'"
    )[0][0]
    if counts["classified"] >= counts["stored"] and last_classified and redis_up_wall:
        return max(0.0, float(last_classified) - redis_up_wall)
    return None


def _summary(stack, results, counts, t0, outage_start, outage_end) -> dict:
    """The summary line's counts, with the lines that explain them under "details"."""
    accepted = [r for r in results if r["accepted"]]
    stored_numbers = {n for (n,) in stack.sql("SELECT tracking_number FROM complaints_complaint")}
    outbox_left = stack.sql("SELECT count(*) FROM complaints_outboxmessage")[0][0]
    lost = sum(1 for r in accepted if r["tracking_number"] not in stored_numbers)
    lost += counts["stored"] - counts["classified"]
    attempts = [a for r in results for a in r["attempts"]]
    server_errors = sum(1 for (_, status, _) in attempts if status and status >= 500)
    retried = sum(1 for r in results if len(r["attempts"]) > 1)

    def in_outage(sent: float) -> bool:
        return t0 + outage_start <= sent < t0 + outage_end

    # First attempts' latency, inside and outside the outage; answers that never came.
    during = [s for r in results for (sent, _, s) in r["attempts"][:1] if in_outage(sent)]
    outside = [s for r in results for (sent, _, s) in r["attempts"][:1] if not in_outage(sent)]
    silent = [sent - t0 for (sent, status, _) in attempts if status is None]
    silent_outside = [t for t in silent if not in_outage(t + t0)]

    def p(values, q):
        if len(values) < 2:
            return float("nan")
        return statistics.quantiles(values, n=100)[q - 1] * 1000

    load = os.getloadavg()
    details = [
        f"filing latency: first attempts during the outage n={len(during)} "
        f"p50 {p(during, 50):.0f} ms p95 {p(during, 95):.0f} ms max {max(during, default=0) * 1000:.0f} ms; "
        f"outside it n={len(outside)} p50 {p(outside, 50):.0f} ms p95 {p(outside, 95):.0f} ms "
        f"max {max(outside, default=0) * 1000:.0f} ms",
        f"retried {retried}, attempts without an answer {len(silent)} ({len(silent_outside)} outside "
        f"the outage"
        + (f", from {min(silent_outside):.1f} s to {max(silent_outside):.1f} s" if silent_outside else "")
        + f"), outbox rows left {outbox_left}",
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at the end",
    ]  # fmt: skip
    return {
        "details": details,
        "sent": len(results),
        "accepted": len(accepted),
        "stored": counts["stored"],
        "classified": counts["classified"],
        "duplicates": counts["duplicates"],
        "lost": lost,
        "server_errors": server_errors,
    }


if __name__ == "__main__":
    sys.exit(run())
