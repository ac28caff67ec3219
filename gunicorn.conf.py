"""How gunicorn serves AppWatch (read from the working directory by default, and named by
bin/serve): `bin/serve`, production and every benchmark start from this file.

The application is loaded once, in the master, before the workers are forked
(`preload_app`): a new worker, the first one or one that replaces a dead one, answers at
once instead of importing Django, DRF and our code again, and the pages all workers have
in common (code, translations, the URL table) are stored once, not once per worker.

Two things make that safe and keep it true:
- nothing the master opened may be shared by the workers: importing the application opens
  no database connection, and `when_ready` closes any a start-up hook might have opened
  (two processes on one PostgreSQL connection corrupt each other's protocol state);
  Redis and broker clients are created on first use, which happens in a worker;
- the cyclic garbage collector visits every object and so writes to the pages it touches:
  `gc.freeze()` moves what the master loaded out of its reach, so the workers' collections
  do not copy the shared pages one by one.

Workers and threads come from the command line (`--workers`, `--threads`) or
GUNICORN_CMD_ARGS; `WEB_PRELOAD=false` loads the application in each worker instead.
bin/serve runs one worker per core (WEB_WORKERS, default 2) of 8 threads each (WEB_THREADS),
gthread. Measured on 2 cores (benchmarks/RESULTS.md, "The web process's filing path"): 2 × 8
filed more per second than 2 × 4 at concurrency 8 and 32 with a lower p95, while 3 × 2,
4 × 2, 2 × 2, 1 × 8 and 4 × 1 sync did worse than both. A keep-alive connection stays with
the worker that accepted it and the workers do not take them evenly, so with 4 threads one
worker queues requests while the other idles; the threads mostly wait on PostgreSQL's commit,
so more of them do not fight over the GIL (CPU per filing did not rise). Each thread holds
its own PostgreSQL connection (16 per host at 2 × 8).
"""

import gc
import os

preload_app = os.environ.get("WEB_PRELOAD", "true").lower() not in {"0", "false", "no"}


def when_ready(server) -> None:
    """The master is listening and about to fork its workers."""
    if not preload_app:
        return
    from django.db import connections

    connections.close_all()
    gc.collect()
    gc.freeze()
