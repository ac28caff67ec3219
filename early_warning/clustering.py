"""Collective complaints found by the platform: each newly classified complaint joins the live
cluster its words match, or founds one with the recent unclustered complaints that match it.

Incremental by design: a newcomer is compared with at most CLUSTER_EXEMPLARS texts of each
live cluster in its scope and category, and with at most CLUSTER_CANDIDATES recent
unclustered complaints per category, whatever the size of the table. A batch (one
classification run) reads the live clusters once per scope and the candidates once per scope
and category, and writes its memberships in one statement. The scope is the app's company (so
one behaviour across a company's apps, such as an SDK they all embed, is one cluster), or the
app alone when it has no company on record. A complaint in a kind of problem an SDK can cause
(CLUSTER_SDK_CATEGORIES) about an app whose inspection found SDKs is first tried against the
SDK scope: alike complaints about apps of at least CLUSTER_SDK_MIN_COMPANIES companies that
embed one SDK (the one a regulator attributed it to, when there is one) form an SDK cluster;
otherwise it is clustered in its company as before. Words come from the classifier's own
normalisation and segmentation (jieba for Chinese), compared with rapidfuzz.
"""

import datetime
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import BigIntegerField, Case, F, Q, When, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from rapidfuzz import fuzz, process

from complaints.models import App, Company, Complaint
from complaints.services.bulk_writes import objects_insert, objects_update

from . import sdk_scope
from .models import Cluster, ClusterMembership

# A withdrawn complaint no longer stands for a consumer's problem.
WITHDRAWN = Complaint.Status.WITHDRAWN
# Live clusters read per scope and batch (the most recently active first).
LIVE_CLUSTERS_READ = 200


def text_key(text: str, app: App | None = None) -> str:
    """The words a complaint is compared by: normalised (simplified, lower case, numbers and
    amounts folded) and segmented, so "扣了38元" and "扣了 1,299 元" read alike. The app's own
    names are left out: complaints about one behaviour of different apps (sister apps, apps
    that embed one SDK) differ there and nowhere else."""
    # Imported here: the classifier's text module brings scikit-learn and jieba, which a web
    # process must not load at start (tests/integration/test_web_cold_start.py).
    from classifier.text import normalise, segment

    text = text[:2000]
    if app is not None:
        for name in sorted({app.name, *(app.aliases or [])}, key=len, reverse=True):
            if len(name) > 1:
                text = text.replace(name, " ")
    return segment(normalise(text))


@dataclass(frozen=True, slots=True)
class _AppSeen:
    """What clustering reads of a candidate's app: its company and the names left out of its
    words across apps."""

    pk: int
    operator_id: int | None
    name: str
    aliases: list


@dataclass(frozen=True, slots=True)
class _Candidate:
    """A recent unclustered complaint as clustering compares it: read as plain values, not as
    a model instance (making hundreds of those per scope and category was a fifth of a batch
    at 1,000,000 complaints, RESULTS.md)."""

    pk: int
    description: str
    submitted_at: datetime.datetime
    app_id: int
    app: _AppSeen


# The words of complaints segmented lately, by (complaint id, without the app's names), each
# with a check of the text and names it was made from. The same recent complaints are read as
# candidates batch after batch; segmenting them again was a third of a batch's clustering at
# 1,000,000 complaints (RESULTS.md). A text or app name that changed is segmented anew.
WORDS_KEPT = 20_000
_words_kept: OrderedDict[tuple[int, bool], tuple[int, str]] = OrderedDict()
_words_lock = threading.Lock()


def _words(pk: int, text: str, app, app_free: bool) -> str:
    """`text_key` of a complaint, from the words kept when its text (and, without the app's
    names, the app's names) are those it was made from."""
    names = (app.name, tuple(app.aliases or ())) if app_free and app is not None else None
    check = hash((text, names))
    with _words_lock:
        kept = _words_kept.get((pk, app_free))
        if kept is not None and kept[0] == check:
            _words_kept.move_to_end((pk, app_free))
            return kept[1]
    words = text_key(text, app if app_free else None)
    with _words_lock:
        _words_kept[(pk, app_free)] = (check, words)
        while len(_words_kept) > WORDS_KEPT:
            _words_kept.popitem(last=False)
    return words


