"""SDK clusters: one behaviour reported about apps of different companies that embed one SDK is
one collective complaint about the SDK; not without the shared SDK, another company, or a kind
of problem an SDK can cause. Opening a case gives one per app, each attributed to the SDK."""

import datetime

import pytest
from django.utils import translation

from complaints.models import Case, Event
from early_warning.clustering import complaints_cluster
from early_warning.models import Cluster, ClusterMembership
from early_warning.selectors import cluster_detail, collective_hint_count
from early_warning.services import cluster_case_open
from inspections.models import SdkAttribution
from tests.factories import AppFactory, CompanyFactory, category

from .conftest import BURST_TEXTS, SDK_TEXTS, embed, file_burst, file_sdk_burst

pytestmark = pytest.mark.django_db


@pytest.fixture
def day(today):
    return today - datetime.timedelta(days=1)


def test_one_behaviour_across_three_companies_is_one_sdk_cluster(three_apps, day):
    burst = file_sdk_burst(three_apps, day)
    for complaint in burst:  # one at a time, as the worker sees them
        complaints_cluster(complaint_ids=[complaint.pk])
    cluster = Cluster.objects.get()
    members = set(ClusterMembership.objects.values_list("complaint_id", flat=True))
    assert members == {c.pk for c in burst}
    assert (cluster.kind, cluster.sdk_id, cluster.company, cluster.size) == (
        "sdk",
        "umeng_push",
        None,
        9,
    )
    assert cluster.app_ids == sorted(a.pk for a in three_apps)
    assert cluster.company_ids == sorted(a.operator_id for a in three_apps)
    with translation.override("en"):
        assert cluster.why == (
            "9 complaints in “Collecting personal information unlawfully” about 3 apps of 3 "
            "companies whose inspections all found the SDK Umeng Push (made by 友盟同欣（北京）"
            "科技有限公司), with texts alike (similarity at least 70 of 100), each within 14 days "
            "of the last: one behaviour across companies points at the SDK they embed."
        )
    with translation.override("zh-hans"):
        assert "友盟推送" in cluster.why
    view = cluster_detail(cluster)
    assert view.sdk["name"] == "友盟推送" or view.sdk["name"] == "Umeng Push"
    assert view.companies == sorted(["天气科技", "趣读网络", "优选电商"])


def test_the_sdk_spanning_most_companies_is_chosen(day):
    x = CompanyFactory(name="X")
    x1, x2 = AppFactory(name="X一", operator=x), AppFactory(name="X二", operator=x)
    y = AppFactory(name="Y应用", operator=CompanyFactory(name="Y"))
    z = AppFactory(name="Z应用", operator=CompanyFactory(name="Z"))
    for one, sdks in ((x1, ["getui", "umeng_push"]), (x2, ["getui"]), (y, ["getui", "umeng_push"])):
        embed(one, *sdks)
    embed(z, "umeng_push")
    # Getui: four complaints of two companies; Umeng Push: three of three companies.
    burst = file_sdk_burst([x1, x2, x2, y, z], day, texts=[SDK_TEXTS[0]] * 5)
    complaints_cluster(complaint_ids=[c.pk for c in burst])
    cluster = Cluster.objects.get(kind="sdk")
    assert cluster.sdk_id == "umeng_push" and cluster.app_ids == sorted([x1.pk, y.pk, z.pk])


def test_an_attributed_complaint_tries_only_its_sdk(three_apps, day, rita):
    burst = file_sdk_burst(three_apps[::2], day, texts=SDK_TEXTS[:4])
    from inspections.services import sdk_attribute

    for complaint in burst:
        sdk_attribute(actor=rita, sdk_id="umeng_push", complaint=complaint)
    complaints_cluster(complaint_ids=[c.pk for c in burst])
    # Getui and Umeng Push both span the two companies (Getui, first by name, would win the
    # tie); the regulator's finding decides.
    assert Cluster.objects.get().sdk_id == "umeng_push"


def test_no_sdk_cluster_without_a_shared_sdk_a_second_company_or_an_sdk_harm(three_apps, day):
    lone = AppFactory(name="独立记账", operator=CompanyFactory())  # never inspected
    other = AppFactory(name="极速清理", operator=CompanyFactory())
    embed(other, "jpush")  # no SDK in common with the others
    sister = AppFactory(name="快看日历", operator=three_apps[0].operator)
    embed(sister, "umeng_push")
    # Not inspected: no SDK to share. One company only: its company cluster, as before.
    not_shared = file_sdk_burst([lone, other], day, texts=SDK_TEXTS[:2])
    same_company = file_sdk_burst([three_apps[0], sister], day, texts=SDK_TEXTS[2:6])
    # Fraud is not a harm an SDK causes: no SDK cluster though the apps share one.
    fraud = file_sdk_burst(three_apps, day, code="fraud", texts=SDK_TEXTS[6:9])
    complaints_cluster(complaint_ids=[c.pk for c in [*not_shared, *same_company, *fraud]])
    assert not Cluster.objects.filter(kind="sdk").exists()
    company_cluster = Cluster.objects.get(kind="company", category__code="illegal_collection")
    assert company_cluster.company == three_apps[0].operator
    assert set(company_cluster.memberships.values_list("complaint_id", flat=True)) == {
        c.pk for c in same_company
    }


