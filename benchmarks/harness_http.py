"""`make bench`'s figures measured over HTTP against the running platform (benchmarks/stack.py):
API filing against the baseline views and django-helpdesk, the web form, submit→classified
under load, memory, and the first filing on a new web worker.

Each figure is warmed up, repeated (`Sizes.repetitions`), and reported as the median with the
runs' spread and the web processes' CPU-ms per request. Baselines are measured in the same
run, interleaved with what they are compared to, so the machine's other work falls on both.
Every window begins with nothing waiting for classification (`Stack.classification_settle`):
the baseline views store complaints that wait but ask for nothing, and without the pause the
next API window's first run would classify them all, charging the API with the baselines'
rows. The API's windows still pay for classifying their own filings, which the worker does
while they run.
"""

import contextlib
import datetime
import statistics
import time
from dataclasses import dataclass

from benchmarks.chaos import TEXTS
from benchmarks.figures import MAX_VALUE, MIN_RATIO, Figure, skipped
from benchmarks.helpdesk_reference import HelpdeskServer, install
from benchmarks.http_load import (
    Connection,
    OnePageFiler,
    WebFiler,
    closed_loop,
    json_post,
    open_loop,
    percentile,
    spread,
)
from benchmarks.stack import Stack, cpu_seconds, descendants, pss_mb, rss_mb

CONCURRENCY = (1, 8, 32)
BASELINES = {
    "orm": ("/bench/orm/", "minimal view, one ORM create"),
    "sql": ("/bench/sql/", "minimal view, one raw SQL insert"),
    "ceiling": ("/bench/ceiling/", "no-database view (framework ceiling)"),
}
API = "/api/v1/complaints/"
HELPDESK = "django-helpdesk ticket API"


@dataclass(frozen=True)
class Sizes:
    repetitions: int = 5
    warmup_s: float = 3.0
    window_s: float = 2.0  # one repetition of a closed-loop measurement
    web_concurrency: int = 8  # one of CONCURRENCY: compared with the ORM view there
    latency_s: float = 15.0  # open-loop run at each share of the maximum ingest rate
    latency_wait_s: float = 90.0
    cold_starts: int = 5


def _describe(index: int) -> str:
    return f"{TEXTS[index % len(TEXTS)]} (#{index})"


