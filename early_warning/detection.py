"""Emerging harms, found daily: each app's and each category's complaints on a day against
their own recent baseline (a Poisson tail), and a surge of "other" complaints sharing words
seldom seen before (a possible new category).

The statistic is meant to be explained in one sentence: with λ the mean complaints a day over
the SPIKE_BASELINE_DAYS before (at least SPIKE_BASELINE_FLOOR), a day of k complaints alerts
when P(X ≥ k | Poisson λ) < SPIKE_ALPHA and k ≥ SPIKE_MIN_COUNT. A category's test leaves out
apps that alerted that day, so one app's burst is one alert, not two. A word is new among
"other" complaints when the recent share of them using it is VOCABULARY_RATIO times its share
before and, at that old share, so many would use it by chance with probability below
SPIKE_ALPHA (binomial tail).
"""

import datetime
from collections import Counter, defaultdict

from django.conf import settings
from django.db.models import Count
from django.db.models.functions import TruncDate
from scipy.stats import binom, poisson

from complaints.models import App, Category, Complaint

from .clustering import text_key
from .models import Alert
from .periods import day_bounds, filed_between
from .reasons import reason
from .services import alert_raise

WITHDRAWN = Complaint.Status.WITHDRAWN
# "Other" complaints read at most, recent and baseline each: bounded work on any table.
VOCABULARY_SAMPLE = 5000


def poisson_chance(observed: int, expected: float) -> float:
    """P(X ≥ observed) for X ~ Poisson(expected)."""
    return float(poisson.sf(observed - 1, expected))


def _test(observed: int, history: list[int]) -> dict | None:
    """The spike test on one series; the figures when it fires."""
    if observed < settings.SPIKE_MIN_COUNT:
        return None
    mean = sum(history) / len(history)
    expected = max(mean, settings.SPIKE_BASELINE_FLOOR)
    chance = poisson_chance(observed, expected)
    if chance >= settings.SPIKE_ALPHA:
        return None
    return {"observed": observed, "expected": round(expected, 2), "chance": chance}


def _reason_figures(figures: dict, day: datetime.date) -> dict:
    return {
        "observed": figures["observed"],
        "expected": f"{figures['expected']:.2f}",
        "date": day.isoformat(),
        "days": settings.SPIKE_BASELINE_DAYS,
        "chance": f"{figures['chance']:.1e}",
        "alpha": f"{settings.SPIKE_ALPHA:.0e}",
    }


def spikes_detect(*, day: datetime.date, at=None) -> list[Alert]:
    """Alerts for the apps and categories whose complaints on `day` stand out."""
    days = settings.SPIKE_BASELINE_DAYS
    first = day - datetime.timedelta(days=days)
    rows = (
        filed_between(first, day)
        .filter(app__isnull=False)
        .annotate(day=TruncDate("submitted_at"))
        .values("app_id", "day")
        .annotate(n=Count("pk"))
    )
    by_app: dict[int, dict] = defaultdict(dict)
    for row in rows:
        by_app[row["app_id"]][row["day"]] = row["n"]
    history_days = [first + datetime.timedelta(days=i) for i in range(days)]
    raised, alerted_apps = [], set()
    apps = App.objects.in_bulk([a for a, counts in by_app.items() if counts.get(day, 0)])
    for app_id, counts in sorted(by_app.items()):
        figures = _test(counts.get(day, 0), [counts.get(d, 0) for d in history_days])
        if figures is None:
            continue
        alerted_apps.add(app_id)
        app = apps[app_id]
        ids = filed_between(day, day).filter(app_id=app_id).values_list("pk", flat=True)
        alert = alert_raise(
            kind=Alert.Kind.SPIKE,
            key=f"spike:app:{app_id}:{day.isoformat()}",
            day=day,
            reason=reason("spike_app", app=app.name, **_reason_figures(figures, day)),
            figures=figures,
            complaint_ids=list(ids),
            app=app,
            at=at,
        )
        raised.append(alert)
    raised += _category_spikes(
        day=day, first=first, history_days=history_days, leave_out=alerted_apps, at=at
    )
    return [a for a in raised if a is not None]