def words_forget() -> None:
    """Keep no words segmented so far (tests)."""
    with _words_lock:
        _words_kept.clear()


@dataclass
class _Newcomer:
    complaint: Complaint
    category_ids: list[int]
    key: str
    # Its words without the app's names, compared in the SDK scope (across apps).
    sdk_key: str = ""
    # SDKs whose scope to try first, and the categories in which an SDK can be the cause.
    sdk_ids: list[str] = field(default_factory=list)
    sdk_category_ids: list[int] = field(default_factory=list)

    @property
    def scope(self) -> tuple[str, int]:
        app = self.complaint.app
        return ("company", app.operator_id) if app.operator_id else ("app", app.pk)


@dataclass
class _Batch:
    """What one run has read and decided, so each scope and category is read once."""

    window: datetime.timedelta
    now: datetime.datetime
    newcomers: list[_Newcomer]
    clusters: dict[tuple, list[Cluster]] = field(default_factory=dict)
    candidates: dict[tuple, list[tuple[_Candidate, str]]] = field(default_factory=dict)
    taken: set[int] = field(default_factory=set)
    touched: dict[int, Cluster] = field(default_factory=dict)
    members: list[ClusterMembership] = field(default_factory=list)
    apps: dict[int, _AppSeen] = field(default_factory=dict)


def _newcomers(complaint_ids: Sequence[int]) -> list[_Newcomer]:
    rows = (
        Complaint.objects.filter(pk__in=list(complaint_ids), app__isnull=False)
        .filter(erased_at__isnull=True, cluster_membership__isnull=True)
        .exclude(status=WITHDRAWN)
        .select_related("app")
        # What clustering reads of a newcomer and its app (the candidates' query reads the
        # same): not the contact details, decrypted for nothing, nor the app's other JSON.
        .only(
            "id",
            "description",
            "submitted_at",
            "category_hint_id",
            "app_id",
            "app__operator_id",
            "app__name",
            "app__aliases",
        )
        .prefetch_related("categories")
        .order_by("submitted_at", "pk")
    )
    found = []
    for complaint in rows:
        category_ids = sorted(c.pk for c in complaint.categories.all())
        if not category_ids and complaint.category_hint_id:
            category_ids = [complaint.category_hint_id]
        if category_ids:
            words = _words(complaint.pk, complaint.description, complaint.app, app_free=False)
            found.append(_Newcomer(complaint, category_ids, words))
    if not found:
        return found
    harms = sdk_scope.sdk_harm_category_ids()
    embedded = sdk_scope.embedded_by_app({n.complaint.app_id for n in found})
    attributed = sdk_scope.attributed(n.complaint.pk for n in found)
    for newcomer in found:
        newcomer.sdk_category_ids = [pk for pk in newcomer.category_ids if pk in harms]
        sdks = embedded.get(newcomer.complaint.app_id, [])
        chosen = attributed.get(newcomer.complaint.pk)
        if newcomer.sdk_category_ids and sdks:
            newcomer.sdk_ids = [chosen] if chosen in sdks else sdks
            complaint = newcomer.complaint
            newcomer.sdk_key = _words(complaint.pk, complaint.description, complaint.app, True)
    return found


def _lock_scopes(newcomers: list[_Newcomer]) -> None:
    """One clustering at a time per company (or app): two workers never found twin clusters."""
    scopes = {n.scope for n in newcomers}
    company_ids = sorted(pk for kind, pk in scopes if kind == "company")
    app_ids = sorted(pk for kind, pk in scopes if kind == "app")
    list(Company.objects.select_for_update().filter(pk__in=company_ids).values_list("pk"))
    list(App.objects.select_for_update().filter(pk__in=app_ids).values_list("pk"))
    sdk_scope.lock_sdks({sdk_id for n in newcomers for sdk_id in n.sdk_ids})