class Filing:
    """The measurements API filing's figures are built from, kept for the later sections."""

    def __init__(self, stack: Stack, sizes: Sizes, var_dir):
        self.stack, self.sizes, self.var_dir = stack, sizes, var_dir
        apps = stack.app_names()
        self.app_id = apps[0][0]  # the step pages' filings choose it
        self.names = [name for _, name in apps]
        # endpoint -> concurrency -> list of (rate, p50, p95, web CPU-ms per request)
        self.runs: dict[str, dict[int, list[tuple]]] = {}
        self.memory: list[dict] = []  # RSS and PSS of the web and Celery workers, MB

    def body(self, index: int) -> dict:
        return {"app_name": self.names[index % len(self.names)], "description": _describe(index)}

    def _window(self, port, send, concurrency, seconds, pids) -> tuple:
        """(rate, p50, p95, web CPU-ms per request, worker CPU-ms per request) of one window,
        begun with nothing waiting for classification: the worker then works in it only on
        the complaints filed in it (the API's; the baseline views send it nothing), not on
        what an earlier window left."""
        self.stack.classification_settle()
        worker = lambda: self.stack.pids("worker")  # noqa: E731
        before, worker_before = cpu_seconds(pids()), cpu_seconds(worker())
        window = closed_loop(port, send, concurrency=concurrency, seconds=seconds)
        used = cpu_seconds(pids()) - before
        worker_used = cpu_seconds(worker()) - worker_before
        count = max(len(window.latencies_ms), 1)
        if window.errors and not window.latencies_ms:
            raise RuntimeError(f"every request failed on port {port}")
        return (
            window.rate, window.p50_ms, window.p95_ms, used * 1000 / count,
            worker_used * 1000 / count,
        )  # fmt: skip

    def sample_memory(self) -> None:
        web = max(self.stack.web_workers(), key=rss_mb)
        workers = self.stack.pids("worker")
        self.memory.append(
            {
                "web_rss": rss_mb(web),
                "web_pss": pss_mb(web),
                "web_all_rss": sum(rss_mb(pid) for pid in self.stack.pids("web")),
                "web_all_pss": sum(pss_mb(pid) for pid in self.stack.pids("web")),
                "worker_rss": sum(rss_mb(pid) for pid in workers),
                "worker_rss_each": [rss_mb(pid) for pid in workers],
                "worker_pss_each": [pss_mb(pid) for pid in workers],
                "worker_pss": sum(pss_mb(pid) for pid in workers),
            }
        )

    def measure(self) -> list[Figure]:
        s, stack = self.sizes, self.stack
        targets = {
            name: (stack.web_port, json_post(path, self.body))
            for name, (path, _) in BASELINES.items()
        }
        targets["appwatch"] = (stack.web_port, json_post(API, self.body))
        web_pids = lambda: stack.pids("web")  # noqa: E731
        bin_dir = install(self.var_dir)
        helpdesk_reason = bin_dir if isinstance(bin_dir, str) else ""
        if helpdesk_reason:
            print(f"bench: {helpdesk_reason}; its figures are skipped", flush=True)
        with contextlib.ExitStack() as exits:
            helpdesk = None
            if not helpdesk_reason:
                helpdesk = exits.enter_context(
                    HelpdeskServer(bin_dir, stack.workdir, Stack.WEB_WORKERS, Stack.WEB_THREADS)
                )
                body = lambda i: helpdesk.ticket_body(self.names[i % len(self.names)], _describe(i))  # noqa: E731
                targets["helpdesk"] = (
                    helpdesk.port,
                    json_post("/helpdesk/api/tickets/", body, helpdesk.headers),
                )
            pids_of = {name: web_pids for name in targets}
            if helpdesk:
                pids_of["helpdesk"] = lambda: descendants(helpdesk.pid())
            for port, send in targets.values():  # each web worker's first requests
                closed_loop(port, send, concurrency=8, seconds=s.warmup_s)
            for concurrency in CONCURRENCY:
                for port, send in targets.values():
                    closed_loop(port, send, concurrency=concurrency, seconds=s.warmup_s / 3)
                for _ in range(s.repetitions):
                    for name, (port, send) in targets.items():
                        self.runs.setdefault(name, {}).setdefault(concurrency, []).append(
                            self._window(port, send, concurrency, s.window_s, pids_of[name])
                        )
                    self.sample_memory()
                print(f"bench: API filing at concurrency {concurrency} done", flush=True)
        return self.figures(helpdesk_reason)

    def median(self, name: str, concurrency: int, column: int) -> float:
        return statistics.median(run[column] for run in self.runs[name][concurrency])

    def _rates(self, name: str, concurrency: int) -> dict:
        return spread([run[0] for run in self.runs[name][concurrency]])

    def figures(self, helpdesk_reason: str) -> list[Figure]:
        out = []
        for c in CONCURRENCY:
            value = self.median("appwatch", c, 0)
            cpu = self.median("appwatch", c, 3)
            note = (
                f"p50 {self.median('appwatch', c, 1):.0f} ms, p95 {self.median('appwatch', c, 2):.0f} ms, "
                f"worker {self.median('appwatch', c, 4):.2f} CPU-ms per filing (classifying it); "
                + ", ".join(
                    f"{name} {self.median(name, c, 0):,.0f} req/s at {self.median(name, c, 3):.2f} CPU-ms"
                    for name in self.runs
                    if name != "appwatch"
                )
            )
            common = dict(
                value=value, unit="req/s", higher_is_better=True, cpu_ms_per_op=cpu,
                spread=self._rates("appwatch", c),
            )  # fmt: skip
            out.append(
                Figure(
                    name=f"api_filing_c{c}",
                    baseline_name=BASELINES["orm"][1],
                    baseline=self.median("orm", c, 0),
                    target=0.5,
                    note=note,
                    **common,
                )  # fmt: skip
            )
            for key in ("sql", "ceiling"):
                out.append(
                    Figure(
                        name=f"api_filing_vs_{key}_c{c}",
                        baseline_name=BASELINES[key][1],
                        baseline=self.median(key, c, 0),
                        **common,
                    )  # fmt: skip
                )
            if helpdesk_reason:
                out.append(
                    skipped(f"api_filing_vs_helpdesk_c{c}", "req/s", HELPDESK, helpdesk_reason)
                )
            else:
                out.append(
                    Figure(
                        name=f"api_filing_vs_helpdesk_c{c}",
                        baseline_name=HELPDESK,
                        baseline=self.median("helpdesk", c, 0),
                        target=1.5,
                        note=f"helpdesk p95 {self.median('helpdesk', c, 2):.0f} ms, "
                        f"{self.median('helpdesk', c, 3):.2f} CPU-ms per ticket",
                        **common,
                    )  # fmt: skip
                )
        p95s = [run[2] for run in self.runs["appwatch"][8]]
        out.append(
            Figure(
                name="api_filing_p95_c8",
                value=statistics.median(p95s),
                unit="ms",
                baseline_name=BASELINES["orm"][1] + ", p95",
                baseline=self.median("orm", 8, 2),
                higher_is_better=False,
                target=50,
                target_kind=MAX_VALUE,
                spread=spread(p95s),
                cpu_ms_per_op=self.median("appwatch", 8, 3),
            )  # fmt: skip
        )
        return out

    @property
    def max_ingest(self) -> float:
        return max(self.median("appwatch", c, 0) for c in CONCURRENCY)


