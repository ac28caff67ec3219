"""Collective complaints found by the platform: each newly classified complaint joins the live
cluster its words match, or founds one with the recent unclustered complaints that match it.

Incremental by design: a newcomer is compared with at most CLUSTER_EXEMPLARS texts of each
live cluster in its scope and category, and with at most CLUSTER_CANDIDATES recent
unclustered complaints per category, whatever the size of the table. A batch (one
classification run) reads the live clusters once per scope and the candidates once per scope
and category, and writes its memberships in one statement. The scope is the app's company (so
one behaviour across a company's apps, such as an SDK they all embed, is one cluster), or the
app alone when it has no company on record. Words come from the classifier's own
normalisation and segmentation (jieba for Chinese), compared with rapidfuzz.
"""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from rapidfuzz import fuzz, process

from complaints.models import App, Company, Complaint

from .models import Cluster, ClusterMembership

# A withdrawn complaint no longer stands for a consumer's problem.
WITHDRAWN = Complaint.Status.WITHDRAWN
# Live clusters read per scope and batch (the most recently active first).
LIVE_CLUSTERS_READ = 200


def text_key(text: str) -> str:
    """The words a complaint is compared by: normalised (simplified, lower case, numbers and
    amounts folded) and segmented, so "扣了38元" and "扣了 1,299 元" read alike."""
    # Imported here: the classifier's text module brings scikit-learn and jieba, which a web
    # process must not load at start (tests/integration/test_web_cold_start.py).
    from classifier.text import normalise, segment

    return segment(normalise(text[:2000]))


@dataclass
class _Newcomer:
    complaint: Complaint
    category_ids: list[int]
    key: str

    @property
    def scope(self) -> tuple[str, int]:
        app = self.complaint.app
        return ("company", app.operator_id) if app.operator_id else ("app", app.pk)


@dataclass
class _Batch:
    """What one run has read and decided, so each scope and category is read once."""

    window: datetime.timedelta
    now: datetime.datetime
    clusters: dict[tuple, list[Cluster]] = field(default_factory=dict)
    candidates: dict[tuple, list[tuple[Complaint, str]]] = field(default_factory=dict)
    taken: set[int] = field(default_factory=set)
    touched: dict[int, Cluster] = field(default_factory=dict)
    members: list[ClusterMembership] = field(default_factory=list)


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
    scopes = {n.scope for n in newcomers}
    company_ids = sorted(pk for kind, pk in scopes if kind == "company")
    app_ids = sorted(pk for kind, pk in scopes if kind == "app")
    list(Company.objects.select_for_update().filter(pk__in=company_ids).values_list("pk"))
    list(App.objects.select_for_update().filter(pk__in=app_ids).values_list("pk"))


def _span(newcomers: list[_Newcomer], window: datetime.timedelta) -> tuple:
    times = [n.complaint.submitted_at for n in newcomers]
    return min(times) - window, max(times) + window


def _live_clusters(batch: _Batch, scope, newcomers: list[_Newcomer]) -> list[Cluster]:
    if scope not in batch.clusters:
        low, high = _span(newcomers, batch.window)
        kind, pk = scope
        in_scope = Q(company_id=pk) if kind == "company" else Q(app_id=pk, company__isnull=True)
        batch.clusters[scope] = list(
            Cluster.objects.filter(in_scope, last_at__gte=low, first_at__lte=high)
            .filter(dismissed_at__isnull=True)
            .order_by("-last_at")[:LIVE_CLUSTERS_READ]
        )
    return batch.clusters[scope]


def _candidates(batch: _Batch, scope, category_id: int, newcomers) -> list[tuple[Complaint, str]]:
    """Recent unclustered complaints in the scope and category, read once per batch."""
    if (scope, category_id) not in batch.candidates:
        low, high = _span(newcomers, batch.window)
        kind, pk = scope
        in_scope = Q(app__operator_id=pk) if kind == "company" else Q(app_id=pk)
        rows = (
            Complaint.objects.filter(in_scope, submitted_at__gte=low, submitted_at__lte=high)
            .filter(Q(categories=category_id) | Q(category_hint_id=category_id))
            .filter(cluster_membership__isnull=True, erased_at__isnull=True)
            .exclude(status=WITHDRAWN)
            .distinct()
            .order_by("-submitted_at")
            .only("id", "description", "submitted_at", "app_id")[: settings.CLUSTER_CANDIDATES]
        )
        batch.candidates[(scope, category_id)] = [(c, text_key(c.description)) for c in rows]
    return batch.candidates[(scope, category_id)]


