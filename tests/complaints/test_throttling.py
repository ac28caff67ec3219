"""Who a client is (forwarded headers believed only from our proxies) and the limits on
filing, uploading and looking up, on the web pages and the API alike. Across web processes:
tests/integration/test_shared_throttle.py."""

import pytest
from django.test import RequestFactory
from django.urls import reverse
from rest_framework.test import APIClient

from complaints.models import Complaint
from complaints.throttling import client_ip
from tests.complaints.views.test_intake import file_through, photo_with_gps, step
from tests.factories import make_complaint
from tests.otp import VerifiedClient as Client

pytestmark = pytest.mark.django_db
FILE_URL = "/api/v1/complaints/"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _rates(settings, **rates):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            "anon_submit": "100/min",
            "track": "100/min",
            "evidence_upload": "100/min",
            "app_search": "100/min",
            **rates,
        },
    }


def _ip(settings, proxies, remote, forwarded=None):
    settings.TRUSTED_PROXIES = proxies
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_ip(RequestFactory().get("/", **meta))


# --- who the client is -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("proxies", "remote", "forwarded", "client"),
    [
        # No proxies configured: the header is the client's own word, and ignored.
        ([], "198.51.100.4", "203.0.113.9", "198.51.100.4"),
        # Through our proxy: the address it saw.
        (["127.0.0.1"], "127.0.0.1", "203.0.113.9", "203.0.113.9"),
        # The client prepends a forged address; our proxy appends the real one.
        (["127.0.0.1"], "127.0.0.1", "6.6.6.6, 203.0.113.9", "203.0.113.9"),
        # Two proxies of ours (a network and an address): skip both.
        (["10.0.0.0/8", "127.0.0.1"], "127.0.0.1", "6.6.6.6, 203.0.113.9, 10.2.3.4", "203.0.113.9"),
        # A request from elsewhere claiming to come through our proxy is not believed.
        (["10.0.0.0/8"], "198.51.100.4", "203.0.113.9, 10.2.3.4", "198.51.100.4"),
        # Our proxy without a header, or a header our proxy garbled: the proxy itself.
        (["127.0.0.1"], "127.0.0.1", None, "127.0.0.1"),
        (["127.0.0.1"], "127.0.0.1", "not-an-address", "127.0.0.1"),
        # IPv6 both ways.
        (["::1"], "::1", "2001:db8::7", "2001:db8::7"),
        # Only proxies in the chain: the leftmost, the first that reached us.
        (["10.0.0.0/8"], "10.0.0.1", "10.9.9.9, 10.0.0.2", "10.9.9.9"),
    ],
)
def test_client_address(settings, proxies, remote, forwarded, client):
    assert _ip(settings, proxies, remote, forwarded) == client


# --- the API --------------------------------------------------------------------------------


def _file_api(api, app, forwarded):
    return api.post(
        FILE_URL,
        {"app": app.pk, "description": "不给通讯录权限就闪退"},
        format="json",
        HTTP_X_FORWARDED_FOR=forwarded,
    )


def test_a_forged_forwarded_address_does_not_buy_more_filings(settings, app):
    _rates(settings, anon_submit="2/min")
    api = APIClient(REMOTE_ADDR="198.51.100.4")
    codes = [_file_api(api, app, f"203.0.113.{n}").status_code for n in range(4)]
    assert codes == [201, 201, 429, 429]
    assert Complaint.objects.count() == 2


def test_with_the_throttle_cache_down_filings_pass_uncounted_and_quickly(settings, app):
    """Redis keeps the counters in production; while it is down nobody is refused or kept
    waiting, and after one failure the cache is left alone for a moment."""
    import time

    from complaints import throttling

    _rates(settings, anon_submit="1/min")
    settings.CACHES = {
        **settings.CACHES,
        "throttle": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nobody listens there
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        },
    }
    api = APIClient(REMOTE_ADDR="198.51.100.4")
    started = time.monotonic()
    try:
        codes = [_file_api(api, app, "").status_code for _ in range(3)]
    finally:
        throttling.cache_breaker.reset()
    assert codes == [201, 201, 201]
    assert Complaint.objects.count() == 3
    assert time.monotonic() - started < 5  # one refused connection, not a hang per filing


def test_clients_behind_our_proxy_are_counted_apart(settings, app):
    _rates(settings, anon_submit="1/min")
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    api = APIClient(REMOTE_ADDR="127.0.0.1")
    assert _file_api(api, app, "203.0.113.1").status_code == 201
    assert _file_api(api, app, "203.0.113.1").status_code == 429
    assert _file_api(api, app, "203.0.113.2").status_code == 201


