"""Persona fixtures (alice and bob are consumers, olivia and oscar operators of two different
companies, rita a regulator, ada an admin) and the rules for service-backed tests.

Tests marked `postgres` need DATABASE_URL pointing at PostgreSQL; tests marked `redis` need
CELERY_BROKER_URL pointing at Redis; tests marked `aapt` need aapt, android-framework-res and
smali (make test-setup). Outside CI they skip with the reason; in CI (CI=true) a missing
service fails them.
"""

import importlib
import os

import pytest
import time_machine
from django.apps import apps as django_apps
from django.contrib.auth.models import Group, User
from django.utils import translation

from complaints.models import CompanyMembership
from config.celery import app as celery_app
from tests import clock
from tests.factories import AppFactory, CompanyFactory
from tests.otp import VerifiedClient, authenticator

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _service_missing(item) -> str | None:
    from django.db import connection

    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        return "needs PostgreSQL: set DATABASE_URL=postgres://…"
    if item.get_closest_marker("redis"):
        url = os.environ.get("CELERY_BROKER_URL", "")
        if not url.startswith("redis"):
            return "needs Redis: set CELERY_BROKER_URL=redis://…"
        import redis

        try:
            redis.Redis.from_url(url, socket_connect_timeout=1).ping()
        except redis.RedisError as exc:
            return f"Redis at {url} is not answering: {exc}"
    if item.get_closest_marker("aapt"):
        from tests.inspections.apks import tools_missing

        return tools_missing()
    return None


def pytest_collection_modifyitems(config, items):
    """Tests that break the broker connection on purpose run last: after a real publish to a
    dead Redis, kombu keeps transport state in the process that later publishes trip over.
    Transactional tests all roll back by serialization (`_serialize_transactional`)."""
    items.sort(key=lambda item: item.get_closest_marker("breaks_broker") is not None)
    for item in items:
        _serialize_transactional(item)


def _serialize_transactional(item) -> None:
    """Every transactional test restores the database as the migrations left it.

    A transactional test ends with a flush. Without serialized rollback, Django's post-migrate
    signal then creates the content types and permissions again under new ids, and the next
    serialized test, restoring the old rows, fails on their unique names; so whether a test
    passed depended on which tests ran before it. With serialized rollback on every one, each
    flush skips post-migrate and the next test puts back the rows as they were."""
    marker = item.get_closest_marker("django_db")
    if marker is None or not marker.kwargs.get("transaction"):
        return
    if marker.kwargs.get("serialized_rollback"):
        return
    kwargs = {**marker.kwargs, "serialized_rollback": True}
    item.add_marker(pytest.mark.django_db(*marker.args, **kwargs), append=False)


def pytest_generate_tests(metafunc):
    if metafunc.definition.get_closest_marker("every_date"):
        metafunc.parametrize(
            "test_now", list(clock.DATES.values()), ids=list(clock.DATES), indirect=True
        )


@pytest.fixture(autouse=True)
def test_now(request):
    """Every test at a fixed instant (tests/clock.py), or at each of clock.DATES where the
    module is marked `every_date`. Tests marked `real_clock` (a Celery worker in another
    process keeps the real time) are left alone."""
    if request.node.get_closest_marker("real_clock"):
        yield None
        return
    base = getattr(request, "param", clock.DEFAULT_NOW)
    with time_machine.travel(clock.start_of_test(base), tick=True):
        yield base


def pytest_runtest_setup(item):
    reason = _service_missing(item)
    if reason:
        if IN_CI:
            pytest.fail(f"CI requires this service: {reason}", pytrace=False)
        pytest.skip(reason)


@pytest.fixture(autouse=True)
def _eager_celery():
    """Every test starts with tasks run in-process (config.settings_test), whatever the test
    before it did to the shared Celery app; tests that need a real worker switch it off.
    Pending marks a test before it saw are not trusted either (the next test's clock may
    start at the same instant), and the app search forgets the registry it read."""
    from complaints.selectors.intake import app_search_forget
    from complaints.services.enqueue import pending_marks_forget
    from config.celery import app as celery_app

    pending_marks_forget()
    app_search_forget()  # the registry the test before it had, rolled back since
    saved = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = saved


