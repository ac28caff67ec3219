"""Operators' answers, measured daily over the last RESPONSE_QUALITY_DAYS: boilerplate (the same
text, or nearly, across many complaints), closes without substance ("not our app" for an app
the operator runs; "fixed" that the consumer disputes) and no reply past the answer clock.
The figures go on the operator's public scorecard; a rule in RESPONSE_QUALITY_RULES that is
breached alerts the regulators, once a month per operator and rule.
"""

import datetime
from collections import defaultdict

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from rapidfuzz import fuzz, process

from complaints.models import Company, Complaint, OperatorResponse

from .models import Alert, ResponseQuality
from .periods import day_bounds
from .reasons import reason
from .services import alert_raise

Reply = OperatorResponse.Kind.COMPLAINT_REPLY
Code = OperatorResponse.ClosureCode


def boilerplate_groups(replies: list[tuple[int, int, str]]) -> list[list[tuple[int, int, str]]]:
    """Replies (id, complaint id, text) grouped by near-identical text (rapidfuzz ratio of the
    normalised texts ≥ BOILERPLATE_SIMILARITY); the groups that cover at least
    BOILERPLATE_MIN_COMPLAINTS complaints."""
    from classifier.text import normalise  # not at import: see clustering.text_key

    representatives: list[str] = []
    groups: list[list[tuple[int, int, str]]] = []
    for reply in replies:
        key = normalise(reply[2][:1000])
        found = process.extractOne(
            key,
            representatives,
            scorer=fuzz.ratio,
            processor=None,
            score_cutoff=settings.BOILERPLATE_SIMILARITY,
        )
        if found is None:
            representatives.append(key)
            groups.append([reply])
        else:
            groups[found[2]].append(reply)
    return [g for g in groups if len({c for _r, c, _t in g}) >= settings.BOILERPLATE_MIN_COMPLAINTS]


def _percent(value: float) -> str:
    return f"{value:.0%}"


@transaction.atomic
def response_quality_measure(*, day: datetime.date, at=None) -> list[Alert]:
    """Measure every operator with answers or answers due; alert on breached rules."""
    days = settings.RESPONSE_QUALITY_DAYS
    first = day - datetime.timedelta(days=days - 1)
    start, end = day_bounds(first, day)
    replies = defaultdict(list)
    hollow = defaultdict(list)
    for pk, company_id, complaint_id, text, code, status, app_operator in (
        OperatorResponse.objects.filter(
            kind=Reply, created_at__gte=start, created_at__lt=end, complaint__isnull=False
        )
        .order_by("created_at", "pk")
        .values_list(
            "pk",
            "company_id",
            "complaint_id",
            "text",
            "closure_code",
            "complaint__status",
            "complaint__app__operator_id",
        )
        .iterator()
    ):
        replies[company_id].append((pk, complaint_id, text))
        if (code == Code.NOT_OUR_APP and app_operator == company_id) or (
            code == Code.FIXED and status == Complaint.Status.DISPUTED
        ):
            hollow[company_id].append(complaint_id)
    answered = OperatorResponse.objects.filter(complaint=OuterRef("pk"), kind=Reply)
    due = defaultdict(list)
    for complaint_id, company_id, has_reply in (
        Complaint.objects.filter(
            operator_due_date__gte=first, operator_due_date__lt=day, app__operator__isnull=False
        )
        .annotate(has_reply=Exists(answered))
        .values_list("pk", "app__operator_id", "has_reply")
        .iterator()
    ):
        due[company_id].append((complaint_id, has_reply))
    companies = Company.objects.in_bulk(set(replies) | set(due) | set(hollow))
    raised = []
    for company_id, company in sorted(companies.items()):
        groups = boilerplate_groups(replies[company_id])
        boilerplate = [c for group in groups for _r, c, _t in group]
        unanswered = [c for c, has_reply in due[company_id] if not has_reply]
        quality, _ = ResponseQuality.objects.update_or_create(
            company=company,
            defaults={
                "measured_date": day,
                "replies": len(replies[company_id]),
                "boilerplate_replies": len(boilerplate),
                "due": len(due[company_id]),
                "zero_replies": len(unanswered),
                "hollow_closes": len(hollow[company_id]),
            },
        )
        raised += _rules(company, quality, day, boilerplate, unanswered, hollow[company_id], at)
    return [a for a in raised if a is not None]


def _rules(company, quality, day, boilerplate, unanswered, hollow, at) -> list:
    rules = settings.RESPONSE_QUALITY_RULES
    sample = settings.RESPONSE_QUALITY_MIN_SAMPLE
    name = company.name
    common = {"company": name, "days": settings.RESPONSE_QUALITY_DAYS}
    breaches = []
    if quality.replies >= sample and quality.boilerplate_rate > rules["boilerplate"]:
        breaches.append(
            (
                "boilerplate",
                boilerplate,
                reason(
                    "boilerplate",
                    rate=_percent(quality.boilerplate_rate),
                    replies=quality.replies,
                    limit=_percent(rules["boilerplate"]),
                    **common,
                ),
            )
        )
    if quality.due >= sample and quality.zero_reply_rate > rules["zero_reply"]:
        breaches.append(
            (
                "zero_reply",
                unanswered,
                reason(
                    "zero_reply",
                    company=name,
                    rate=_percent(quality.zero_reply_rate),
                    due=quality.due,
                    reply_days=settings.OPERATOR_RESPONSE_DAYS,
                    limit=_percent(rules["zero_reply"]),
                ),
            )
        )
    if quality.hollow_closes > rules["hollow_close"]:
        breaches.append(
            (
                "hollow_close",
                hollow,
                reason(
                    "hollow_close",
                    count=quality.hollow_closes,
                    limit=rules["hollow_close"],
                    **common,
                ),
            )
        )
    return [
        alert_raise(
            kind=Alert.Kind.RESPONSE_QUALITY,
            key=f"response_quality:{company.pk}:{rule}:{day:%Y-%m}",
            day=day,
            reason=why,
            figures={"rule": rule},
            complaint_ids=sorted(set(ids)),
            company=company,
            at=at,
        )
        for rule, ids, why in breaches
    ]
