"""Reads for regulators triaging complaints: the queue and its filters, one complaint's
detail, similar complaints, and a complaint's timeline and answers.

Every page reads a fixed number of queries whatever the data size (pinned in tests).
"""

import datetime
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Substr
from django.utils import timezone
from rapidfuzz import fuzz, process

from .. import workflow
from ..lookups import flag_in_query, id_in_query
from ..models import (
    App,
    Case,
    Category,
    Classification,
    Complaint,
    Event,
    Evidence,
    OperatorResponse,
    SavedFilter,
)
from ..models.event_messages import category_name

S = Complaint.Status
K = Case.Status

QUEUE_SORTS = {
    "priority": ("-priority", "submitted_at"),
    "oldest": ("submitted_at",),
    "newest": ("-submitted_at",),
    "due": ("decision_due_date", "-priority"),
    # "Help the model": what the classifier was least sure of first, so a regulator's
    # confirmations teach the next retraining the most; unclassified complaints last.
    "confidence": (F("confidence").asc(nulls_last=True), "-priority", "submitted_at"),
}
# The "help the model" view: the classifier's unsure complaints, least confident first.
HELP_THE_MODEL_QUERY = "low_confidence=1&sort=confidence"


# --- triage queue -------------------------------------------------------------------------


@dataclass
class QueueFilters:
    status: str = ""
    app: int | None = None
    category: str = ""
    channel: str = ""
    q: str = ""
    money: bool = False
    breached: bool = False
    low_confidence: bool = False
    sort: str = "priority"

    @classmethod
    def from_query(cls, params) -> "QueueFilters":
        """Read filters from a QueryDict; unknown or malformed values are ignored, an id beyond
        what the database holds raises DomainError."""
        status = params.get("status", "")
        sort = params.get("sort", "priority")
        return cls(
            status=status if status in workflow.TRIAGE_QUEUE else "",
            app=id_in_query(params.get("app", ""), field="app"),
            category=params.get("category", "")[:40],
            channel=params.get("channel", "")
            if params.get("channel", "") in Complaint.Channel.values
            else "",
            q=params.get("q", "").strip()[:100],
            money=flag_in_query(params.get("money")),
            breached=flag_in_query(params.get("breached")),
            low_confidence=flag_in_query(params.get("low_confidence")),
            sort=sort if sort in QUEUE_SORTS else "priority",
        )

    def is_whole_queue(self) -> bool:
        """No filter narrows the queue (its order aside): every complaint awaiting a decision."""
        return not (
            self.status or self.app or self.category or self.channel or self.q or self.money
            or self.breached or self.low_confidence
        )  # fmt: skip

    def query_string(self) -> str:
        pairs = {
            "status": self.status,
            "app": self.app or "",
            "category": self.category,
            "channel": self.channel,
            "q": self.q,
            "money": "1" if self.money else "",
            "breached": "1" if self.breached else "",
            "low_confidence": "1" if self.low_confidence else "",
            "sort": "" if self.sort == "priority" else self.sort,
        }
        return urlencode({k: v for k, v in pairs.items() if v})


def triage_queue(
    filters: QueueFilters, *, today: datetime.date | None = None
) -> QuerySet[Complaint]:
    """Complaints that need a regulator, ordered by priority then age (oldest first)."""
    today = today or timezone.localdate()
    statuses = [filters.status] if filters.status else list(workflow.AWAITING_DECISION)
    qs = Complaint.objects.filter(status__in=statuses)
    if filters.app:
        qs = qs.filter(app_id=filters.app)
    if filters.category:
        # EXISTS rather than a join: no DISTINCT, so the queue can still be read in index order.
        qs = qs.filter(
            _has_category([filters.category])
            | Q(category_hint_id__in=_category_ids([filters.category]))
        )
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    if filters.q:
        qs = qs.filter(
            Q(tracking_number__iexact=filters.q)
            | Q(app_name__icontains=filters.q)
            | Q(description__icontains=filters.q)
        )
    if filters.money:
        qs = qs.filter(amount__gt=0)
    if filters.breached:
        qs = qs.filter(decision_due_date__lt=today).exclude(status=S.INFO_REQUESTED)
    if filters.low_confidence:
        qs = qs.filter(
            Q(confidence__isnull=True) | Q(confidence__lt=settings.CLASSIFIER_CONFIDENCE_THRESHOLD)
        )
    return (
        qs.select_related("app", "category_hint")
        .prefetch_related("categories")
        .only(*QUEUE_FIELDS)
        # The start of the text, so a regulator sees what each row is about.
        .annotate(snippet=Substr("description", 1, SNIPPET_LENGTH))
        .order_by(*QUEUE_SORTS[filters.sort], "id")
    )