def _add(batch: _Batch, cluster: Cluster, members: list[tuple[Complaint, float, str]]) -> None:
    batch.members += [
        ClusterMembership(cluster=cluster, complaint=c, score=round(score, 1), joined_at=batch.now)
        for c, score, _key in members
    ]
    room = max(settings.CLUSTER_EXEMPLARS - len(cluster.exemplars), 0)
    cluster.exemplars = [
        *cluster.exemplars,
        *({"id": c.pk, "key": key} for c, _score, key in members[:room]),
    ]
    cluster.size += len(members)
    cluster.first_at = min([cluster.first_at, *(c.submitted_at for c, _s, _k in members)])
    cluster.last_at = max([cluster.last_at, *(c.submitted_at for c, _s, _k in members)])
    batch.taken.update(c.pk for c, _s, _k in members)
    batch.touched[cluster.pk] = cluster


def _place(batch: _Batch, newcomer: _Newcomer, same_scope: list[_Newcomer]) -> None:
    complaint, when = newcomer.complaint, newcomer.complaint.submitted_at
    best, best_score = None, 0.0
    for cluster in _live_clusters(batch, newcomer.scope, same_scope):
        if cluster.category_id not in newcomer.category_ids:
            continue
        if cluster.last_at < when - batch.window or cluster.first_at > when + batch.window:
            continue
        for exemplar in cluster.exemplars:
            score = fuzz.token_set_ratio(newcomer.key, exemplar["key"])
            if score > best_score:
                best, best_score = cluster, score
    if best is not None and best_score >= settings.CLUSTER_SIMILARITY:
        _add(batch, best, [(complaint, best_score, newcomer.key)])
        return
    pool: dict[int, tuple[Complaint, str]] = {}
    for category_id in newcomer.category_ids:
        for candidate, key in _candidates(batch, newcomer.scope, category_id, same_scope):
            if (
                candidate.pk != complaint.pk
                and candidate.pk not in batch.taken
                and abs(candidate.submitted_at - when) <= batch.window
            ):
                pool[candidate.pk] = (candidate, key)
    matches = process.extract(
        newcomer.key,
        {pk: key for pk, (_c, key) in pool.items()},
        scorer=fuzz.token_set_ratio,
        processor=None,
        score_cutoff=settings.CLUSTER_SIMILARITY,
        limit=None,
    )
    if len(matches) + 1 < settings.CLUSTER_MIN_SIZE:
        return
    cluster = Cluster.objects.create(
        app=complaint.app,
        company_id=complaint.app.operator_id,
        category_id=newcomer.category_ids[0],
        first_at=when,
        last_at=when,
        created_at=batch.now,
    )
    batch.clusters[newcomer.scope].append(cluster)
    members = [(complaint, 100.0, newcomer.key)]
    members += [(pool[pk][0], score, pool[pk][1]) for _key, score, pk in matches]
    _add(batch, cluster, members)


@transaction.atomic
def complaints_cluster(*, complaint_ids: Sequence[int], now=None) -> list[Cluster]:
    """Put newly classified complaints into clusters; returns the clusters that changed.
    Running it twice changes nothing (a complaint belongs to one cluster at most)."""
    newcomers = _newcomers(complaint_ids)
    if not newcomers:
        return []
    _lock_scopes(newcomers)
    batch = _Batch(
        window=datetime.timedelta(days=settings.CLUSTER_WINDOW_DAYS), now=now or timezone.now()
    )
    by_scope: dict[tuple, list[_Newcomer]] = {}
    for newcomer in newcomers:
        by_scope.setdefault(newcomer.scope, []).append(newcomer)
    for newcomer in newcomers:
        if newcomer.complaint.pk not in batch.taken:  # else gathered by a cluster just founded
            _place(batch, newcomer, by_scope[newcomer.scope])
    ClusterMembership.objects.bulk_create(batch.members)
    for cluster in batch.touched.values():
        cluster.save(update_fields=["exemplars", "size", "first_at", "last_at"])
    return list(batch.touched.values())
