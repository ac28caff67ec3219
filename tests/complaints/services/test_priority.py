"""The triage queue's ranking, typed out by hand: harm first (the kind, whether the app forced
the permissions, money, evidence, sensitive data, vulnerable people), then the model's doubt.
The rule is the one README states."""

from decimal import Decimal

import pytest

from complaints.models import Complaint
from complaints.services.priority import complaint_prioritise, mentions_vulnerable, priority_score
from tests.complaints.services.test_evidence import clean, image_bytes
from tests.factories import category, make_complaint

pytestmark = pytest.mark.django_db


def score(**facts) -> int:
    facts = {"amount": None, "text": "一直弹窗", "confidence": 1.0, **facts}
    return priority_score(**facts)


def test_each_part_of_the_rule_adds_what_readme_says():
    assert score() == 10  # kind unknown, certain model
    assert score(kinds={"fraud"}) == 30
    assert score(kinds={"account_cancellation", "data_sharing_leak"}) == 30  # the worst kind
    assert score(kinds={"over_permission"}, forced=True) == 30
    assert score(kinds={"fraud"}, amount=Decimal("6")) == 37
    assert score(kinds={"fraud"}, amount=Decimal("100")) == 46
    assert score(kinds={"fraud"}, amount=Decimal("10000")) == 60
    assert score(kinds={"fraud"}, amount=Decimal("10000000")) == 60  # money caps at 30
    assert score(kinds={"other"}, evidence=3) == 15
    assert score(kinds={"other"}, text="我家孩子才12岁") == 25
    assert score(kinds={"other"}, confidence=0.4) == 11
    assert score(kinds={"other"}, confidence=None) == 10


def test_a_forced_permission_complaint_with_evidence_outranks_a_six_yuan_scam():
    forced = score(kinds={"over_permission"}, forced=True, evidence=2)
    small_scam = score(kinds={"fraud"}, amount=Decimal("6"))
    big_scam = score(kinds={"fraud"}, amount=Decimal("5000"), evidence=1)
    assert small_scam < forced < big_scam


def test_ages_count_as_vulnerable_only_when_young_or_old():
    assert mentions_vulnerable("我父亲今年72岁")
    assert mentions_vulnerable("a 15 years old boy")
    assert not mentions_vulnerable("我今年35岁")


def test_filing_ranks_a_complaint_before_any_model_sees_it(app):
    forced = make_complaint(
        app=app,
        category_hint=category("over_permission"),
        details={"permissions": ["contacts"], "refused_without": "yes"},
        evidence=[clean(image_bytes())],
    )
    scam = make_complaint(app=app, category_hint=category("fraud"), amount=Decimal("6"))
    forced.refresh_from_db()
    scam.refresh_from_db()
    # over_permission 20 + forced 10 + evidence 10 + no model yet 5 = 45; fraud 30 + 7 + 5.
    assert (forced.priority, scam.priority) == (45, 42)
    queue = list(Complaint.objects.order_by("-priority").values_list("pk", flat=True))
    assert queue == [forced.pk, scam.pk]


def test_classification_ranks_again_with_the_kinds_it_found(app):
    complaint = make_complaint(app=app, description="客服冒充退款骗走了钱")
    complaint.categories.set([category("fraud")])
    complaint.confidence = 1.0
    assert complaint_prioritise(complaint=complaint) == 30
    complaint.refresh_from_db()
    assert complaint.priority == 30
