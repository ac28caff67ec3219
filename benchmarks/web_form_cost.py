"""CPU time of the web form, request by request (issue 16: "web filing ≥ 0.3× the minimal
view"): the five steps as `make bench`'s WebFiler walks them, and the one-page form as its
OnePageFiler does for an app the page does not offer (the page, the app search, then one API
request), through Django's test client in one process, timed with time.process_time (the
machine is shared: CPU time, not wall time). The two forms take turns, complaint by
complaint, so the machine's other work falls on both.

    .venv/bin/python benchmarks/web_form_cost.py DATABASE_URL [--code DIR] [--complaints 50]
        [--profile STEP] [--forms steps,one-page]

DATABASE_URL: a scratch database with the schema and the demo registry (stack.py's template
copies well). CELERY_BROKER_URL as in production (a publish per filing; no worker needed).
--code: the checkout to measure (an earlier revision, for a before/after in the same minutes).
--dump: the pages of the first complaint, to compare two revisions' HTML.
--profile: cProfile over every complaint's request of that label ("GET app", "POST review"…),
its top entries by cumulative time printed at the end. Prints one JSON line last: per request
label, the median CPU-ms, and per form the median total per complaint (one-page labels start
with "1p"). --forms steps: the step pages only (for a revision without the one-page form).
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import re
import statistics
import sys
import time
import uuid
from pathlib import Path

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
STEPS = (
    ("app", None),
    ("what", None),
    ("evidence", {"action": "continue"}),
    ("contact", {}),
    ("review", {}),
)


def run() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("database_url")
    parser.add_argument("--code", type=Path, default=Path(__file__).resolve().parent.parent)
    parser.add_argument("--complaints", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--profile", default="")
    parser.add_argument("--dump", type=Path, help="write the first complaint's pages here")
    parser.add_argument("--forms", default="steps,one-page")
    args = parser.parse_args()
    code = args.code.resolve()
    sys.path.insert(0, str(code))
    os.chdir(code)
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=args.database_url,
        ANON_SUBMIT_RATE="100000000/hour",
        APP_SEARCH_RATE="100000000/hour",
        LOG_LEVEL="WARNING",
    )
    import django

    django.setup()
    from django.test import Client

    from complaints.models import App

    app_id, app_name = App.objects.order_by("pk").values_list("pk", "name").first()
    bodies = {"app": {"app": str(app_id)}}
    profiler = cProfile.Profile() if args.profile else None
    times: dict[str, list[float]] = {}

    index = 0

    def describe(i: int) -> str:
        return f"每次打开都要通讯录权限，拒绝就闪退，第 {i} 次投诉。"

    def timed(label: str, call, record: bool):
        if profiler and record and label == args.profile:
            profiler.enable()
        started = time.process_time()
        response = call()
        spent = (time.process_time() - started) * 1000
        if profiler and record and label == args.profile:
            profiler.disable()
        if record:
            times.setdefault(label, []).append(spent)
        if args.dump and index == 0:
            args.dump.mkdir(parents=True, exist_ok=True)
            name = label.replace(" ", "-").lower()
            (args.dump / f"{name}.html").write_bytes(response.content)
        return response

    def steps_filing(client, index: int, record: bool) -> None:
        page = timed("GET app", lambda c=client: c.get("/file/app/"), record)
        for name, fields in STEPS:
            assert page.status_code == 200, (name, page.status_code)
            token = CSRF.search(page.content.decode())
            if fields is None:
                fields = bodies.get(name) or {"description": describe(index), "kind": ""}
            data = {"csrfmiddlewaretoken": token.group(1) if token else "", **fields}
            answer = timed(
                f"POST {name}", lambda c=client, n=name, d=data: c.post(f"/file/{n}/", d), record
            )
            assert answer.status_code == 302, (name, answer.status_code, answer.content[:2000])
            location = answer["Location"]
            target = location.rstrip("/").rsplit("/", 1)[-1]
            label = "GET done" if name == "review" else f"GET {target}"
            page = timed(label, lambda c=client, u=location: c.get(u), record)
        assert page.status_code == 200 and b"AW-" in page.content

    def one_page_filing(client, index: int, record: bool) -> None:
        page = timed("1p GET page", lambda c=client: c.get("/file/quick/"), record)
        assert page.status_code == 200 and b"data-api=" in page.content
        found = timed(
            "1p GET search",
            lambda c=client: c.get(
                "/api/v1/public/apps/", {"q": app_name}, headers={"Accept": "application/json"}
            ),
            record,
        )
        assert found.status_code == 200, found.content[:2000]
        same = [app for app in found.json()["results"] if app["name"] == app_name]
        body = {
            "channel": "web",
            "app_name": app_name,
            "description": describe(index),
            "consent_share_with_operator": False,
            "consent_publish": False,
        }
        if len(same) == 1:
            body["app"] = same[0]["id"]
        answer = timed(
            "1p POST api",
            lambda c=client: c.post(
                "/api/v1/complaints/",
                json.dumps(body, ensure_ascii=False),
                content_type="application/json",
                headers={"Idempotency-Key": str(uuid.uuid4())},
            ),
            record,
        )
        assert answer.status_code == 201, answer.content[:2000]

    forms = {"steps": steps_filing, "one-page": one_page_filing}
    chosen = [forms[name] for name in args.forms.split(",")]
    totals: dict[str, list[float]] = {name: [] for name in args.forms.split(",")}
    client = Client()  # one handler, as a web worker has
    for index in range(args.warmup + args.complaints):
        record = index >= args.warmup
        for name, filing in zip(totals, chosen, strict=True):
            client.cookies.clear()  # a new visitor: a new session for every filing
            before = sum(sum(values) for values in times.values())
            filing(client, index, record)
            if record:
                totals[name].append(sum(sum(values) for values in times.values()) - before)
    medians = {label: statistics.median(values) for label, values in times.items()}
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(45)
        print(out.getvalue())
    print(
        json.dumps(
            {
                "per_request_ms": medians,
                "per_complaint_ms": {k: statistics.median(v) for k, v in totals.items()},
                "load_average": os.getloadavg(),
            }
        )
    )


if __name__ == "__main__":
    run()