def test_later_complaints_join_the_sdk_cluster_and_a_dismissed_one_gathers_none(
    three_apps, day, rita
):
    fourth = AppFactory(name="随手拍", operator=CompanyFactory())
    embed(fourth, "umeng_push")
    complaints_cluster(
        complaint_ids=[c.pk for c in file_sdk_burst(three_apps, day, texts=SDK_TEXTS[:4])]
    )
    cluster = Cluster.objects.get()
    size = cluster.size
    [late] = file_sdk_burst([fourth], day + datetime.timedelta(days=1), texts=SDK_TEXTS[4:5])
    assert complaints_cluster(complaint_ids=[late.pk]) == [cluster]
    cluster.refresh_from_db()
    assert (
        cluster.size == size + 1 and fourth.pk in cluster.app_ids and len(cluster.company_ids) == 4
    )
    # A company cluster of the same company and kind is not the SDK's (nor the reverse).
    assert (
        collective_hint_count(
            app=three_apps[0], category=category("illegal_collection"), description=""
        )
        == 0
    )
    from early_warning.services import cluster_dismiss

    cluster_dismiss(cluster=cluster, actor=rita, reason="已由 SDK 厂商整改")
    more = file_sdk_burst(three_apps, day + datetime.timedelta(days=1), texts=SDK_TEXTS[5:6])
    assert complaints_cluster(complaint_ids=[more[0].pk]) == []
    assert Cluster.objects.get().size == size + 1


def test_a_case_from_an_sdk_cluster_is_one_per_app_each_attributed(three_apps, day, rita):
    burst = file_sdk_burst(three_apps, day)
    complaints_cluster(complaint_ids=[c.pk for c in burst])
    cluster = Cluster.objects.get()
    first_case = cluster_case_open(cluster=cluster, actor=rita)
    cases = Case.objects.all()
    assert sorted(c.app_id for c in cases) == sorted(a.pk for a in three_apps)
    assert first_case.app == cluster.app
    attributions = SdkAttribution.objects.filter(case__in=cases)
    assert sorted(a.sdk_id for a in attributions) == ["umeng_push"] * 3
    for case in cases:
        assert sorted(case.complaints.values_list("pk", flat=True)) == sorted(
            c.pk for c in burst if c.app_id == case.app_id
        )
    # Every consumer heard together, told the SDK and their own app's case.
    told = Event.objects.filter(message__id="collective_case", public=True)
    assert {e.complaint_id for e in told} == {c.pk for c in burst}
    for event in told:
        params = event.message["params"]
        assert (params["count"], params["app"]) == (9, "Umeng Push")
        assert params["reference"] == event.complaint.case.reference


def test_a_company_cluster_of_a_burst_stays_one_without_sdk_scope(app, day):
    """The burst of one app stays a company cluster even when the app embeds SDKs."""
    embed(app, "umeng_push")
    complaints_cluster(complaint_ids=[c.pk for c in file_burst(app, day, BURST_TEXTS)])
    cluster = Cluster.objects.get()
    assert (cluster.kind, cluster.size, cluster.sdk_id) == ("company", 12, "")


def test_an_sdk_cluster_is_not_the_app_cluster_of_an_app_without_a_company(three_apps, day, rita):
    from inspections.services import sdk_attribute

    lone = AppFactory(name="独立记账", operator=None)
    embed(lone, "umeng_push", "getui")
    burst = file_sdk_burst([lone, *three_apps[:2]], day, texts=[SDK_TEXTS[0]] * 3)
    complaints_cluster(complaint_ids=[c.pk for c in burst])
    sdk_cluster = Cluster.objects.get()
    assert (sdk_cluster.kind, sdk_cluster.app, sdk_cluster.company) == ("sdk", lone, None)
    # Alike, about the same app, but a regulator found it is Getui's doing: not Umeng's cluster,
    # and not an app cluster of its own either (there is none).
    [later] = file_sdk_burst([lone], day, texts=[SDK_TEXTS[0]])
    sdk_attribute(actor=rita, sdk_id="getui", complaint=later)
    assert complaints_cluster(complaint_ids=[later.pk]) == []
    assert Cluster.objects.get().size == 3