def _span(newcomers: list[_Newcomer], window: datetime.timedelta) -> tuple:
    times = [n.complaint.submitted_at for n in newcomers]
    return min(times) - window, max(times) + window


def _in_scope(scope) -> Q:
    kind, pk = scope
    if kind == "sdk":
        return Q(kind=Cluster.Kind.SDK, sdk_id=pk)
    if kind == "company":
        return Q(kind=Cluster.Kind.COMPANY, company_id=pk)
    return Q(kind=Cluster.Kind.APP, app_id=pk)


def _scope_of(cluster: Cluster) -> tuple[str, int]:
    if cluster.kind == Cluster.Kind.SDK:
        return ("sdk", cluster.sdk_id)
    if cluster.kind == Cluster.Kind.COMPANY:
        return ("company", cluster.company_id)
    return ("app", cluster.app_id)


def _live_clusters_read(batch: _Batch, by_scope: dict[tuple, list[_Newcomer]]) -> None:
    """The live clusters of each scope, as `_live_clusters` reads one (in the scope, alive
    within the window of its newcomers, not dismissed, the LIVE_CLUSTERS_READ most recently
    active), for all the scopes of a batch in one query: a batch of complaints about many
    companies read them one company at a time."""
    scopes = [scope for scope in by_scope if scope not in batch.clusters]
    if not scopes:
        return
    alive = Q()
    for scope in scopes:
        low, high = _span(by_scope[scope], batch.window)
        alive |= _in_scope(scope) & Q(last_at__gte=low, first_at__lte=high)
        batch.clusters[scope] = []
    # A scope is the kind with its SDK, or its company, or its app (a company's clusters name
    # the app that founded each, so the app alone does not tell them apart).
    owner = Case(
        When(kind=Cluster.Kind.COMPANY, then=F("company_id")),
        When(kind=Cluster.Kind.APP, then=F("app_id")),
        output_field=BigIntegerField(),
    )
    scope = [F("kind"), F("sdk_id"), owner]
    rows = (
        Cluster.objects.filter(alive, dismissed_at__isnull=True)
        .annotate(place=Window(RowNumber(), partition_by=scope, order_by=F("last_at").desc()))
        .filter(place__lte=LIVE_CLUSTERS_READ)
        .order_by("-last_at")
    )
    for cluster in rows:
        batch.clusters[_scope_of(cluster)].append(cluster)


def _live_clusters(batch: _Batch, scope, newcomers: list[_Newcomer]) -> list[Cluster]:
    if scope not in batch.clusters:
        _live_clusters_read(batch, {scope: newcomers})
    return batch.clusters[scope]


def _key(complaint: _Candidate, app_free: bool) -> str:
    """The complaint's words, segmented once in a while (one complaint is a candidate in each
    SDK scope its app embeds and in batch after batch, and segmenting is most of the work)."""
    return _words(complaint.pk, complaint.description, complaint.app, app_free)


def _candidates(batch: _Batch, scope, category_id: int, newcomers) -> list[tuple[_Candidate, str]]:
    """Recent unclustered complaints in the scope and category, read once per batch."""
    if (scope, category_id) not in batch.candidates:
        low, high = _span(newcomers, batch.window)
        kind, pk = scope
        if kind == "sdk":
            in_scope = Q(app_id__in=sdk_scope.apps_embedding(pk))
        else:
            in_scope = Q(app__operator_id=pk) if kind == "company" else Q(app_id=pk)
        rows = (
            Complaint.objects.filter(in_scope, submitted_at__gte=low, submitted_at__lte=high)
            .filter(Q(categories=category_id) | Q(category_hint_id=category_id))
            .filter(cluster_membership__isnull=True, erased_at__isnull=True)
            .exclude(status=WITHDRAWN)
            .distinct()
            .order_by("-submitted_at")
            .values_list(
                "id",
                "description",
                "submitted_at",
                "app_id",
                "app__operator_id",
                "app__name",
                "app__aliases",
            )[: settings.CLUSTER_CANDIDATES]
        )
        app_free = kind == "sdk"  # across apps, their names are noise
        candidates = []
        for pk, description, submitted_at, app_id, operator_id, name, aliases in rows:
            app = batch.apps.get(app_id)
            if app is None:
                app = batch.apps[app_id] = _AppSeen(app_id, operator_id, name, aliases)
            candidate = _Candidate(pk, description, submitted_at, app_id, app)
            candidates.append((candidate, _key(candidate, app_free)))
        batch.candidates[(scope, category_id)] = candidates
    return batch.candidates[(scope, category_id)]