def named_most_offered(port: int, timeout: float = 30, asks: int = 10) -> list[str]:
    """The names the one-page form offers before anything is typed, once `asks` pages in a row
    (every web worker's) offer the same non-empty list: each worker renders the shared part
    again when its copy is older than STATS_SHARED_SECONDS."""
    deadline, seen = time.monotonic() + timeout, []
    conn = Connection(port)
    try:
        while time.monotonic() < deadline:
            pages = []
            for _ in range(asks):
                conn.cookies.clear()
                pages.append(OnePageFiler.offered(conn.request("GET", "/file/quick/")[2]))
            seen = [[app["name"] for app in offered or []] for offered in pages]
            if seen[0] and all(names == seen[0] for names in seen):
                return seen[0]
            time.sleep(0.5)
    finally:
        conn.close()
    raise RuntimeError(f"the one-page form offered no apps named most in {timeout} s: {seen}")


def web_filing(filing: Filing) -> list[Figure]:
    """Complete filings per second on the web form, against the ORM view: the one-page form
    a browser with JavaScript meets (`web_filing`: the page, the app search unless the page
    offered the name already, the filing), the same for consumers naming only apps the page
    does not offer (`web_filing_searched`: every filing searches), and the step pages
    (`web_filing_steps`: five steps and the done page). The one-page consumers name the apps
    the API filings named before them, in turn, and the page offers the apps named most (as
    the summary table counted them after the warm-up, as beat would have). Their windows take
    turns with the ORM view's own, which is the baseline here: measured in the same minutes,
    not in the API filing's windows minutes before, so the machine's other work and the
    tables' growth since then fall on both sides of the ratio."""
    s, stack = filing.sizes, filing.stack
    one_page = OnePageFiler(filing.names, _describe)
    senders = {
        "orm": json_post(BASELINES["orm"][0], filing.body),
        "one_page": one_page,
        "steps": WebFiler(filing.app_id, _describe),
    }

    def warm_up(send) -> None:
        closed_loop(stack.web_port, send, concurrency=s.web_concurrency, seconds=s.warmup_s)

    for send in senders.values():
        warm_up(send)
    # The warm-up's one-page filings are the complaints that name registry apps (the API's
    # name theirs only by name): counted, the apps they named most are offered from now on.
    stack.statistics_refresh()
    offered = named_most_offered(stack.web_port)
    not_offered = [name for name in filing.names if name not in offered]
    if not not_offered:
        raise RuntimeError(f"the form offers every app the bench files about: {offered}")
    senders["searched"] = searched = OnePageFiler(not_offered, _describe)
    warm_up(searched)
    one_page.reset()
    searched.reset()
    runs: dict[str, list[tuple]] = {name: [] for name in senders}
    for _ in range(s.repetitions):
        for name, send in senders.items():
            runs[name].append(
                filing._window(
                    stack.web_port, send, s.web_concurrency, s.window_s, lambda: stack.pids("web")
                )
            )
    if searched.searched != searched.filed:
        raise RuntimeError("a filing naming an app the form does not offer went unsearched")
    c = s.web_concurrency
    common = dict(
        unit="filings/s",
        baseline_name=f"{BASELINES['orm'][1]}, concurrency {c}, in the same minutes",
        baseline=statistics.median(r[0] for r in runs["orm"]), baseline_unit="req/s",
        higher_is_better=True,
    )  # fmt: skip

    def one_page_figure(name: str, key: str, what: str, **target) -> Figure:
        done = runs[key]
        return Figure(
            name=name, value=statistics.median(r[0] for r in done),
            spread=spread([r[0] for r in done]),
            cpu_ms_per_op=statistics.median(r[3] for r in done),
            note=f"the one-page form: the page, {what} and the filing with the app offered, "
            f"concurrency {c}, p95 {statistics.median(r[2] for r in done):.0f} ms per filing, "
            f"worker {statistics.median(r[4] for r in done):.2f} CPU-ms per filing",
            **target, **common,
        )  # fmt: skip

    share = one_page.searched / max(one_page.filed, 1)
    steps = runs["steps"]
    return [
        one_page_figure(
            "web_filing", "one_page",
            f"the app search for the {share:.0%} of filings naming one of the "
            f"{len(not_offered)} of {len(filing.names)} apps that the page does not offer "
            f"({len(offered)} offered)",
            target=0.3, target_kind=MIN_RATIO,
        ),
        one_page_figure(
            "web_filing_searched", "searched",
            f"the app search every time (only the {len(not_offered)} apps not offered named)",
        ),
        Figure(
            name="web_filing_steps", value=statistics.median(r[0] for r in steps),
            spread=spread([r[0] for r in steps]),
            cpu_ms_per_op=statistics.median(r[3] for r in steps),
            note=f"the step pages (without JavaScript): five steps and the done page (11 "
            f"requests) per filing, concurrency {c}, "
            f"p95 {statistics.median(r[2] for r in steps):.0f} ms per filing",
            **common,
        ),
    ]  # fmt: skip


