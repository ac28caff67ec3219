"""The benchmarks' one starter: its template database is built under a name of its own and
renamed when complete, so a benchmark starting while another builds it (the suite starts two
together) never copies a half-built template, and nothing is left behind either way."""

import os
import signal
import threading
import time
import uuid

import psycopg
import pytest

from benchmarks import scratch, stack

pytestmark = [pytest.mark.postgres, pytest.mark.real_clock]


@pytest.fixture
def server(suite_server):
    """The suite's PostgreSQL server, for the starter's own databases; the ones named here are
    dropped afterwards."""
    url = suite_server
    name = f"appwatch_test_tpl_{uuid.uuid4().hex[:10]}"
    yield name
    with psycopg.connect(url, autocommit=True) as conn:
        names = conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s", [name + "%"]
        ).fetchall()
    scratch.drop_databases(*(n for (n,) in names))


def _databases(prefix: str) -> list[str]:
    with psycopg.connect(scratch.SERVER, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s ORDER BY datname", [prefix + "%"]
        ).fetchall()
    return [n for (n,) in rows]


def _tables(database: str) -> set[str]:
    with psycopg.connect(stack.db_url(database)) as conn:
        rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        return {n for (n,) in rows}


def _create(database: str, *tables: str) -> None:
    with psycopg.connect(stack.db_url(database), autocommit=True) as conn:
        for table in tables:
            conn.execute(f"CREATE TABLE {table} (n int)")


def test_a_second_benchmark_never_copies_the_template_half_built(server):
    half_built, finish = threading.Event(), threading.Event()

    def slow(database: str) -> None:
        _create(database, "schema_part")
        half_built.set()
        assert finish.wait(60)
        _create(database, "trained_model")

    first: list[str] = []
    builder = threading.Thread(target=lambda: first.append(stack.template_database(server, slow)))
    builder.start()
    try:
        assert half_built.wait(60)
        # The second benchmark starts now and copies whatever template it is given.
        second = stack.template_database(
            server, lambda db: _create(db, "schema_part", "trained_model")
        )
        scratch.create_database(server + "_copy", template=second)
    finally:
        finish.set()
        builder.join(60)
    assert second == first[0] == server
    assert _tables(server + "_copy") == {"schema_part", "trained_model"}
    # The first builder lost the race to rename and dropped its copy: nothing half-built stays.
    assert _databases(server) == [server, server + "_copy"]
    assert _tables(server) == {"schema_part", "trained_model"}


def test_a_template_that_fails_to_build_leaves_nothing_behind(server):
    def broken(database: str) -> None:
        _create(database, "schema_part")
        raise RuntimeError("training failed")

    with pytest.raises(RuntimeError, match="training failed"):
        stack.template_database(server, broken)
    assert _databases(server) == []
    # The next start builds it afresh.
    assert stack.template_database(server, lambda db: _create(db, "trained_model")) == server
    assert _tables(server) == {"trained_model"}


def test_a_built_template_is_reused_as_it_is(server):
    stack.template_database(server, lambda db: _create(db, "trained_model"))

    def never(database: str) -> None:
        raise AssertionError("built twice")

    assert stack.template_database(server, never) == server


def test_pss_counts_pages_a_forked_child_shares_once():
    """What the "in all" memory figures sum: a parent holding 64 MB and a child forked from it
    share those pages; their RSS counts them twice, their PSS once."""
    held = bytearray(os.urandom(64 * 2**20))
    child = os.fork()
    if child == 0:  # pragma: no cover — the child only waits to be measured
        time.sleep(30)
        os._exit(0)
    try:
        pids = [os.getpid(), child]
        rss = sum(stack.rss_mb(pid) for pid in pids)
        pss = sum(stack.pss_mb(pid) for pid in pids)
        assert rss - pss > 50, (rss, pss)
        assert pss > 64 and stack.pss_mb(child) < stack.rss_mb(child) - 25
    finally:
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)
    assert len(held) == 64 * 2**20
