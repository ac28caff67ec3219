"""`generate_complaints N`: synthetic filings for load tests, drawn from the team corpus.

The rows must look like a live platform's (filing dates rising with ids, the status mix,
categories that match the text, masked text, deadlines), and a bulk load on PostgreSQL must
leave every index and constraint exactly as it found them, whether it succeeds or fails.
"""

import datetime
import re
from collections import Counter
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from benchmarks import generation
from complaints import privacy
from complaints.models import App, Complaint
from tests.factories import AppFactory

pytestmark = pytest.mark.django_db

TABLES = ["complaints_complaint", "complaints_complaint_categories"]


@pytest.fixture
def registry(company):
    return [
        AppFactory(name=f"生成测试应用{n}", package_name=f"com.example.gen{n}", operator=company)
        for n in range(6)
    ]


def corpus_labels() -> dict[str, set[frozenset[str]]]:
    """Every corpus text with the label sets it carries (a text may appear more than once)."""
    labels: dict[str, set[frozenset[str]]] = {}
    for text, _masked, codes, _lang in generation._corpus():
        labels.setdefault(text, set()).add(frozenset(codes))
    return labels


def test_generated_complaints_look_like_filings(registry):
    before = timezone.now()
    assert generation.complaints_generate(count=3000, seed=7, days=200) == 3000
    rows = list(
        Complaint.objects.order_by("id").prefetch_related("categories").select_related("app")
    )
    assert len(rows) == 3000
    known = corpus_labels()
    decided = {str(s) for s in generation._DECIDED}
    final = {str(s) for s in generation._FINAL}
    names = {app.pk: app.name for app in registry}
    for complaint in rows:
        assert re.fullmatch(r"AW-\d{6}-G[0-9A-F]{4}\d{7}", complaint.tracking_number)
        assert before - datetime.timedelta(days=200, minutes=1) <= complaint.submitted_at
        assert complaint.submitted_at <= timezone.now()
        assert complaint.tracking_number[3:9] == complaint.submitted_at.strftime("%y%m%d")
        assert names[complaint.app_id] == complaint.app_name
        assert frozenset(c.code for c in complaint.categories.all()) in known[complaint.description]
        assert complaint.masked_text == privacy.mask_text(complaint.description)
        # Corpus texts without personal data are stored once.
        assert complaint.description_masked == privacy.masked_copy(complaint.description)
        assert (complaint.decided_at is not None) == (complaint.status in decided)
        assert (complaint.closed_at is not None) == (complaint.status in final)
        day = complaint.submitted_at.date()
        assert day - datetime.timedelta(days=9) <= complaint.occurred_date <= day
        assert complaint.decision_due_date == day + datetime.timedelta(days=9)
        assert 0.3 <= complaint.confidence <= 0.99
        assert complaint.label_source == Complaint.LabelSource.MODEL
        assert complaint.source == "generated"
        if complaint.amount is not None:
            assert {c.code for c in complaint.categories.all()} & {
                "fraud",
                "unauthorized_charges",
                "price_discrimination",
            }
    assert len({c.tracking_number for c in rows}) == len(rows)
    # As on a live platform, later ids were filed later.
    times = [c.submitted_at for c in rows]
    assert times == sorted(times)
    assert times[-1] - times[0] > datetime.timedelta(days=150)


