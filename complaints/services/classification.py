"""Applying the classifier's verdict to a complaint (the classifier issue completes this)."""

from ..models import Complaint


def complaint_classify(*, complaint_id: int) -> None:
    """Classify one complaint with the active model; without an active model, leave it for the sweep."""
    Complaint.objects.filter(pk=complaint_id).exists()