def _add(batch: _Batch, cluster: Cluster, members: list[tuple[Complaint, float, str]]) -> None:
    batch.members += [
        ClusterMembership(
            cluster=cluster, complaint_id=c.pk, score=round(score, 1), joined_at=batch.now
        )
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
    cluster.app_ids = sorted({*cluster.app_ids, *(c.app_id for c, _s, _k in members)})
    companies = {c.app.operator_id for c, _s, _k in members} - {None}
    cluster.company_ids = sorted({*cluster.company_ids, *companies})
    batch.taken.update(c.pk for c, _s, _k in members)
    batch.touched[cluster.pk] = cluster


def _best_live(batch: _Batch, scope, newcomer: _Newcomer, key, category_ids, span) -> tuple:
    """The live cluster of the scope, in one of the categories, whose exemplars the newcomer's
    words (key) match best, with the score."""
    when = newcomer.complaint.submitted_at
    best, best_score = None, 0.0
    for cluster in _live_clusters(batch, scope, span):
        if cluster.category_id not in category_ids:
            continue
        if cluster.last_at < when - batch.window or cluster.first_at > when + batch.window:
            continue
        for exemplar in cluster.exemplars:
            score = fuzz.token_set_ratio(key, exemplar["key"])
            if score > best_score:
                best, best_score = cluster, score
    return best, best_score


def _matches(batch: _Batch, scope, newcomer: _Newcomer, key, category_ids, span) -> list:
    """Recent unclustered complaints of the scope whose words match the newcomer's (key):
    (complaint, score, words), best first."""
    complaint, when = newcomer.complaint, newcomer.complaint.submitted_at
    pool: dict[int, tuple[Complaint, str]] = {}
    for category_id in category_ids:
        for candidate, words in _candidates(batch, scope, category_id, span):
            if (
                candidate.pk != complaint.pk
                and candidate.pk not in batch.taken
                and abs(candidate.submitted_at - when) <= batch.window
            ):
                pool[candidate.pk] = (candidate, words)
    found = process.extract(
        key,
        {pk: words for pk, (_c, words) in pool.items()},
        scorer=fuzz.token_set_ratio,
        processor=None,
        score_cutoff=settings.CLUSTER_SIMILARITY,
        limit=None,
    )
    return [(pool[pk][0], score, pool[pk][1]) for _key, score, pk in found]


def _found(batch: _Batch, scope, newcomer: _Newcomer, key, category_id: int, matches, **fields):
    complaint, when = newcomer.complaint, newcomer.complaint.submitted_at
    cluster = Cluster.objects.create(
        app=complaint.app,
        category_id=category_id,
        first_at=when,
        last_at=when,
        created_at=batch.now,
        **fields,
    )
    batch.clusters[scope].append(cluster)
    _add(batch, cluster, [(complaint, 100.0, key), *matches])


def _owners(complaints) -> int:
    """How many companies the complaints are about (an app without a company counts alone)."""
    return len({c.app.operator_id or f"app {c.app_id}" for c in complaints})


def _place_sdk(batch: _Batch, newcomer: _Newcomer) -> bool:
    """Join or found an SDK cluster; False when no SDK scope fits."""
    span = batch.newcomers
    best, best_score = None, 0.0
    for sdk_id in newcomer.sdk_ids:
        cluster, score = _best_live(
            batch, ("sdk", sdk_id), newcomer, newcomer.sdk_key, newcomer.sdk_category_ids, span
        )
        if cluster is not None and score > best_score:
            best, best_score = cluster, score
    if best is not None and best_score >= settings.CLUSTER_SIMILARITY:
        _add(batch, best, [(newcomer.complaint, best_score, newcomer.sdk_key)])
        return True
    chosen, chosen_rank = None, None
    for sdk_id in newcomer.sdk_ids:
        scope, categories = ("sdk", sdk_id), newcomer.sdk_category_ids
        matches = _matches(batch, scope, newcomer, newcomer.sdk_key, categories, span)
        owners = _owners([newcomer.complaint, *(c for c, _s, _k in matches)])
        if (
            len(matches) + 1 < settings.CLUSTER_MIN_SIZE
            or owners < settings.CLUSTER_SDK_MIN_COMPANIES
        ):
            continue
        # The SDK that spans the most companies, then gathers the most complaints.
        rank = (owners, len(matches))
        if chosen_rank is None or rank > chosen_rank:
            chosen, chosen_rank = (sdk_id, matches), rank
    if chosen is None:
        return False
    sdk_id, matches = chosen
    category_id = newcomer.sdk_category_ids[0]
    scope, key = ("sdk", sdk_id), newcomer.sdk_key
    _found(batch, scope, newcomer, key, category_id, matches, kind="sdk", sdk_id=sdk_id)
    return True


def _place(batch: _Batch, newcomer: _Newcomer, same_scope: list[_Newcomer]) -> None:
    if newcomer.sdk_ids and _place_sdk(batch, newcomer):
        return
    scope, categories = newcomer.scope, newcomer.category_ids
    best, best_score = _best_live(batch, scope, newcomer, newcomer.key, categories, same_scope)
    if best is not None and best_score >= settings.CLUSTER_SIMILARITY:
        _add(batch, best, [(newcomer.complaint, best_score, newcomer.key)])
        return
    matches = _matches(batch, scope, newcomer, newcomer.key, categories, same_scope)
    if len(matches) + 1 < settings.CLUSTER_MIN_SIZE:
        return
    company_id = newcomer.complaint.app.operator_id
    kind = Cluster.Kind.COMPANY if company_id else Cluster.Kind.APP
    fields = {"kind": kind, "company_id": company_id}
    _found(batch, scope, newcomer, newcomer.key, categories[0], matches, **fields)


@transaction.atomic
def complaints_cluster(*, complaint_ids: Sequence[int], now=None) -> list[Cluster]:
    """Put newly classified complaints into clusters; returns the clusters that changed.
    Running it twice changes nothing (a complaint belongs to one cluster at most)."""
    newcomers = _newcomers(complaint_ids)
    if not newcomers:
        return []
    _lock_scopes(newcomers)
    batch = _Batch(
        window=datetime.timedelta(days=settings.CLUSTER_WINDOW_DAYS),
        now=now or timezone.now(),
        newcomers=newcomers,
    )
    by_scope: dict[tuple, list[_Newcomer]] = {}
    for newcomer in newcomers:
        by_scope.setdefault(newcomer.scope, []).append(newcomer)
    _live_clusters_read(batch, by_scope)  # SDK scopes are read as newcomers come to them
    for newcomer in newcomers:
        if newcomer.complaint.pk not in batch.taken:  # else gathered by a cluster just founded
            _place(batch, newcomer, by_scope[newcomer.scope])
    # One statement each for the memberships and for every cluster they changed (a save per
    # cluster was a third of a batch's clustering when its complaints spanned many apps).
    objects_insert(batch.members)
    touched = list(batch.touched.values())
    objects_update(touched, ["exemplars", "size", "first_at", "last_at", "app_ids", "company_ids"])
    return touched
