"""Collective complaints found by the platform: each newly classified complaint joins the live
cluster its words match, or founds one with the recent unclustered complaints that match it.

Incremental by design: a newcomer is compared with at most CLUSTER_EXEMPLARS texts of each
live cluster in its scope and category, and with at most CLUSTER_CANDIDATES recent
unclustered complaints, whatever the size of the table. The scope is the app's company (so
one behaviour across a company's apps, such as an SDK they all embed, is one cluster), or
the app alone when it has no company on record. Words come from the classifier's own
normalisation and segmentation (jieba for Chinese), compared with rapidfuzz.
"""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from rapidfuzz import fuzz, process

from classifier.text import normalise, segment
from complaints.models import App, Company, Complaint

from .models import Cluster, ClusterMembership

# A withdrawn complaint no longer stands for a consumer's problem.
WITHDRAWN = Complaint.Status.WITHDRAWN


def text_key(text: str) -> str:
    """The words a complaint is compared by: normalised (simplified, lower case, numbers and
    amounts folded) and segmented, so "扣了38元" and "扣了 1,299 元" read alike."""
    return segment(normalise(text[:2000]))


@dataclass
class _Newcomer:
    complaint: Complaint
    category_ids: list[int]
    key: str


def _scope(app: App) -> Q:
    """Clusters a complaint about `app` may join."""
    if app.operator_id:
        return Q(company_id=app.operator_id)
    return Q(app_id=app.pk, company__isnull=True)


def _complaint_scope(app: App) -> Q:
    """Complaints a new cluster about `app` may gather."""
    if app.operator_id:
        return Q(app__operator_id=app.operator_id)
    return Q(app_id=app.pk)


def _newcomers(complaint_ids: Sequence[int]) -> list[_Newcomer]:
    rows = (
        Complaint.objects.filter(pk__in=list(complaint_ids), app__isnull=False)
        .filter(erased_at__isnull=True, cluster_membership__isnull=True)
        .exclude(status=WITHDRAWN)
        .select_related("app")
        .prefetch_related("categories")
        .order_by("submitted_at", "pk")
    )
    found = []
    for complaint in rows:
        category_ids = sorted(c.pk for c in complaint.categories.all())
        if not category_ids and complaint.category_hint_id:
            category_ids = [complaint.category_hint_id]
        if category_ids:
            found.append(_Newcomer(complaint, category_ids, text_key(complaint.description)))
    return found


def _lock_scopes(newcomers: list[_Newcomer]) -> None:
    """One clustering at a time per company (or app): two workers never found twin clusters."""
    company_ids = sorted({n.complaint.app.operator_id for n in newcomers} - {None})
    app_ids = sorted({n.complaint.app_id for n in newcomers if not n.complaint.app.operator_id})
    list(Company.objects.select_for_update().filter(pk__in=company_ids).values_list("pk"))
    list(App.objects.select_for_update().filter(pk__in=app_ids).values_list("pk"))


def _best_cluster(newcomer: _Newcomer, window: datetime.timedelta) -> tuple[Cluster | None, float]:
    complaint = newcomer.complaint
    live = Cluster.objects.filter(
        _scope(complaint.app),
        category_id__in=newcomer.category_ids,
        last_at__gte=complaint.submitted_at - window,
        first_at__lte=complaint.submitted_at + window,
        dismissed_at__isnull=True,
    ).order_by("-last_at")[:50]
    best, best_score = None, 0.0
    for cluster in live:
        for exemplar in cluster.exemplars:
            score = fuzz.token_set_ratio(newcomer.key, exemplar["key"])
            if score > best_score:
                best, best_score = cluster, score
    if best_score < settings.CLUSTER_SIMILARITY:
        return None, best_score
    return best, best_score