def test_tracking_by_api_is_limited_whatever_the_forwarded_address(settings, app):
    _rates(settings, track="2/min")
    complaint = make_complaint(app=app)
    api = APIClient(REMOTE_ADDR="198.51.100.4")
    url = f"/api/v1/track/{complaint.tracking_number}/"
    codes = [
        api.get(url, {"token": "wrong"}, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code
        for n in range(3)
    ]
    assert codes == [404, 404, 429]


def test_app_searches_are_limited_per_client_and_answer_when_to_come_back(settings, app):
    _rates(settings, app_search="2/min")
    url = "/api/v1/public/apps/"
    first, second = APIClient(REMOTE_ADDR="198.51.100.7"), APIClient(REMOTE_ADDR="198.51.100.8")
    answers = [first.get(url, {"q": app.name}) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert [m["id"] for m in answers[0].json()["results"]] == [app.pk]
    assert 0 < int(answers[2]["Retry-After"]) <= 60
    assert second.get(url, {"q": app.name}).status_code == 200  # another client's own budget


def test_uploads_by_api_have_their_own_limit(settings, app, alice):
    _rates(settings, evidence_upload="1/min")
    api = APIClient()
    api.force_authenticate(alice)  # signed in: not limited as an anonymous filer

    def send(name):
        return api.post(
            FILE_URL,
            {
                "app": app.pk,
                "description": "不给通讯录权限就闪退",
                "evidence": [photo_with_gps(name)],
            },
            format="multipart",
        )

    assert send("one.jpg").status_code == 201
    response = send("two.jpg")
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "throttled"
    # Filing without files is not an upload.
    assert _file_api(api, app, "").status_code == 201


# --- the web pages ---------------------------------------------------------------------------


@pytest.fixture
def en():
    client = Client(REMOTE_ADDR="198.51.100.4")
    client.cookies["django_language"] = "en"
    return client


def test_the_web_form_shares_the_api_budget_and_keeps_the_draft(settings, app, en):
    _rates(settings, anon_submit="2/min")
    api = APIClient(REMOTE_ADDR="198.51.100.4")
    assert _file_api(api, app, "203.0.113.1").status_code == 201
    file_through(en, app=app, description="第二次：不给定位权限就不能下单。")
    assert step(en, "review", {}).status_code == 302  # the second filing from this address
    file_through(en, app=app, description="第三次：自动续费没有提醒就扣了钱。")
    response = step(en, "review", {}, HTTP_X_FORWARDED_FOR="203.0.113.77")
    assert response.status_code == 429
    assert int(response["Retry-After"]) <= 60
    page = response.content.decode()
    assert "Too many requests" in page and "try again in 1 minute" in page
    assert Complaint.objects.count() == 2
    # Nothing typed is lost: the draft waits on the review page.
    assert "自动续费没有提醒就扣了钱" in step(en, "review").content.decode()


def test_the_web_form_is_refused_in_chinese_for_a_chinese_visitor(settings, app):
    _rates(settings, anon_submit="1/min")
    zh = Client(REMOTE_ADDR="198.51.100.4")
    zh.cookies["django_language"] = "zh-hans"
    file_through(zh, app=app)
    assert step(zh, "review", {}).status_code == 302
    file_through(zh, app=app)
    response = step(zh, "review", {})
    assert response.status_code == 429
    assert "请求过多" in response.content.decode()


def test_signed_in_consumers_file_on_the_web_without_the_anonymous_limit(settings, app, alice):
    _rates(settings, anon_submit="1/min")
    client = Client()
    client.force_login(alice)
    for n in range(2):
        file_through(client, app=app, description=f"第{n}次：不给通讯录权限就闪退。")
        assert step(client, "review", {}).status_code == 302
    assert Complaint.objects.count() == 2


def test_web_uploads_are_limited_and_continuing_without_files_is_not(settings, app, en):
    _rates(settings, evidence_upload="1/min")
    step(en, "app", {"app": app.pk})
    step(en, "what", {"description": "这个应用不给权限就闪退了"})
    url = reverse("file_step", args=["evidence"])
    first = en.post(url, {"files": [photo_with_gps("one.jpg")], "action": "upload"})
    assert first.status_code == 302
    second = en.post(url, {"files": [photo_with_gps("two.jpg")], "action": "upload"})
    assert second.status_code == 429
    page = step(en, "evidence").content.decode()
    assert "one.jpg" in page and "two.jpg" not in page
    assert en.post(url, {"action": "continue"}).status_code == 302
    assert step(en, "evidence").status_code == 200  # reading the page is not counted


def test_web_lookups_share_the_tracking_limit(settings, app, en):
    _rates(settings, track="2/min")
    complaint = make_complaint(app=app)
    wrong = {"tracking_number": complaint.tracking_number, "token": "wrong"}
    assert en.post(reverse("track"), wrong).status_code == 404
    assert en.post(reverse("track"), wrong, HTTP_X_FORWARDED_FOR="203.0.113.5").status_code == 404
    assert en.post(reverse("track"), wrong).status_code == 429
    assert en.get(reverse("track")).status_code == 200  # reading the form is not counted
    lost = {"tracking_number": complaint.tracking_number, "email": "a@example.com"}
    assert en.post(reverse("track_lost_link"), lost).status_code == 429


# --- log-in lockout --------------------------------------------------------------------------


def _login(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_lockout_holds_one_account_at_one_address(settings, alice, bob):
    office = Client(REMOTE_ADDR="198.51.100.4")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(office, "alice", "wrong")
    # Forging another address does not lift it.
    forged = Client(REMOTE_ADDR="198.51.100.4", HTTP_X_FORWARDED_FOR="203.0.113.8")
    assert _login(forged, "alice", "pw-alice").status_code == 429
    # A colleague at the same address still logs in; so does alice from home.
    assert _login(Client(REMOTE_ADDR="198.51.100.4"), "bob", "pw-bob").status_code == 302
    assert _login(Client(REMOTE_ADDR="192.0.2.10"), "alice", "pw-alice").status_code == 302
