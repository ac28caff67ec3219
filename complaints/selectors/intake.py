"""Reads for filing a complaint: finding the app the consumer means, and spotting duplicates
(their own open complaints, or many alike lately) before filing.
"""

import datetime
import functools
import threading
import time
from dataclasses import dataclass, field

import opencc
from django.conf import settings
from django.db import connections
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.module_loading import import_string
from rapidfuzz import fuzz, process, utils

from .. import workflow
from ..lookups import ID_MAX
from ..models import App, Category, Complaint, ComplaintStat
from ..prepared import prepared_cursor
from .stats.shared import PUBLIC, shared_figures

S = Complaint.Status


_T2S = opencc.OpenCC("t2s")


# --- app search -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AppMatch:
    app: App
    score: float
    matched: str  # the name, alias or package name that matched


@functools.lru_cache(maxsize=65536)
def _search_key(value: str) -> str:
    # Traditional characters read as simplified; case and punctuation do not count. Kept per
    # label: converting every registry name on each search was most of a search's CPU
    # (RESULTS.md, "The filing form on one page").
    return utils.default_process(_T2S.convert(value))


@dataclass(frozen=True)
class _Registry:
    """The registry as the search reads it: each app's id, name, aliases, package name and
    platform, and every label it can be found by, as its search key."""

    apps: dict[int, App]
    choices: dict[tuple[int, str], str]
    made_at: float  # time.monotonic()
    changes: int  # App.changes_here when it was made
    # (search key, limit, cut-off) -> (app id, score, label) best first: the answers this copy
    # has given. The same names are searched again and again (each consumer types the app they
    # use), and scoring every label was a third of a search's CPU.
    answers: dict[tuple[str, int, float], list[tuple[int, float, str]]] = field(
        default_factory=dict
    )


ANSWERS_KEPT = 4096


_registry: _Registry | None = None
_registry_making = threading.Lock()


def app_search_forget() -> None:
    """Make the search's copy of the registry again at the next search, in this process."""
    global _registry
    _registry = None


def _registry_read() -> _Registry:
    """The copy of the registry every search in this process reads: made again when an app
    was saved or deleted here, and at least every APP_SEARCH_REGISTRY_SECONDS, which is how
    long another process's change (an admin's edit on another web worker) can take to be
    offered here. Loading each app and keying its labels was most of a search's CPU, with
    the registry itself unchanged between searches."""
    global _registry
    registry = _registry
    if registry is not None and _fresh(registry):
        return registry
    with _registry_making:  # one thread makes it; the others wait, then read it
        registry = _registry
        if registry is not None and _fresh(registry):
            return registry
        changes = App.changes_here
        apps = {
            app.pk: app
            for app in App.objects.only("id", "name", "aliases", "package_name", "platform")
        }
        choices: dict[tuple[int, str], str] = {}
        for app in apps.values():
            for label in [app.name, *(app.aliases or []), app.package_name]:
                if label:
                    choices[(app.pk, label)] = _search_key(label)
        registry = _Registry(apps, choices, time.monotonic(), changes)
        _registry = registry
        return registry


def _fresh(registry: _Registry) -> bool:
    return (
        registry.changes == App.changes_here
        and time.monotonic() - registry.made_at < settings.APP_SEARCH_REGISTRY_SECONDS
    )


def app_search(query: str, *, limit: int = 8, score_cutoff: float = 60) -> list[AppMatch]:
    """Registry apps whose name, alias or package name look like `query`, best first."""
    query_key = _search_key(query or "")
    if not query_key:
        return []
    registry = _registry_read()
    asked = (query_key, limit, score_cutoff)
    found = registry.answers.get(asked)
    if found is None:
        best: dict[int, tuple[int, float, str]] = {}
        for _key, score, (app_id, label) in process.extract(
            query_key,
            registry.choices,
            scorer=fuzz.WRatio,
            processor=None,
            limit=limit * 4,
            score_cutoff=score_cutoff,
        ):
            if app_id not in best or score > best[app_id][1]:
                best[app_id] = (app_id, score, label)
        found = sorted(best.values(), key=lambda hit: (-hit[1], registry.apps[hit[0]].name))
        found = found[:limit]
        if len(registry.answers) >= ANSWERS_KEPT:
            registry.answers.clear()  # a new start: the names searched most come back first
        registry.answers[asked] = found
    return [
        AppMatch(app=registry.apps[app_id], score=score, matched=label)
        for app_id, score, label in found
    ]


def app_offered(app: App) -> dict:
    """An app as the form offers it: the search API's answer and the apps named most alike."""
    return {"id": app.pk, "name": app.name, "package_name": app.package_name}


# --- the apps consumers name most -------------------------------------------------------------

NAMED_MOST = 12
NAMED_MOST_DAYS = 90


