"""`make bench-smoke` in CI: the whole harness at tiny sizes (the platform under gunicorn with a
real worker, django-helpdesk from PyPI, the benchmark modules) produces every figure with its
baseline and ratio. It judges no speed: a slow shared machine passes, a missing figure fails."""

import json
import os
import subprocess
import sys

import pytest
from django.db import connection

from benchmarks.figures import problems
from benchmarks.run import EXPECTED
from benchmarks.scratch import ROOT

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow, pytest.mark.real_clock]


def test_every_figure_comes_with_its_baseline_and_ratio(tmp_path):
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "CELERY_BROKER_URL")
    }
    # The test database's server; the harness makes its own databases and redis-server there.
    env["BENCH_POSTGRES_URL"] = (
        f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/postgres"
    )
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--smoke", "--output", str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    assert f"bench-smoke: {len(EXPECTED)} figures, complete" in done.stdout
    [path] = tmp_path.glob("*.json")
    result = json.loads(path.read_text())
    assert problems(result, EXPECTED) == []
    assert [f["name"] for f in result["figures"]] == EXPECTED
    for figure in result["figures"]:
        if not figure["skipped"]:
            assert figure["ratio"] > 0 and figure["baseline"] > 0, figure
    assert result["machine"]["postgresql"]["shared_buffers"]
    assert result["machine"]["packages"]["Django"]