def _matching_unclustered(
    newcomer: _Newcomer, window: datetime.timedelta, taken: set[int]
) -> list[tuple[Complaint, float]]:
    complaint = newcomer.complaint
    candidates = list(
        Complaint.objects.filter(
            _complaint_scope(complaint.app),
            Q(categories__in=newcomer.category_ids) | Q(category_hint__in=newcomer.category_ids),
            submitted_at__gte=complaint.submitted_at - window,
            submitted_at__lte=complaint.submitted_at + window,
            cluster_membership__isnull=True,
            erased_at__isnull=True,
        )
        .exclude(pk=complaint.pk)
        .exclude(status=WITHDRAWN)
        .exclude(pk__in=taken)
        .distinct()
        .order_by("-submitted_at")
        .only("id", "description", "submitted_at", "app_id")[: settings.CLUSTER_CANDIDATES]
    )
    by_pk = {c.pk: c for c in candidates}
    matches = process.extract(
        newcomer.key,
        {c.pk: text_key(c.description) for c in candidates},
        scorer=fuzz.token_set_ratio,
        processor=None,
        score_cutoff=settings.CLUSTER_SIMILARITY,
        limit=None,
    )
    return [(by_pk[pk], score) for _key, score, pk in matches]


def _add(cluster: Cluster, members: list[tuple[Complaint, float, str]], now) -> None:
    ClusterMembership.objects.bulk_create(
        [
            ClusterMembership(cluster=cluster, complaint=c, score=round(score, 1), joined_at=now)
            for c, score, _key in members
        ]
    )
    room = settings.CLUSTER_EXEMPLARS - len(cluster.exemplars)
    cluster.exemplars = [
        *cluster.exemplars,
        *({"id": c.pk, "key": key} for c, _score, key in members[: max(room, 0)]),
    ]
    cluster.size += len(members)
    cluster.first_at = min([cluster.first_at, *(c.submitted_at for c, _s, _k in members)])
    cluster.last_at = max([cluster.last_at, *(c.submitted_at for c, _s, _k in members)])
    cluster.save(update_fields=["exemplars", "size", "first_at", "last_at"])


@transaction.atomic
def complaints_cluster(*, complaint_ids: Sequence[int], now=None) -> list[Cluster]:
    """Put newly classified complaints into clusters; returns the clusters that changed.
    Running it twice changes nothing (a complaint belongs to one cluster at most)."""
    now = now or timezone.now()
    newcomers = _newcomers(complaint_ids)
    if not newcomers:
        return []
    _lock_scopes(newcomers)
    window = datetime.timedelta(days=settings.CLUSTER_WINDOW_DAYS)
    taken: set[int] = set()
    touched: dict[int, Cluster] = {}
    for newcomer in newcomers:
        complaint = newcomer.complaint
        if complaint.pk in taken:
            continue  # gathered by a cluster an earlier newcomer founded
        cluster, score = _best_cluster(newcomer, window)
        if cluster is not None:
            cluster = touched.get(cluster.pk, cluster)
            _add(cluster, [(complaint, score, newcomer.key)], now)
            taken.add(complaint.pk)
            touched[cluster.pk] = cluster
            continue
        matches = _matching_unclustered(newcomer, window, taken)
        if len(matches) + 1 < settings.CLUSTER_MIN_SIZE:
            continue
        cluster = Cluster.objects.create(
            app=complaint.app,
            company_id=complaint.app.operator_id,
            category_id=newcomer.category_ids[0],
            first_at=complaint.submitted_at,
            last_at=complaint.submitted_at,
            created_at=now,
        )
        members = [(complaint, 100.0, newcomer.key)] + [
            (match, score, text_key(match.description)) for match, score in matches
        ]
        _add(cluster, members, now)
        taken.update(c.pk for c, _s, _k in members)
        touched[cluster.pk] = cluster
    return list(touched.values())


def cluster_is_live(cluster: Cluster, *, now) -> bool:
    """Still gathering: not dismissed and its latest complaint within the window."""
    window = datetime.timedelta(days=settings.CLUSTER_WINDOW_DAYS)
    return cluster.dismissed_at is None and cluster.last_at >= now - window