def _category_spikes(*, day, first, history_days, leave_out: set[int], at) -> list:
    through = Complaint.categories.through
    start, end = day_bounds(first, day)
    rows = (
        through.objects.filter(complaint__submitted_at__gte=start, complaint__submitted_at__lt=end)
        .exclude(complaint__status=WITHDRAWN)
        .annotate(day=TruncDate("complaint__submitted_at"))
        .values("category_id", "complaint__app_id", "day")
        .annotate(n=Count("pk"))
    )
    by_category: dict[int, Counter] = defaultdict(Counter)
    for row in rows:
        if row["day"] == day and row["complaint__app_id"] in leave_out:
            continue
        by_category[row["category_id"]][row["day"]] += row["n"]
    categories = Category.objects.in_bulk(list(by_category))
    raised = []
    for category_id, counts in sorted(by_category.items()):
        figures = _test(counts.get(day, 0), [counts.get(d, 0) for d in history_days])
        if figures is None:
            continue
        category = categories[category_id]
        ids = (
            filed_between(day, day)
            .filter(categories=category)
            .exclude(app_id__in=leave_out)
            .values_list("pk", flat=True)
        )
        raised.append(
            alert_raise(
                kind=Alert.Kind.SPIKE,
                key=f"spike:category:{category_id}:{day.isoformat()}",
                day=day,
                reason=reason(
                    "spike_category", category=category.code, **_reason_figures(figures, day)
                ),
                figures=figures,
                complaint_ids=list(ids),
                category=category,
                at=at,
            )
        )
    return raised


# --- new vocabulary among "other" complaints -------------------------------------------------


def _words(text: str) -> set[str]:
    """Words worth counting: two Chinese characters or three letters and more, no placeholders
    or negation marks (a new scam shows in its nouns)."""
    return {
        w
        for w in text_key(text).split()
        if len(w) >= 2
        and not w.endswith("tok")
        and not w.startswith("not_")
        and not w.isdigit()
        and (len(w) >= 3 or not w.isascii())
    }


def new_vocabulary_detect(*, day: datetime.date, at=None) -> Alert | None:
    """An alert when "other" complaints of the last VOCABULARY_RECENT_DAYS share words that
    were rare among the "other" complaints of the VOCABULARY_BASELINE_DAYS before."""
    recent_days = settings.VOCABULARY_RECENT_DAYS
    recent_first = day - datetime.timedelta(days=recent_days - 1)
    baseline_last = recent_first - datetime.timedelta(days=1)
    baseline_first = baseline_last - datetime.timedelta(days=settings.VOCABULARY_BASELINE_DAYS - 1)
    other = Category.objects.filter(code="other").first()
    if other is None:
        return None
    recent = {
        pk: _words(text)
        for pk, text in filed_between(recent_first, day)
        .filter(categories=other)
        .order_by("-submitted_at")
        .values_list("pk", "description")[:VOCABULARY_SAMPLE]
    }
    # Document frequencies are shares, so a sample of the baseline serves as well as all of it.
    baseline = list(
        filed_between(baseline_first, baseline_last)
        .filter(categories=other)
        .order_by("-submitted_at")
        .values_list("description", flat=True)[:VOCABULARY_SAMPLE]
    )
    baseline_n, baseline_df = len(baseline), Counter()
    for text in baseline:
        baseline_df.update(_words(text))
    recent_df = Counter(w for words in recent.values() for w in words)
    if not recent:
        return None
    surging = []
    for word, n in recent_df.items():
        if n < settings.VOCABULARY_MIN_COMPLAINTS:
            continue
        # The word's share before (smoothed: a word never seen counts as seen once).
        before = (baseline_df[word] + 1) / (baseline_n + 2)
        ratio = (n / len(recent)) / before
        # And the chance of n or more of the recent complaints using it, were its share
        # unchanged (binomial tail): small samples do not alert on common words.
        chance = float(binom.sf(n - 1, len(recent), before))
        if ratio >= settings.VOCABULARY_RATIO and chance < settings.SPIKE_ALPHA:
            surging.append((n, ratio, word))
    if not surging:
        return None
    top = [word for _n, _r, word in sorted(surging, reverse=True)[:8]]
    ids = sorted(pk for pk, words in recent.items() if words & set(top))
    earlier = Alert.objects.filter(
        kind=Alert.Kind.NEW_VOCABULARY, day_date__gte=recent_first, day_date__lt=day
    )
    if any(set(a.figures.get("words", [])) & set(top) for a in earlier):
        return None  # the same surge, already raised this week
    return alert_raise(
        kind=Alert.Kind.NEW_VOCABULARY,
        key=f"new_vocabulary:{day.isoformat()}",
        day=day,
        reason=reason(
            "new_vocabulary",
            count=len(ids),
            recent_days=recent_days,
            baseline_days=settings.VOCABULARY_BASELINE_DAYS,
            date=day.isoformat(),
            words="、".join(top),
        ),
        figures={"words": top, "recent": len(recent), "baseline": baseline_n},
        complaint_ids=ids,
        category=other,
        at=at,
    )
