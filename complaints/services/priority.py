"""Where a complaint stands in the triage queue: a score for harm, then how actionable and
how unsure. Filing sets it, classification sets it again once the kinds are known. The rule
is written out in README ("How the triage queue ranks") and typed out in its tests.
"""

import math
import re
from collections.abc import Iterable
from decimal import Decimal

from .. import privacy
from ..models import Complaint

_VULNERABLE_WORDS = re.compile(
    r"未成年|儿童|孩子|小孩|小朋友|学生|青少年|初中|高中|小学|幼儿|老人|老年|长辈|爷爷|奶奶|外公|外婆|"
    r"老父亲|老母亲|退休|\b(?:child|children|kids?|minors?|teen(?:ager)?s?|students?|elderly|"
    r"grand(?:mother|father|parents?|ma|pa)|pensioners?|retired|old age)\b",
    re.IGNORECASE,
)
_AGE = re.compile(r"(\d{1,3})\s*(?:岁|周岁|years? old)", re.IGNORECASE)
_PII_WEIGHTS = {
    "resident_id": 25,
    "bank_card": 25,
    "credit_code": 5,
    "mobile": 10,
    "landline": 5,
    "email": 5,
}


def mentions_vulnerable(text: str) -> bool:
    """Minors or elderly people named in the text (by word, or by an age under 18 or over 60)."""
    if _VULNERABLE_WORDS.search(text):
        return True
    return any(int(age) < 18 or int(age) >= 60 for age in _AGE.findall(text))


# How much harm each kind of problem does, before the particulars: money taken or personal
# data out of the consumer's hands weigh most; a refused cancellation least. A complaint of
# several kinds counts its worst. README ("How the triage queue ranks") states the whole rule.
HARM_BY_KIND = {
    "fraud": 30,
    "data_sharing_leak": 30,
    "illegal_collection": 25,
    "over_permission": 20,
    "unauthorized_charges": 20,
    "price_discrimination": 15,
    "account_cancellation": 10,
    "other": 5,
}
UNKNOWN_KIND_HARM = 10


def priority_score(
    *,
    amount: Decimal | None,
    text: str,
    confidence: float | None,
    kinds: Iterable[str] = (),
    evidence: int = 0,
    forced: bool = False,
) -> int:
    """Harm first, then how actionable and how unsure: the kind's harm (its worst kind), +10
    when the app refused to work without the permissions, money on a log scale (up to 30:
    6 yuan +7, 100 yuan +16, 10,000 yuan +30), +10 with evidence attached, sensitive personal
    data in the text (up to 40), +20 for minors or elderly people, and up to +10 for the
    model's doubt. Age is not in the score: ties go to the oldest filing."""
    score = max(
        (HARM_BY_KIND.get(kind, UNKNOWN_KIND_HARM) for kind in kinds), default=UNKNOWN_KIND_HARM
    )
    if forced:
        score += 10
    if amount is not None and amount > 0:
        score += min(30, round(8 * math.log10(float(amount) + 1)))
    if evidence:
        score += 10
    found = {match.kind for match in privacy.pii_find(text)}
    score += min(40, sum(_PII_WEIGHTS.get(kind, 5) for kind in found))
    if mentions_vulnerable(text):
        score += 20
    # Unclassified or low-confidence complaints need a human most.
    score += 5 if confidence is None else round((1 - confidence) * 10)
    return score


def complaint_priority(complaint: Complaint, *, kinds: set[str], evidence: int) -> int:
    """The complaint's score from its own fields, given its categories' codes and how many
    files it has (which callers load one by one or for a whole batch). The consumer's
    category hint counts as a kind."""
    if complaint.category_hint_id:
        kinds = {*kinds, complaint.category_hint.code}
    return priority_score(
        amount=complaint.amount,
        text=complaint.description,
        confidence=complaint.confidence,
        kinds=kinds,
        evidence=evidence,
        forced=(complaint.details or {}).get("refused_without") == "yes",
    )


def complaint_prioritise(*, complaint: Complaint, save: bool = True) -> int:
    """Score a complaint for the triage queue; filing and classification call this."""
    complaint.priority = complaint_priority(
        complaint,
        kinds={c.code for c in complaint.categories.all()} if complaint.pk else set(),
        evidence=complaint.evidence.count() if complaint.pk else 0,
    )
    if save and complaint.pk:
        Complaint.objects.filter(pk=complaint.pk).update(priority=complaint.priority)
    return complaint.priority
