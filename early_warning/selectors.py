"""Early warning's reads: clusters with their growth and shared evidence, alerts with the
complaints behind them, the filing hint and the scorecard's response quality."""

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone
from rapidfuzz import fuzz

from complaints.models import App, Category, Company, Complaint, Evidence
from inspections.models import AppInspection

from .clustering import text_key
from .models import Alert, Cluster, ResponseQuality
from .sdk_scope import sdk_facts

GROWTH_DAYS = 7
REPRESENTATIVES = 3


@dataclass
class ClusterView:
    cluster: Cluster
    daily: list[tuple[datetime.date, int]]
    growth_per_day: float
    members: list[Complaint] = field(default_factory=list)
    representatives: list[Complaint] = field(default_factory=list)
    shared_words: list[str] = field(default_factory=list)
    evidence_files: int = 0
    apps: list[str] = field(default_factory=list)
    shared_sdks: list[str] = field(default_factory=list)
    companies: list[str] = field(default_factory=list)
    sdk: dict | None = None

    @property
    def live(self) -> bool:
        return self.cluster.dismissed_at is None and self.cluster.case_id is None

    @property
    def dismissed_flag(self) -> bool:
        return self.cluster.dismissed_at is not None


def _daily(cluster_ids: list[int], today: datetime.date) -> dict[int, dict]:
    first = today - datetime.timedelta(days=GROWTH_DAYS - 1)
    zone = timezone.get_current_timezone()
    start = datetime.datetime.combine(first, datetime.time.min, tzinfo=zone)
    rows = (
        Complaint.objects.filter(
            cluster_membership__cluster_id__in=cluster_ids, submitted_at__gte=start
        )
        .annotate(day=TruncDate("submitted_at"))
        .values("cluster_membership__cluster_id", "day")
        .annotate(n=Count("pk"))
    )
    found: dict[int, dict] = defaultdict(dict)
    for row in rows:
        found[row["cluster_membership__cluster_id"]][row["day"]] = row["n"]
    return found


def _views(clusters: list[Cluster], now) -> list[ClusterView]:
    today = timezone.localdate(now)
    days = [today - datetime.timedelta(days=i) for i in range(GROWTH_DAYS - 1, -1, -1)]
    daily = _daily([c.pk for c in clusters], today)
    views = []
    for cluster in clusters:
        counts = [(d, daily[cluster.pk].get(d, 0)) for d in days]
        views.append(
            ClusterView(
                cluster=cluster,
                daily=counts,
                growth_per_day=round(sum(n for _d, n in counts) / GROWTH_DAYS, 2),
                sdk=sdk_facts(cluster.sdk_id) if cluster.sdk_id else None,
            )
        )
    return views


def clusters_queryset(*, include_closed: bool = True, kind: str = ""):
    """Clusters, latest activity first (live ones only unless include_closed; of one kind when
    kind is given)."""
    rows = Cluster.objects.select_related("app", "company", "category", "case")
    if kind:
        rows = rows.filter(kind=kind)
    if not include_closed:
        rows = rows.filter(dismissed_at__isnull=True, case__isnull=True)
    return rows.order_by("-last_at", "-pk")


def clusters_list(
    *, now=None, include_closed: bool = False, kind: str = "", limit: int = 200
) -> list[ClusterView]:
    """Clusters with their growth: the live ones (not dismissed, no case yet) unless
    include_closed."""
    rows = clusters_queryset(include_closed=include_closed, kind=kind)[:limit]
    return _views(list(rows), now or timezone.now())


def _members(cluster_ids: list[int]) -> dict[int, list[Complaint]]:
    found = defaultdict(list)
    for complaint in (
        Complaint.objects.filter(cluster_membership__cluster_id__in=cluster_ids)
        .select_related("app", "cluster_membership")
        .order_by("submitted_at", "pk")
    ):
        found[complaint.cluster_membership.cluster_id].append(complaint)
    return found


