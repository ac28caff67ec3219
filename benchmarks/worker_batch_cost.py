"""What one classification batch costs the worker, in-process (issue 16): CPU per complaint
split by step, statements per batch, and optionally a profile.

    .venv/bin/python -m benchmarks.worker_batch_cost [--sizes 20,100,200] [--rounds 5]
        [--profile 100] [--database NAME] [--linked]

A scratch PostgreSQL database from the benchmark template (schema, demo registry, trained
model; benchmarks/stack.py), tasks in-process as in the embedded default. Each batch files
`size` complaints as the API does (no contact data, an app named, one "created" event; with
`--linked`, each with its registry app as the one-page form files it), then
times one `complaints_classify(top_up=size)` as a `classify_waiting` round runs it, and the
`cluster_complaints` run its commit asks for, in this process's CPU time (time.process_time):
the machine is shared, so wall time would measure the neighbours. Steps are timed by wrapping
the module's functions: claim, predict, apply, and the cluster task; beside them the CPU time
of the PostgreSQL backend serving this process over the same batch.
"""

import argparse
import os
import statistics
import time

STEPS = ("claim", "predict", "apply", "cluster")


def _backend_cpu_seconds(connection) -> float:
    """CPU time of this connection's PostgreSQL backend so far (the server must be on this
    machine): /proc's schedstat counts it in nanoseconds, not in 10 ms ticks."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    with open(f"/proc/{pid}/schedstat") as f:
        return int(f.read().split()[0]) / 1e9


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="20,100,200")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", type=int, default=0, help="batch size to profile")
    parser.add_argument("--database", default="", help="an existing scratch database to use")
    parser.add_argument(
        "--linked",
        action="store_true",
        help="file each complaint with its registry app, as the one-page form does (clustered)",
    )
    args = parser.parse_args(argv)
    from benchmarks.scratch import create_database, drop_databases
    from benchmarks.stack import db_url, template_database

    name = args.database or f"appwatch_batch_{os.getpid()}"
    if not args.database:
        create_database(name, template=template_database())
    try:
        os.environ["DATABASE_URL"] = db_url(name)
        os.environ.pop("CELERY_BROKER_URL", None)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        import django

        django.setup()
        measure([int(s) for s in args.sizes.split(",")], args.rounds, args.profile, args.linked)
    finally:
        if not args.database:
            from django.db import connections

            connections.close_all()
            drop_databases(name)


def _file(count: int, offset: int, linked: bool = False) -> list[int]:
    from benchmarks.chaos import TEXTS
    from complaints.models import App, Complaint
    from complaints.services.intake import complaint_submit

    apps = list(App.objects.order_by("pk")[:20])
    ids = []
    for i in range(offset, offset + count):
        app = apps[i % len(apps)]
        complaint, _token = complaint_submit(
            description=f"{TEXTS[i % len(TEXTS)]} (#{i})",
            app=app if linked else None,
            app_name=app.name,
            channel=Complaint.Channel.API,
            send_receipt=False,
            classify=False,
        )
        ids.append(complaint.pk)
    return ids


class _Timer:
    """Wraps module functions to add up their CPU time by step."""

    def __init__(self):
        self.spent = dict.fromkeys(STEPS, 0.0)

    def wrap(self, module, attribute: str, step: str) -> None:
        inner = getattr(module, attribute)

        def timed(*args, **kwargs):
            started = time.process_time()
            try:
                return inner(*args, **kwargs)
            finally:
                self.spent[step] += time.process_time() - started

        setattr(module, attribute, timed)


def measure(sizes: list[int], rounds: int, profile_size: int, linked: bool = False) -> None:
    from django.db import connection

    import early_warning.tasks
    from classifier.serving import active_model
    from complaints.services import classification_batch

    timer = _Timer()
    timer.wrap(classification_batch, "_claim", "claim")
    timer.wrap(classification_batch, "_predict", "predict")
    timer.wrap(classification_batch, "complaints_classification_apply", "apply")
    timer.wrap(early_warning.tasks, "complaints_cluster", "cluster")
    statements = []
    counting = connection.execute_wrapper(lambda execute, *a: statements.append(1) or execute(*a))
    counting.__enter__()
    assert active_model() is not None, "no active model in the scratch database"
    offset = 0
    # One warm-up batch: the model's and the ORM's first-call costs are not a batch's.
    offset += len(_file(50, offset, linked))
    classification_batch.complaints_classify(complaint_ids=[], top_up=50)
    print(
        "| batch | claim | predict | apply | cluster task | total | PostgreSQL backend "
        "| statements |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    kinds = (*STEPS, "total", "postgres")
    results: dict[int, dict[str, list[float]]] = {s: {k: [] for k in kinds} for s in sizes}
    counts: dict[int, list[int]] = {s: [] for s in sizes}
    for _round in range(rounds):
        for size in sizes:
            offset += len(_file(size, offset, linked))
            timer.spent = dict.fromkeys(STEPS, 0.0)
            server = _backend_cpu_seconds(connection)
            statements.clear()
            started = time.process_time()
            done = classification_batch.complaints_classify(complaint_ids=[], top_up=size)
            total = time.process_time() - started
            server = _backend_cpu_seconds(connection) - server
            assert len(done) == size, f"classified {len(done)} of {size}"
            for step in STEPS:
                results[size][step].append(timer.spent[step] * 1000 / size)
            results[size]["total"].append(total * 1000 / size)
            results[size]["postgres"].append(server * 1000 / size)
            counts[size].append(len(statements))
    for size in sizes:
        cells = [
            f"{statistics.median(v):.3f} ({min(v):.3f}–{max(v):.3f})"
            for v in results[size].values()
        ]
        print(f"| {size} | {' | '.join(cells)} | {statistics.median(counts[size]):.0f} |")
    if profile_size:
        # pyinstrument samples (1 ms), so the profile is not skewed to small calls as
        # cProfile's would be; over ten batches, so each line has samples enough.
        from pyinstrument import Profiler

        batches = [_file(profile_size, offset + i * profile_size, linked) for i in range(10)]
        offset += 10 * profile_size
        profiler = Profiler(interval=0.0005)
        profiler.start()
        for _batch in batches:
            classification_batch.complaints_classify(complaint_ids=[], top_up=profile_size)
        profiler.stop()
        print(profiler.output_text(unicode=True, show_all=False, timeline=False))
        logged = []
        offset += len(_file(profile_size, offset, linked))
        with connection.execute_wrapper(
            lambda execute, sql, params, many, context: (
                logged.append(sql) or execute(sql, params, many, context)
            )
        ):
            classification_batch.complaints_classify(complaint_ids=[], top_up=profile_size)
        for sql in logged:
            print("  ", sql[:300])


if __name__ == "__main__":
    main()
