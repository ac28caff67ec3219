"""Clusters: a burst of alike complaints becomes one cluster, found incrementally; unrelated
complaints, other kinds and other companies stay out."""

import datetime

import pytest
from django.utils import timezone

from early_warning.clustering import complaints_cluster
from early_warning.models import Cluster, ClusterMembership
from early_warning.selectors import cluster_detail, clusters_list, collective_hint_count
from inspections.models import AppInspection
from tests.factories import AppFactory, category, make_complaint

from .conftest import BURST_TEXTS, at_day, file_background, file_burst

pytestmark = pytest.mark.django_db


def test_a_burst_of_twelve_is_one_cluster_and_the_background_none(app, today, corpus_texts):
    background = file_background(corpus_texts, last_day=today)
    burst = file_burst(app, today - datetime.timedelta(days=1))
    for complaint in [*background, *burst]:  # one at a time, as the worker sees them
        complaints_cluster(complaint_ids=[complaint.pk])
    cluster = Cluster.objects.get()
    members = set(ClusterMembership.objects.values_list("complaint_id", flat=True))
    assert members == {c.pk for c in burst}
    assert (cluster.size, cluster.app, cluster.company, cluster.category.code) == (
        12,
        app,
        app.operator,
        "over_permission",
    )


def test_a_cluster_is_found_at_the_third_alike_complaint_and_then_grows(app, today):
    day = today - datetime.timedelta(days=2)
    found = []
    for i, text in enumerate(BURST_TEXTS):  # filed and classified one after the other
        [complaint] = file_burst(app, day, [text], hour=9 + i)
        found.append(complaints_cluster(complaint_ids=[complaint.pk]))
    assert found[0] == [] and found[1] == []
    cluster = found[2][0]
    assert all(changed == [cluster] for changed in found[2:])
    cluster.refresh_from_db()
    assert cluster.size == 12 and len(cluster.exemplars) == 5
    # Again: nothing changes.
    everything = ClusterMembership.objects.values_list("complaint_id", flat=True)
    assert complaints_cluster(complaint_ids=list(everything)) == []
    assert Cluster.objects.count() == 1 and ClusterMembership.objects.count() == 12


def test_another_kind_another_company_or_outside_the_window_stays_out(app, other_app, today):
    day = today - datetime.timedelta(days=3)
    burst = file_burst(app, day, BURST_TEXTS[:5])
    other_kind = file_burst(app, day, BURST_TEXTS[5:6], code="fraud")
    other_company = file_burst(other_app, day, BURST_TEXTS[6:7])
    much_later = make_complaint(
        app=app,
        description=BURST_TEXTS[7],
        category_hint=category("over_permission"),
        submitted_at=at_day(day + datetime.timedelta(days=20)),
        classify=False,
    )
    unrelated = make_complaint(
        app=app,
        description="快送外卖的会员自动续费，没有任何提醒就扣了我三十元。",
        category_hint=category("over_permission"),
        submitted_at=at_day(day),
        classify=False,
    )
    ids = [c.pk for c in [*burst, *other_kind, *other_company, much_later, unrelated]]
    complaints_cluster(complaint_ids=ids)
    members = set(ClusterMembership.objects.values_list("complaint_id", flat=True))
    assert members == {c.pk for c in burst}


def test_one_behaviour_across_a_companys_apps_is_one_cluster(app, company, today):
    sister = AppFactory(name="快送买菜", operator=company)
    day = today - datetime.timedelta(days=1)
    first = file_burst(app, day, BURST_TEXTS[:3])
    second = file_burst(sister, day, BURST_TEXTS[3:6])
    complaints_cluster(complaint_ids=[c.pk for c in [*first, *second]])
    cluster = Cluster.objects.get()
    assert cluster.size == 6
    view = cluster_detail(cluster)
    assert view.apps == sorted(["快送买菜", "快送外卖"])
    assert view.shared_sdks == []  # neither app was inspected
    for one, names in ((app, ["个推", "友盟"]), (sister, ["友盟", "极光"])):
        AppInspection.objects.create(
            app=one,
            uploaded_at=timezone.now(),
            inspected_at=timezone.now(),
            status=AppInspection.Status.DONE,
            stored_name="x.apk",
            file_sha256="0" * 64,
            file_size=1,
            sdks=[{"name": name, "vendor": "", "evidence": []} for name in names],
        )
    assert cluster_detail(cluster).shared_sdks == ["友盟"]


