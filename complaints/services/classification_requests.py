"""Asking for classification: what a filing or an import hands to the workers after commit.

Kept apart from services/classification.py so that the web processes, which only ask, never
import the classifier (scikit-learn, the model) at start or on a filing.
"""

from django.conf import settings

from .enqueue import Request, requests_on_commit, task_send, tasks_run_in_process


def classification_request(*, complaint_id: int) -> Request:
    """What a new complaint asks for: with workers, a run of `classify_waiting`, which takes
    every complaint waiting at the time in batches (one run pending serves any number of
    filings); without (tasks in-process), the classification of just this one."""
    what = f"classification of complaint {complaint_id}"
    if tasks_run_in_process():
        return Request("complaints.tasks.classify_complaints", ([complaint_id],), what)
    return Request("complaints.tasks.classify_waiting", (), what)


def classification_enqueue_on_commit(*, complaint_id: int) -> None:
    """After the change commits: have this complaint classified."""
    requests_on_commit(classification_request(complaint_id=complaint_id))


def classification_enqueue(complaint_ids: list[int], model_version_id: int | None = None) -> bool:
    """Send classification of these complaints to the workers, in batches; False when the
    broker is down (one warning; the sweep tries again)."""
    size = settings.CLASSIFY_BATCH_SIZE
    for start in range(0, len(complaint_ids), size):
        batch = complaint_ids[start : start + size]
        if not task_send(
            "complaints.tasks.classify_complaints",
            batch,
            model_version_id,
            what=f"classification of {len(batch)} complaint(s)",
        ):
            return False
    return True