@pytest.fixture(autouse=True)
def _empty_cache():
    """Every test starts with an empty cache: counters (throttles, link re-sends) are keyed by
    ids that the next test's rows reuse, and the suite's clock never lets them expire. So do
    the shared pages a process holds."""
    from django.core.cache import caches

    from complaints.selectors.stats.shared import forget_held

    caches["default"].clear()
    caches["throttle"].clear()
    forget_held()
    yield


def _user(username: str, group: str | None, **extra) -> User:
    user = User.objects.create_user(
        username=username, email=f"{username}@example.com", password="pw-" + username, **extra
    )
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def client():
    """Django's test client, whose force_login passes the two-factor step for regulators and
    admins (tests/otp.py); `force_login_password_only` stops before it."""
    return VerifiedClient()


@pytest.fixture
def alice(db) -> User:
    return _user("alice", "consumer")


@pytest.fixture
def bob(db) -> User:
    return _user("bob", "consumer")


@pytest.fixture
def company(db):
    return CompanyFactory(name="甲科技有限公司", name_en="Alpha Tech")


@pytest.fixture
def other_company(db):
    return CompanyFactory(name="乙网络有限公司", name_en="Beta Net")


@pytest.fixture
def app(company):
    return AppFactory(
        name="快送外卖",
        aliases=["KuaiSong", "快送"],
        package_name="com.kuaisong.food",
        operator=company,
    )


@pytest.fixture
def other_app(other_company):
    return AppFactory(
        name="云途出行", aliases=["YunTu"], package_name="com.yuntu.ride", operator=other_company
    )


@pytest.fixture
def olivia(company) -> User:
    """Operator of `company` (and so of `app`)."""
    user = _user("olivia", "operator")
    CompanyMembership.objects.create(user=user, company=company)
    return user


@pytest.fixture
def oscar(other_company) -> User:
    """Operator of `other_company` — not of `app`."""
    user = _user("oscar", "operator")
    CompanyMembership.objects.create(user=user, company=other_company)
    return user


@pytest.fixture
def rita(db) -> User:
    """A regulator who has set up her authenticator app (tests/otp.py)."""
    user = _user("rita", "regulator", is_staff=True)
    authenticator(user)
    return user


@pytest.fixture
def ada(db) -> User:
    """An admin who has set up her authenticator app."""
    user = _user("ada", "admin", is_staff=True, is_superuser=True)
    authenticator(user)
    return user


_SEED = importlib.import_module("complaints.migrations.0002_seed_taxonomy_and_roles")


@pytest.fixture(autouse=True)
def _seeded_after_flush(request):
    """Transactional tests (live server, real worker, concurrency) end with a flush that takes
    the migration-seeded taxonomy and role groups with it; put them back before each one."""
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or (
        {"transactional_db", "live_server"} & set(request.fixturenames)
    )
    if not transactional:
        return
    request.getfixturevalue("transactional_db")
    if not Group.objects.filter(name="regulator").exists():
        _SEED.seed(django_apps, None)


@pytest.fixture(autouse=True)
def _site_language():
    """Each test starts in the site's language. A request through the test client leaves the
    language it negotiated active in the thread, so without this a test asserting a message in
    the site's language passed or failed by which test ran before it."""
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture
def english():
    """Messages asserted in English (the site's default language is zh-Hans): modules that
    assert them say `pytestmark = pytest.mark.usefixtures("english")`."""
    with translation.override("en"):
        yield


@pytest.fixture
def other_session(db):
    """A second PostgreSQL session on the test database, as another worker would have
    (autocommit; closed after the test)."""
    import psycopg
    from django.db import connection

    settings = connection.settings_dict
    with psycopg.connect(
        host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432,
        user=settings["USER"],
        password=settings["PASSWORD"] or None,
        dbname=settings["NAME"],
        autocommit=True,
    ) as session:
        yield session


@pytest.fixture
def real_broker(settings):
    """Tasks published for real to the test's own Redis database, its default queue empty."""
    import redis

    conf = celery_app.conf
    saved = conf.task_always_eager
    conf.task_always_eager = False
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.delete("celery", "appwatch:pending:complaints.tasks.classify_waiting")
    yield client
    client.delete("celery", "appwatch:pending:complaints.tasks.classify_waiting")
    conf.task_always_eager = saved