def submit_to_classified(filing: Filing, lower_bound_ms: float) -> list[Figure]:
    """Open-loop filing at 25, 50 and 80% of the maximum ingest rate; the time from each
    complaint's submitted_at to its classified_at, p50 and p95 over five equal stretches."""
    s, stack = filing.sizes, filing.stack
    out = []
    for share in (25, 50, 80):
        rate = filing.max_ingest * share / 100
        window = open_loop(
            stack.web_port, json_post(API, filing.body), rate=rate, seconds=s.latency_s
        )
        numbers = [a["tracking_number"] for a in window.answers if "tracking_number" in a]
        left = stack.wait_classified(numbers, s.latency_wait_s)
        now = datetime.datetime.now(datetime.UTC)
        rows = stack.sql(
            "SELECT submitted_at, coalesce(classified_at, %s) FROM complaints_complaint"
            " WHERE tracking_number = ANY(%s) ORDER BY submitted_at",
            [now, numbers],
        )
        delays = [(done - sent).total_seconds() * 1000 for sent, done in rows]
        size = max(len(delays) // s.repetitions, 1)
        stretches = [delays[i * size : (i + 1) * size] for i in range(s.repetitions)]
        p95s = [percentile(part, 95) for part in stretches if part]
        p50s = [percentile(part, 50) for part in stretches if part]
        filing.sample_memory()
        out.append(
            Figure(
                name=f"submit_classified_p95_at_{share}pct",
                value=statistics.median(p95s),
                unit="ms",
                baseline_name="classification inside the request (single prediction p95)",
                baseline=lower_bound_ms,
                higher_is_better=False,
                target=500 if share == 50 else None,
                target_kind=MAX_VALUE,
                spread=spread(p95s),
                note=f"{rate:.1f} filings/s for {s.latency_s:.0f} s ({len(numbers)} filed, "
                f"{window.errors} refused); p50 {statistics.median(p50s):,.0f} ms"
                + (
                    f"; {left} still unclassified after {s.latency_wait_s:.0f} s (counted until then)"
                    if left
                    else ""
                ),
            )  # fmt: skip
        )
        print(f"bench: submit→classified at {share}% done", flush=True)
    return out


def memory(filing: Filing) -> list[Figure]:
    """RSS is what the web worker's limit is judged on (one process); the Celery worker's limit
    is "in all", so its value is the PSS summed over the worker and its pool children (shared
    pages counted once); the other of each pair is in the note."""
    web = [m["web_rss"] for m in filing.memory]
    worker = [m["worker_pss"] for m in filing.memory]
    med = lambda key: statistics.median(m[key] for m in filing.memory)  # noqa: E731
    last = filing.memory[-1]
    return [
        Figure(
            name="memory_web_worker", value=statistics.median(web), unit="MB",
            baseline_name="limit", baseline=150, higher_is_better=False, target=150,
            target_kind=MAX_VALUE, spread=spread(web),
            note="resident size (RSS) of the largest gunicorn worker, sampled after each "
            f"measurement; its PSS {med('web_pss'):.0f} MB; all web processes together "
            f"(master and workers) RSS {med('web_all_rss'):.0f} MB, PSS {med('web_all_pss'):.0f} MB",
        ),
        Figure(
            name="memory_celery_worker", value=statistics.median(worker), unit="MB",
            baseline_name="limit", baseline=500, higher_is_better=False, target=500,
            target_kind=MAX_VALUE, spread=spread(worker),
            note="PSS of the Celery worker and its pool children together, model loaded (shared "
            f"pages counted once); RSS summed {med('worker_rss'):.0f} MB; per process (main, "
            "children) RSS " + ", ".join(f"{v:.0f}" for v in last["worker_rss_each"]) + " MB, PSS "
            + ", ".join(f"{v:.0f}" for v in last["worker_pss_each"]) + " MB",
        ),
    ]  # fmt: skip


def cold_start(filing: Filing) -> Figure:
    """The first request on a freshly started web worker: a filing, against the no-database
    view's first request on one (what the framework itself needs), by the one cold-start
    measurement (`Stack.cold_starts`)."""
    stack, s = filing.stack, filing.sizes
    paths = {"appwatch": API, "ceiling": BASELINES["ceiling"][0]}

    def first(path: str):
        def send(port: int) -> None:
            conn = Connection(port)
            ok, _ = json_post(path, filing.body)(conn, 10**6)
            conn.close()
            if not ok:
                raise RuntimeError(f"the first request to {path} on a new worker failed")

        return send

    runs = stack.cold_starts({name: first(path) for name, path in paths.items()}, s.cold_starts)
    times = {name: [first_ms for _, first_ms in runs[name]] for name in paths}
    boots = [boot for boot, _ in runs["appwatch"]]
    return Figure(
        name="cold_start_first_filing", value=statistics.median(times["appwatch"]), unit="ms",
        baseline_name="first request to the no-database view on a new worker",
        baseline=statistics.median(times["ceiling"]), higher_is_better=False, target=300,
        target_kind=MAX_VALUE, spread=spread(times["appwatch"]),
        note="ceiling runs " + ", ".join(f"{t:.0f}" for t in times["ceiling"]) + " ms; the "
        f"worker's boot (fork to application loaded) median {statistics.median(boots):.0f} ms",
    )  # fmt: skip
