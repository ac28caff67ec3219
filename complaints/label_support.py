"""Whether a complaint's text backs a label a regulator gives it (issue 13, item 16).

A label a regulator adds in a relabel is backed when one of its keywords occurs in the text (the classifier's keyword
baseline, the same lists in both languages) or when the latest classification gave it at
least RELABEL_SUPPORT_MIN_PROBABILITY. "other" is always backed. A label the text does not
back is still allowed (a regulator may know more than the text says) but must be confirmed
with a reason, which the timeline shows next to the relabel.
"""

import functools

from django.conf import settings

from .models import Complaint

ALWAYS_BACKED = frozenset({"other"})


@functools.cache
def _keywords():
    # Imported when a relabel is first checked: the classifier's text tools (a word
    # segmenter) are no part of a web process's start or of a filing.
    from classifier.baseline import KeywordBaseline

    return KeywordBaseline()


def label_probabilities(complaint: Complaint) -> dict[str, float]:
    latest = complaint.classifications.order_by("-created_at", "-id").first()
    return dict(latest.probabilities) if latest is not None else {}


def labels_unbacked(complaint: Complaint, codes: list[str]) -> list[str]:
    """The codes among `codes`, not on the complaint already, that its text does not back.

    Only a relabel is checked: a complaint without labels yet (the classifier has not run, or
    no model is active) is labelled by the regulator in the first place, with nothing to
    overrule."""
    current = set(complaint.categories.values_list("code", flat=True))
    if not current:
        return []
    new = [code for code in codes if code not in current and code not in ALWAYS_BACKED]
    if not new:
        return []
    hits = set(_keywords().predict_labels([complaint.description])[0])
    probabilities = label_probabilities(complaint)
    floor = settings.RELABEL_SUPPORT_MIN_PROBABILITY
    return [
        code for code in new if code not in hits and float(probabilities.get(code, 0.0)) < floor
    ]