# The columns a queue row shows (and the API's queue item); of the text only its start.
SNIPPET_LENGTH = 80
QUEUE_FIELDS = (
    "id", "tracking_number", "app_id", "app__name", "app_name", "status", "priority", "category_hint",
    "confidence", "amount", "currency", "channel", "submitted_at", "decided_at", "decision_due_date",
)  # fmt: skip


def _category_ids(codes: list[str]):
    return Category.objects.filter(code__in=codes).values("id")


def _has_category(codes: list[str]) -> Exists:
    """Labelled with one of these categories: one index probe per row on the link table's
    (complaint, category) key, with the category ids looked up once."""
    through = Complaint.categories.through
    return Exists(
        through.objects.filter(complaint_id=OuterRef("pk"), category_id__in=_category_ids(codes))
    )


def queue_counts(*, today: datetime.date | None = None) -> dict:
    """Header figures: how many wait, how many breached the decision deadline, how many wait
    for the consumer. Both queries are answered from indexes alone."""
    today = today or timezone.localdate()
    counts = Complaint.objects.filter(status__in=workflow.AWAITING_DECISION).aggregate(
        waiting=Count("id"), breached=Count("id", filter=Q(decision_due_date__lt=today))
    )
    counts["info_requested"] = Complaint.objects.filter(status=S.INFO_REQUESTED).count()
    return counts


def queue_neighbours(complaint: Complaint) -> Complaint | None:
    """The next complaint in the default queue after this one (for "decide and go on")."""
    return (
        Complaint.objects.filter(status__in=workflow.AWAITING_DECISION)
        .exclude(pk=complaint.pk)
        .filter(
            Q(priority__lt=complaint.priority)
            | Q(priority=complaint.priority, submitted_at__gt=complaint.submitted_at)
            | Q(
                priority=complaint.priority,
                submitted_at=complaint.submitted_at,
                id__gt=complaint.pk,
            )
        )
        .order_by("-priority", "submitted_at", "id")
        .only("id")
        .first()
    )


def saved_filters(user, scope: str = SavedFilter.Scope.TRIAGE) -> QuerySet[SavedFilter]:
    return SavedFilter.objects.filter(user=user, scope=scope)


def filter_choices() -> dict:
    return {
        "categories": list(Category.objects.filter(is_active=True)),
        "statuses": [(s, S(s).label) for s in workflow.TRIAGE_QUEUE],
        "channels": Complaint.Channel.choices,
        "sorts": list(QUEUE_SORTS),
    }


# --- one complaint ------------------------------------------------------------------------


def complaint_for_regulator(pk: int) -> Complaint:
    return (
        Complaint.objects.select_related(
            "app__operator", "category_hint", "duplicate_of", "case", "submitter"
        )
        .prefetch_related("categories")
        .get(pk=pk)
    )


def latest_classification(complaint: Complaint) -> Classification | None:
    return (
        Classification.objects.filter(complaint=complaint)
        .select_related("model_version")
        .defer("model_version__artifact")
        .order_by("-created_at", "-id")
        .first()
    )


def explanation_rows(
    classification: Classification | None, names: dict[str, str] | None = None
) -> list[dict]:
    """The classifier's reasons per label, sorted by probability, for the detail page."""
    if classification is None:
        return []
    rows = []
    for label, probability in sorted(
        classification.probabilities.items(), key=lambda item: -item[1]
    ):
        terms = (
            classification.explanation.get(label, [])
            if isinstance(classification.explanation, dict)
            else []
        )
        rows.append(
            {
                "label": label,
                "name": (names or {}).get(label, label),
                "probability": probability,
                "predicted": label in classification.labels,
                "terms": [t.get("term", "") for t in terms if isinstance(t, dict)],
            }
        )
    return rows[:5]


SIMILAR_CANDIDATES = 300
SIMILAR_SHOWN = 5
NEAR_DUPLICATE_SCORE = 85
# How much of each text is compared (and, of a similar complaint, read at all).
SIMILAR_TEXT_LENGTH = 1000
SIMILAR_FIELDS = ("id", "tracking_number", "compared", "status", "submitted_at", "app_id")


@dataclass
class SimilarComplaint:
    complaint: Complaint
    score: float

    @property
    def near_duplicate(self) -> bool:
        return self.score >= NEAR_DUPLICATE_SCORE


