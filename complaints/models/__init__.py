"""The AppWatch domain, one module per aggregate, re-exported so `from complaints.models
import X` keeps working. Models hold single-row facts; every write goes through services."""

from .accounts import Preference, SavedFilter, VerifiedEmail
from .cases import Case, CaseCategory, CaseNote, Notice, OperatorResponse
from .complaints import (
    Classification,
    Complaint,
    Evidence,
    evidence_upload_to,
)
from .events import AuditChainHead, Event
from .organisations import (
    App,
    Category,
    Company,
    CompanyMembership,
    TriggerRule,
    validate_credit_code,
)
from .outbox import OutboxMessage
from .statistics import ComplaintStat, StatisticsState

__all__ = [
    "App",
    "AuditChainHead",
    "Case",
    "CaseCategory",
    "CaseNote",
    "Category",
    "Classification",
    "Company",
    "CompanyMembership",
    "Complaint",
    "ComplaintStat",
    "Event",
    "Evidence",
    "Notice",
    "OutboxMessage",
    "OperatorResponse",
    "Preference",
    "SavedFilter",
    "StatisticsState",
    "TriggerRule",
    "VerifiedEmail",
    "evidence_upload_to",
    "validate_credit_code",
]