def apps_named_most(
    *, limit: int = NAMED_MOST, days: int = NAMED_MOST_DAYS, today: datetime.date | None = None
) -> list[App]:
    """The registry apps that complaints submitted over the last `days` days named most (as
    the summary table counted them at its last refresh; those rejected, marked duplicate or
    withdrawn do not count), most first, ties by id; after each, any other registry app of
    exactly its name, so that the form can tell two apps of one name apart (then none is
    chosen by the name alone). The one-page form offers them before the consumer types, and
    files a typed name that is one of them without searching."""
    today = today or timezone.localdate()
    ranked = list(
        ComplaintStat.objects.filter(
            app__isnull=False,
            category__isnull=True,  # counted once each, whatever their labels
            submitted_date__gt=today - datetime.timedelta(days=days),
            submitted_date__lte=today,
        )
        .values("app")
        # Not those a regulator turned down (spam, not about an app, the same complaint
        # again) or the consumer took back: a flood of rejected complaints lists no app.
        .annotate(named=Sum(F("received") - F("rejected") - F("duplicate") - F("withdrawn")))
        .filter(named__gt=0)
        .order_by("-named", "app")
        .values_list("app", flat=True)[:limit]
    )
    fields = ("id", "name", "package_name")
    top = App.objects.only(*fields).in_bulk(ranked)
    names = {app.name for app in top.values()}
    namesakes: dict[str, list[App]] = {}
    for app in (
        App.objects.only(*fields).filter(name__in=names).exclude(pk__in=ranked).order_by("pk")
    ):
        namesakes.setdefault(app.name, []).append(app)
    apps: list[App] = []
    for pk in ranked:
        if pk in top:  # else removed since the last refresh
            apps.append(top[pk])
            apps.extend(namesakes.pop(top[pk].name, []))
    return apps


def apps_named_most_offered() -> list[AppMatch]:
    """`apps_named_most` as the app step page offers them before a search, counted once a
    period (STATS_SHARED_SECONDS) for every visitor."""
    apps = shared_figures(PUBLIC, "apps-named-most", (), apps_named_most).value
    return [AppMatch(app=app, score=0.0, matched=app.name) for app in apps]


# --- the app a filing names ------------------------------------------------------------------


@functools.cache
def _app_for_filing_statement(alias: str) -> str:
    quote = connections[alias].ops.quote_name
    meta = App._meta
    columns = f"{quote(meta.pk.column)}, {quote(meta.get_field('name').column)}"
    # Names come from the model, never from input; the id is bound.
    return f"SELECT {columns} FROM {quote(meta.db_table)} WHERE {quote(meta.pk.column)} = %s"  # noqa: S608


def app_for_filing(app_id: int) -> App | None:
    """The registry app a filing names by its id, with what filing reads of it (its id and
    name, as `App.objects.only("id", "name")` gives them), or None when there is none. Read
    from the database, never from the search's copy of the registry: an app deleted a moment
    ago on another worker must not reach the complaint's insert. One statement made once per
    process and prepared once per connection (complaints.prepared): through the ORM this
    look-up was a sixth of a one-page filing's CPU in the web process."""
    if not 1 <= app_id <= ID_MAX:
        return None
    alias = App.objects.db
    with prepared_cursor(connections[alias]) as cursor:
        cursor.execute(_app_for_filing_statement(alias), [app_id])
        row = cursor.fetchone()
    return None if row is None else App.from_db(alias, ["id", "name"], row)


# --- duplicates -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DuplicateHints:
    own: list[Complaint]
    collective_count: int
    collective: bool


def duplicate_hints(
    *,
    app: App | None,
    app_name: str = "",
    category: Category | None = None,
    description: str = "",
    user=None,
    tracking_numbers: list[str] | tuple[str, ...] = (),
    now: datetime.datetime | None = None,
) -> DuplicateHints:
    """Before filing: the consumer's own open complaints about the same app, and whether many
    people reported the same about this app and kind lately (a collective complaint)."""
    now = now or timezone.now()
    mine = Q(tracking_number__in=list(tracking_numbers))
    if user is not None and user.is_authenticated:
        mine |= Q(submitter=user)
    same_app = (
        Q(app=app) if app is not None else Q(app__isnull=True, app_name__iexact=app_name.strip())
    )
    own = list(
        Complaint.objects.filter(mine & same_app)
        .exclude(status__in=workflow.COMPLAINT_FINAL)
        .filter(erased_at__isnull=True, submitted_at__gte=now - datetime.timedelta(days=365))
        .order_by("-submitted_at")[:3]
        if (tracking_numbers or (user is not None and user.is_authenticated))
        and (app or app_name.strip())
        else []
    )
    count = 0
    if app is not None and category is not None and settings.COLLECTIVE_HINT_SOURCE:
        # The clusters early warning found (settings name the reader: complaints never
        # imports the apps built on it).
        count = import_string(settings.COLLECTIVE_HINT_SOURCE)(
            app=app, category=category, description=description, now=now
        )
    elif app is not None and category is not None:
        count = (
            Complaint.objects.filter(app=app, submitted_at__gte=now - datetime.timedelta(days=30))
            .filter(Q(categories=category) | Q(category_hint=category))
            .exclude(status=S.WITHDRAWN)
            .values("pk")
            .distinct()
            .count()
        )
    return DuplicateHints(
        own=own, collective_count=count, collective=count >= settings.COLLECTIVE_HINT_THRESHOLD
    )