def similar_complaints(
    complaint: Complaint, *, limit: int = SIMILAR_SHOWN
) -> list[SimilarComplaint]:
    """Recent complaints about the same app and kind whose text is close (rapidfuzz).

    Bounded: at most SIMILAR_CANDIDATES recent complaints are compared, whatever the table size.
    """
    if complaint.app_id is None:
        return []
    candidates = Complaint.objects.filter(app_id=complaint.app_id).exclude(pk=complaint.pk)
    codes = [c.code for c in complaint.categories.all()]
    if not codes and complaint.category_hint_id:
        codes = [complaint.category_hint.code]
    if codes:
        candidates = candidates.filter(
            _has_category(codes) | Q(category_hint_id__in=_category_ids(codes))
        )
    # Plain rows, and of each text only what is compared: a model instance is made for the
    # few shown, not for every candidate.
    rows = list(
        candidates.order_by("-submitted_at")
        .annotate(compared=Substr("description", 1, SIMILAR_TEXT_LENGTH))
        .values_list(*SIMILAR_FIELDS)[:SIMILAR_CANDIDATES]
    )
    if not rows:
        return []
    texts = {row[0]: row[2] for row in rows}
    by_pk = {row[0]: row for row in rows}
    matches = process.extract(
        complaint.description[:SIMILAR_TEXT_LENGTH],
        texts,
        scorer=fuzz.token_set_ratio,
        processor=None,
        limit=limit,
        score_cutoff=55,
    )
    shown = ["id", "tracking_number", "description", "status", "submitted_at", "app_id"]
    return [
        SimilarComplaint(
            complaint=Complaint.from_db(None, shown, by_pk[key]), score=round(score, 1)
        )
        for _text, score, key in matches
    ]


def app_history(app: App | None) -> dict:
    """How this app has fared: complaints by status (from the complaint_app_status index
    alone) and its cases (newest first)."""
    if app is None:
        return {"counts": {}, "total": 0, "cases": []}
    by_status = dict(
        Complaint.objects.filter(app=app)
        .values_list("status")
        .annotate(n=Count("status"))  # a column of the index, so no table rows are read
        .values_list("status", "n")
    )
    cases = list(Case.objects.filter(app=app).order_by("-opened_at")[:10])
    ordered = sorted(by_status.items(), key=lambda item: -item[1])
    counts = {S(status).label: n for status, n in ordered}
    return {"counts": counts, "total": sum(by_status.values()), "cases": cases}


def labelled_events(events, statuses) -> list[Event]:
    """Events with their statuses' display names (from_label, to_label) and, for relabels, the
    categories' names (labels_from, labels_to) in the reader's language, for the templates."""
    names = dict(statuses.choices)
    events = list(events)
    for event in events:
        event.from_label = names.get(event.from_status, event.from_status)
        event.to_label = names.get(event.to_status, event.to_status)
        if event.kind == Event.Kind.LABELS:
            event.labels_from = [category_name(code) for code in event.data.get("from", [])]
            event.labels_to = [category_name(code) for code in event.data.get("to", [])]
    return events


def complaint_timeline(complaint: Complaint, *, public_only: bool = False) -> list[Event]:
    events = (
        Event.objects.filter(complaint=complaint)
        .select_related("actor")
        .order_by("created_at", "id")
    )
    if public_only:
        events = events.filter(public=True)
    return labelled_events(events, S)


def complaint_evidence(complaint: Complaint) -> list[Evidence]:
    return list(Evidence.objects.filter(complaint=complaint).order_by("created_at", "id"))


def app_choices_for(complaint: Complaint, responses: list[OperatorResponse]) -> list[App]:
    """Apps to pick from when the complaint's app is unknown or its operator said "not our
    app" (read from the answers the page already loaded); otherwise none."""
    disowned = complaint.status == S.NEEDS_REVIEW and any(
        r.closure_code == OperatorResponse.ClosureCode.NOT_OUR_APP for r in responses
    )
    if complaint.app_id is not None and not disowned:
        return []
    return list(App.objects.only("id", "name").order_by("name"))


def open_cases_for(complaint: Complaint) -> list[Case]:
    """Cases this complaint could be linked to: active ones about the same app."""
    if complaint.app_id is None:
        return []
    return list(
        Case.objects.filter(app_id=complaint.app_id).exclude(status=K.CLOSED).order_by("-opened_at")
    )


def complaint_responses(complaint: Complaint) -> list[OperatorResponse]:
    return list(
        OperatorResponse.objects.filter(complaint=complaint)
        .select_related("author")
        .order_by("created_at", "id")
    )