def cluster_views_with_members(clusters: list[Cluster], *, now=None) -> list[ClusterView]:
    """Clusters with growth and members, in three queries whatever their number (the API)."""
    views = _views(list(clusters), now or timezone.now())
    members = _members([v.cluster.pk for v in views])
    for view in views:
        view.members = members[view.cluster.pk]
    return views


def cluster_detail(cluster: Cluster, *, now=None) -> ClusterView:
    """One cluster with its members, the texts that stand for it and what they share."""
    view = cluster_views_with_members([cluster], now=now)[0]
    members = view.members
    view.representatives = sorted(
        members, key=lambda c: (-c.cluster_membership.score, c.submitted_at)
    )[:REPRESENTATIVES]
    counts = Counter(
        w
        for c in members
        for w in {word.removeprefix("not_") for word in text_key(c.description).split()}
        if len(w) > 1
    )
    half = max(2, (len(members) + 1) // 2)
    view.shared_words = [w for w, n in counts.most_common(12) if n >= half][:8]
    view.evidence_files = Evidence.objects.filter(complaint__in=members).count()
    view.apps = sorted({c.app.name for c in members})
    view.shared_sdks = _shared_sdks({c.app for c in members})
    company_ids = {c.app.operator_id for c in members} - {None}
    view.companies = sorted(
        Company.objects.filter(pk__in=company_ids).values_list("name", flat=True)
    )
    return view


def _shared_sdks(apps) -> list[str]:
    """Third-party SDKs that the latest inspection found in every app of the cluster (a
    behaviour they share may come from one SDK); empty when an app was never inspected."""
    shared = None
    for app in apps:
        latest = (
            AppInspection.objects.filter(app=app, status=AppInspection.Status.DONE)
            .order_by("-inspected_at")
            .first()
        )
        if latest is None:
            return []
        found = {sdk["name"] for sdk in latest.sdks}
        shared = found if shared is None else shared & found
    return sorted(shared or [])


def alerts_list(*, include_dismissed: bool = False, limit: int = 200) -> list[Alert]:
    rows = Alert.objects.select_related("app", "category", "company").annotate(
        complaint_count=Count("complaints")
    )
    if not include_dismissed:
        rows = rows.filter(dismissed_at__isnull=True)
    return list(rows.order_by("-created_at", "-pk")[:limit])


def alert_complaints(alert: Alert, *, limit: int = 100) -> list[Complaint]:
    return list(alert.complaints.select_related("app").order_by("-submitted_at")[:limit])


def collective_hint_count(*, app: App, category: Category, description: str = "", now=None) -> int:
    """For the filing form: how many complaints the live cluster this one would join holds
    (the largest about this app's company, or app, and kind when no text is given yet);
    0 when there is none."""
    now = now or timezone.now()
    if app.operator_id:
        scope = Q(kind=Cluster.Kind.COMPANY, company_id=app.operator_id)
    else:
        scope = Q(kind=Cluster.Kind.APP, app=app)
    window = datetime.timedelta(days=settings.CLUSTER_WINDOW_DAYS)
    live = Cluster.objects.filter(
        scope, category=category, dismissed_at__isnull=True, last_at__gte=now - window
    ).only("size", "exemplars")
    if not description.strip():
        return max((c.size for c in live), default=0)
    key = text_key(description)
    return max(
        (
            c.size
            for c in live
            if any(
                fuzz.token_set_ratio(key, e["key"]) >= settings.CLUSTER_SIMILARITY
                for e in c.exemplars
            )
        ),
        default=0,
    )


def response_quality_figures(company: Company) -> dict | None:
    """The operator's last measured response quality, for its public scorecard."""
    quality = ResponseQuality.objects.filter(company=company).first()
    if quality is None:
        return None
    return {
        "measured_date": quality.measured_date,
        "replies": quality.replies,
        "boilerplate_rate": quality.boilerplate_rate,
        "due": quality.due,
        "zero_reply_rate": quality.zero_reply_rate,
        "hollow_closes": quality.hollow_closes,
        "days": settings.RESPONSE_QUALITY_DAYS,
    }
