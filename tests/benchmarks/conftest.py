import pytest
from django.db import connection

from benchmarks import scratch, stack
from benchmarks.http_load import Connection


@pytest.fixture
def suite_server(monkeypatch) -> str:
    """The suite's PostgreSQL server (its `postgres` database's URL), made the one the bench's
    scratch databases and stacks are created on."""
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    url = f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/postgres"
    monkeypatch.setattr(scratch, "SERVER", url)
    monkeypatch.setattr(stack, "SERVER", url)
    return url


@pytest.fixture
def platform(suite_server):
    """The platform running as `make bench` runs it, small: one web worker of two threads, a
    Celery worker, its own Redis."""
    with stack.Stack(web_workers=1, threads=2) as served:
        yield served


def send_each(platform, send, count: int) -> None:
    """`send` (a load generator's sender) for indexes 0 to count - 1, one after the other on
    one connection, each expected to succeed."""
    conn = Connection(platform.web_port)
    try:
        for index in range(count):
            ok, answer = send(conn, index)
            assert ok, answer
    finally:
        conn.close()