def test_status_and_app_mix_follow_the_weights(registry):
    generation.complaints_generate(count=5000, seed=3)
    now = timezone.now()
    by_tier: dict[int, Counter] = {}
    for status, submitted_at in Complaint.objects.values_list("status", "submitted_at"):
        age = (now - submitted_at).total_seconds() / 86400
        tier = next(
            index
            for index, (younger, _weights) in enumerate(generation._STATUS_WEIGHTS_BY_AGE)
            if younger is None or age < younger
        )
        by_tier.setdefault(tier, Counter())[status] += 1
    # Most complaints are older than a month: their mix follows that tier's weights.
    oldest = by_tier[len(generation._STATUS_WEIGHTS_BY_AGE) - 1]
    weights = generation._STATUS_WEIGHTS_BY_AGE[-1][1]
    for status, weight in zip(generation._STATUSES, weights, strict=True):
        share = oldest[status] / oldest.total()
        assert abs(share - weight / sum(weights)) < 0.03, status
        if weight == 0:
            assert share == 0, status
    # The backlog is recent: the last week waits for regulators far more than older filings.
    waiting = {"submitted", "classified", "needs_review", "info_requested"}
    recent = by_tier[0]
    assert sum(recent[s] for s in waiting) / recent.total() > 0.3
    assert sum(oldest[s] for s in waiting) / oldest.total() < 0.03
    apps = Counter(Complaint.objects.values_list("app_id", flat=True))
    # The first app in the registry is the most complained about, the last the least.
    ordered = list(App.objects.order_by("id").values_list("id", flat=True))
    assert apps[ordered[0]] > apps[ordered[-1]] * 2
    languages = Counter(Complaint.objects.values_list("language", flat=True))
    assert languages["zh-hans"] > languages["en"] > 0


def test_runs_add_up_without_clashes(registry):
    generation.complaints_generate(count=400, seed=1)
    generation.complaints_generate(count=400, seed=1)
    numbers = list(Complaint.objects.values_list("tracking_number", flat=True))
    assert len(numbers) == 800 == len(set(numbers))


def test_command_reports_rate_and_refuses_nonsense(registry):
    out = StringIO()
    call_command("generate_complaints", "250", "--days", "30", stdout=out)
    assert re.search(r"^250 complaints in [\d.]+ s \([\d,]+ rows/s\)$", out.getvalue().strip())
    assert Complaint.objects.count() == 250
    with pytest.raises(CommandError, match="at least 1"):
        call_command("generate_complaints", "0")


def test_command_needs_a_registry():
    with pytest.raises(CommandError, match="demo_data"):
        call_command("generate_complaints", "10")
    assert Complaint.objects.count() == 0


# --- bulk loads on PostgreSQL ------------------------------------------------------------------


def schema() -> dict[str, set]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s)", [TABLES]
        )
        indexes = set(cursor.fetchall())
        cursor.execute(
            """
            SELECT conname, pg_get_constraintdef(oid), convalidated, condeferrable, condeferred
            FROM pg_constraint WHERE conrelid::regclass::text = ANY(%s)
            """,
            [TABLES],
        )
        constraints = set(cursor.fetchall())
    return {"indexes": indexes, "constraints": constraints}


@pytest.mark.postgres
def test_bulk_load_puts_back_every_index_and_constraint(registry, monkeypatch):
    monkeypatch.setattr(generation, "REBUILD_MIN_ROWS", 100)
    before = schema()
    assert len(before["indexes"]) > 10 and len(before["constraints"]) > 8
    generation.complaints_generate(count=1500, seed=11)
    assert schema() == before
    assert Complaint.objects.count() == 1500
    # The rebuilt constraints are enforced again.
    first, last = Complaint.objects.order_by("id")[0], Complaint.objects.order_by("-id")[0]
    last.tracking_number = first.tracking_number
    with pytest.raises(IntegrityError, match="unique_tracking_number"), transaction.atomic():
        last.save(update_fields=["tracking_number"])
    last.refresh_from_db()
    last.app_id = max(app.pk for app in registry) + 1000
    with pytest.raises(IntegrityError, match="app_id"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # foreign keys are deferred
        last.save(update_fields=["app_id"])


@pytest.mark.postgres
def test_failed_bulk_load_leaves_tables_as_they_were(registry, other_session):
    generation.complaints_generate(count=50, seed=2)
    before = schema()
    with pytest.raises(RuntimeError), transaction.atomic(), generation._indexes_suspended(True):
        dropped = schema()
        assert len(dropped["indexes"]) < len(before["indexes"])
        assert not any(row[1].startswith("FOREIGN KEY") for row in dropped["constraints"])
        # Other sessions still see every index while the load runs.
        names = {
            name
            for (name,) in other_session.execute(
                "SELECT indexname FROM pg_indexes WHERE tablename = ANY(%s)", [TABLES]
            )
        }
        assert names == {name for name, _definition in before["indexes"]}
        raise RuntimeError("the load failed")
    assert schema() == before
    assert Complaint.objects.count() == 50
