"""`make bench`'s one-page consumer (benchmarks/http_load.py, OnePageFiler) against a running
platform: it does what filing.js does, searching for the app only when the page does not offer
its name, and files linked to the registry app either way; the statistics refresh the harness
asks of the worker is what makes the page offer the apps named most."""

import pytest

from benchmarks import harness_http
from benchmarks.http_load import OnePageFiler
from tests.benchmarks.conftest import send_each

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow, pytest.mark.real_clock]


def test_it_searches_only_for_names_the_page_does_not_offer(platform):
    apps = platform.app_names(limit=4)
    named = [name for _, name in apps[:3]]
    filer = OnePageFiler(named, lambda index: f"不给通讯录权限就闪退 {index}")
    send_each(platform, filer, 3)
    assert (filer.filed, filer.searched) == (3, 3)  # none counted yet: nothing offered

    platform.statistics_refresh()
    assert harness_http.named_most_offered(platform.web_port) == named  # once each, by id
    filer.reset()
    send_each(platform, filer, 6)
    assert (filer.filed, filer.searched) == (6, 0)
    rare = OnePageFiler([apps[3][1]], lambda index: f"自动续费 {index}")
    send_each(platform, rare, 2)
    assert (rare.filed, rare.searched) == (2, 2)

    linked = platform.sql(
        "SELECT c.app_name = a.name, count(*) FROM complaints_complaint c"
        " JOIN complaints_app a ON a.id = c.app_id GROUP BY 1"
    )
    assert linked == [(True, 11)]
    assert platform.sql("SELECT count(*) FROM complaints_complaint")[0][0] == 11