def test_growth_representatives_shared_words_and_the_filing_hint(app, today, english):
    burst = file_burst(app, today - datetime.timedelta(days=1), BURST_TEXTS[:8])
    burst += file_burst(app, today, BURST_TEXTS[8:])
    complaints_cluster(complaint_ids=[c.pk for c in burst])
    [view] = clusters_list()
    assert view.growth_per_day == round(12 / 7, 2)
    assert view.daily[-2:] == [(today - datetime.timedelta(days=1), 8), (today, 4)]
    detail = cluster_detail(view.cluster)
    assert len(detail.representatives) == 3
    assert {"通讯录", "权限", "强制"} <= set(detail.shared_words)
    assert detail.cluster.why == (
        "12 complaints about 快送外卖 in “Excessive, forced or repeated permission requests” "
        "whose texts are alike "
        "(similarity at least 70 of 100), each within 14 days of the last."
    )
    permissions, fraud = category("over_permission"), category("fraud")
    assert collective_hint_count(app=app, category=permissions) == 12
    assert collective_hint_count(app=app, category=fraud) == 0
    alike = "快送外卖不同意通讯录权限就闪退，强制索取。"
    assert collective_hint_count(app=app, category=permissions, description=alike) == 12
    other = "快送外卖的会员自动续费没有提醒。"
    assert collective_hint_count(app=app, category=permissions, description=other) == 0


def _cluster_selects(queries) -> int:
    return sum(
        q["sql"].startswith("SELECT") and 'FROM "early_warning_cluster"' in q["sql"]
        for q in queries
    )


def test_a_batch_about_many_companies_reads_their_live_clusters_in_one_query(today):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    day = today - datetime.timedelta(days=2)
    apps = [AppFactory() for _ in range(4)]  # four companies
    for app in apps:
        complaints_cluster(complaint_ids=[c.pk for c in file_burst(app, day, BURST_TEXTS[:3])])
    assert Cluster.objects.filter(size=3).count() == 4

    newcomers = [file_burst(app, day, BURST_TEXTS[3:4], hour=15)[0] for app in apps]
    with CaptureQueriesContext(connection) as queries:
        changed = complaints_cluster(complaint_ids=[c.pk for c in newcomers])

    assert _cluster_selects(queries.captured_queries) == 1
    assert sorted((c.company_id, c.size) for c in changed) == sorted(
        (app.operator_id, 4) for app in apps
    )


def test_each_company_reads_its_own_most_recently_active_clusters(today, monkeypatch):
    """At most LIVE_CLUSTERS_READ live clusters per scope, counted within each scope: one
    company's many clusters never crowd out another company's."""
    from early_warning import clustering

    monkeypatch.setattr(clustering, "LIVE_CLUSTERS_READ", 1)
    quiet, busy = AppFactory(), AppFactory()
    earlier = today - datetime.timedelta(days=3)
    complaints_cluster(complaint_ids=[c.pk for c in file_burst(quiet, earlier, BURST_TEXTS[:3])])
    for code in ("fraud", "unauthorized_charges"):  # more recently active than quiet's
        burst = file_burst(busy, today - datetime.timedelta(days=1), BURST_TEXTS[:3], code=code)
        complaints_cluster(complaint_ids=[c.pk for c in burst])

    newcomers = [
        file_burst(quiet, earlier, BURST_TEXTS[3:4], hour=15)[0],
        file_burst(busy, today - datetime.timedelta(days=1), BURST_TEXTS[3:4], code="fraud")[0],
    ]
    complaints_cluster(complaint_ids=[c.pk for c in newcomers])

    assert Cluster.objects.get(company=quiet.operator).size == 4
    assert Cluster.objects.count() == 3


def test_words_are_segmented_once_while_kept_and_again_when_the_text_changed(
    app, today, monkeypatch
):
    """Recent unclustered complaints are candidates batch after batch: their words are kept
    between batches (`WORDS_KEPT`), checked against the text they were made from."""
    from complaints.models import Complaint
    from early_warning import clustering

    clustering.words_forget()
    segmented = []
    text_key = clustering.text_key
    monkeypatch.setattr(
        clustering, "text_key", lambda text, app=None: segmented.append(text) or text_key(text, app)
    )
    day = today - datetime.timedelta(days=2)
    unrelated = [
        "这个应用的会员自动续费，没有任何提醒就扣了我三十元。",
        "客服电话一直打不通，退款申请提交一个月了还没有处理。",
    ]
    first = file_burst(app, day, unrelated)  # alike neither each other nor the burst
    complaints_cluster(complaint_ids=[c.pk for c in first])
    assert sorted(segmented) == sorted(unrelated)

    segmented.clear()
    [second] = file_burst(app, day, BURST_TEXTS[:1], hour=15)
    complaints_cluster(complaint_ids=[second.pk])
    assert segmented == [BURST_TEXTS[0]]  # the earlier two read as candidates, not segmented

    segmented.clear()
    edited = "这个应用的会员自动续费，扣了我三十元，客服说不能退。"
    Complaint.objects.filter(pk=first[0].pk).update(description=edited)
    [third] = file_burst(app, day, BURST_TEXTS[5:6], hour=16)
    complaints_cluster(complaint_ids=[third.pk])
    assert sorted(segmented) == sorted([BURST_TEXTS[5], edited])
    assert not ClusterMembership.objects.filter(complaint__in=first).exists()
