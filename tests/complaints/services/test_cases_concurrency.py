"""The database, not the code, keeps one open case per app and category: two regulators (or
two trigger rules) racing on PostgreSQL end with one case, and the loser gets a Conflict."""

import threading

import pytest
from django.db import connection

from complaints.errors import Conflict
from complaints.models import Case, Complaint, TriggerRule
from complaints.services import cases as case_services
from complaints.services import triage
from tests.factories import make_complaint

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _race(functions) -> list:
    """Run the functions at the same moment, each on its own connection; return their outcomes."""
    barrier = threading.Barrier(len(functions))
    outcomes: list = [None] * len(functions)

    def run(index, function):
        try:
            barrier.wait()
            outcomes[index] = function()
        except Exception as error:  # noqa: BLE001 — the outcome is what the test checks
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, f)) for i, f in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def test_two_regulators_open_the_same_case(app, rita, ada):
    outcomes = _race(
        [
            lambda: case_services.case_open(app=app, categories=["fraud"], actor=rita),
            lambda: case_services.case_open(app=app, categories=["fraud"], actor=ada),
        ]
    )
    assert sorted(type(o).__name__ for o in outcomes) == ["Case", "Conflict"]
    conflict = next(o for o in outcomes if isinstance(o, Conflict))
    case = Case.objects.get()
    assert case.reference in conflict.message
    assert case.case_categories.get().is_open


def test_two_acceptances_crossing_a_trigger_make_one_case(app, rita, ada):
    TriggerRule.objects.filter(category__code="fraud").update(threshold=2, window_days=30)
    first, second, third = (make_complaint(app=app) for _ in range(3))
    triage.complaint_accept(complaint=first, actor=rita, category_codes=["fraud"])
    # Each of these two acceptances alone crosses the threshold.
    outcomes = _race(
        [
            lambda: triage.complaint_accept(complaint=second, actor=rita, category_codes=["fraud"]),
            lambda: triage.complaint_accept(complaint=third, actor=ada, category_codes=["fraud"]),
        ]
    )
    assert not any(isinstance(o, Exception) for o in outcomes), outcomes
    case = Case.objects.get()
    assert case.origin == Case.Origin.TRIGGER
    assert set(Complaint.objects.values_list("case_id", flat=True)) == {case.pk}
