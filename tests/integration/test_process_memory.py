"""What the web and worker processes share instead of holding twice (issue 16, memory).

gunicorn loads the application once in its master (gunicorn.conf.py, `preload_app`) and
forks workers that share those pages; the Celery worker loads the model in its main process
before it forks its pool. Both then freeze what they loaded out of the garbage collector's
reach, so a child's collections do not copy the shared pages. How many megabytes that saves
is `make bench`'s question (memory figures); these check that the sharing happens and that
nothing unsafe is shared with it.
"""

import gc
import json
import os
import runpy
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from django.conf import settings
from django.db import connection

from complaints.models import Complaint

CONFIG = settings.BASE_DIR / "gunicorn.conf.py"


@pytest.fixture
def unfrozen():
    yield
    gc.unfreeze()


def _smaps(pid: int) -> dict[str, int]:
    """The process's memory totals from the kernel, in kB (Rss, Pss, Private_Dirty, …)."""
    values = {}
    with open(f"/proc/{pid}/smaps_rollup") as rollup:
        for line in rollup:
            parts = line.split()
            if len(parts) == 3 and parts[2] == "kB":
                values[parts[0].rstrip(":")] = int(parts[1])
    return values


def _private_share(pid: int) -> float:
    totals = _smaps(pid)
    return (totals["Private_Clean"] + totals["Private_Dirty"]) / totals["Rss"]


def _workers(master: int) -> list[int]:
    with open(f"/proc/{master}/task/{master}/children") as children:
        return [int(pid) for pid in children.read().split()]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db["HOST"] or "127.0.0.1"
    return f"postgres://{db['USER']}{password}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.mark.django_db
def test_the_master_hands_its_workers_no_database_connection_and_a_frozen_heap(unfrozen):
    hooks = runpy.run_path(str(CONFIG))
    assert hooks["preload_app"] is True
    connection.ensure_connection()
    assert connection.connection is not None
    hooks["when_ready"](None)
    assert connection.connection is None or connection.connection.closed
    assert gc.get_freeze_count() > 0


@pytest.mark.django_db
def test_the_worker_freezes_what_it_loaded_before_forking_its_pool(unfrozen):
    from complaints.tasks import _load_model_before_the_first_task

    connection.ensure_connection()
    _load_model_before_the_first_task()
    assert connection.connection is None or connection.connection.closed
    assert gc.get_freeze_count() > 0


def _serve(tmp_path, port: int, preload: str) -> subprocess.Popen:
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"CACHE_URL", "CELERY_BROKER_URL"}},
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": _database_url(),
        "APPWATCH_VAR_DIR": str(tmp_path / "var"),
        "FIELD_ENCRYPTION_KEYS": ",".join(settings.FIELD_ENCRYPTION_KEYS),
        "CONTACT_INDEX_KEY": settings.CONTACT_INDEX_KEY,
        "AUDIT_CHAIN_KEY": settings.AUDIT_CHAIN_KEY,
        "WEB_PRELOAD": preload,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", "2", "--threads", "2"],
        cwd=settings.BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip


def _started(process: subprocess.Popen, port: int) -> list[int]:
    """The two workers, once both are up and answering."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read()[-3000:]
        workers = _workers(process.pid)
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5):
                pass
        except OSError:
            time.sleep(0.2)
            continue
        if len(workers) == 2:
            time.sleep(1.0)  # the second worker's imports, when it has any to do
            return workers
    raise AssertionError("gunicorn did not come up")


def _file(port: int) -> int:
    body = {"app_name": "共享内存测试", "description": "不给通讯录权限就闪退，无法使用。"}
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/complaints/",
        data=json.dumps(body, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("preload", ["true", "false"])
def test_web_workers_share_the_application_with_their_master(tmp_path, preload):
    port = _free_port()
    process = _serve(tmp_path, port, preload)
    try:
        workers = _started(process, port)
        # The share of each worker's resident pages that no other process maps (pages of
        # shared libraries count as shared whoever else maps them, so this does not depend
        # on what else runs on the machine).
        shares = [_private_share(pid) for pid in workers]
        assert _file(port) == 201
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert Complaint.objects.filter(app_name="共享内存测试").count() == 1
    if preload == "true":
        # Most of each worker's resident pages are the master's, loaded once (0.06-0.2 seen).
        assert all(share < 0.4 for share in shares), shares
    else:
        # Each worker imported the application itself: its pages are its own (0.71 seen).
        assert all(share > 0.5 for share in shares), shares
